"""Pre-fills: what the painted area holds before it is sent to be repainted.

A diffusion model at a strength below 1 starts from the pixels under the mask,
so what is there decides a lot: the object to remove (it tends to come back),
a neutral guess, or a plausible continuation of the surroundings. These are
the classical choices (InvokeAI and the A1111 UI offer the same ones as
"masked content" / "infill"). All are pure functions over PIL images; outside
the mask (below ``HOLE_LEVEL``) the output is exactly the input, inside nothing
of the original survives except with ``"original"``.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .fill import HOLE_LEVEL, fill_array, hole_of
from .params import PREFILL_METHODS

# Width (pixels) of the ring around a hole whose average is the "colour" fill.
RING = 12
# Sigma (pixels) of the blur that smooths the "blur" fill inside the hole.
BLUR_SIGMA = 6.0

__all__ = ["HOLE_LEVEL", "PREFILL_METHODS", "prefill"]


def prefill(image: Image.Image, mask: Image.Image, method: str, *, seed: int = 0) -> Image.Image:
    """``image`` (RGB) with the painted part of ``mask`` pre-filled by ``method``.

    ``mask`` is scaled to the image if its size differs (bilinear, like the
    engine). Raises ``ValueError`` for an unknown method.
    """
    if method not in PREFILL_METHODS:
        raise ValueError(f"unknown pre-fill {method!r}; choose one of {', '.join(PREFILL_METHODS)}")
    rgb = image.convert("RGB")
    grey = mask.convert("L")
    if grey.size != rgb.size:
        grey = grey.resize(rgb.size, Image.Resampling.BILINEAR)
    array = np.asarray(rgb, dtype=np.uint8)
    hole = hole_of(grey)
    if method == "original" or not hole.any():
        return Image.fromarray(array.copy(), "RGB")
    if method == "patchmatch":
        out = fill_array(array, hole, seed=seed)
    elif method == "blur":
        out = _blur_fill(array, hole)
    elif method == "colour":
        out = _colour_fill(array, hole)
    else:
        out = _edge_fill(array, hole)
    out = np.where(hole[:, :, None], out, array)
    return Image.fromarray(out.astype(np.uint8), "RGB")


def _no_source(array: np.ndarray) -> np.ndarray:
    """Everything is painted: a neutral grey (there is nothing around to copy)."""
    return np.full_like(array, 128)


def _blur_fill(array: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Push-pull: known pixels averaged down a pyramid, holes filled from coarser levels.

    Only known pixels carry weight, so the result is a smooth continuation of
    the surroundings with no trace of what was under the mask; a final blur
    inside the hole removes the pyramid's blockiness.
    """
    if hole.all():
        return _no_source(array)
    weight = (~hole).astype(np.float32)
    colour = array.astype(np.float32) * weight[:, :, None]
    levels: list[tuple[np.ndarray, np.ndarray]] = [(colour, weight)]
    while min(levels[-1][1].shape) > 2 and levels[-1][1].min() == 0.0:
        c, w = levels[-1]
        size = (max(1, (w.shape[1] + 1) // 2), max(1, (w.shape[0] + 1) // 2))
        levels.append(
            (
                cv2.resize(c, size, interpolation=cv2.INTER_AREA),
                cv2.resize(w, size, interpolation=cv2.INTER_AREA),
            )
        )
    c, w = levels[-1]
    if w.max() == 0:
        return _no_source(array)
    # The coarsest level: fill any still-empty pixel with the known average.
    estimate = c / np.maximum(w, 1e-6)[:, :, None]
    mean = c.reshape(-1, 3).sum(axis=0) / max(w.sum(), 1e-6)
    estimate[w == 0] = mean
    for c, w in reversed(levels[:-1]):
        up = cv2.resize(estimate, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR)
        trust = np.clip(w, 0.0, 1.0)[:, :, None]
        estimate = c / np.maximum(w, 1e-6)[:, :, None] * trust + up * (1.0 - trust)
    smooth = cv2.GaussianBlur(estimate, (0, 0), BLUR_SIGMA)
    out = np.where(hole[:, :, None], smooth, array)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _colour_fill(array: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Each separate painted part takes the average colour of a ring around it."""
    if hole.all():
        return _no_source(array)
    out = array.copy()
    count, labels = cv2.connectedComponents(hole.astype(np.uint8), connectivity=8)
    ring_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    known_mean = array[~hole].reshape(-1, 3).mean(axis=0)
    for label in range(1, count):
        part = labels == label
        ring = (cv2.dilate(part.astype(np.uint8), ring_kernel) > 0) & ~hole
        colour = array[ring].mean(axis=0) if ring.any() else known_mean
        out[part] = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
    return out


def _edge_fill(array: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Each painted pixel takes the colour of the nearest known pixel (edges stretched)."""
    if hole.all():
        return _no_source(array)
    # distanceTransform's labels name the nearest zero (known) pixel of each pixel.
    _, labels = cv2.distanceTransformWithLabels(
        hole.astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    known_y, known_x = np.nonzero(~hole)
    # Labels number the known pixels in raster order, starting at 1.
    order = np.argsort(known_y * hole.shape[1] + known_x, kind="stable")
    lookup_y, lookup_x = known_y[order], known_x[order]
    index = labels[hole] - 1
    out = array.copy()
    out[hole] = array[lookup_y[index], lookup_x[index]]
    return out
