"""How much one visitor may make a public studio do: the bounds, in one place.

Each number is chosen so that one visitor (or one script) cannot take the
Space from everyone else: not its disk (uploads), not its waiting line (the
queue), not its memory (outpaints at once), not its CPU (the offline fill).
What they are and why is in the README's "Security" section.
"""

from __future__ import annotations

# Largest file gradio accepts on /gradio_api/upload. A 12 MP JPEG is about 5 MB,
# a 12 MP PNG about 20 MB: 25 MB takes any photo a phone makes, not a 300 MB file.
MAX_UPLOAD = "25mb"
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

# Events waiting in gradio's queue, all visitors together. Past it a new event
# is refused at once ("the queue is full") instead of waiting behind a flood.
QUEUE_MAX_SIZE = 64

# Outpaints (Extend) running at once, all visitors together: one peaks at about
# 1.2 GB (a 12 MP canvas, its prefill and its tiles), so two fit a free Space.
OUTPAINT_CONCURRENCY = 2

# The offline fill (PatchMatch on this machine's CPU) runs about a megapixel of
# hole per sample in tens of seconds on a busy 2-core Space; past this budget
# (hole pixels x samples) a request is refused with a sentence, so one visitor's
# four-sample full-frame fill cannot hold the only CPU for minutes.
OFFLINE_MAX_HOLE_MEGAPIXELS = 1.5
