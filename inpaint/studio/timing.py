"""Where a Generate's time goes on the server, for the benchmark that splits it up.

With ``INPAINT_STUDIO_TIMINGS=1`` in the studio's environment, each capture
and each generation writes one line to stderr (``timing capture read=0.120
save=0.004``), which ``benchmarks/generate_click.py`` reads from the app's log
next to what the browser measured. Off by default: nothing is written.
"""

from __future__ import annotations

import os
import sys

ENV = "INPAINT_STUDIO_TIMINGS"


def enabled() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def report(event: str, **seconds: float) -> None:
    """One line of named durations for ``event`` (when enabled)."""
    if enabled():
        shares = " ".join(f"{name}={value:.3f}" for name, value in seconds.items())
        print(f"timing {event} {shares}", file=sys.stderr, flush=True)
