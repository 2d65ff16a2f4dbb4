"""Classical inpainting: the local server's stand-in for a diffusion model.

The app has to work offline and the tests need a server whose output is
deterministic, so the local ModelsLab look-alike fills the masked area from its
surroundings with OpenCV (Telea's fast-marching method and the Navier-Stokes
method). It is honest about what it is: the prompt does not steer the fill, and
nothing here can paint a cat where there was a dog.

How a sample is made, and why:

* **Only the hole's box.** Everything works on the hole's bounding box plus a
  margin; the rest of the picture is copied, so a small hole in a large image
  costs little.
* **Pyramid.** ``cv2.inpaint`` costs grow with the hole's area (and the square
  of its radius), so a large hole is first filled at a reduced size (at most
  ``WORK_SIDE`` on the box's long side) and upsampled; then only a thin band
  along the hole's edge is re-inpainted at full resolution, so the seam is as
  sharp as the surroundings.
* **Texture.** Those fills are smooth, which looks like a smudge. The
  high-frequency detail (image minus its blur) of small, randomly chosen known
  tiles near the hole is patched into it, so grain and noise match the photo
  without copying whole structures; where no known tile exists, seeded
  Gaussian grain with the surroundings' spread is used.
* **Variations.** Sample ``i`` is made from ``seed + i`` alone: it picks the
  method (even = Telea, odd = Navier-Stokes), the radius, the texture tiles
  and their strength. Samples are visibly different, every one is reproducible,
  and sample ``i`` of seed ``s`` equals sample 0 of seed ``s + i``.
* **Strength and soft masks.** The result is composited through
  ``mask * strength``: 0 returns the resized original exactly, 1 the full fill,
  and grey anti-aliased mask edges blend. Pixels where the mask is black
  (below ``HOLE_LEVEL``) are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

# Mask values below this are "keep". A little above zero so that the faint
# noise of a JPEG-compressed black mask does not turn the whole image into a hole.
HOLE_LEVEL = 8
# The coarse pass works at most at this size (long side of the hole's box, pixels).
WORK_SIDE = 256
# cv2.inpaint radius of the coarse pass (cost grows with its square).
COARSE_RADIUS = 3
# Width (pixels) of the band inside the hole's edge re-inpainted at full size.
EDGE_BAND = 6
# Above this many band pixels the full-size edge pass is skipped (see _refine).
EDGE_BAND_BUDGET = 120_000

ENGINE_NAME = "opencv-telea+ns"
METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


@dataclass(frozen=True)
class Variant:
    """The choices that make one sample differ from its siblings."""

    method: str
    radius: int
    detail_sigma: float
    gain: float
    tile_scale: float


def variant_for(seed: int) -> Variant:
    """The deterministic choices for the sample made from ``seed``."""
    rng = np.random.default_rng(seed)
    return Variant(
        method="telea" if seed % 2 == 0 else "ns",
        radius=int(rng.integers(3, 7)),
        detail_sigma=float(rng.choice([1.2, 1.8, 2.6])),
        gain=float(rng.uniform(0.8, 1.25)),
        tile_scale=float(rng.choice([0.75, 1.0, 1.5])),
    )


def methods_for(seed: int, samples: int) -> list[str]:
    """Which OpenCV method each sample of a job uses (for the response's meta)."""
    return [variant_for(seed + i).method for i in range(samples)]


def inpaint_image(
    image: Image.Image,
    mask: Image.Image,
    width: int,
    height: int,
    samples: int = 1,
    seed: int = 0,
    strength: float = 1.0,
) -> list[Image.Image]:
    """Fill the white part of ``mask`` in ``image`` from its surroundings.

    ``image`` is resized (Lanczos) and ``mask`` (bilinear, so its edges stay
    soft) to ``width`` x ``height``. Returns ``samples`` RGB images.
    """
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    size = (int(width), int(height))
    rgb = image.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    grey = mask.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.BILINEAR)
    original = np.asarray(rgb, dtype=np.uint8)
    level = np.asarray(grey, dtype=np.uint8)
    strength = float(min(1.0, max(0.0, strength)))

    hole = np.where(level >= HOLE_LEVEL, 255, 0).astype(np.uint8)
    if strength == 0.0 or not hole.any():
        return [Image.fromarray(original.copy(), "RGB") for _ in range(samples)]

    # Everything below works on the hole's bounding box plus a margin wide
    # enough for cv2.inpaint's neighbourhood: the rest of the picture is copied.
    box = _bounding_box(hole, margin=16)
    crop_image = np.ascontiguousarray(original[box])
    crop_hole = np.ascontiguousarray(hole[box])
    weight = np.where(crop_hole > 0, level[box].astype(np.float32) / 255.0, 0.0) * strength
    weight = weight[:, :, None]
    crop_base = crop_image.astype(np.float32)
    coarse_cache: dict[str, np.ndarray | None] = {}
    detail_cache: dict[float, np.ndarray] = {}
    outputs = []
    for index in range(samples):
        sample_seed = seed + index
        variant = variant_for(sample_seed)
        method = METHODS[variant.method]
        if variant.method not in coarse_cache:
            coarse_cache[variant.method] = _coarse_fill(crop_image, crop_hole, method)
        fill = _refine(crop_image, crop_hole, coarse_cache[variant.method], method, variant.radius)
        if variant.detail_sigma not in detail_cache:
            detail_cache[variant.detail_sigma] = _detail(original, variant.detail_sigma)
        rng = np.random.default_rng([sample_seed, 1])
        tile = max(6, round(max(size) / 48 * variant.tile_scale))
        texture = _texture(detail_cache[variant.detail_sigma], hole, box, rng, tile)
        texture *= variant.gain
        blended = crop_base + (fill.astype(np.float32) + texture - crop_base) * weight
        out = original.copy()
        out[box] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
        outputs.append(Image.fromarray(out, "RGB"))
    return outputs


def _bounding_box(hole: np.ndarray, margin: int) -> tuple[slice, slice]:
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    height, width = hole.shape
    top, bottom = max(0, rows[0] - margin), min(height, rows[-1] + 1 + margin)
    left, right = max(0, cols[0] - margin), min(width, cols[-1] + 1 + margin)
    return slice(int(top), int(bottom)), slice(int(left), int(right))


def _coarse_fill(image: np.ndarray, hole: np.ndarray, method: int) -> np.ndarray | None:
    """The hole filled at reduced size and upsampled; None when no reduction is needed."""
    height, width = hole.shape
    long_side = max(width, height)
    if long_side <= WORK_SIDE or not np.any(hole == 0):
        return None
    scale = WORK_SIDE / long_side
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
    # Any coarse pixel that saw part of the hole is unknown, else the removed
    # object would bleed into the fill through the averaging.
    grown = cv2.dilate(hole, np.ones((3, 3), np.uint8))
    small_hole = cv2.resize(grown, small_size, interpolation=cv2.INTER_AREA)
    small_hole = np.where(small_hole > 0, 255, 0).astype(np.uint8)
    if not np.any(small_hole == 0):
        # Known pixels too thin to survive the reduction: a looser reading, and
        # failing that their average colour (never a slow full-size pass).
        loose = cv2.resize(hole, small_size, interpolation=cv2.INTER_AREA)
        small_hole = np.where(loose > 127, 255, 0).astype(np.uint8)
        if not np.any(small_hole == 0):
            colour = image[hole == 0].mean(axis=0)
            return np.broadcast_to(colour, image.shape).astype(np.uint8)
    coarse = cv2.inpaint(small, small_hole, COARSE_RADIUS, method)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)


def _refine(image: np.ndarray, hole: np.ndarray, coarse: np.ndarray | None, method: int,
            radius: int) -> np.ndarray:
    """Full-resolution fill: the whole hole when small, else the band along its edge."""
    if not np.any(hole == 0):
        # Nothing to fill from: keep the picture's broad colours, lose its detail.
        height, width = hole.shape
        tiny = (max(1, width // 64), max(1, height // 64))
        small = cv2.resize(image, tiny, interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if coarse is None:
        return cv2.inpaint(image, hole, radius, method)
    seeded = cv2.copyTo(coarse, hole, image.copy())
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_BAND + 1, 2 * EDGE_BAND + 1))
    band = cv2.subtract(hole, cv2.erode(hole, disc))
    if cv2.countNonZero(band) > EDGE_BAND_BUDGET:
        # A hole that is all edge (stripes, a lattice): the coarse fill has to
        # do, or the full-size pass would take seconds.
        return seeded
    return cv2.inpaint(seeded, band, radius, method)


def _detail(image: np.ndarray, sigma: float) -> np.ndarray:
    """High-frequency part of the image (int16): what a smooth fill lacks."""
    return image.astype(np.int16) - cv2.GaussianBlur(image, (0, 0), sigma)


def _texture(detail: np.ndarray, hole: np.ndarray, box: tuple[slice, slice],
             rng: np.random.Generator, tile: int) -> np.ndarray:
    """Detail for the hole (within ``box``), patched together from nearby known tiles.

    Each ``tile`` x ``tile`` square of the hole takes the detail of a randomly
    chosen fully known square near the hole. Small, shuffled tiles carry the
    grain of fur, wood or sky without copying a recognisable structure (a
    whole eye) into the hole. Where no known square exists, seeded grain with
    the spread of the hole's surroundings stands in.
    """
    inside_full = hole > 0
    inside = inside_full[box]
    box_h, box_w = inside.shape
    ring = (cv2.dilate(hole[box], np.ones((9, 9), np.uint8)) > 0) & ~inside
    if ring.any():
        spread = detail[box][ring].astype(np.float32).std(axis=0)
    else:
        spread = detail.reshape(-1, 3).astype(np.float32).std(axis=0)

    tiles_y, tiles_x = -(-box_h // tile), -(-box_w // tile)
    origins = _tile_origins(inside_full, box, tile, tiles_y * tiles_x, rng)
    if origins is None:
        texture = rng.standard_normal(inside.shape + (3,), dtype=np.float32)
        texture *= spread
        texture *= inside[:, :, None]
        return texture
    origin_y = origins[0].reshape(tiles_y, tiles_x)
    origin_x = origins[1].reshape(tiles_y, tiles_x)
    rows, cols = np.arange(box_h), np.arange(box_w)
    source_y = origin_y[rows // tile][:, cols // tile] + (rows % tile)[:, None]
    source_x = origin_x[rows // tile][:, cols // tile] + (cols % tile)[None, :]
    # Clipped to the surroundings' spread, so a tile that caught a strong edge
    # adds grain rather than a line.
    limit = np.maximum(np.round(2.5 * spread), 1).astype(np.int16)
    texture = np.clip(detail[source_y, source_x], -limit, limit).astype(np.float32)
    texture *= inside[:, :, None]
    return texture


def _tile_origins(inside: np.ndarray, box: tuple[slice, slice], tile: int, count: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """``count`` random top-left corners of fully known tiles near the hole.

    Searches the hole's box widened by half its size first, then the whole
    image; None when no tile anywhere is fully known.
    """
    height, width = inside.shape
    reach = max(4 * tile, max(box[0].stop - box[0].start, box[1].stop - box[1].start) // 2)
    regions = [
        (slice(max(0, box[0].start - reach), min(height, box[0].stop + reach)),
         slice(max(0, box[1].start - reach), min(width, box[1].stop + reach))),
        (slice(0, height), slice(0, width)),
    ]
    kernel = np.ones((tile, tile), np.uint8)
    for rows, cols in regions:
        known = (~inside[rows, cols]).astype(np.uint8)
        # Anchored at the top-left, so a pixel survives when the tile starting
        # there is known throughout; the zero border refuses tiles running off.
        valid = cv2.erode(known, kernel, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT,
                          borderValue=0)
        # Rejection sampling is far cheaper than listing every valid corner;
        # the listing is the fallback when valid corners are rare.
        ys = rng.integers(0, valid.shape[0], size=8 * count)
        xs = rng.integers(0, valid.shape[1], size=8 * count)
        keep = valid[ys, xs] > 0
        ys, xs = ys[keep], xs[keep]
        if len(ys) < count:
            all_ys, all_xs = np.nonzero(valid)
            if not len(all_ys):
                continue
            pick = rng.integers(0, len(all_ys), size=count)
            ys, xs = all_ys[pick], all_xs[pick]
        return ys[:count] + rows.start, xs[:count] + cols.start
    return None
