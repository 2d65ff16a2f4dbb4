"""Growing a picture outward: image quilting for holes that open onto the picture's edge.

Outpainting hands the fill a cut whose hole is a band along one edge (the new
area), up to 768 x 1024 px next to the photo. PatchMatch fills such a band
coarse to fine and averages overlapping patches: at full size the band came
out soft (a third of the photo's detail), and the detail added back from the
coarse offsets wove stripes into it. This module fills it the way texture
synthesis does (image quilting, Efros & Freeman, SIGGRAPH 2001) and never
averages detail:

* **Blocks of real pixels.** The band is covered, row by row outward from the
  known picture, by blocks of ``block`` px copied whole from the known area at
  full resolution, so the new area has the photo's own sharpness by
  construction.
* **Chosen by their overlap.** Each block must agree with what is already
  there (the photo, the blocks before it) over an overlap strip; candidates are
  ranked by the masked squared difference (``cv2.matchTemplate``, computed at
  a reduced scale where a block is about ``SEARCH_BLOCK`` px, then placed to the
  pixel at full size), and one of those within ``TOLERANCE`` of the best is
  picked at random from the seed.
* **Seams that follow the picture.** Where a block meets its neighbours it is
  cut along the path of least difference (dynamic programming over the overlap
  strip) and the cut is softened by a pixel, so blocks do not meet on a grid.
* **Cloned, not pasted.** The block's difference to the pixels around what it
  takes (along the cut and its window's edge) is carried smoothly over the block
  (a membrane through those differences, as seamless cloning does, by
  normalised convolution): on a smooth background (haze, a blurred room) a
  block from a lighter or darker part does not show as a rectangle, and its own
  detail stays untouched.
* **Sources beside the border.** Blocks come only from the known area within
  ``reach`` of the hole (beside the border, where the same surface continues),
  farther ones cost more, and every use of a source makes it dearer
  (``REUSE_COST``): the fill does not copy one striking part of the photo
  (its subject) again and again, nor repeat the same strip per row.

Only the hole's pixels change. ``quilt_fill`` returns None when the hole does not
open onto an edge, or leaves too little known area to copy from: the caller
then uses PatchMatch.
"""

from __future__ import annotations

import cv2
import numpy as np

# A block's side is this share of the crop's shorter side, within the limits below.
BLOCK_SHARE = 0.09
MIN_BLOCK = 16
MAX_BLOCK = 96
# The overlap between blocks, as a share of the block.
OVERLAP_SHARE = 0.25
# Blocks are searched at a reduced scale where they are about this many pixels.
SEARCH_BLOCK = 16
# Sources are taken within this many blocks of the hole, or this share of its
# thickness if that is more.
REACH_BLOCKS = 4
REACH_SHARE = 1.5
# Candidates within this share of the best cost may be picked (variety without misfits).
TOLERANCE = 0.15
# Cost added per earlier use of a source, as a share of the typical cost.
REUSE_COST = 0.6
# Cost added per block of distance from the hole, as a share of the typical cost.
DISTANCE_COST = 0.08
# The hole must run along at least this share of an edge to be grown from it.
EDGE_SHARE = 0.5
# Edges faced this nearly as much as the most (outward share) count as a corner...
CORNER_MARGIN = 0.1
# ...decided by the detail of the known strip this deep (px) across the hole from each.
BORDER_DEPTH = 24

# Cost per block (squared) that a source lies along the border from where its
# block goes: what lies beside the border continues straight out across it (the
# sky above the trees above the lake stay in their rows), where a coarse layout
# carried the largest smooth area (haze) over everything.
ACROSS_COST = 0.1
# Colours are counted in this many levels per channel...
COLOUR_BINS = 16
# ...and one is rare beside the border below this share of its pixels.
RARE_SHARE = 0.0005
# Cost of a source made only of rare colours, as a share of the typical cost.
RARE_COST = 3.0
# Cost of a source that stands out most of the picture (salience 1), likewise...
SALIENT_COST = 2.0
# ...and one unlike every block beside the border (colours on a 4 x 4 grid), with
# this weight, against at most this many of those blocks...
UNLIKE_WEIGHT = 1.0
UNLIKE_REFERENCES = 600
# ...in full from this many blocks out (less nearer the border)...
SALIENT_DEPTH = 1.5
# ...salience worked out with the picture's long side at this many pixels.
SALIENCE_SIDE = 64
# Fine detail (above this Gaussian sigma, px) of a block should match its neighbours'...
DETAIL_SIGMA = 1.5
# ...with this weight on the squared difference of their rms.
DETAIL_WEIGHT = 12.0
# Sources with more than this share of rare colours are left out (while enough remain).
RARE_LIMIT = 0.15
MIN_SOURCES = 16
# Most a block's colour is shifted to meet its neighbours (grey levels).
MAX_SHIFT = 12.0

# The membrane that carries the cut's difference over a block: Gaussian sigma as a
# share of the block.
CLONE_SHARE = 0.35
# ...and what it leaves along the cut is carried over this many pixels (sigma).
CLONE_FINE = 2.0
# Differences along the ring of about this size (grey levels) and more count less: a
# shade to even out differs by a few levels, foliage against a lake by 30-40, which at
# 48 was carried over the lake blocks as an olive smear.
CLONE_LIMIT = 14.0
# Below this share of the overlap (Gaussian sigma) a block's shading fades in over its
# neighbours' rather than switching at the cut.
BROAD_SHARE = 0.5
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))

# Above this many blocks (Gaussian sigma) the new area's light is the blocks' own, as
# copied: each block's shift to its neighbours is relative, and a chain of them
# drifts (trees turning purple a few blocks out).
ANCHOR_BLOCKS = 2.0

# Width (px) over which the new area fades in from the photo mirrored at the border.
RAMP = 10.0
# ...where the mirror and the fill differ by less than this (grey levels, averaged over
# this sigma, px); none at all where they differ by that much.
MIRROR_LIMIT = 40.0
MIRROR_SIGMA = 2.0

# np.rot90 turns that bring each edge to the bottom (the hole grows downward).
_TURNS = {"bottom": 0, "left": 1, "top": 2, "right": 3}


def open_edge(hole: np.ndarray, rgb: np.ndarray | None = None) -> str | None:
    """The edge a hole opens onto (``left``/``right``/``top``/``bottom``), or None.

    The hole must run along at least ``EDGE_SHARE`` of that edge; of several
    such edges the one facing away from the known area is taken. A hole in a
    corner of the picture (an extension's later tile: the photo on one side,
    the tile made before it on the other) faces both about equally; given the
    picture, the edge whose opposite border shows more fine detail is taken
    then, so the growth starts from the photo rather than from an earlier fill
    (which, grown from the photo's far side, would carry haze over trees).
    """
    height, width = hole.shape
    touching = {
        "left": hole[:, 0].mean(),
        "right": hole[:, -1].mean(),
        "top": hole[0].mean(),
        "bottom": hole[-1].mean(),
    }
    sides = [side for side, share in touching.items() if share >= EDGE_SHARE]
    if not sides or hole.all():
        return None
    ys, xs = np.nonzero(hole)
    ky, kx = np.nonzero(~hole)
    dy, dx = ys.mean() - ky.mean(), xs.mean() - kx.mean()
    outward = {"left": -dx / width, "right": dx / width, "top": -dy / height, "bottom": dy / height}
    best = max(sides, key=lambda side: outward[side])
    close = [side for side in sides if outward[side] >= outward[best] - CORNER_MARGIN]
    if rgb is None or len(close) < 2:
        return best
    return max(close, key=lambda side: _border_detail(rgb, hole, side))


def _border_detail(rgb: np.ndarray, hole: np.ndarray, side: str) -> float:
    """Fine detail (rms, grey levels) of the known strip a growth toward ``side`` starts from."""
    turns = _TURNS[side]
    grow = np.rot90(hole, turns)
    grey = np.rot90(rgb, turns).astype(np.float32).mean(axis=2)
    height = grow.shape[0]
    columns: np.ndarray = np.asarray(grow.any(axis=0), bool)
    first = np.where(columns, np.argmax(grow, axis=0), 0)
    rows = np.arange(height)[:, None]
    strip = columns[None, :] & (rows < first[None, :]) & (rows >= first[None, :] - BORDER_DEPTH)
    strip &= ~grow
    if strip.sum() < 16:
        return 0.0
    high = grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)
    return float(np.sqrt(np.mean(high[strip] ** 2)))


def salience(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """How much each known pixel stands out of the picture (0-1): the spectral residual
    (Hou & Zhang, CVPR 2007) of the picture at ``SALIENCE_SIDE`` px, the hole grey.

    What a photo is of (a tower, a face, a badge) is what its spectrum does not
    predict; background (sky, haze, foliage, a blurred room) repeats and is
    predicted. A fill that copies from the predictable parts continues the
    background rather than the subject.
    """
    height, width = hole.shape
    scale = SALIENCE_SIDE / max(height, width)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    flat = np.where(hole[:, :, None], image[~hole].mean(axis=0), image).astype(np.float32)
    reduced = np.asarray(cv2.resize(flat, size, interpolation=cv2.INTER_AREA) / 255.0, np.float32)
    small = cv2.cvtColor(reduced, cv2.COLOR_RGB2Lab)
    total = np.zeros(small.shape[:2], np.float32)
    for channel in range(3):
        spectrum = np.fft.fft2(small[..., channel])
        amplitude = np.log(np.abs(spectrum) + 1e-6)
        residual = amplitude - cv2.blur(amplitude, (3, 3))
        total += (np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2).astype(
            np.float32
        )
    total = cv2.GaussianBlur(total, (0, 0), 2.5)
    total = cv2.resize(total, (width, height), interpolation=cv2.INTER_LINEAR)
    top = float(np.percentile(total[~hole], 99)) if (~hole).any() else 1.0
    return np.asarray(np.clip(total / max(top, 1e-9), 0, 1) * ~hole, np.float32)


def rare_colours(image: np.ndarray, hole: np.ndarray, ring: float) -> np.ndarray:
    """Known pixels whose colour is rare within ``ring`` px of the hole (bool).

    The photo's subject seldom touches the border, its background does: a colour
    that hardly occurs beside the border (``RARE_SHARE``) marks the subject, which
    is neither copied by the blocks nor by the layout.
    """
    known = ~hole
    near = known & (cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 5) <= ring)
    levels = (np.asarray(image, np.float32) // (256 // COLOUR_BINS)).astype(np.int32)
    index = (levels[..., 0] * COLOUR_BINS + levels[..., 1]) * COLOUR_BINS + levels[..., 2]
    counts = np.bincount(index[near], minlength=COLOUR_BINS**3).astype(np.float32)
    counts = counts / max(1.0, float(counts.sum()))
    return np.asarray(known & (counts[index] < RARE_SHARE), bool)


def block_size(shape: tuple[int, int]) -> int:
    """The side of one block for a crop of ``shape``."""
    return int(np.clip(round(BLOCK_SHARE * min(shape)), MIN_BLOCK, MAX_BLOCK))


def quilt_fill(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray | None:
    """``rgb`` with its edge-opening ``hole`` grown from the known area, or None."""
    side = open_edge(hole, rgb)
    if side is None:
        return None
    turns = _TURNS[side]
    image = np.ascontiguousarray(np.rot90(rgb, turns))
    grow = np.ascontiguousarray(np.rot90(hole, turns))
    quilt = _Quilt(image, grow, seed)
    filled = quilt.run()
    if filled is None:
        return None
    out = np.rot90(filled, -turns)
    # The light at the scale of several blocks is the blocks' own (as copied), faded in
    # from the border, where the blocks' light is the photo's.
    drift = _broad(np.rot90(quilt.raw, -turns) - out, ANCHOR_BLOCKS * quilt.block)
    distance = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    drift *= np.clip(distance / (2 * ANCHOR_BLOCKS * quilt.block), 0.0, 1.0)[:, :, None]
    out = np.clip(out + drift + 0.5, 0, 255).astype(np.uint8)
    return np.where(hole[:, :, None], out, rgb).astype(np.uint8)


def _broad(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``image`` (float HxWx3) with a large ``sigma``, worked out at a
    reduced size (the same at this scale, and a hundred times quicker)."""
    height, width = image.shape[:2]
    factor = max(1, int(sigma // 4))
    small = cv2.resize(
        image,
        (max(1, width // factor), max(1, height // factor)),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def meet_border(rgb: np.ndarray, hole: np.ndarray, grown: np.ndarray) -> np.ndarray:
    """The grown pixels within ``RAMP`` px of the known area cross-faded from the known
    pixels mirrored across the border, so the new area starts exactly where the
    photo stops, without a line (the mirror is too short to read as a copy)."""
    distance, labels = cv2.distanceTransformWithLabels(
        hole.astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    near = hole & (distance < RAMP)
    if not near.any():
        return grown
    known_y, known_x = np.nonzero(~hole)
    order = np.argsort(known_y * hole.shape[1] + known_x, kind="stable")
    index = labels[near] - 1
    border_y, border_x = known_y[order][index], known_x[order][index]
    ys, xs = np.nonzero(near)
    # Mirrored about the border itself: the first new pixel repeats the last known one.
    back = (distance[near] - 1.0) / np.maximum(distance[near], 1.0)
    mirror_y = np.clip(np.rint(border_y + (border_y - ys) * back), 0, hole.shape[0] - 1)
    mirror_x = np.clip(np.rint(border_x + (border_x - xs) * back), 0, hole.shape[1] - 1)
    mirror_y, mirror_x = mirror_y.astype(np.int64), mirror_x.astype(np.int64)
    usable = ~hole[mirror_y, mirror_x]
    out = grown.astype(np.float32)
    mirrored = rgb[mirror_y, mirror_x].astype(np.float32)
    # Only where the mirror agrees with the fill: where the fill has sky beside a twig
    # cut off by the border, the twig mirrored would stand in the sky as a symmetric
    # ghost (a spire); there the fill meets the photo by its own cut.
    gap = np.zeros(hole.shape, np.float32)
    gap[ys, xs] = np.abs(mirrored - out[ys, xs]).mean(axis=1)
    spread = np.zeros(hole.shape, np.float32)
    spread[ys, xs] = 1.0
    local = cv2.GaussianBlur(gap, (0, 0), MIRROR_SIGMA) / np.maximum(
        cv2.GaussianBlur(spread, (0, 0), MIRROR_SIGMA), 1e-6
    )
    agree = np.clip(1.0 - local[ys, xs] / MIRROR_LIMIT, 0.0, 1.0)
    weight = np.where(usable, (1.0 - distance[near] / RAMP) * agree, 0.0)[:, None]
    out[ys, xs] = out[ys, xs] * (1.0 - weight) + mirrored * weight
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class _Quilt:
    """One synthesis, in the turned frame where the known area is above the hole."""

    def __init__(self, image: np.ndarray, hole: np.ndarray, seed: int) -> None:
        self.hole = hole
        self.canvas = image.astype(np.float32)
        self.block = block_size(hole.shape)
        self.overlap = max(3, round(OVERLAP_SHARE * self.block))
        self.factor = max(1, round(self.block / SEARCH_BLOCK))
        self.rng = np.random.default_rng([seed, 23])
        self.unfilled = hole.copy()
        # The blocks as copied, before their light is brought to their neighbours'.
        self.raw = self.canvas.copy()

    def run(self) -> np.ndarray | None:
        block, factor = self.block, self.factor
        height, width = self.hole.shape
        if height < block or width < block:
            return None
        known = ~self.hole
        # Source windows: top-left corners whose whole block is known.
        inside = cv2.erode(
            known.astype(np.uint8),
            np.ones((block, block), np.uint8),
            anchor=(0, 0),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        ).astype(bool)
        inside[height - block + 1 :] = False
        inside[:, width - block + 1 :] = False
        if inside.sum() < 4:
            return None
        # The reduced picture the search runs on, and the sources in its grid.
        small_size = (max(1, width // factor), max(1, height // factor))
        self.small_block = max(4, block // factor)
        positions = inside[::factor, ::factor]
        span_h = small_size[1] - self.small_block + 1
        span_w = small_size[0] - self.small_block + 1
        if span_h < 1 or span_w < 1:
            return None
        self.sources = np.zeros((span_h, span_w), bool)
        h = min(span_h, positions.shape[0])
        w = min(span_w, positions.shape[1])
        self.sources[:h, :w] = positions[:h, :w]
        if not self.sources.any():
            return None
        # Sources farther from the hole cost more: the surface beside the border continues.
        distance = cv2.distanceTransform(known.astype(np.uint8), cv2.DIST_L2, 5)
        centre = distance[block // 2 :: factor, block // 2 :: factor][:span_h, :span_w]
        self.distance = np.zeros((span_h, span_w), np.float32)
        self.distance[: centre.shape[0], : centre.shape[1]] = centre / block
        # Only sources beside the border: the same surface, and a smaller search.
        rows = np.flatnonzero(self.hole.any(axis=1))
        reach = max(REACH_BLOCKS * block, REACH_SHARE * (rows[-1] - rows[0] + 1))
        near = self.sources & (self.distance * block <= reach)
        if near.any():
            self.sources = near
        # The photo's subject (colours rare beside the border) is not a source at all.
        self.atypical = self._atypical(known, small_size, span_h, span_w)
        self.salient = self._per_source(
            salience(self.canvas, self.hole), small_size, span_h, span_w
        )
        clean = self.sources & (self.atypical <= RARE_LIMIT)
        if clean.sum() >= MIN_SOURCES:
            self.sources = clean
        self.source_detail = _detail_map(self.canvas, known, block, factor, (span_h, span_w))
        beside = self.sources & (self.distance <= 1.0)
        self.salient += _unlike_border(self.canvas, small_size, self.small_block, beside)
        self.salient += _sharper_than_border(self.source_detail, beside)
        self.uses = np.zeros((span_h, span_w), np.float32)
        rows = np.flatnonzero(self.sources.any(axis=1))
        cols = np.flatnonzero(self.sources.any(axis=0))
        self.source_box = ((int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1])))
        # Sources are known pixels, which never change: reduced once.
        self.small_canvas = cv2.resize(self.canvas, small_size, interpolation=cv2.INTER_AREA)
        self.inside = inside
        self.hole_top = int(np.flatnonzero(self.hole.any(axis=1))[0])
        for top, left in self._grid():
            self._place(top, left)
        return np.clip(self.canvas + 0.5, 0, 255).astype(np.uint8)

    def _atypical(
        self, known: np.ndarray, small_size: tuple[int, int], span_h: int, span_w: int
    ) -> np.ndarray:
        """Per source, the share of its pixels whose colour is rare beside the border (0-1)."""
        rare = rare_colours(self.canvas, ~known, self.block / 2).astype(np.float32)
        return self._per_source(rare, small_size, span_h, span_w)

    def _per_source(
        self, value: np.ndarray, small_size: tuple[int, int], span_h: int, span_w: int
    ) -> np.ndarray:
        """Per source, the mean of ``value`` (HxW float) over its block."""
        small = cv2.resize(value, small_size, interpolation=cv2.INTER_AREA)
        side = self.small_block
        share = cv2.boxFilter(
            small, -1, (side, side), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
        )
        out = np.ones((span_h, span_w), np.float32)
        h, w = min(span_h, share.shape[0]), min(span_w, share.shape[1])
        out[:h, :w] = share[:h, :w]
        return out

    def _grid(self) -> list[tuple[int, int]]:
        """Block corners: rows from the hole's top edge (less the overlap) downward."""
        block, step = self.block, self.block - self.overlap
        height, width = self.hole.shape
        rows = np.flatnonzero(self.hole.any(axis=1))
        cols = np.flatnonzero(self.hole.any(axis=0))
        first = max(0, int(rows[0]) - self.overlap)
        tops = _starts(first, height, block, step)
        lefts = _starts(max(0, int(cols[0]) - self.overlap), int(cols[-1]) + 1, block, step)
        lefts = [min(x, width - block) for x in lefts]
        return [(t, x) for t in tops for x in dict.fromkeys(lefts)]

    def _place(self, top: int, left: int) -> None:
        block = self.block
        window = (slice(top, top + block), slice(left, left + block))
        todo = self.unfilled[window]
        if not todo.any():
            return
        have = ~todo
        target = self.canvas[window]
        source_y, source_x = self._choose(target, have, (top, left))
        # Placed to the pixel at full size, within one search step of the choice.
        source_y, source_x = self._refine(target, have, source_y, source_x)
        patch = self.canvas[source_y : source_y + block, source_x : source_x + block]
        raw = patch
        if have.any():
            # The block's light brought to its neighbours' (a block from a darker or
            # lighter part of the photo would show as a patch): the median difference
            # over the overlap, so a bright detail there does not tint the block.
            shift = np.median(target[have] - patch[have], axis=0)
            patch = patch + np.clip(shift, -MAX_SHIFT, MAX_SHIFT)
        hard = _cut(patch, target, have)
        # Cloned in the gradient domain: the block keeps its own detail, and the
        # difference to what is already there along the cut (and along the window's
        # edge, where the block may meet a filled neighbour without a cut) is carried
        # smoothly over the block, so no step and no straight strip edge shows where
        # a block from a lighter or darker part of a smooth background meets the rest.
        patch = patch + _clone_offset(
            self.canvas, self.unfilled, self.block, top, left, patch, hard > 0.5
        )
        sharp = np.where(have, cv2.GaussianBlur(hard, (0, 0), 1.0), 1.0)[:, :, None]
        self.canvas[window] = _two_bands(patch, target, have, hard, sharp, self.overlap)
        self.raw[window] = sharp * raw + (1.0 - sharp) * self.raw[window]
        self.unfilled[window] = False

    def _match(
        self, image: np.ndarray, template: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]
    ) -> tuple[np.ndarray, int]:
        """Summed squared difference of the part ``rows`` x ``cols`` of ``template`` (a
        reduced block) at every source of ``image`` (the reduced picture), and the
        number of values compared. Only the sources' box is searched; a plain
        rectangle lets OpenCV correlate in the frequency domain (a mask would not)."""
        (y0, y1), (x0, x1) = self.source_box
        cost = np.zeros(self.sources.shape, np.float32)
        (r0, r1), (c0, c1) = rows, cols
        if r1 <= r0 or c1 <= c0:
            return cost, 0
        result = cv2.matchTemplate(
            image[y0 + r0 : y1 + r1, x0 + c0 : x1 + c1],
            np.ascontiguousarray(template[r0:r1, c0:c1]),
            cv2.TM_SQDIFF,
        )
        cost[y0 : y0 + result.shape[0], x0 : x0 + result.shape[1]] = result
        return cost, (r1 - r0) * (c1 - c0) * 3

    def _choose(
        self, target: np.ndarray, have: np.ndarray, top_left: tuple[int, int]
    ) -> tuple[int, int]:
        factor, side = self.factor, self.small_block
        small_have = cv2.resize(have.astype(np.float32), (side, side), interpolation=cv2.INTER_AREA)
        full = np.asarray(small_have > 0.99, bool)
        # What is there already, as rectangles along the sides (the overlap strips).
        rows_full: np.ndarray = np.all(full, axis=1)
        top = _run(rows_full)
        bottom = _run(rows_full[::-1]) if top < side else 0
        cols_full: np.ndarray = np.all(full[top : side - bottom], axis=0)
        left = _run(cols_full)
        right = _run(cols_full[::-1]) if left < side else 0
        small_target = cv2.resize(target, (side, side), interpolation=cv2.INTER_AREA)
        cost = np.zeros(self.sources.shape, np.float32)
        count = 0
        for rows, cols in (
            ((0, top), (0, side)),
            ((side - bottom, side), (0, side)),
            ((top, side - bottom), (0, left)),
            ((top, side - bottom), (side - right, side)),
        ):
            part, n = self._match(self.small_canvas, small_target, rows, cols)
            cost += part
            count += n
        cost /= max(1, count)
        # As much fine detail as beside it: squared differences favour flat blocks
        # (a flat block differs from a texture by one variance, another texture by two).
        steady = cv2.erode(have.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        if steady.sum() >= 16:
            grey = target.mean(axis=2)
            high = grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)
            wanted_detail = float(np.sqrt(np.mean(high[steady] ** 2)))
            cost += DETAIL_WEIGHT * (self.source_detail - wanted_detail) ** 2
        ranked = np.where(self.sources, cost, np.inf)
        finite = ranked[np.isfinite(ranked)]
        typical = float(np.median(finite)) + 1.0 if finite.size else 1.0
        # How far out this block is (in blocks): what crosses the border is continued
        # across it (a highlight cut off by a straight line at the border would show),
        # farther out the subject is avoided.
        depth = max(0.0, (top_left[0] + self.block / 2 - self.hole_top) / self.block)
        # Sources along the border from here (in blocks): the same rows continue outward.
        column = top_left[1] / factor
        across = (np.arange(self.sources.shape[1], dtype=np.float32) - column) / side
        ranked = ranked + typical * (
            REUSE_COST * self.uses
            + DISTANCE_COST * self.distance
            + RARE_COST * self.atypical
            + SALIENT_COST * min(1.0, depth / SALIENT_DEPTH) * self.salient
            + ACROSS_COST * across[None, :] ** 2
        )
        best = float(ranked.min())
        pool = np.argwhere(ranked <= best * (1 + TOLERANCE) + 1e-3)
        y, x = pool[self.rng.integers(len(pool))]
        # Every source that overlaps this one much is now dearer.
        reach = max(1, side // 2)
        self.uses[max(0, y - reach) : y + reach + 1, max(0, x - reach) : x + reach + 1] += 1.0
        return int(y) * factor, int(x) * factor

    def _refine(
        self, target: np.ndarray, have: np.ndarray, source_y: int, source_x: int
    ) -> tuple[int, int]:
        if self.factor == 1 or not have.any():
            return source_y, source_x
        block, reach = self.block, self.factor
        height, width = self.hole.shape
        top, left = max(0, source_y - reach), max(0, source_x - reach)
        bottom = min(height, source_y + reach + block)
        right = min(width, source_x + reach + block)
        area = self.canvas[top:bottom, left:right]
        result = cv2.matchTemplate(
            area,
            target,
            cv2.TM_SQDIFF,
            mask=np.repeat(have[:, :, None], 3, axis=2).astype(np.float32),
        )
        allowed = self.inside[top : top + result.shape[0], left : left + result.shape[1]]
        result = np.where(allowed, result, np.inf)
        if not np.isfinite(result).any():
            return source_y, source_x
        y, x = np.unravel_index(int(np.argmin(result)), result.shape)
        return top + int(y), left + int(x)


def _clone_offset(
    canvas: np.ndarray,
    unfilled: np.ndarray,
    block: int,
    top: int,
    left: int,
    patch: np.ndarray,
    take: np.ndarray,
) -> np.ndarray:
    """What to add to ``patch`` so it meets the filled pixels around the pixels it
    takes (``take``): a membrane through the differences on that ring, by
    normalised convolution, broad (``CLONE_SHARE``) plus a fine rest (``CLONE_FINE``)."""
    height, width = unfilled.shape
    y0, y1 = max(0, top - 1), min(height, top + block + 1)
    x0, x1 = max(0, left - 1), min(width, left + block + 1)
    inner = (slice(top - y0, top - y0 + block), slice(left - x0, left - x0 + block))
    taken = np.zeros((y1 - y0, x1 - x0), bool)
    taken[inner] = take
    keep = ~unfilled[y0:y1, x0:x1] & ~taken
    ring = keep & (cv2.dilate(taken.astype(np.uint8), _CROSS) > 0)
    if not ring.any():
        return np.zeros_like(patch)
    # The block one pixel wider (its edge repeated), to compare with the
    # neighbours just outside its window.
    dy, dx = 1 - (top - y0), 1 - (left - x0)
    padded = np.pad(patch, ((1, 1), (1, 1), (0, 0)), mode="edge")
    padded = padded[dy : dy + y1 - y0, dx : dx + x1 - x0]
    difference = canvas[y0:y1, x0:x1] - padded
    # A large difference is an edge the cut runs along (tree against sky), not a
    # shade to even out: carried over the block it would smudge it.
    size = np.abs(difference).mean(axis=2)
    weight = (ring * np.exp(-((size / CLONE_LIMIT) ** 2))).astype(np.float32)
    if float(weight.sum()) < 1.0:
        return np.zeros_like(patch)
    difference = difference * weight[:, :, None]
    sigma = max(2.0, CLONE_SHARE * block)
    spread = np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma), 1e-6)
    offset = cv2.GaussianBlur(difference, (0, 0), sigma) / spread[:, :, None]
    # What the broad membrane leaves along the ring, carried a few pixels only.
    rest = difference - offset * weight[:, :, None]
    near = cv2.GaussianBlur(weight, (0, 0), CLONE_FINE)
    level = max(1e-6, 0.5 * float(np.median(near[ring])))
    offset += cv2.GaussianBlur(rest, (0, 0), CLONE_FINE) / np.maximum(near, level)[:, :, None]
    return np.asarray(offset[inner], np.float32)


def _two_bands(
    patch: np.ndarray,
    target: np.ndarray,
    have: np.ndarray,
    hard: np.ndarray,
    sharp: np.ndarray,
    overlap: int,
) -> np.ndarray:
    """The block over what is there: its fine detail switches at the cut (``sharp``), its
    broad shading fades over the overlap. On a blurred background (bokeh, haze) a
    cut switches between two shadings' slopes: a crease the eye follows around each
    block (rounded cells) however well the levels meet."""
    sigma = max(1.0, BROAD_SHARE * overlap)
    weight = have.astype(np.float32)
    spread = np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma), 1e-3)[:, :, None]
    target_low = cv2.GaussianBlur(target * weight[:, :, None], (0, 0), sigma) / spread
    patch_low = cv2.GaussianBlur(patch, (0, 0), sigma)
    fade = np.where(have, cv2.GaussianBlur(hard, (0, 0), sigma), 1.0)[:, :, None]
    fine = sharp * (patch - patch_low) + (1.0 - sharp) * (target - target_low)
    return np.asarray(fine + fade * patch_low + (1.0 - fade) * target_low, np.float32)


def _sharper_than_border(detail: np.ndarray, beside: np.ndarray) -> np.ndarray:
    """Per source, how much sharper it is than the sharpest tenth beside the border
    (0-1): the subject in focus (a face's fur) over a background out of focus, which
    a block would carry out as a sharp tuft."""
    sharpest = float(np.percentile(detail[beside], 90)) if beside.any() else 0.0
    return np.asarray(np.clip(detail / max(sharpest, 1e-3) - 1.0, 0.0, 1.0), np.float32)


def _unlike_border(
    canvas: np.ndarray, small_size: tuple[int, int], side: int, beside: np.ndarray
) -> np.ndarray:
    """Per source (search grid), how unlike it is to every block beside the border (0-1).

    Each block is described by its colours on a 4 x 4 grid; a source whose nearest
    block beside the border is far (beyond the typical nearest distance among the
    sources) is something the border does not show: the subject (a tower's eaves
    and pillars in dark colours that trees share, which colour counts miss).
    """
    span = beside.shape
    cell = max(1, side // 4)
    grid = cv2.resize(
        canvas,
        (max(1, small_size[0] // cell), max(1, small_size[1] // cell)),
        interpolation=cv2.INTER_AREA,
    )
    rows, cols = grid.shape[0] - 3, grid.shape[1] - 3
    if rows < 1 or cols < 1 or not beside.any():
        return np.zeros(span, np.float32)
    parts = [grid[y : y + rows, x : x + cols] for y in range(4) for x in range(4)]
    described = np.concatenate(parts, axis=2).reshape(rows * cols, -1)
    ys, xs = np.nonzero(beside)
    ring = np.unique(np.minimum(ys // cell, rows - 1) * cols + np.minimum(xs // cell, cols - 1))
    references = described[ring[:: max(1, len(ring) // UNLIKE_REFERENCES)]]
    # Nearest reference per described block: |a|^2 - 2ab + |b|^2.
    square = (described**2).sum(axis=1)[:, None] - 2.0 * described @ references.T
    nearest = np.sqrt(np.maximum((square + (references**2).sum(axis=1)[None, :]).min(axis=1), 0))
    level = float(np.median(nearest)) + 1e-3
    unlike = UNLIKE_WEIGHT * np.clip(nearest / level - 1.0, 0.0, 2.0) / 2.0
    small = unlike.reshape(rows, cols).astype(np.float32)
    out = cv2.resize(small, (cols * cell, rows * cell), interpolation=cv2.INTER_NEAREST)
    full = np.zeros(span, np.float32)
    h, w = min(span[0], out.shape[0]), min(span[1], out.shape[1])
    full[:h, :w] = out[:h, :w]
    return full


def _detail_map(
    canvas: np.ndarray, known: np.ndarray, block: int, factor: int, span: tuple[int, int]
) -> np.ndarray:
    """Per source (on the search grid), the rms of its fine detail (grey levels)."""
    grey = canvas.mean(axis=2)
    high = (grey - cv2.GaussianBlur(grey, (0, 0), DETAIL_SIGMA)) * known
    power = cv2.boxFilter(
        high * high, -1, (block, block), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
    )
    rms = np.sqrt(np.maximum(power[::factor, ::factor], 0.0))
    out = np.zeros(span, np.float32)
    h, w = min(span[0], rms.shape[0]), min(span[1], rms.shape[1])
    out[:h, :w] = rms[:h, :w]
    return out


def _cut(patch: np.ndarray, target: np.ndarray, have: np.ndarray) -> np.ndarray:
    """Which pixels take the new block (1) or keep theirs (0): every one where
    nothing is yet, and of the filled overlap strips those on the block's side of
    the least-difference path of every strip they lie in (in a corner where two
    strips cross, a pixel one cut keeps is kept: the block never reaches past a
    cut to the window's edge, where it would meet its neighbour without one)."""
    block = have.shape[0]
    strips = np.zeros(have.shape, bool)
    inside = np.ones(have.shape, bool)
    error = ((patch - target) ** 2).sum(axis=2)
    for side in ("top", "left", "right", "bottom"):
        # The strip: every whole line filled already, counted from this side.
        lines = np.asarray(have.all(axis=1 if side in ("top", "bottom") else 0), bool)
        if side in ("bottom", "right"):
            lines = lines[::-1]
        depth = int(np.argmin(lines)) if not lines.all() else 0
        if depth < 2:
            continue
        cut = slice(0, depth) if side in ("top", "left") else slice(block - depth, block)
        strip = (cut, slice(None)) if side in ("top", "bottom") else (slice(None), cut)
        part = error[strip]
        vertical = side in ("left", "right")
        costs = part if vertical else part.T
        path = _least_path(costs)
        columns = np.arange(costs.shape[1])[None, :]
        # The block's side of the path: right of it for a left strip, and so on.
        beyond = columns > path[:, None] if side in ("left", "top") else columns < path[:, None]
        beyond = beyond if vertical else beyond.T
        strips[strip] = True
        inside[strip] &= beyond
    # Pixels filled before but inside no strip keep their value.
    return (~have | (strips & inside)).astype(np.float32)


def _run(lines: np.ndarray) -> int:
    """How many leading entries of ``lines`` (bool) are true."""
    return len(lines) if lines.all() else int(np.argmin(lines))


def _least_path(costs: np.ndarray) -> np.ndarray:
    """The column of the cheapest top-to-bottom path through ``costs`` (rows x cols), per row."""
    rows, cols = costs.shape
    total = costs.astype(np.float64).copy()
    for y in range(1, rows):
        previous = total[y - 1]
        left = np.concatenate(([np.inf], previous[:-1]))
        right = np.concatenate((previous[1:], [np.inf]))
        total[y] += np.minimum(previous, np.minimum(left, right))
    path = np.empty(rows, np.int64)
    path[-1] = int(np.argmin(total[-1]))
    for y in range(rows - 2, -1, -1):
        x = path[y + 1]
        lo, hi = max(0, x - 1), min(cols, x + 2)
        path[y] = lo + int(np.argmin(total[y, lo:hi]))
    return path


def _starts(first: int, end: int, block: int, step: int) -> list[int]:
    """Block starts from ``first`` every ``step`` until ``end`` is covered (the last one
    ends exactly at ``end`` when it can)."""
    starts = list(range(first, max(first + 1, end - block + 1), step))
    if not starts or starts[-1] + block < end:
        starts.append(max(first, end - block))
    return starts
