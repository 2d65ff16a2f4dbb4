"""Region mode and exact paste-back: the geometry between a big photo and a 1024 px API.

The API returns at most 1024 x 1024, and a model's round trip shifts colours
slightly everywhere, even where nothing was painted. Two pure steps fix both:

* ``plan_regions`` cuts the photo into the few boxes that contain the painted
  areas plus context (``padding``), each shaped so that it can be sent at up
  to 1024 x 1024 in multiples of 8 without distortion.
* ``paste_back`` puts a result over the original at full resolution: inside
  the mask the result, across a ``feather``-wide band outside it a smooth
  blend, and beyond that the original's own pixels, bit for bit.

Everything here takes and returns PIL images or plain boxes; nothing does I/O.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from . import images as imgs
from .colour import DriftMeter, drift_meter
from .contract import MAX_SIDE

# A box longer than this many times its width gives a model a sliver with no
# context (a 2000 x 40 stroke would be sent as 1024 x 16); such boxes are
# widened across their short side.
MAX_ASPECT = 4.0
# More separate jobs than this for one edit is more cost than benefit; the
# closest regions are merged until this many remain.
MAX_REGIONS = 4
# Two regions are merged into one enclosing box when that box is at most this
# many times the area of the two separately (little extra is sent) or when it
# still fits in one request at full resolution (nothing is lost by merging).
MERGE_AREA_RATIO = 1.5


@dataclass(frozen=True)
class Box:
    """A pixel rectangle in PIL's convention: left/top inclusive, right/bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def area(self) -> int:
        return self.width * self.height

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.right, self.bottom

    def union(self, other: Box) -> Box:
        return Box(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def intersects(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def pad(self, pixels: int, limit: tuple[int, int]) -> Box:
        """Widened by ``pixels`` on every side, kept inside a ``limit``-sized image."""
        w, h = limit
        return Box(
            max(0, self.left - pixels),
            max(0, self.top - pixels),
            min(w, self.right + pixels),
            min(h, self.bottom + pixels),
        )


@dataclass(frozen=True)
class Region:
    """One request's worth of the photo: where it is cut, and the size it is sent at."""

    box: Box
    send_size: tuple[int, int]


# -- planning -------------------------------------------------------------------
def painted_boxes(mask: Image.Image) -> list[Box]:
    """Bounding boxes of the separately painted areas (8-connected), largest first."""
    arr = (np.asarray(mask.convert("L")) > 0).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(arr, connectivity=8)
    boxes = [Box(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h, _ in stats[1:count]]
    return sorted(boxes, key=lambda b: -b.area)


def plan_regions(
    mask: Image.Image,
    *,
    padding: int = 32,
    feather: int = 0,
    limit: tuple[int, int] = (MAX_SIDE, MAX_SIDE),
    max_regions: int = MAX_REGIONS,
) -> list[Region]:
    """The boxes to send for "only masked" mode, one per group of nearby painted areas.

    Each painted area's box is widened by ``padding`` (and at least by the
    paste-back band, so the blend has result pixels to use), then boxes that
    overlap, or whose union is cheap (see ``MERGE_AREA_RATIO``) or still fits
    in one request, are merged. Each box is finally shaped to the aspect of
    its send size so that scaling it there and back distorts nothing.
    """
    size = mask.size
    margin = max(int(padding), int(feather) + 2)
    boxes = [b.pad(margin, size) for b in painted_boxes(mask)]
    if not boxes:
        return []
    boxes = merge_boxes(boxes, limit=limit, max_regions=max_regions)
    regions = []
    for box in boxes:
        box = _limit_aspect(box, size)
        send = imgs.fit_within(box.size, limit)
        regions.append(Region(_match_aspect(box, send, size), send))
    return regions


def merge_boxes(
    boxes: list[Box],
    *,
    limit: tuple[int, int] = (MAX_SIDE, MAX_SIDE),
    max_regions: int = MAX_REGIONS,
) -> list[Box]:
    """Merge boxes that overlap or are cheap to send together; at most ``max_regions``."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _worth_merging(boxes[i], boxes[j], limit):
                    boxes[i] = boxes[i].union(boxes.pop(j))
                    merged = True
                    break
            if merged:
                break
    while len(boxes) > max(1, max_regions):
        pairs = [
            (boxes[i].union(boxes[j]).area - boxes[i].area - boxes[j].area, i, j)
            for i in range(len(boxes))
            for j in range(i + 1, len(boxes))
        ]
        _, i, j = min(pairs)
        boxes[i] = boxes[i].union(boxes.pop(j))
        boxes = merge_boxes(boxes, limit=limit, max_regions=len(boxes))
    return sorted(boxes, key=lambda b: (b.top, b.left))


def _worth_merging(a: Box, b: Box, limit: tuple[int, int]) -> bool:
    union = a.union(b)
    if a.intersects(b):
        return True
    if union.width <= limit[0] and union.height <= limit[1]:
        return True
    return union.area <= MERGE_AREA_RATIO * (a.area + b.area)


def _widen(lo: int, hi: int, length: int, limit: int) -> tuple[int, int]:
    """Grow the span [lo, hi) to ``length`` around its centre, shifted to stay in [0, limit)."""
    length = min(length, limit)
    if hi - lo >= length:
        return lo, hi
    start = (lo + hi) // 2 - length // 2
    start = max(0, min(start, limit - length))
    return start, start + length


def _limit_aspect(box: Box, size: tuple[int, int]) -> Box:
    w, h = box.size
    if w > MAX_ASPECT * h:
        top, bottom = _widen(box.top, box.bottom, math.ceil(w / MAX_ASPECT), size[1])
        return Box(box.left, top, box.right, bottom)
    if h > MAX_ASPECT * w:
        left, right = _widen(box.left, box.right, math.ceil(h / MAX_ASPECT), size[0])
        return Box(left, box.top, right, box.bottom)
    return box


def _match_aspect(box: Box, send: tuple[int, int], size: tuple[int, int]) -> Box:
    """Widen ``box`` so its aspect is the send size's (within the image's bounds)."""
    w, h = box.size
    want = send[0] / send[1]
    if w / h < want:
        left, right = _widen(box.left, box.right, round(h * want), size[0])
        return Box(left, box.top, right, box.bottom)
    top, bottom = _widen(box.top, box.bottom, round(w / want), size[1])
    return Box(box.left, top, box.right, bottom)


def cut(
    image: Image.Image, mask: Image.Image, region: Region, *, soft: bool = False
) -> tuple[Image.Image, Image.Image]:
    """The image and mask of one region at its send size.

    The image is scaled with Lanczos; the mask with a box filter and then
    "any paint counts", so a thin stroke that shrinks below a pixel is still
    sent rather than vanishing. A ``soft`` mask keeps its greys.
    """
    box = region.box.as_tuple()
    img = image.crop(box)
    msk = mask.convert("L").crop(box)
    if img.size != region.send_size:
        img = img.resize(region.send_size, Image.Resampling.LANCZOS)
        msk = msk.resize(region.send_size, Image.Resampling.BOX)
    return img, msk if soft else msk.point(lambda v: 255 if v > 0 else 0)


# -- pasting back -----------------------------------------------------------------
def blend_weights(mask: np.ndarray, feather: int) -> np.ndarray:
    """Per-pixel weight of the result: 1 on the mask, easing to exactly 0 at ``feather`` px.

    The distance is Euclidean, so the band is a true widening of the mask by
    ``feather`` pixels; beyond it the weight is exactly zero and the original
    comes through untouched.
    """
    inside = mask > 0
    if feather <= 0:
        return inside.astype(np.float32)
    outside = (~inside).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    t = np.clip(1.0 - dist / float(feather), 0.0, 1.0).astype(np.float32)
    return t * t * (3.0 - 2.0 * t)  # smoothstep: no visible seam at either end


def paste_back(
    original: Image.Image,
    result: Image.Image,
    mask: Image.Image,
    *,
    box: Box | None = None,
    feather: int = 8,
) -> Image.Image:
    """``original`` with ``result`` (which covers ``box`` of it) blended in under ``mask``.

    ``mask`` is at the original's size. Only the part of the box near the
    mask is touched, so pasting a small edit into a 12-megapixel photo costs
    little. The original is not modified.
    """
    original = original.convert("RGB")
    box = box or Box(0, 0, *original.size)
    mask = mask.convert("L")
    if mask.size != original.size:
        raise ValueError(f"mask is {mask.size}, original is {original.size}")
    work = _touched_area(mask, box, feather)
    out = original.copy()
    if work is None:
        return out
    sx, sy = result.width / box.width, result.height / box.height
    source = (
        (work.left - box.left) * sx,
        (work.top - box.top) * sy,
        (work.right - box.left) * sx,
        (work.bottom - box.top) * sy,
    )
    patch = result.convert("RGB").resize(work.size, Image.Resampling.LANCZOS, box=source)
    weights = blend_weights(np.asarray(mask.crop(work.as_tuple())), feather)[..., None]
    base = np.asarray(original.crop(work.as_tuple()), dtype=np.float32)
    top = np.asarray(patch, dtype=np.float32)
    # Where the weight is 0 this is base + 0 exactly, and where it is 1 exactly
    # top: float32 holds 0..255 exactly, so both ends are bit-for-bit.
    mixed = base + (top - base) * weights
    out.paste(Image.fromarray(np.rint(mixed).astype(np.uint8), "RGB"), (work.left, work.top))
    return out


class Placement:
    """How one job's samples go back into the photo, prepared once for all of them.

    Everything that depends only on the photo, the mask and where the job was
    cut from (the area the blend touches, its weights, the colour reference)
    is computed here; ``apply`` then costs one sample's own work, so a job's
    samples are placed in parallel without repeating it. Samples are placed
    exactly as ``paste_back`` / ``paste_whole`` place them.

    ``match`` first undoes the colour drift a result shows against ``sent``,
    the image the job was sent (``colour.match_colours``), so the painted area
    meets its surroundings without a step. Without ``sent`` (a job fetched
    later), or for a result at another size than was sent, the reference is
    cut from ``original`` and scaled as the send was.
    """

    def __init__(
        self,
        original: Image.Image,
        mask: Image.Image | None,
        *,
        box: Box | None = None,
        blend: bool = True,
        feather: int = 8,
        match: bool = False,
        sent: Image.Image | None = None,
    ) -> None:
        self.original = original
        self.mask = mask if mask is None or mask.mode == "L" else mask.convert("L")
        if self.mask is not None and self.mask.size != original.size:
            raise ValueError(f"mask is {self.mask.size}, original is {original.size}")
        self.box = box
        self.blend = blend and self.mask is not None
        self.feather = feather
        self.match = match and self.mask is not None and (self.blend or box is not None)
        self.sent = sent if isinstance(sent, Image.Image) else None
        self._meters: dict[tuple[int, int], DriftMeter | None] = {}
        self._lock = threading.Lock()
        self.work: Box | None = None
        if self.blend and self.mask is not None:
            self.whole = box or Box(0, 0, *original.size)
            self.work = _touched_area(self.mask, self.whole, feather)
            if self.work is not None:
                self.weights = blend_weights(
                    np.asarray(self.mask.crop(self.work.as_tuple())), feather
                )[..., None]
        if self.match and self.sent is not None:
            self.meter(self.sent.size)

    def meter(self, size: tuple[int, int]) -> DriftMeter | None:
        """The colour measure for results of ``size`` (made once per size)."""
        with self._lock:
            if size not in self._meters:
                self._meters[size] = self._make_meter(size)
            return self._meters[size]

    def _make_meter(self, size: tuple[int, int]) -> DriftMeter | None:
        assert self.mask is not None
        where = (self.box or Box(0, 0, *self.original.size)).as_tuple()
        whole = where == (0, 0, *self.original.size)  # no 12 MP crop (a copy) needed
        small_mask = self.mask if whole else self.mask.crop(where)
        if small_mask.size != size:
            small_mask = small_mask.resize(size, Image.Resampling.BOX)
        if self.sent is not None and self.sent.size == size:
            reference = self.sent if self.sent.mode == "RGB" else self.sent.convert("RGB")
        else:
            reference = self.original.convert("RGB").crop(where)
            if reference.size != size:
                reference = reference.resize(size, Image.Resampling.LANCZOS)
        return drift_meter(np.asarray(reference), np.asarray(small_mask))

    def apply(self, canvas: Image.Image, result: Image.Image) -> Image.Image:
        """``result`` placed into ``canvas`` (an RGB copy of the photo, changed in place).

        Returns the canvas, or for a whole-picture result without paste-back
        the result itself (it is the picture).
        """
        if self.match:
            meter = self.meter(result.size)
            if meter is not None:
                result = meter.matched(result)
        if self.blend:
            self._blend_into(canvas, result)
            return canvas
        if self.box is None:
            return result
        canvas.paste(
            result.convert("RGB").resize(self.box.size, Image.Resampling.LANCZOS),
            (self.box.left, self.box.top),
        )
        return canvas

    def _blend_into(self, canvas: Image.Image, result: Image.Image) -> None:
        """``paste_back``'s blend, with this job's area and weights made once."""
        work, box = self.work, self.whole
        if work is None:
            return
        sx, sy = result.width / box.width, result.height / box.height
        source = (
            (work.left - box.left) * sx,
            (work.top - box.top) * sy,
            (work.right - box.left) * sx,
            (work.bottom - box.top) * sy,
        )
        patch = result.convert("RGB").resize(work.size, Image.Resampling.LANCZOS, box=source)
        base = np.asarray(canvas.crop(work.as_tuple()), dtype=np.float32)
        top = np.asarray(patch, dtype=np.float32)
        mixed = base + (top - base) * self.weights
        canvas.paste(Image.fromarray(np.rint(mixed).astype(np.uint8), "RGB"), (work.left, work.top))


def paste_whole(original: Image.Image, result: Image.Image, box: Box) -> Image.Image:
    """``result`` scaled into ``box`` of ``original`` with no blending (paste-back off)."""
    out = original.convert("RGB").copy()
    out.paste(result.convert("RGB").resize(box.size, Image.Resampling.LANCZOS), (box.left, box.top))
    return out


def _touched_area(mask: Image.Image, box: Box, feather: int) -> Box | None:
    """The painted part of ``box`` widened by the blend band, or None when unpainted."""
    whole = box.as_tuple() == (0, 0, *mask.size)  # a 12 MP crop is a copy: skipped
    inside = (mask if whole else mask.crop(box.as_tuple())).getbbox()
    if inside is None:
        return None
    painted = Box(
        box.left + inside[0], box.top + inside[1], box.left + inside[2], box.top + inside[3]
    )
    grown = painted.pad(max(0, int(feather)) + 1, mask.size)
    return Box(
        max(grown.left, box.left),
        max(grown.top, box.top),
        min(grown.right, box.right),
        min(grown.bottom, box.bottom),
    )
