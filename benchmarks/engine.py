"""6. The offline engine (was benchmarks/bench_engine.py): seconds and memory.

The local server's classical fill on the astronaut example, with a centred
ellipse mask covering the stated share of the image. Peak = the largest
Python/numpy allocation high-water mark (tracemalloc; OpenCV's own buffers
are not counted). No targets: these size the simulated server's ``eta``.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from PIL import Image, ImageDraw

from benchmarks.common import EXAMPLES, Section, median
from inpaint.server.engine import inpaint_image


def ellipse_mask(side: int, coverage: float) -> Image.Image:
    # An ellipse of semi-axes a = b * 1.4 covering `coverage` of side^2.
    b = np.sqrt(coverage * side * side / (np.pi * 1.4))
    a = 1.4 * b
    mask = Image.new("L", (side, side), 0)
    c = side / 2
    ImageDraw.Draw(mask).ellipse((c - a, c - b, c + a, c + b), fill=255)
    return mask


def measure(
    image: Image.Image, mask: Image.Image, side: int, samples: int, runs: int
) -> tuple[float, float]:
    times, peak = [], 0
    for run in range(runs):
        tracemalloc.start()
        started = time.perf_counter()
        inpaint_image(image, mask, side, side, samples=samples, seed=run, strength=1.0)
        times.append(time.perf_counter() - started)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return median(times), peak / 2**20


def run(quick: bool = False) -> Section:
    started = time.perf_counter()
    runs = 1 if quick else 3
    image = Image.open(EXAMPLES / "astronaut.png").convert("RGB")
    section = Section(
        "6. The offline engine (classical fill), for reference",
        ["size", "masked", "samples", "median seconds", "s / sample", "peak MB"],
    )
    inpaint_image(image, ellipse_mask(256, 0.1), 256, 256)  # warm-up
    # Quick: one small case (the smoke test's); the PatchMatch engine takes seconds at 1024.
    cases = (
        [(512, 0.10, 1)]
        if quick
        else [(side, cov, n) for side in (512, 1024) for cov in (0.10, 0.25, 0.50) for n in (1, 4)]
    )
    for side, coverage, samples in cases:
        resized = image.resize((side, side), Image.Resampling.LANCZOS)
        mask = ellipse_mask(side, coverage)
        actual = float((np.asarray(mask) > 0).mean())
        seconds, peak = measure(resized, mask, side, samples, runs)
        section.add(
            f"{side} x {side}",
            f"{actual:.0%}",
            samples,
            f"{seconds:.3f}",
            f"{seconds / samples:.3f}",
            f"{peak:.1f}",
        )
    section.note(f"Median of {runs} run(s) per row; the engine runs in this process.")
    section.seconds = time.perf_counter() - started
    return section
