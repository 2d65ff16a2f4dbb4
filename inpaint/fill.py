"""Exemplar-based hole filling: PatchMatch on the hole's neighbourhood, coarse to fine.

The offline engine and the client's pre-fill both need a classical fill that
looks like the photo rather than a smudge, so this module fills a hole with
patches copied from around it, using PatchMatch (Barnes et al., SIGGRAPH 2009;
the field's standard classical fill, InvokeAI's "patchmatch" infill) through
the maintained ``pypatchmatch`` package (MIT, wheels with the compiled library
and a statically linked OpenCV core, so nothing is built or downloaded at run
time).

How a fill is made, and why:

* **Only the neighbourhood.** PatchMatch's cost grows with the hole's area and
  the area it searches, and far-away parts of a photo are poor sources (a face
  copied into a flag). The work is done on the hole's bounding box widened by
  ``CONTEXT`` of its size (at least ``MIN_MARGIN`` pixels); the rest is copied.
* **Coarse to fine.** A hole whose box is larger than ``WORK_SIDE`` pixels is
  filled at a reduced size (at most halved, ``MIN_SCALE``), where PatchMatch
  lays out the structure and costs a quarter; the full resolution then gets its
  detail from the same places the coarse fill copied from: each coarse hole
  pixel is matched to its source patch (a short PatchMatch-style search over
  the known patches), the offsets are scaled up and nudged by a pixel or two to
  where they fit best at full size, and the sources' high frequencies at those
  offsets are added to the upsampled coarse fill. Each pixel blends the detail
  of the four nearest offsets (bilinearly, so no block grid shows), and the
  blend's lost contrast is restored (variance-preserving blending).
* **Variations.** The seed picks PatchMatch's random search and which blocks of
  the surroundings may serve as sources (a random third of the blocks away from
  the hole's edge is left out), so different seeds copy from different places
  and their fills are visibly different.
* **Threads.** pypatchmatch keeps its random seed in the process, so two fills
  running at once would disturb each other's search. Each call sets the seed
  and runs under one lock (``_PATCHMATCH_LOCK``): fills are reproducible also
  when several jobs run at once, at the price of running PatchMatch one job at a
  time (everything around it still runs in parallel).
* **The mask.** Every pixel at or above ``HOLE_LEVEL`` is filled, and the hole
  is widened by ``GUARD`` pixels for the search only, so the anti-aliased rim
  of a removed object is never copied back into the hole. The output equals the
  input wherever the mask is below ``HOLE_LEVEL``; blending soft mask edges is
  the caller's business (the engine does it).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType

import cv2
import numpy as np
from PIL import Image

from .quilt import meet_border, open_edge, quilt_fill

log = logging.getLogger(__name__)

_patchmatch: ModuleType | None
try:  # pragma: no cover - exercised by whether the wheel is installed
    import patchmatch as _loaded

    _patchmatch = _loaded
    PATCHMATCH_AVAILABLE = bool(_loaded.patchmatch_available)
except ImportError:  # pragma: no cover
    _patchmatch = None
    PATCHMATCH_AVAILABLE = False

# Mask values below this are "keep": a little above zero so that the faint
# noise of a JPEG-compressed black mask does not turn the whole image into a hole.
HOLE_LEVEL = 8
# Coarse pass: the hole's box is filled at most at this size (long side, pixels).
WORK_SIDE = 128
# ...but never reduced more than this (the detail transfer cannot make up more).
MIN_SCALE = 0.5
# The search area: the hole's box widened by this fraction of its long side...
CONTEXT = 0.6
# ...and by at least this many pixels.
MIN_MARGIN = 32
# The hole is widened by this many pixels for the search (not for the output).
GUARD = 2
# PatchMatch patch radius (patches are 2r+1 wide); pypatchmatch tries 5 on
# coarse levels too when this is below 5.
PATCH_RADIUS = 3
# Radius (coarse pixels) of the patches matched to find where detail comes from.
DETAIL_RADIUS = 2
# Detail added to the coarse fill: above this Gaussian sigma (in units of the scale).
DETAIL_SIGMA = 0.5
# Most the transferred detail is amplified to make up for averaging votes.
MAX_GAIN = 2.0
# Rounds of the correspondence search (propagation plus random search).
SEARCH_ROUNDS = 4
# Share of the source blocks a seed leaves out (variation between samples).
DROP_SHARE = 0.33

_PATCHMATCH_LOCK = threading.Lock()
# The last fills made, by what decides them (``_fill_key``). Offline, the client's
# pre-fill of a cut and the local server's fill of the same cut (same pixels, same
# seed) run in one process: the second one is a look-up.
MEMO_SIZE = 6
_MEMO: OrderedDict[bytes, np.ndarray] = OrderedDict()
_MEMO_LOCK = threading.Lock()

__all__ = [
    "HOLE_LEVEL",
    "PATCHMATCH_AVAILABLE",
    "TELEA_NAME",
    "describe",
    "fill",
    "fill_array",
    "hole_of",
    "telea_fill_array",
]

ImageLike = Image.Image | np.ndarray


# What :func:`telea_fill_array` reports as its method.
TELEA_NAME = "opencv-telea"


def describe() -> str:
    """The name of the fill method in use (the server reports it as its engine)."""
    return "patchmatch" if PATCHMATCH_AVAILABLE else f"{TELEA_NAME} (pypatchmatch missing)"


def hole_of(mask: ImageLike) -> np.ndarray:
    """The binary hole (bool HxW) of a mask: every pixel at or above ``HOLE_LEVEL``."""
    level = np.asarray(mask.convert("L") if isinstance(mask, Image.Image) else mask)
    if level.ndim == 3:
        level = level[..., 0]
    return level >= HOLE_LEVEL


def fill(image: ImageLike, mask: ImageLike, *, seed: int = 0) -> Image.Image:
    """``image`` with the painted part of ``mask`` filled from its surroundings.

    ``image`` is RGB (PIL or HxWx3 uint8), ``mask`` L (white = fill) of the same
    size. Pixels of the mask below ``HOLE_LEVEL`` keep their exact value, the
    rest is replaced by patches from the neighbourhood (no trace of what was
    under the mask survives). Same inputs and seed, same pixels, also across
    threads.
    """
    rgb = _rgb_array(image)
    hole = hole_of(mask)
    if hole.shape != rgb.shape[:2]:
        raise ValueError(f"mask is {hole.shape[::-1]}, image is {rgb.shape[1::-1]}")
    if seed < 0:
        raise ValueError("seed must not be negative")
    out = fill_array(rgb, hole, seed=seed)
    return Image.fromarray(out, "RGB")


def fill_array(rgb: np.ndarray, hole: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """:func:`fill` over arrays: HxWx3 uint8 and a bool hole; returns a new array."""
    if seed < 0:
        raise ValueError("seed must not be negative")
    key = _fill_key(rgb, hole, seed)
    with _MEMO_LOCK:
        remembered = _MEMO.get(key)
        if remembered is not None:
            _MEMO.move_to_end(key)
            return remembered.copy()
    out = _fill_around(rgb, hole, lambda crop, crop_hole: _fill_crop(crop, crop_hole, seed))
    if open_edge(hole) is not None:
        # Grown outward: faded in from the photo at the real border (not the guard's).
        out = meet_border(rgb, hole, out)
    with _MEMO_LOCK:
        _MEMO[key] = out.copy()
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return out


def _fill_key(rgb: np.ndarray, hole: np.ndarray, seed: int) -> bytes:
    """What decides a fill: the known pixels, the hole and the seed (not what the hole holds)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(np.asarray(rgb.shape, np.int64).tobytes())
    digest.update(np.packbits(hole).tobytes())
    digest.update(np.where(hole[:, :, None], 0, rgb).astype(np.uint8).tobytes())
    digest.update(int(seed).to_bytes(8, "little"))
    return digest.digest()


def telea_fill_array(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """A quick, smooth fill: OpenCV's Telea inpainting on the hole's neighbourhood.

    What :func:`fill_array` falls back to without pypatchmatch, offered on its
    own for speed (the local server's ``quick`` engine, for tests and CI): tens
    of milliseconds instead of seconds, but the hole is smudged from its rim,
    with none of the surroundings' texture, and there is no seed (every call
    with the same inputs gives the same pixels). Same mask rules as
    :func:`fill_array`: only the hole changes, its anti-aliased rim is not
    copied in.
    """
    return _fill_around(
        rgb,
        hole,
        lambda crop, crop_hole: cv2.inpaint(
            crop, crop_hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA
        ),
    )


def _fill_around(
    rgb: np.ndarray, hole: np.ndarray, fill_crop: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """The mask rules both engines share: ``fill_crop`` fills the hole (widened by the
    guard band, so the anti-aliased rim is not copied in) on the hole's neighbourhood
    only, and only the hole's own pixels change."""
    out = rgb.copy()
    if not hole.any():
        return out
    if hole.all():
        # Nothing to copy from: the picture's broad colours, none of its detail.
        return _broad_colours(rgb)
    search_hole = cv2.dilate(hole.astype(np.uint8), _disc(GUARD)) > 0
    if search_hole.all():
        search_hole = hole
    box = _context_box(search_hole)
    crop = np.ascontiguousarray(rgb[box])
    filled = fill_crop(crop, search_hole[box])
    out[box] = np.where(hole[box][:, :, None], filled, crop)
    return out


def _rgb_array(image: ImageLike) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError("image must be RGB: a PIL image or an HxWx3 uint8 array")
    return array


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _broad_colours(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    tiny = cv2.resize(
        rgb, (max(1, width // 64), max(1, height // 64)), interpolation=cv2.INTER_AREA
    )
    return cv2.resize(tiny, (width, height), interpolation=cv2.INTER_LINEAR)


def _context_box(hole: np.ndarray) -> tuple[slice, slice]:
    """The hole's bounding box widened by ``CONTEXT`` of its long side."""
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    long_side = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    margin = max(MIN_MARGIN, round(CONTEXT * long_side))
    height, width = hole.shape
    top, bottom = max(0, rows[0] - margin), min(height, rows[-1] + 1 + margin)
    left, right = max(0, cols[0] - margin), min(width, cols[-1] + 1 + margin)
    return slice(int(top), int(bottom)), slice(int(left), int(right))


def _fill_crop(crop: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """The crop with its hole filled: grown by quilting when it opens onto the
    picture's edge (outpainting), else PatchMatch, directly when small, else coarse to fine."""
    if open_edge(hole) is not None:
        return _grow(crop, hole, seed)
    return _coarse_to_fine(crop, hole, seed)


def _coarse_to_fine(crop: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """PatchMatch on the crop: directly when the hole is small, else coarse to fine."""
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    long_side = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    scale = min(1.0, max(MIN_SCALE, WORK_SIDE / long_side))
    if scale >= 0.999:
        return _patchmatch_fill(crop, hole, seed)
    height, width = hole.shape
    small_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(crop, small_size, interpolation=cv2.INTER_AREA)
    # A coarse pixel that saw any of the hole is unknown, or the removed object
    # would bleed into the fill through the averaging.
    small_hole = (
        cv2.resize(hole.astype(np.uint8) * 255, small_size, interpolation=cv2.INTER_AREA) > 0
    )
    if small_hole.all():
        return _patchmatch_fill(crop, hole, seed)
    coarse = _patchmatch_fill(small, small_hole, seed)
    return _refine(crop, hole, small, small_hole, coarse, seed)


def _grow(crop: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """A hole opening onto the edge (outpainting): grown outward by quilting with blocks
    of the photo's own pixels; PatchMatch where too little is known to copy blocks from."""
    grown = quilt_fill(crop, hole, seed)
    if grown is not None:
        return grown
    return _coarse_to_fine(crop, hole, seed)


def _source_exclusion(hole: np.ndarray, seed: int) -> np.ndarray | None:
    """Blocks of the known area this seed may not copy from (bool), or None.

    Only blocks clear of the hole's edge are left out: the ring around the hole
    is what PatchMatch matches the fill's border against, so it always stays.
    """
    height, width = hole.shape
    block = max(8, min(height, width) // 8)
    rng = np.random.default_rng([seed, 7])
    grid = rng.random(((height + block - 1) // block, (width + block - 1) // block))
    dropped = np.kron(grid < DROP_SHARE, np.ones((block, block), bool))[:height, :width]
    ring = cv2.dilate(hole.astype(np.uint8), _disc(max(2 * PATCH_RADIUS + 2, block // 2))) > 0
    dropped &= ~ring
    known = ~hole & ~dropped
    # Keep enough to copy from: at least as much known area as hole.
    if known.sum() < max(hole.sum(), 64):
        return None
    return dropped


def _patchmatch_fill(
    image: np.ndarray, hole: np.ndarray, seed: int, exclude: np.ndarray | None = None
) -> np.ndarray:
    """PatchMatch on ``image`` (contiguous HxWx3 uint8) over ``hole`` (bool), copying
    from no pixel of ``exclude`` (bool) either."""
    if _patchmatch is None or not PATCHMATCH_AVAILABLE:
        return cv2.inpaint(image, hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    mask = np.ascontiguousarray(hole.astype(np.uint8))
    dropped = _source_exclusion(hole, seed)
    if exclude is not None:
        outside = exclude & ~hole
        dropped = outside if dropped is None else dropped | outside
    global_mask = None if dropped is None else np.ascontiguousarray(dropped.astype(np.uint8))
    image = np.ascontiguousarray(image)
    try:
        with _PATCHMATCH_LOCK:
            # The seed is process-global in pypatchmatch: setting it and running
            # under one lock is what makes concurrent fills reproducible.
            _patchmatch.set_random_seed(seed % 2**32)
            result = _patchmatch.inpaint(
                image, mask, global_mask=global_mask, patch_size=PATCH_RADIUS
            )
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - degenerate inputs
        log.warning("patchmatch failed (%s); falling back to Telea", exc)
        return cv2.inpaint(image, mask * 255, 3, cv2.INPAINT_TELEA)
    if dropped is not None:
        # Excluded pixels keep their values; only the hole is taken from the result.
        result = np.where(hole[:, :, None], result, image)
    return np.asarray(result, dtype=np.uint8)


def _refine(
    crop: np.ndarray,
    hole: np.ndarray,
    small: np.ndarray,
    small_hole: np.ndarray,
    coarse: np.ndarray,
    seed: int,
) -> np.ndarray:
    """Full-resolution fill from the coarse one: its layout, the sources' detail."""
    height, width = hole.shape
    base = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    offsets = _coarse_offsets(small, small_hole, coarse, seed)
    if offsets is None:
        return np.clip(base + 0.5, 0, 255).astype(np.uint8)
    scale_y = height / small_hole.shape[0]
    scale_x = width / small_hole.shape[1]
    # What the reduction lost: the sources' high frequencies.
    detail_sigma = max(0.8, DETAIL_SIGMA * max(scale_x, scale_y))
    crop_f = crop.astype(np.float32)
    detail = crop_f - cv2.GaussianBlur(crop_f, (0, 0), detail_sigma)
    known = ~hole
    full_y, full_x = _full_offsets(crop, small, base, hole, offsets, scale_y, scale_x)
    # Only the hole's pixels are computed: the rest of the crop is kept anyway.
    ys, xs = np.nonzero(hole)
    coarse_h, coarse_w = small_hole.shape
    # Each pixel takes the detail at the offsets of the four coarse pixels
    # around it, weighted bilinearly, so the detail cross-fades where the
    # offset changes instead of showing the coarse grid as blocks.
    fy = np.clip((ys + 0.5) / scale_y - 0.5, 0, coarse_h - 1)
    fx = np.clip((xs + 0.5) / scale_x - 0.5, 0, coarse_w - 1)
    y0, x0 = np.floor(fy).astype(np.int32), np.floor(fx).astype(np.int32)
    wy, wx = (fy - y0).astype(np.float32), (fx - x0).astype(np.float32)
    total = np.zeros((len(ys), 3), np.float32)
    power = np.zeros(len(ys), np.float32)
    weight = np.zeros(len(ys), np.float32)
    for ny, nx, w in (
        (y0, x0, (1 - wy) * (1 - wx)),
        (y0 + 1, x0, wy * (1 - wx)),
        (y0, x0 + 1, (1 - wy) * wx),
        (y0 + 1, x0 + 1, wy * wx),
    ):
        ny = np.minimum(ny, coarse_h - 1)
        nx = np.minimum(nx, coarse_w - 1)
        src_y = np.clip(ys + full_y[ny, nx], 0, height - 1)
        src_x = np.clip(xs + full_x[ny, nx], 0, width - 1)
        w = w * (offsets[2][ny, nx] & known[src_y, src_x])
        vote = detail[src_y, src_x]
        total += vote * w[:, None]
        power += np.einsum("ij,ij->i", vote, vote) * w
        weight += w
    has = weight > 0
    mean = np.where(has[:, None], total / np.maximum(weight, 1e-6)[:, None], 0.0)
    # Averaging unrelated detail flattens it; restore the votes' own contrast
    # (variance-preserving blending), measured over a small neighbourhood.
    expected = np.zeros((height, width), np.float32)
    actual = np.zeros((height, width), np.float32)
    expected[ys, xs] = np.where(has, power / np.maximum(weight, 1e-6), 0.0)
    actual[ys, xs] = np.einsum("ij,ij->i", mean, mean)
    sigma = max(1.0, 0.5 * max(scale_x, scale_y))
    gain = np.sqrt(
        cv2.GaussianBlur(expected, (0, 0), sigma)
        / np.maximum(cv2.GaussianBlur(actual, (0, 0), sigma), 1e-3)
    )
    result = base.copy()
    result[ys, xs] += mean * np.clip(gain[ys, xs], 1.0, MAX_GAIN)[:, None]
    return np.clip(result + 0.5, 0, 255).astype(np.uint8)


def _full_offsets(
    crop: np.ndarray,
    small: np.ndarray,
    base: np.ndarray,
    hole: np.ndarray,
    offsets: tuple[np.ndarray, np.ndarray, np.ndarray],
    scale_y: float,
    scale_x: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The coarse offsets in full-resolution pixels, each nudged to where it fits best.

    A coarse offset is only accurate to a coarse pixel, which doubles thin
    lines (mortar, wires) when the detail is added. Each is tried shifted by up
    to ``ceil(scale / 2)`` full pixels, comparing the upsampled coarse fill
    around the coarse pixel's centre with the source blurred the same way (the
    crop reduced and enlarged again); the best shift is kept.
    """
    height, width = hole.shape
    coarse_h, coarse_w = offsets[2].shape
    full_y = np.rint(offsets[0] * scale_y).astype(np.int32)
    full_x = np.rint(offsets[1] * scale_x).astype(np.int32)
    reach = int(np.ceil(max(scale_y, scale_x) / 2))
    radius = DETAIL_RADIUS
    side = 2 * radius + 1
    if height < side or width < side:
        return full_y, full_x
    low = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    usable = (
        cv2.erode(
            (~hole).astype(np.uint8),
            np.ones((side, side), np.uint8),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        > 0
    )
    ty, tx = np.nonzero(offsets[2])
    cy = np.clip(np.rint((ty + 0.5) * scale_y - 0.5).astype(np.int32), radius, height - 1 - radius)
    cx = np.clip(np.rint((tx + 0.5) * scale_x - 0.5).astype(np.int32), radius, width - 1 - radius)
    # Patches sampled at every other pixel, gathered only where needed.
    steps = [
        (oy, ox) for oy in range(-radius, radius + 1, 2) for ox in range(-radius, radius + 1, 2)
    ]
    target = np.concatenate([base[cy + oy, cx + ox] for oy, ox in steps], axis=1)
    start_y, start_x = full_y[ty, tx], full_x[ty, tx]
    best_y, best_x = start_y.copy(), start_x.copy()
    best_cost = np.full(len(ty), np.inf, np.float32)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            sy = np.clip(cy + start_y + dy, radius, height - 1 - radius)
            sx = np.clip(cx + start_x + dx, radius, width - 1 - radius)
            candidate = np.concatenate([low[sy + oy, sx + ox] for oy, ox in steps], axis=1)
            difference = candidate - target
            cost = np.einsum("ij,ij->i", difference, difference)
            cost = np.where(usable[sy, sx], cost, np.inf)
            # A small preference for the unshifted offset, so flat areas keep it.
            cost = cost * (1.0 if dy == dx == 0 else 1.02)
            better = cost < best_cost
            best_cost = np.where(better, cost, best_cost)
            best_y = np.where(better, start_y + dy, best_y)
            best_x = np.where(better, start_x + dx, best_x)
    full_y[ty, tx], full_x[ty, tx] = best_y, best_x
    return full_y, full_x


def _coarse_offsets(
    small: np.ndarray, small_hole: np.ndarray, coarse: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """For each coarse hole pixel, the offset to the known patch its fill resembles most.

    Returns (dy, dx, valid) maps at coarse size, or None when no known patch
    exists. The fill was made by PatchMatch from these very patches, so a short
    PatchMatch-style search (random start, propagation from the neighbours,
    shrinking random search; vectorised, seeded) finds where each part came
    from. It is ours rather than a library's because it only recovers
    correspondences; the fill itself is pypatchmatch's.
    """
    radius = DETAIL_RADIUS
    side = 2 * radius + 1
    height, width = small_hole.shape
    if height < side or width < side:
        return None
    valid_centre = (
        cv2.erode(
            (~small_hole).astype(np.uint8),
            np.ones((side, side), np.uint8),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        > 0
    )
    if not valid_centre.any():
        return None
    source = _patch_features(small, radius)
    tgt_y, tgt_x = np.nonzero(small_hole)
    target = _patch_features(coarse, radius)[tgt_y, tgt_x]
    rng = np.random.default_rng([seed, 11])
    valid_y, valid_x = np.nonzero(valid_centre)
    pick = rng.integers(0, len(valid_y), size=len(tgt_y))
    best_y, best_x = valid_y[pick].astype(np.int32), valid_x[pick].astype(np.int32)
    best_cost = _patch_cost(target, source, best_y, best_x)
    index = np.full((height, width), -1, np.int64)
    index[tgt_y, tgt_x] = np.arange(len(tgt_y))

    def consider(cand_y: np.ndarray, cand_x: np.ndarray) -> None:
        nonlocal best_y, best_x, best_cost
        cand_y = np.clip(cand_y, 0, height - 1)
        cand_x = np.clip(cand_x, 0, width - 1)
        usable = valid_centre[cand_y, cand_x]
        cost = np.where(usable, _patch_cost(target, source, cand_y, cand_x), np.inf)
        better = cost < best_cost
        best_y = np.where(better, cand_y, best_y)
        best_x = np.where(better, cand_x, best_x)
        best_cost = np.where(better, cost, best_cost)

    reach = max(height, width)
    for _ in range(SEARCH_ROUNDS):
        for step in (1, 2, 4):
            for ny, nx in ((-step, 0), (step, 0), (0, -step), (0, step)):
                py = np.clip(tgt_y + ny, 0, height - 1)
                px = np.clip(tgt_x + nx, 0, width - 1)
                neighbour = index[py, px]
                has = neighbour >= 0
                where = np.where(has, neighbour, 0)
                consider(
                    np.where(has, best_y[where] - ny, best_y),
                    np.where(has, best_x[where] - nx, best_x),
                )
        span = reach
        while span >= 1:
            consider(
                best_y + rng.integers(-span, span + 1, size=len(tgt_y)),
                best_x + rng.integers(-span, span + 1, size=len(tgt_y)),
            )
            span //= 2
    dy = np.zeros((height, width), np.float32)
    dx = np.zeros((height, width), np.float32)
    ok = np.zeros((height, width), bool)
    dy[tgt_y, tgt_x] = best_y - tgt_y
    dx[tgt_y, tgt_x] = best_x - tgt_x
    ok[tgt_y, tgt_x] = True
    return dy, dx, ok


def _patch_cost(
    target: np.ndarray, source: np.ndarray, ys: np.ndarray, xs: np.ndarray
) -> np.ndarray:
    difference = target - source[ys, xs]
    return np.einsum("ij,ij->i", difference, difference)


def _patch_features(image: np.ndarray, radius: int) -> np.ndarray:
    """Each pixel's (2r+1)^2 neighbourhood (every other pixel), as float32 features."""
    padded = cv2.copyMakeBorder(image, radius, radius, radius, radius, cv2.BORDER_REPLICATE)
    height, width = image.shape[:2]
    side = 2 * radius + 1
    # Every other pixel of the patch: nearly as discriminating, a third of the work.
    parts = [
        padded[y : y + height, x : x + width].astype(np.float32)
        for y in range(0, side, 2)
        for x in range(0, side, 2)
    ]
    return np.concatenate(parts, axis=2)
