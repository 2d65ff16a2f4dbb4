"""Timings and memory of the local server's classical inpainting engine.

Not a test: prints a table. Run ``.venv/bin/python benchmarks/bench_engine.py``.
The mask is a centred ellipse covering the stated share of the image; each
figure is the median of a few runs on the astronaut example photo.
"""

from __future__ import annotations

import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint.server.engine import inpaint_image  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "astronaut.png"
RUNS = 3


def ellipse_mask(side: int, coverage: float) -> Image.Image:
    # An ellipse of semi-axes a = b * 1.4 covering `coverage` of side^2.
    b = np.sqrt(coverage * side * side / (np.pi * 1.4))
    a = 1.4 * b
    mask = Image.new("L", (side, side), 0)
    c = side / 2
    ImageDraw.Draw(mask).ellipse((c - a, c - b, c + a, c + b), fill=255)
    return mask


def measure(image: Image.Image, mask: Image.Image, side: int, samples: int) -> tuple[float, float]:
    times = []
    peak = 0
    for run in range(RUNS):
        tracemalloc.start()
        started = time.perf_counter()
        inpaint_image(image, mask, side, side, samples=samples, seed=run, strength=1.0)
        times.append(time.perf_counter() - started)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    image = Image.open(EXAMPLE).convert("RGB")
    print(f"python {platform.python_version()}, opencv {cv2.__version__}, "
          f"numpy {np.__version__}, {cv2.getNumberOfCPUs()} CPU(s)")
    print(f"median of {RUNS} runs; peak = largest Python/numpy allocation high-water mark "
          "(tracemalloc; OpenCV's own buffers are not counted)\n")
    print(f"{'size':>9} {'masked':>7} {'samples':>7} {'seconds':>8} {'s/sample':>9} {'peak MB':>8}")
    inpaint_image(image, ellipse_mask(256, 0.1), 256, 256)  # warm-up
    for side in (512, 1024):
        resized = image.resize((side, side), Image.Resampling.LANCZOS)
        for coverage in (0.10, 0.25, 0.50):
            mask = ellipse_mask(side, coverage)
            actual = float((np.asarray(mask) > 0).mean())
            for samples in (1, 4):
                seconds, peak = measure(resized, mask, side, samples)
                print(f"{side:>4}x{side:<4} {actual:>6.0%} {samples:>7} {seconds:>8.3f} "
                      f"{seconds / samples:>9.3f} {peak:>8.1f}")
    print("\nawkward masks, 1024x1024, 4 samples:")
    resized = image.resize((1024, 1024), Image.Resampling.LANCZOS)
    stripes = np.where(np.arange(1024)[:, None] % 64 == 0, 0, 255).repeat(1024, axis=1)
    awkward = {
        "everything masked": np.full((1024, 1024), 255, np.uint8),
        "stripes (1 known row in 64)": stripes.astype(np.uint8),
    }
    for label, array in awkward.items():
        seconds, peak = measure(resized, Image.fromarray(array, "L"), 1024, 4)
        print(f"  {label:<28} {seconds:>6.3f} s  peak {peak:.1f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak resident memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()
