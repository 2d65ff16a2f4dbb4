"""Mask logic: from whatever the user has to the exact mask that is sent.

Convention throughout (the API's): white (255) = repaint, black (0) = keep.
Every function takes and returns a single-channel ``L`` image and has no side
effects, so they compose: ``feather(grow(to_binary_mask(m, size), 8), 4)``.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageFilter

from .errors import InputImageError

EMPTY_MASK_MESSAGE = "Nothing is painted: paint the area to change (white = repaint)."


def to_binary_mask(
    mask: Image.Image, size: tuple[int, int] | None = None, threshold: int = 128
) -> Image.Image:
    """Any mask image -> clean 0/255 ``L`` mask, resized (nearest) to ``size``.

    Transparency wins when it carries the drawing (a brush layer: transparent
    background, opaque strokes of any colour). Otherwise brightness decides,
    with anti-aliased grey edges at or above ``threshold`` counting as paint.
    """
    # Nearest-neighbour sampling commutes with a per-pixel threshold, so the
    # source is sampled down first: a 12-megapixel layer costs what the
    # (at most 1-megapixel) output costs, with identical pixels.
    if size is not None:
        size = (int(size[0]), int(size[1]))
    if mask.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mask.mode == "P" and "transparency" in mask.info
    ):
        rgba = mask if mask.mode in ("RGBA", "LA") else mask.convert("RGBA")
        alpha = rgba.getchannel("A")
        low, _ = alpha.getextrema()
        if int(low) < 255:  # type: ignore[arg-type]
            # Strokes painted in black on a transparent layer are still paint.
            grey = _sample(alpha, size)
        else:
            grey = _sample(rgba, size).convert("L")
    elif mask.mode.startswith("I;16") or mask.mode in ("I", "F"):
        arr = np.asarray(mask, dtype=np.float64)  # rare modes: scaled at full size
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        grey = _sample(Image.fromarray((arr / top * 255.0).astype(np.uint8)), size)
    else:
        grey = _sample(mask, size).convert("L")
    # A lookup table, not numpy: on a 12 MP mask ~30x faster, same pixels.
    return grey.point([255 if v >= threshold else 0 for v in range(256)])


def _sample(img: Image.Image, size: tuple[int, int] | None) -> Image.Image:
    if size is None or img.size == size:
        return img
    return img.resize(size, Image.Resampling.NEAREST)


def coverage(mask: Image.Image) -> float:
    """Fraction of the image marked for repainting (0..1)."""
    arr = np.asarray(mask.convert("L"))
    return float((arr >= 128).mean()) if arr.size else 0.0


def is_empty(mask: Image.Image) -> bool:
    grey = mask if mask.mode == "L" else mask.convert("L")
    _, high = grey.getextrema()
    return int(high) < 128  # type: ignore[arg-type]


def require_painted(mask: Image.Image) -> Image.Image:
    """Raise the plain "paint the area" message for an empty mask."""
    if is_empty(mask):
        raise InputImageError(EMPTY_MASK_MESSAGE, field="mask_image")
    return mask


def invert(mask: Image.Image) -> Image.Image:
    return Image.fromarray(255 - np.asarray(mask.convert("L")), "L")


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def grow(mask: Image.Image, pixels: int) -> Image.Image:
    """Dilate by ``pixels`` (negative shrinks). A disc, so corners stay round."""
    pixels = int(pixels)
    if pixels == 0:
        return mask.convert("L")
    arr = np.asarray(mask.convert("L"))
    kernel = _disc(abs(pixels))
    out = cv2.dilate(arr, kernel) if pixels > 0 else cv2.erode(arr, kernel)
    return Image.fromarray(out, "L")


def shrink(mask: Image.Image, pixels: int) -> Image.Image:
    return grow(mask, -int(pixels))


def feather(mask: Image.Image, pixels: float) -> Image.Image:
    """Soften the edge over about ``pixels`` so the repaint blends in.

    The painted core stays fully white: the blur is centred on the edge, so a
    feathered mask still covers what was painted.
    """
    if pixels <= 0:
        return mask.convert("L")
    radius = max(1, round(pixels / 2))
    base = mask.convert("L")
    widened = grow(base, radius)
    # The blur alone dims the painted edge (to ~0.8 at sides, less at corners);
    # keeping the original on top makes the "core stays fully white" promise hold.
    return ImageChops.lighter(widened.filter(ImageFilter.GaussianBlur(pixels / 2)), base)


def refine(
    mask: Image.Image, *, invert_mask: bool = False, grow_px: int = 0, feather_px: float = 0
) -> Image.Image:
    """The mask tools in their one fixed order: invert, grow/shrink, then feather.

    Each step that could leave nothing to repaint says so in plain words
    (``InputImageError``) instead of sending an empty mask. ``feather_px``
    softens the edge for a mask that is sent as it is (paste-back off); with
    paste-back on the blend happens when the result is put back instead.
    """
    out = mask.convert("L")
    if invert_mask:
        out = invert(out)
        if is_empty(out):
            raise InputImageError(
                "The inverted mask is empty: everything was painted, so "
                "inverting leaves nothing to repaint.",
                field="mask_image",
            )
    if grow_px:
        out = grow(out, grow_px)
        if is_empty(out):
            raise InputImageError(
                f"After shrinking by {-int(grow_px)} px nothing is left to "
                "repaint: shrink less or paint a larger area.",
                field="mask_image",
            )
    if feather_px:
        out = feather(out, feather_px)
    return out


def overlay(
    image: Image.Image,
    mask: Image.Image,
    color: tuple[int, int, int] = (255, 40, 90),
    opacity: float = 0.55,
) -> Image.Image:
    """The image with the mask tinted over it: a preview of exactly what is sent."""
    base = image.convert("RGB")
    m = mask.convert("L")
    if m.size != base.size:
        m = m.resize(base.size, Image.Resampling.NEAREST)
    tint = Image.new("RGB", base.size, color)
    alpha = m.point(lambda v: int(v * opacity))
    return Image.composite(tint, base, alpha)
