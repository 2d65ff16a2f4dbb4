"""Outpainting: extending a photo beyond its borders through the inpaint endpoint.

All of it is inpainting on a larger canvas: the photo is placed on the canvas,
the new area (plus a small ``overlap`` into the photo) is the mask, the new
area is pre-filled so the model has something to start from, and the original
is put back exactly. What makes it work at full resolution:

* **Passes.** One job fills at most ``MAX_PASS`` px of new area outward from
  the known picture, next to at least ``CONTEXT`` px of what is known, so a
  job's cut (at most 1024 x 1024) is sent at the photo's own resolution. A
  larger extension is done in several passes, each starting from the last.
* **Tiles.** Along a long side the band is cut into tiles of at most 1024 px
  that overlap by ``TILE_OVERLAP``. Where every other tile leaves a gap to the
  next, those come first (they do not touch each other), then the tiles that
  fill the gaps, each seeing its neighbours on both sides as known context;
  otherwise they run in order, each seeing the one before. The new area
  continues across tiles instead of meeting at seams. All jobs share one seed.
* **At once.** Jobs that do not depend on each other (the first tiles of a
  band, a side far from another) run at the same time, within the key's queue
  limit (``inpaint.schedule``); the picture is the one the order above gives,
  pixel for pixel.
* **Order.** Left and right first (beside the photo), then top and bottom
  across the full width, corners included.

Every original pixel farther than ``overlap`` px from the old border comes back
bit for bit (paste-back blends within the overlap only).
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image

from . import images as imgs
from . import schedule
from .contract import MAX_SIDE
from .errors import ParameterError
from .job import JobOutput
from .progress import CancelHook, ChainProgress, ProgressCallback, ProgressEvent
from .region import Box, Region
from .result import InpaintResult, edit_parameters
from .slots import DEFAULT_QUEUE_LIMIT

if TYPE_CHECKING:
    from .client import ModelsLabClient
    from .request import InpaintRequest

MAX_PASS = 768  # new pixels (thickness) one job fills
CONTEXT = 256  # known pixels (at least) beside them in each job
TILE_OVERLAP = 160  # along a side, consecutive tiles overlap this much
TILE_KEEP = 64  # ...of which a tile keeps this much of the one before (the rest is made again)
SIDES = ("left", "right", "top", "bottom")
ANCHORS = (
    "center",
    "left",
    "right",
    "top",
    "bottom",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
)


@dataclass(frozen=True)
class Extension:
    """How many pixels (of the photo) to add on each side."""

    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    @property
    def any(self) -> bool:
        return any((self.left, self.top, self.right, self.bottom))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.right, self.bottom

    def canvas_size(self, size: tuple[int, int]) -> tuple[int, int]:
        return size[0] + self.left + self.right, size[1] + self.top + self.bottom

    def photo_box(self, size: tuple[int, int]) -> Box:
        """Where the photo sits on the canvas."""
        return Box(self.left, self.top, self.left + size[0], self.top + size[1])

    def check(self, size: tuple[int, int]) -> None:
        """Refuse, before anything is sent, an extension the library cannot hold."""
        if any(v < 0 for v in self.as_tuple()):
            raise ParameterError("extension amounts must be 0 or more pixels", field="extend")
        if not self.any:
            raise ParameterError(
                "nothing to extend: give at least one side more than 0 px", field="extend"
            )
        width, height = self.canvas_size(size)
        if width * height > imgs.MAX_INPUT_PIXELS:
            raise ParameterError(
                f"the extended image would be {width} x {height} ({width * height / 1e6:.0f} "
                f"megapixels); the limit is {imgs.MAX_INPUT_PIXELS // 1_000_000} megapixels",
                field="extend",
            )

    @classmethod
    def to_target(cls, size: tuple[int, int], target: str, anchor: str = "center") -> Extension:
        """The extension that makes a photo of ``size`` match ``target``.

        ``target`` is an aspect ratio (``"16:9"``, ``"1:1"``, ``"1.5"``) or a
        scale (``"x1.5"``: every side grown by that factor); ``anchor`` says
        where the photo stays (``"left"``: new area on the right).
        """
        if anchor not in ANCHORS:
            raise ParameterError(
                f"anchor must be one of {', '.join(ANCHORS)} (got {anchor!r})", field="anchor"
            )
        width, height = size
        scale = re.fullmatch(r"\s*[x×]\s*(\d+(?:\.\d+)?)\s*", target)
        if scale:
            factor = float(scale[1])
            if not 1 <= factor <= 4:
                raise ParameterError(
                    f"a scale must be from x1 to x4 (got {target!r})", field="extend_to"
                )
            new_w, new_h = round(width * factor), round(height * factor)
        else:
            ratio = _ratio(target)
            new_w, new_h = (max(width, round(height * ratio)), height)
            if new_w == width:
                new_h = max(height, round(width / ratio))
        return _placed(new_w - width, new_h - height, anchor)


def _ratio(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:[:/x]\s*(\d+(?:\.\d+)?))?\s*", text)
    if not match or float(match[1]) == 0 or (match[2] is not None and float(match[2]) == 0):
        raise ParameterError(
            f"a target must be a ratio such as 16:9 or 1.5, or a scale such as x1.5 (got {text!r})",
            field="extend_to",
        )
    ratio = float(match[1]) / float(match[2] or 1)
    if not 0.2 <= ratio <= 5:
        raise ParameterError(f"a ratio must be from 1:5 to 5:1 (got {text!r})", field="extend_to")
    return ratio


def _placed(extra_w: int, extra_h: int, anchor: str) -> Extension:
    horizontal = "left" if "left" in anchor else "right" if "right" in anchor else "center"
    vertical = "top" if "top" in anchor else "bottom" if "bottom" in anchor else "center"
    left = {"left": 0, "right": extra_w, "center": extra_w // 2}[horizontal]
    top = {"top": 0, "bottom": extra_h, "center": extra_h // 2}[vertical]
    return Extension(left, top, extra_w - left, extra_h - top)


def jobs_needed(size: tuple[int, int], ext: Extension) -> int:
    """How many jobs an extension of a photo of ``size`` takes (each a paid request
    with a key; the cost shown before it runs), one sample each."""
    return sum(1 for _ in tiles(size, ext))


# -- the canvas and its jobs ------------------------------------------------------------------
def start_canvas(photo: Image.Image, ext: Extension) -> Image.Image:
    """The photo on the larger canvas, its border pixels stretched into the new area.

    A neutral start only: every new pixel is masked and pre-filled by its job
    before anything is sent.
    """
    array = np.asarray(photo.convert("RGB"))
    grown = cv2.copyMakeBorder(
        array, ext.top, ext.bottom, ext.left, ext.right, cv2.BORDER_REPLICATE
    )
    return Image.fromarray(grown, "RGB")


@dataclass(frozen=True)
class Tile:
    """One job: the new pixels it makes (``band``), the box it is cut from, and its mask."""

    side: str
    band: Box
    region: Region


def tiles(size: tuple[int, int], ext: Extension) -> Iterator[Tile]:
    """Every job of an extension, in the order they run (see the module docstring)."""
    canvas = ext.canvas_size(size)
    known = ext.photo_box(size)
    for side in SIDES:
        while True:
            step = _remaining(side, known, canvas)
            if step <= 0:
                break
            step = min(step, MAX_PASS)
            band = _band(side, known, step)
            yield from _cut_band(side, band, known, canvas)
            known = known.union(band)


def _remaining(side: str, known: Box, canvas: tuple[int, int]) -> int:
    return {
        "left": known.left,
        "top": known.top,
        "right": canvas[0] - known.right,
        "bottom": canvas[1] - known.bottom,
    }[side]


def _band(side: str, known: Box, step: int) -> Box:
    if side == "left":
        return Box(known.left - step, known.top, known.left, known.bottom)
    if side == "right":
        return Box(known.right, known.top, known.right + step, known.bottom)
    if side == "top":
        return Box(known.left, known.top - step, known.right, known.top)
    return Box(known.left, known.bottom, known.right, known.bottom + step)


def _cut_band(side: str, band: Box, known: Box, canvas: tuple[int, int]) -> Iterator[Tile]:
    """The band cut into tiles along its length, each with known context beside it."""
    across = side in ("left", "right")
    length = band.height if across else band.width
    thickness = band.width if across else band.height
    depth = min((known.width if across else known.height), max(CONTEXT, MAX_SIDE - thickness))
    count = (
        1 if length <= MAX_SIDE else math.ceil((length - TILE_OVERLAP) / (MAX_SIDE - TILE_OVERLAP))
    )
    span = min(length, MAX_SIDE)
    starts = [round(i * (length - span) / max(1, count - 1)) for i in range(count)]
    if count > 2 and starts[2] - starts[0] > span:
        # Every other tile first: those leave gaps between them, so they can run at
        # once; the ones that fill the gaps then see known context on both sides.
        starts = starts[0::2] + starts[1::2]
    for start in starts:
        lo = (band.top if across else band.left) + start
        if across:
            piece = Box(band.left, lo, band.right, lo + span)
            cut = Box(
                band.left - depth if side == "right" else band.left,
                lo,
                band.right + depth if side == "left" else band.right,
                lo + span,
            )
        else:
            piece = Box(lo, band.top, lo + span, band.bottom)
            cut = Box(
                lo,
                band.top - depth if side == "bottom" else band.top,
                lo + span,
                band.bottom + depth if side == "top" else band.bottom,
            )
        cut = Box(
            max(0, cut.left), max(0, cut.top), min(canvas[0], cut.right), min(canvas[1], cut.bottom)
        )
        yield Tile(side, piece, Region(cut, imgs.fit_within(cut.size, (MAX_SIDE, MAX_SIDE))))


def tile_mask(
    canvas_size: tuple[int, int], tile: Tile, unknown: np.ndarray, overlap: int
) -> Image.Image:
    """What one job repaints: its band's still-unknown pixels and ``overlap`` px of the
    known pixels beside them (within its cut), so the new area meets the old softly."""
    c = tile.region.box
    b = tile.band
    # Worked out on the cut only (widened by the overlap): a whole 12 MP canvas per tile was slow.
    top, left = max(0, c.top - overlap), max(0, c.left - overlap)
    bottom = min(canvas_size[1], c.bottom + overlap)
    right = min(canvas_size[0], c.right + overlap)
    local = np.zeros((bottom - top, right - left), np.uint8)
    band = (
        slice(max(b.top, top) - top, min(b.bottom, bottom) - top),
        slice(max(b.left, left) - left, min(b.right, right) - left),
    )
    todo = _redo_joined(unknown[top:bottom, left:right][band], tile.side in ("left", "right"))
    local[band] = np.where(todo, 255, 0).astype(np.uint8)
    if overlap > 0:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * overlap + 1, 2 * overlap + 1))
        local = np.asarray(cv2.dilate(local, disc), np.uint8)
    clipped = np.zeros((canvas_size[1], canvas_size[0]), np.uint8)
    clipped[c.top : c.bottom, c.left : c.right] = local[
        c.top - top : c.bottom - top, c.left - left : c.right - left
    ]
    return Image.fromarray(clipped, "L")


def _redo_joined(todo: np.ndarray, across: bool) -> np.ndarray:
    """A tile's pixels to make: its band's unknown ones, and of the part an earlier tile
    along the same side made all but ``TILE_KEEP`` px next to that tile.

    So the new pixels run along the whole cut beside the photo: the fill grows them
    outward from the photo, which it takes to be the edge it faces, where a hole in
    the cut's corner (the photo on one side, the earlier tile on the other) could
    be grown from the earlier tile instead, carrying its content (sky) down over
    everything the photo shows beside it (trees).
    """
    lines: np.ndarray = np.asarray(todo.any(axis=1 if across else 0), bool)
    if not lines.any() or lines.all():
        return todo
    out = todo.copy()
    length = len(lines)
    first, last = int(np.argmax(lines)), length - int(np.argmax(lines[::-1]))
    for lo, hi in ((TILE_KEEP, first), (last, length - TILE_KEEP)):
        if hi > lo:
            if across:
                out[lo:hi] = True
            else:
                out[:, lo:hi] = True
    return out


# -- running ----------------------------------------------------------------------------------
def run_outpaint(
    client: ModelsLabClient,
    image: Any,
    request: InpaintRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelHook | None = None,
) -> InpaintResult:
    """Every tile of the extension, in order, on one canvas; one seed for all of them."""
    photo = imgs.to_rgb(imgs.load_image(image, what="image"))
    ext = request.extension
    ext.check(photo.size)
    plan = list(tiles(photo.size, ext))
    if request.samples > 1 and len(plan) > 1:  # each tile depends on the one before
        return run_per_sample(client, photo, request, len(plan), progress, cancel)
    overlap = request.overlap_for(photo.size)
    inner = request.replace(
        extend_left=0,
        extend_top=0,
        extend_right=0,
        extend_bottom=0,
        crop_to_mask=True,
        paste_back=True,
        feather=overlap - overlap // 2,
    )
    if inner.seed is None:
        # Chosen here rather than by the first job, so that every tile, its
        # pre-fill included, uses the same seed from the start.
        inner = inner.replace(seed=secrets.randbelow(2**32))
    canvas = start_canvas(photo, ext)
    unknown = np.ones((canvas.height, canvas.width), bool)
    known = ext.photo_box(photo.size)
    unknown[known.top : known.bottom, known.left : known.right] = False
    chain = TileChain(client, canvas, unknown, inner, plan, overlap // 2, progress, cancel)
    needs = schedule.dependencies([chain.area(tile) for tile in plan])
    limit = client.slots.size if client.slots is not None else DEFAULT_QUEUE_LIMIT
    schedule.run_all(needs, chain.run, limit)
    images = chain.images
    jobs = [output for outputs in chain.outputs for output in outputs]
    regions = tuple(t.region.box.as_tuple() for t in plan)
    parameters = edit_parameters(request, jobs, images, regions, client.base_url)
    parameters.update(overlap=overlap, output_size=list(images[0].size))
    return InpaintResult(
        images=images, jobs=tuple(jobs), request=request, regions=regions, parameters=parameters
    )


class TileChain:
    """The canvas an extension's tiles share, and one tile run on it (from any thread).

    A tile reads its cut and, for its mask, ``margin`` px around it (``area``);
    it writes only inside its cut, which is all that is copied back. Which
    tiles may run at once is ``inpaint.schedule``'s business.
    """

    def __init__(
        self,
        client: ModelsLabClient,
        canvas: Image.Image,
        unknown: np.ndarray,
        request: InpaintRequest,
        plan: list[Tile],
        margin: int,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
    ) -> None:
        self.client, self.request, self.plan, self.margin = client, request, plan, margin
        self.images = [canvas]
        self.unknown = unknown
        self.outputs: list[tuple[JobOutput, ...]] = [() for _ in plan]
        self.display = ChainProgress(progress, len(plan))
        self.cancel = cancel
        self._lock = threading.Lock()

    def area(self, tile: Tile) -> schedule.Area:
        cut, m = tile.region.box, self.margin
        reads = Box(cut.left - m, cut.top - m, cut.right + m, cut.bottom + m)  # may pass the edge
        return schedule.Area(reads=reads, writes=cut)

    def run(self, index: int) -> None:
        tile, alone = self.plan[index], len(self.plan) == 1
        with self._lock:
            canvas = self.images[0] if alone else self.images[0].copy()
            mask = tile_mask(canvas.size, tile, self.unknown, self.margin)
        done = self.client.run(
            canvas,
            mask,
            self.request,
            regions=[tile.region],
            progress=self.display.job(index + 1),
            cancel=self.cancel,
        )
        box, band = tile.region.box, tile.band
        with self._lock:
            if alone:  # one job: its samples are the result
                self.images = done.images
            else:  # outside its cut a job leaves the canvas as it was
                self.images[0].paste(done.images[0].crop(box.as_tuple()), (box.left, box.top))
            self.unknown[band.top : band.bottom, band.left : band.right] = False
            self.outputs[index] = done.jobs


def run_per_sample(
    client: ModelsLabClient,
    photo: Image.Image,
    request: InpaintRequest,
    jobs: int,
    progress: ProgressCallback | None,
    cancel: CancelHook | None,
) -> InpaintResult:
    """Several samples of an extension that takes several jobs: one chain per sample.

    A job's samples cannot go on to the next tile together (each tile is cut
    from the canvas one sample made), so sample ``i`` is its own chain with
    seed + i, as a job's own samples are seeded; the cost is samples x jobs.
    The first chain's seed (chosen by the API when none was given) is recorded.
    """
    images: list[Image.Image] = []
    outputs: list[JobOutput] = []
    first: InpaintResult | None = None
    seed = request.seed
    total = jobs * request.samples
    for index in range(request.samples):
        single = request.replace(samples=1, seed=None if seed is None else seed + index)
        done = run_outpaint(
            client,
            photo,
            single,
            progress=_renumbered(progress, index * jobs, total),
            cancel=cancel,
        )
        if seed is None:
            seed = done.seed
        first = first or done
        images.extend(done.images)
        outputs.extend(done.jobs)
    assert first is not None
    parameters = {
        **first.parameters,
        "samples": request.samples,
        "seed": request.seed if request.seed is not None else first.seed,
        "request_id": ",".join(str(o.id) for o in outputs if o.id is not None) or None,
    }
    return InpaintResult(
        images=images,
        jobs=tuple(outputs),
        request=request,
        regions=first.regions,
        parameters=parameters,
    )


def _renumbered(
    progress: ProgressCallback | None, before: int, total: int
) -> ProgressCallback | None:
    """``progress`` with a chain's "job n of N" counted across every sample's chain."""
    if progress is None:
        return None
    callback = progress

    def relay(event: ProgressEvent) -> None:
        number = before + (event.part[0] if event.part else 1)
        if event.stage == "done" and number < total:
            event = dataclasses.replace(event, message="finished, the next one follows")
        callback(dataclasses.replace(event, part=(number, total)))

    return relay
