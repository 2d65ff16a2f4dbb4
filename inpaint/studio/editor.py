"""From what the studio's inputs hand over to an image and an aligned mask.

The page hands over an editor-shaped value, ``{"background", "layers",
"composite"}``: the photo at full resolution (its own upload, see
``studio.browser``) and one transparent layer per paint layer, each the
editor's whole fixed canvas. The mask is the union of the layers' paint,
mapped onto the photo (``studio.canvas``: the bands beside it cropped, the
rest scaled to the photo's own resolution). A separately uploaded mask file is
the alternative to painting, and it wins when both are present (the page says
so) because a file is the more deliberate choice.

Images may arrive as PIL images, numpy arrays or file paths (the API and the
browser use different ones), so everything goes through ``images.load_image``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from .. import images as imgs
from .. import masks
from ..errors import InputImageError
from . import canvas

NO_IMAGE_MESSAGE = "No image: upload a photo (or paste one, or use the webcam) first."
MASK_STRETCHED_NOTE = (
    "The uploaded mask is {mw} x {mh} but the image is {iw} x {ih}: "
    "it was stretched to fit, check the preview."
)


@dataclass
class EditorInputs:
    """The photo and the binary mask aligned to it, plus notes worth showing."""

    image: Image.Image
    mask: Image.Image
    source: str  # "painted" or "uploaded"
    notes: list[str] = field(default_factory=list)


def _load(value: Any, what: str) -> Image.Image | None:
    if value is None:
        return None
    if isinstance(value, dict):  # a gradio FileData-like dict from the API
        value = value.get("path") or value.get("url")
        if value is None:
            return None
    return imgs.load_image(value, what=what)


def background_image(value: dict[str, Any] | None) -> Image.Image | None:
    """The uploaded photo as RGB, or None when nothing (or only blank canvas) is there."""
    if not value:
        return None
    img = _load(value.get("background"), "image")
    if img is None:
        return None
    if img.mode in ("RGBA", "LA", "PA"):
        alpha = np.asarray(img.getchannel("A"))
        if not alpha.any():  # the editor's empty canvas, not a photo
            return None
    return imgs.to_rgb(img)


def layer_mask(layer: Image.Image, size: tuple[int, int]) -> Image.Image:
    """One paint layer -> binary mask at ``size``.

    The layer is the editor's whole canvas: the photo sits on it scaled to
    fit and centred (``canvas.photo_box``), so the bands beside it are cropped
    away before the rest is scaled onto the photo. A layer of the photo's own
    shape (an API caller's, at any resolution) is scaled whole.

    A layer with transparency is paint-on-glass: every pixel that carries any
    paint counts, whatever the brush colour or opacity (the editor's strokes
    are not anti-aliased, and a translucent brush must still mark its area).
    A fully opaque layer is a mask image (e.g. sent through the API): its
    brightness decides, as in ``masks.to_binary_mask``.
    """
    layer = canvas.crop_to_photo(layer, size)
    if layer.mode in ("RGBA", "LA", "PA") or (layer.mode == "P" and "transparency" in layer.info):
        alpha = layer.convert("RGBA").getchannel("A")
        if np.asarray(alpha).min() < 255:
            return masks.to_binary_mask(alpha, size, threshold=1)
        return masks.to_binary_mask(layer.convert("RGB"), size)
    return masks.to_binary_mask(layer, size)


def painted_mask(value: dict[str, Any] | None, size: tuple[int, int]) -> Image.Image:
    """Union of every paint layer, as a 0/255 ``L`` mask of ``size`` (may be empty)."""
    union = np.zeros((size[1], size[0]), dtype=np.uint8)
    for raw in (value or {}).get("layers") or []:
        layer = _load(raw, "paint layer")
        if layer is None:
            continue
        union = np.maximum(union, np.asarray(layer_mask(layer, size)))
    return Image.fromarray(union, "L")


def uploaded_mask(mask: Any, size: tuple[int, int]) -> tuple[Image.Image, list[str]]:
    """A separately uploaded mask file -> binary mask of ``size`` and notes.

    White repaints, black keeps; a transparent-background drawing counts its
    strokes. A mask of another shape is stretched, with a note, rather than
    refused: the preview shows the outcome.
    """
    raw = _load(mask, "mask")
    if raw is None:
        raise InputImageError("the mask file could not be read", field="mask_image")
    raw = ImageOps.exif_transpose(raw) or raw
    notes = []
    if _aspect_differs(raw.size, size):
        notes.append(
            MASK_STRETCHED_NOTE.format(mw=raw.size[0], mh=raw.size[1], iw=size[0], ih=size[1])
        )
    return masks.to_binary_mask(raw, size), notes


def _aspect_differs(a: tuple[int, int], b: tuple[int, int], tolerance: float = 0.01) -> bool:
    return abs(a[0] / a[1] - b[0] / b[1]) > tolerance * (b[0] / b[1])


def read_inputs(
    value: dict[str, Any] | None, mask_file: Any = None, photo: Image.Image | None = None
) -> EditorInputs:
    """The photo and its mask from the editor value and the optional mask upload.

    Raises ``InputImageError`` with the page's plain message when there is no
    photo. An empty mask is returned as is: whether that is an error depends on
    the mask tools (an inverted empty mask is a full one), so the caller decides.
    ``photo``: ``background_image(value)`` when the caller has it already (a
    12 MP photo's conversion is a tenth of a second).
    """
    image = photo if photo is not None else background_image(value)
    if image is None:
        raise InputImageError(NO_IMAGE_MESSAGE, field="init_image")
    mask, source, notes = read_mask(value, mask_file, image.size)
    return EditorInputs(image, mask, source, notes)


def read_mask(
    value: dict[str, Any] | None, mask_file: Any, size: tuple[int, int]
) -> tuple[Image.Image, str, list[str]]:
    """The mask for a photo of ``size``: the uploaded file if any, else the paint;
    with its source ("uploaded" or "painted") and notes worth showing."""
    if mask_file is not None:
        mask, notes = uploaded_mask(mask_file, size)
        if not masks.is_empty(painted_mask(value, size)):
            notes.append(
                "Using the uploaded mask file: painted strokes are ignored "
                "while a mask file is set (clear it to use your painting)."
            )
        return mask, "uploaded", notes
    return painted_mask(value, size), "painted", []


def photo_file(value: dict[str, Any] | None) -> tuple[str, tuple[int, int]] | None:
    """The uploaded photo's own file and its upright size, read from its header only.

    Generate keeps this file as it is (no decode, no PNG written: a 12 MP photo
    costs seconds to re-encode) and the pixels are decoded once, where they
    are used. None when the background is no file, or one with transparency
    (which may be the editor's empty canvas: ``background_image`` decides).
    Unreadable files and decompression bombs raise the plain ``InputImageError``.
    """
    raw = (value or {}).get("background")
    if isinstance(raw, dict):
        raw = raw.get("path")
    if not isinstance(raw, str) or not os.path.isfile(raw):
        return None
    header = imgs.check_image_bytes(Path(raw).read_bytes(), what="image")
    if header.mode not in ("RGB", "L", "CMYK", "YCbCr") or "transparency" in header.info:
        return None
    width, height = header.size
    if imgs.exif_orientation(header) in (5, 6, 7, 8):
        width, height = height, width
    return raw, (width, height)
