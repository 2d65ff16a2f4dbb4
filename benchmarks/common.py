"""What every benchmark shares: timing, medians, tables, the machine, RESULTS.md.

Each benchmark module has ``run(quick: bool) -> Section``; a ``Section`` is a
title, a table (header + rows of strings), and notes. The runner prints the
tables and writes them all to one Markdown file, so the figures in the
repository are exactly what a run printed.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from anywhere
    sys.path.insert(0, str(ROOT))

LIBRARIES = (
    "pillow",
    "numpy",
    "opencv-python-headless",
    "gradio",
    "gradio_client",
    "requests",
    "fastapi",
    "uvicorn",
    "playwright",
)


@dataclass
class Section:
    """One benchmark's figures, ready to print or write."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def note(self, text: str) -> None:
        self.notes.append(text)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (for 20-odd samples, the second largest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-95 * len(ordered) // 100))
    return ordered[rank - 1]


def interleaved(
    variants: dict[str, Callable[[], Any]], runs: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Time each variant ``runs`` times, alternating them, so drift hits all alike.

    Returns wall seconds per run for each variant name.
    """
    for _ in range(warmup):
        for fn in variants.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine() -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in versions().items())
    return [
        f"Machine: {platform.platform()}, {os.cpu_count()} logical core(s) "
        f"({platform.machine()}), Python {platform.python_version()}",
        f"Libraries: {libs}",
    ]


def table(section: Section) -> str:
    """A Markdown table, which also reads fine in a terminal."""
    widths = [len(h) for h in section.header]
    for row in section.rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"

    out = [line(section.header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in section.rows]
    return "\n".join(out)


def render(section: Section) -> str:
    parts = [f"## {section.title}", "", table(section)]
    if section.notes:
        parts += [""] + [f"- {n}" for n in section.notes]
    parts.append(f"\n_(this benchmark took {section.seconds:.0f} s)_")
    return "\n".join(parts)


def write_results(
    path: Path, sections: list[Section], *, quick: bool, command: str, preface: Sequence[str] = ()
) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    head = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {stamp}"
        + (" in **--quick** mode (fewer runs: figures are rough)." if quick else "."),
        "",
        *[f"{line}  " for line in machine()],
        "",
        "The machine's cores are shared with other workers running test suites, so absolute "
        "times drift between runs; every comparison below was measured in the same run, "
        "interleaved, and each figure is a median over several runs.",
        *preface,
        "",
    ]
    body = "\n\n".join(render(s) for s in sections)
    path.write_text("\n".join(head) + "\n" + body + "\n", encoding="utf-8")
