"""A progress display for the command line, fed by the client's ``progress`` callback.

On a terminal it is one line that rewrites itself (bar, stage, eta); when
stderr is a file or a pipe (CI logs, scripts) it writes one plain line per
change of stage instead, because carriage returns make logs unreadable.
It only ever writes to the stream it is given, never to stdout, so the
paths the CLI prints there stay clean for scripts.
"""

from __future__ import annotations

import shutil
from typing import TextIO

from .client import ProgressEvent

# Rough share of the whole run at which each stage starts; the queued stage
# fills the gap up to "downloading" with the client's own eta-based fraction.
STAGE_START = {
    "preparing": 0.02, "region": 0.05, "uploading": 0.08, "submitting": 0.15,
    "queued": 0.2, "downloading": 0.92, "done": 1.0,
}
BAR_WIDTH = 24


class ProgressBar:
    """Renders ``ProgressEvent``s on ``stream``; ``label`` prefixes every line."""

    def __init__(self, stream: TextIO, *, enabled: bool = True, tty: bool | None = None,
                 label: str = "") -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty() if tty is None else tty
        self.label = label
        self.job_id: int | str | None = None
        self._last_stage: str | None = None
        self._drawn = False

    def __call__(self, event: ProgressEvent) -> None:
        if event.job_id is not None:
            self.job_id = event.job_id  # kept even when quiet: Ctrl-C reports it
        if not self.enabled:
            return
        if self.tty:
            self._draw(event)
        elif event.stage != self._last_stage:
            self._write_line(self._text(event, with_eta=event.stage != "queued"))
        self._last_stage = event.stage

    def close(self) -> None:
        """End the self-rewriting line so the next message starts on its own line."""
        if self.enabled and self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False

    # -- rendering ------------------------------------------------------------
    def _text(self, event: ProgressEvent, *, with_eta: bool = True) -> str:
        prefix = f"{self.label}: " if self.label else ""
        text = f"{prefix}{event.message}"
        if with_eta and event.eta is not None and event.stage == "queued":
            text += f", about {event.eta:.0f} s left"
        return text

    def _draw(self, event: ProgressEvent) -> None:
        share = overall_fraction(event)
        filled = int(round(share * BAR_WIDTH))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"[{bar}] {share * 100:3.0f}% {self._text(event)}"
        width = shutil.get_terminal_size((80, 20)).columns - 1
        line = line[:width].ljust(width)
        self.stream.write("\r" + line)
        self.stream.flush()
        self._drawn = True

    def _write_line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def overall_fraction(event: ProgressEvent) -> float:
    """The event's place in the whole run, 0..1, for the bar."""
    start = STAGE_START.get(event.stage, 0.0)
    if event.stage == "queued" and event.fraction is not None:
        end = STAGE_START["downloading"]
        return start + (end - start) * max(0.0, min(1.0, event.fraction))
    return start
