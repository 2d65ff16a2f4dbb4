"""Loading, normalising, sizing and encoding images.

Pure functions over PIL images and bytes (fetching a URL is the only I/O, and
it takes the caller's HTTP session). The client uses them to prepare what it
sends; the local server uses the same ones to read what it receives, so both
sides agree on what a valid image is.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from .contract import MAX_SIDE, UPLOAD_LIMIT_BYTES
from .errors import InputImageError

# Anything larger than this is refused before its pixels are decoded: a small
# PNG can claim gigapixels and exhaust memory (a "decompression bomb").
MAX_INPUT_PIXELS = 40_000_000
MAX_INPUT_BYTES = 50 * 1024 * 1024

ImageSource = Image.Image | np.ndarray | str | os.PathLike | bytes | bytearray

_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?),", re.I)


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def is_data_uri(value: Any) -> bool:
    return isinstance(value, str) and value[:5].lower() == "data:"


# -- base64 -----------------------------------------------------------------
def to_data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def decode_base64_payload(text: str | bytes) -> bytes:
    """Decode a data URI or bare base64 text, tolerating whitespace and lost padding.

    The API returns base64 outputs in several shapes (data URI, bare text, a
    URL whose body is the text); this is the one place that reads them all.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="strict")
    text = text.strip()
    match = _DATA_URI.match(text)
    if match:
        text = text[match.end() :]
    if not len(text) % 4 and "-" not in text and "_" not in text:
        # The common case, megabytes of clean base64: no regex pass over it.
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
    text = re.sub(r"\s+", "", text)
    text += "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputImageError("the data is not valid base64") from None


def looks_like_base64_text(data: bytes) -> bool:
    """True when a downloaded body is base64 text rather than image bytes."""
    head = data[:64].lstrip()
    if head[:5].lower() == b"data:":
        return True
    return bool(head) and re.fullmatch(rb"[A-Za-z0-9+/=_\-\s]+", head) is not None


# -- opening ----------------------------------------------------------------
SizeHint = Callable[[tuple[int, int]], tuple[int, int]]


def open_image_bytes(
    data: bytes, *, what: str = "image", reduce_for: SizeHint | None = None, _load: bool = True
) -> Image.Image:
    """Open image bytes, refusing non-images and decompression bombs plainly.

    ``reduce_for`` maps the upright size to the size the caller will resize to;
    a JPEG is then decoded at the smallest DCT scale (1/2, 1/4, 1/8) that is
    still at least that large, which is several times faster than decoding
    every pixel and throwing most away. Only for callers that send the whole
    picture downscaled: anything that crops from the original must not pass it.
    """
    if not data:
        raise InputImageError(f"the {what} is empty")
    if len(data) > MAX_INPUT_BYTES:
        raise InputImageError(
            f"the {what} file is too large ({len(data) / 1e6:.0f} MB; "
            f"the limit is {MAX_INPUT_BYTES // (1024 * 1024)} MB)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            _check_pixels(img, what)
            if reduce_for is not None:
                _draft(img, reduce_for)
            if _load:
                img.load()
    except InputImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputImageError(
            f"the {what} is too large to process safely (its header claims too many pixels)"
        ) from None
    except OSError as exc:  # UnidentifiedImageError included
        if "truncated" in str(exc) or "broken" in str(exc).lower():
            raise InputImageError(
                f"the {what} file is damaged or incomplete (truncated); save or upload it again"
            ) from None
        raise InputImageError(
            f"the {what} is not an image this tool can read (use PNG, JPEG or WebP)"
        ) from None
    except (SyntaxError, ValueError):
        raise InputImageError(
            f"the {what} is not an image this tool can read (use PNG, JPEG or WebP)"
        ) from None
    return img


def check_image_bytes(data: bytes, *, what: str = "image") -> Image.Image:
    """Like ``open_image_bytes`` but without decoding the pixels: header, size
    and (for PNG) every chunk's checksum. For storing an upload as sent; the
    pixels are decoded once, where they are used. The image returned is not loaded.
    """
    image = open_image_bytes(data, what=what, _load=False)
    try:
        Image.open(io.BytesIO(data)).verify()
    except Exception:
        raise InputImageError(
            f"the {what} is damaged or truncated (use PNG, JPEG or WebP)"
        ) from None
    return image


def _draft(img: Image.Image, reduce_for: SizeHint) -> None:
    if img.format != "JPEG":
        return
    rotated = exif_orientation(img) in (5, 6, 7, 8)
    upright = img.size[::-1] if rotated else img.size
    target = reduce_for(upright)
    if target[0] >= upright[0] and target[1] >= upright[1]:
        return
    img.draft(None, (target[1], target[0]) if rotated else (target[0], target[1]))


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1 = upright), read without decoding the pixels."""
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except (TypeError, ValueError, OSError, SyntaxError):
        return 1


def _check_pixels(img: Image.Image, what: str) -> None:
    width, height = img.size
    if width < 1 or height < 1:
        raise InputImageError(f"the {what} has no pixels")
    if width * height > MAX_INPUT_PIXELS:
        raise InputImageError(
            f"the {what} is too large ({width} x {height} pixels; "
            f"the limit is {MAX_INPUT_PIXELS // 1_000_000} megapixels)"
        )


def array_to_image(array: np.ndarray) -> Image.Image:
    """numpy -> PIL for the shapes people actually pass (HxW, HxWx1/3/4, bool, float)."""
    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InputImageError(f"an image array must be HxW, HxWx3 or HxWx4 (got shape {arr.shape})")
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.floating):
        scale = 255.0 if arr.size and float(np.nanmax(arr)) <= 1.0 else 1.0
        arr = np.clip(np.nan_to_num(arr) * scale, 0, 255).astype(np.uint8)
    elif arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.shape[0] * arr.shape[1] > MAX_INPUT_PIXELS:
        raise InputImageError("the image array is too large")
    return Image.fromarray(arr)


def load_image(
    source: ImageSource,
    *,
    what: str = "image",
    fetch: Any = None,
    reduce_for: SizeHint | None = None,
    lazy: bool = False,
) -> Image.Image:
    """Turn any accepted source into a PIL image (not yet normalised).

    ``lazy`` reads only the header of an encoded source (its size and
    orientation); the pixels are not decoded.

    ``fetch`` is a callable ``url -> bytes`` used for http(s) URLs, so this
    module never opens network connections of its own. ``reduce_for``: see
    ``open_image_bytes`` (encoded sources only; a PIL image is returned as is).
    """
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return array_to_image(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return open_image_bytes(bytes(source), what=what, reduce_for=reduce_for, _load=not lazy)
    if isinstance(source, str) and is_data_uri(source):
        return open_image_bytes(
            decode_base64_payload(source), what=what, reduce_for=reduce_for, _load=not lazy
        )
    if is_url(source):
        if fetch is None:
            raise InputImageError(f"the {what} is a URL but no downloader was given")
        return open_image_bytes(fetch(source), what=what, reduce_for=reduce_for)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise InputImageError(f"the {what} file does not exist: {path}")
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputImageError(f"the {what} file is too large: {path}")
        return open_image_bytes(path.read_bytes(), what=what, reduce_for=reduce_for, _load=not lazy)
    if source is None:
        raise InputImageError(f"no {what} was given")
    raise InputImageError(f"cannot read the {what} from a {type(source).__name__}")


# -- normalising ------------------------------------------------------------
def to_rgb(img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Upright 8-bit RGB: EXIF orientation applied, transparency flattened on white.

    Covers the modes that arrive from cameras, scanners and editors: CMYK,
    palette (with or without transparency), 16- and 32-bit greyscale, LA/RGBA.
    """
    img = upright(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        arr = np.clip(arr / top * 255.0, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr, "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, background)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if img.mode == "CMYK":
        # PIL's CMYK->RGB is naive but inverted-Adobe JPEGs are rare enough.
        return img.convert("RGB")
    return img.convert("RGB") if img.mode != "RGB" else img


def upright_size(img: Image.Image) -> tuple[int, int]:
    """The size of ``img`` once upright, without turning (or decoding) it."""
    return (img.height, img.width) if exif_orientation(img) in (5, 6, 7, 8) else img.size


def upright(img: Image.Image) -> Image.Image:
    """EXIF orientation applied; an already upright image is returned as is.

    ``ImageOps.exif_transpose`` copies every pixel even when there is nothing
    to turn, 50 MB for a 12-megapixel RGBA layer.
    """
    if exif_orientation(img) == 1:
        return img
    return ImageOps.exif_transpose(img) or img


def fit_size(
    width: int, height: int, max_side: int = MAX_SIDE, multiple: int = 8
) -> tuple[int, int]:
    """Largest size within ``max_side`` square, same aspect, sides multiples of ``multiple``.

    Small images are not enlarged; each side is rounded down to the multiple
    (never below one multiple).
    """
    return fit_within((width, height), (max_side, max_side), multiple, enlarge=False)


def fit_within(
    size: tuple[int, int], limit: tuple[int, int], multiple: int = 8, *, enlarge: bool = True
) -> tuple[int, int]:
    """The largest size within ``limit`` with ``size``'s aspect, sides multiples of 8.

    ``enlarge`` also scales small sizes up: "only masked" mode sends a small
    painted area at the largest size the API allows, so the model works at its
    resolution and the result is scaled down into place.
    """
    w, h = size
    scale = min(limit[0] / w, limit[1] / h)
    if not enlarge:
        scale = min(1.0, scale)
    sw = max(multiple, int(w * scale + 1e-9) // multiple * multiple)
    sh = max(multiple, int(h * scale + 1e-9) // multiple * multiple)
    return sw, sh


def output_size(
    size: tuple[int, int], width: int | None = None, height: int | None = None
) -> tuple[int, int]:
    """The size a job makes from an image of ``size``: the one asked for, or derived.

    The one rule for both sides (the client sends at this size; the local
    server answers a request that leaves width/height out with it). Both
    given: exactly that. One given: the other follows the image's aspect,
    rounded to a multiple of 8 within the API's maximum. Neither: the image
    fitted within 1024 x 1024 in multiples of 8, never enlarged.
    """
    if width and height:
        return int(width), int(height)
    if width:
        return int(width), _multiple_of_8(int(width) * size[1] / size[0])
    if height:
        return _multiple_of_8(int(height) * size[0] / size[1]), int(height)
    return fit_size(*size)


def _multiple_of_8(value: float) -> int:
    return int(min(MAX_SIDE, max(8, round(value / 8) * 8)))


def resize_to(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    if img.size == size:
        return img
    return img.resize(size, Image.Resampling.LANCZOS)


# -- encoding ---------------------------------------------------------------
def encode_png(img: Image.Image, level: int = 1) -> bytes:
    """Lossless PNG, tuned for photos: zlib level 1 with the run-length strategy.

    PNG's row filters turn a photo into small residuals, which run-length
    coding compresses about as well as full deflate: on 1024 x 1024 photos it
    is 10-20 % smaller than level 1 and about 35 % faster than level 3
    (benchmarks/prepare.py; profile in benchmarks/RESULTS.md).
    """
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=level, compress_type=zlib.Z_RLE)
    return buf.getvalue()


def save_png(img: Image.Image, path: str | os.PathLike) -> None:
    """Write a lossless PNG with ``encode_png``'s fast settings (PIL's default,
    level 6, is about 4x slower; under load the studio's saves were a large
    part of its time per job)."""
    Path(path).write_bytes(encode_png(img))


def encode_for_upload(img: Image.Image, limit: int = UPLOAD_LIMIT_BYTES) -> tuple[bytes, str]:
    """Lossless PNG when it fits, else high-quality JPEG, always under ``limit``.

    The limit is applied to the base64 text (4/3 of the bytes), since that is
    what travels in the JSON body.
    """
    budget = limit * 3 // 4 - 64
    data = encode_png(img)
    if len(data) <= budget:
        return data, "image/png"
    rgb = img.convert("RGB")
    for quality in (95, 90, 85, 75, 60):
        buf = io.BytesIO()
        # No optimize=True: with incompressible content libjpeg's buffer overflows.
        rgb.save(buf, format="JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
        if buf.tell() <= budget:
            return buf.getvalue(), "image/jpeg"
    raise InputImageError("the image cannot be encoded under the 5 MB upload limit")


def encode_mask(mask: Image.Image) -> bytes:
    """Single-channel PNG: a 1024x1024 binary mask is a few kilobytes."""
    buf = io.BytesIO()
    mask.convert("L").save(buf, format="PNG", optimize=True)
    return buf.getvalue()
