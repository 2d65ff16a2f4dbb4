"""Measuring outpainting where the truth is known, and the measures its tests use.

A photo is cropped and the crop extended back to the photo's size, so the new
area can be compared with what really was there. The scores, all over the new
area unless said otherwise:

* **detail**: high-frequency energy (grey minus its Gaussian blur, sigma
  ``DETAIL_SIGMA``) of each new side relative to the photo's strip of the same
  thickness beside it; the worst side (farthest from 1) is reported. A smear is
  near 0, the photo's own sharpness 1.
* **vs truth**: the same energy relative to the truth's.
* **flat**: share of ``FLAT_BLOCK`` px blocks whose detail is below
  ``FLAT_LEVEL`` of the median block of the photo strip beside them (a flat
  block in a textured photo); the truth's own share is printed beside it.
* **colour**: mean absolute difference (grey levels) of the per-channel mean and
  standard deviation between the new area and the truth.
* **SSIM** against the truth (``inpaint.evaluate.ssim``).
* **seam**: the largest step across a line where the new area was made in
  separate pieces (the old border, each tile's and each pass's edge), as a
  multiple of the steps between neighbouring columns (or rows) beside it:
  about 1 where nothing shows, 2 and more for a visible line.
* **seconds**: wall time.

Methods: ``ours`` is ``client.outpaint`` (its defaults, offline: the local
server); ``patchmatch`` is plain pypatchmatch (radius 3) on the same canvas,
the new area as its hole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from .evaluate import EXAMPLES, ssim, texture
from .outpaint import Extension, start_canvas, tiles

if TYPE_CHECKING:
    from .client import ModelsLabClient

PHOTOS = EXAMPLES / "photos"
DETAIL_SIGMA = 1.5
FLAT_BLOCK = 32
FLAT_LEVEL = 0.3
# Columns (or rows) on each side of a line that the step across it is compared with.
SEAM_REACH = 12

Outpainter = Callable[[Image.Image, Extension, int], Image.Image]


# -- measures ----------------------------------------------------------------------
def _grey(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, np.float32).mean(axis=2)


def detail(array: np.ndarray) -> float:
    """High-frequency energy (rms, grey levels) of an RGB array."""
    grey = _grey(array)
    return float((grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)).std())


def side_areas(
    out: np.ndarray, size: tuple[int, int], ext: Extension
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Each extended side: its name, the new area beside the photo, and the photo's
    strip of the same thickness beside it (both as long as the photo's side)."""
    w, h = size
    x, y = ext.left, ext.top
    for side, amount in zip(("left", "top", "right", "bottom"), ext.as_tuple(), strict=True):
        if not amount:
            continue
        depth = min(amount, w if side in ("left", "right") else h)
        if side == "left":
            yield side, out[y : y + h, x - amount : x], out[y : y + h, x : x + depth]
        elif side == "right":
            yield (
                side,
                out[y : y + h, x + w : x + w + amount],
                out[y : y + h, x + w - depth : x + w],
            )
        elif side == "top":
            yield side, out[y - amount : y, x : x + w], out[y : y + depth, x : x + w]
        else:
            yield (
                side,
                out[y + h : y + h + amount, x : x + w],
                out[y + h - depth : y + h, x : x + w],
            )


def _block_details(array: np.ndarray, block: int) -> np.ndarray:
    grey = _grey(array)
    high = grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)
    rows, cols = high.shape[0] // block, high.shape[1] // block
    if rows == 0 or cols == 0:
        return np.array([float(high.std())])
    cut = high[: rows * block, : cols * block].reshape(rows, block, cols, block)
    return np.asarray(cut.std(axis=(1, 3)).ravel())


def flat_share(new: np.ndarray, beside: np.ndarray, block: int = FLAT_BLOCK) -> float:
    """Share of ``new``'s blocks flatter than ``FLAT_LEVEL`` of ``beside``'s median block."""
    level = FLAT_LEVEL * float(np.median(_block_details(beside, block)))
    return float((_block_details(new, block) < level).mean())


def seam_lines(size: tuple[int, int], ext: Extension) -> list[tuple[str, int, int, int]]:
    """Where the new area was made in separate pieces: ``(axis, at, start, end)``.

    ``axis`` "x" is a vertical line at column ``at`` over rows ``start:end``, "y"
    a horizontal one. Every edge of every tile's new pixels inside the canvas:
    the old border, the joins between tiles along a side and between passes.
    """
    width, height = ext.canvas_size(size)
    lines = set()
    for tile in tiles(size, ext):
        b = tile.band
        for at in (b.left, b.right):
            if 0 < at < width:
                lines.add(("x", at, b.top, b.bottom))
        for at in (b.top, b.bottom):
            if 0 < at < height:
                lines.add(("y", at, b.left, b.right))
    return sorted(lines)


def seam_step(out: np.ndarray, axis: str, at: int, start: int, end: int) -> float:
    """The step across a line (mean absolute grey difference between the two pixels
    either side of it) relative to the median step between neighbours beside it."""
    grey = _grey(out) if axis == "x" else _grey(out).T
    part = grey[start:end]
    lo, hi = max(1, at - SEAM_REACH), min(part.shape[1], at + SEAM_REACH + 1)
    steps = np.abs(np.diff(part[:, lo - 1 : hi], axis=1)).mean(axis=0)
    across = steps[at - lo]
    others = np.delete(steps, [i for i in (at - lo - 1, at - lo, at - lo + 1) if 0 <= i])
    return float(across / max(float(np.median(others)), 0.5))


def worst_seam(out: np.ndarray, size: tuple[int, int], ext: Extension) -> float:
    """The largest :func:`seam_step` over :func:`seam_lines`."""
    steps = [seam_step(out, *line) for line in seam_lines(size, ext)]
    return max(steps, default=1.0)


# -- cases -------------------------------------------------------------------------
@dataclass(frozen=True)
class OutpaintCase:
    """A photo (the truth) and the crop of it that is extended back to its size."""

    name: str
    truth: Image.Image
    ext: Extension

    @property
    def crop(self) -> Image.Image:
        w, h = self.truth.size
        e = self.ext
        return self.truth.crop((e.left, e.top, w - e.right, h - e.bottom))


@dataclass(frozen=True)
class OutpaintScore:
    case: str
    method: str
    detail: float
    truth_detail: float
    flat: float
    truth_flat: float
    colour: float
    ssim: float
    seam: float
    seconds: float


def default_cases(scale: float = 1.0) -> list[OutpaintCase]:
    """Different content, each cropped on a side where the truth is background:
    a landscape (two ways), a subject near the border, a table, a texture."""

    def load(path: Path) -> Image.Image:
        image = Image.open(path).convert("RGB")
        if scale != 1.0:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.resize(size, Image.Resampling.LANCZOS)
        return image

    def part(value: int) -> int:
        return round(value * scale)

    china = load(PHOTOS / "china.jpg")
    return [
        OutpaintCase("landscape-right", china, Extension(right=part(160))),
        OutpaintCase("landscape-bottom", china, Extension(bottom=part(96))),
        OutpaintCase("rocket-left", load(PHOTOS / "rocket.jpg"), Extension(left=part(160))),
        OutpaintCase("table-left", load(EXAMPLES / "coffee.png"), Extension(left=part(150))),
        OutpaintCase(
            "astronaut-right", load(EXAMPLES / "astronaut.png"), Extension(right=part(128))
        ),
        OutpaintCase(
            "gravel-right-bottom",
            texture("gravel", part(384)),
            Extension(right=part(96), bottom=part(64)),
        ),
    ]


def score(case: OutpaintCase, out: Image.Image, method: str, seconds: float) -> OutpaintScore:
    """Every measure of one result (see the module docstring)."""
    got = np.asarray(out.convert("RGB"))
    truth = np.asarray(case.truth)
    size = case.crop.size
    new = np.ones(got.shape[:2], bool)
    box = case.ext.photo_box(size)
    new[box.top : box.bottom, box.left : box.right] = False
    ratios, truth_ratios, flats, truth_flats = [], [], [], []
    for (_, area, beside), (_, truth_area, _) in zip(
        side_areas(got, size, case.ext), side_areas(truth, size, case.ext), strict=True
    ):
        ratios.append(detail(area) / max(detail(beside), 1e-3))
        truth_ratios.append(detail(area) / max(detail(truth_area), 1e-3))
        flats.append(flat_share(area, beside))
        truth_flats.append(flat_share(truth_area, beside))
    worst = max(ratios, key=lambda r: abs(np.log(max(r, 1e-3))))
    stats = [
        np.abs(got[new].mean(axis=0) - truth[new].mean(axis=0)).mean(),
        np.abs(got[new].std(axis=0) - truth[new].std(axis=0)).mean(),
    ]
    return OutpaintScore(
        case=case.name,
        method=method,
        detail=float(worst),
        truth_detail=float(np.mean(truth_ratios)),
        flat=float(max(flats)),
        truth_flat=float(max(truth_flats)),
        colour=float(np.mean(stats)),
        ssim=ssim(got, truth, new),
        seam=worst_seam(got, size, case.ext),
        seconds=seconds,
    )


# -- methods -----------------------------------------------------------------------
def client_outpainter(client: ModelsLabClient, prompt: str = "more of the same") -> Outpainter:
    """``client.outpaint`` with its defaults (offline: the local server's engine,
    which ignores the prompt)."""

    def run(photo: Image.Image, ext: Extension, seed: int) -> Image.Image:
        left, top, right, bottom = ext.as_tuple()
        result = client.outpaint(
            photo, prompt, left=left, top=top, right=right, bottom=bottom, seed=seed
        )
        return result.images[0]

    return run


def patchmatch_outpainter(photo: Image.Image, ext: Extension, seed: int) -> Image.Image:
    """Plain pypatchmatch (radius 3) on the same canvas, the new area as its hole."""
    import patchmatch

    canvas = np.asarray(start_canvas(photo, ext))
    hole = np.ones(canvas.shape[:2], np.uint8)
    box = ext.photo_box(photo.size)
    hole[box.top : box.bottom, box.left : box.right] = 0
    patchmatch.set_random_seed(seed)
    return Image.fromarray(patchmatch.inpaint(canvas, hole, patch_size=3), "RGB")


def evaluate(
    cases: Sequence[OutpaintCase],
    methods: dict[str, Outpainter],
    *,
    seed: int = 0,
    report: Callable[[OutpaintScore], None] | None = None,
    strips: Path | None = None,
) -> list[OutpaintScore]:
    """Run every method on every case; ``report`` hears each score as it is made."""
    scores = []
    for case in cases:
        results = []
        for name, method in methods.items():
            started = time.perf_counter()
            out = method(case.crop, case.ext, seed)
            result = score(case, out, name, time.perf_counter() - started)
            scores.append(result)
            results.append((name, out))
            if report is not None:
                report(result)
        if strips is not None:
            strips.mkdir(parents=True, exist_ok=True)
            strip(case, results).save(strips / f"outpaint-{case.name}.png")
    return scores


def strip(case: OutpaintCase, results: Sequence[tuple[str, Image.Image]]) -> Image.Image:
    """Truth | each method's result, side by side (what the scores are about)."""
    pictures = [case.truth, *(image for _, image in results)]
    width = sum(p.width for p in pictures) + 8 * (len(pictures) - 1)
    sheet = Image.new("RGB", (width, max(p.height for p in pictures)), (255, 255, 255))
    left = 0
    for picture in pictures:
        sheet.paste(picture, (left, 0))
        left += picture.width + 8
    return sheet


HEADER = (
    "| case | method | detail | vs truth | flat (truth) | colour | SSIM | seam | s |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def row(s: OutpaintScore) -> str:
    """One Markdown table row of a score."""
    return (
        f"| {s.case} | {s.method} | {s.detail:.2f} | {s.truth_detail:.2f} | "
        f"{s.flat:.2f} ({s.truth_flat:.2f}) | {s.colour:.1f} | {s.ssim:.3f} | "
        f"{s.seam:.2f} | {s.seconds:.1f} |"
    )
