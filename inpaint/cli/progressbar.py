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

from ..progress import ProgressEvent, describe, overall_fraction

BAR_WIDTH = 24


class ProgressBar:
    """Renders ``ProgressEvent``s on ``stream``; ``label`` prefixes every line."""

    def __init__(
        self, stream: TextIO, *, enabled: bool = True, tty: bool | None = None, label: str = ""
    ) -> None:
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
        return prefix + (describe(event) if with_eta else event.message)

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
