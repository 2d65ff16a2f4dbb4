"""The bad (and awkward) inputs of issue 4, as files, shared by every layer's tests.

One list, ``CASES``, drives the library tests, the local server's tests and
the studio's ``/inpaint`` endpoint tests, so all three are held to the same
decision for each input:

* awkward but valid images (CMYK, 16-bit, palette with transparency, EXIF
  rotated, animated GIF, a 1 x 1 pixel) and an all-white mask are normalised
  and **work**; so do long and emoji prompts;
* everything else is refused with a message naming the problem (``needle``).

Images are generated here rather than stored, so it is visible what each one is.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

SIZE = (96, 64)  # small, so the whole matrix is quick; a multiple of 8
BOX = (30, 18, 66, 46)  # the painted rectangle, in pixels of SIZE


def photo(size: tuple[int, int] = SIZE) -> Image.Image:
    """A busy RGB picture: gradients and stripes, so any fill is visible."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack(
        [
            (xx * 255 // max(w - 1, 1)),
            (yy * 255 // max(h - 1, 1)),
            ((xx // 4 + yy // 4) % 2) * 200 + 20,
        ],
        axis=2,
    ).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def box_mask(size: tuple[int, int] = SIZE, box: tuple[int, int, int, int] = BOX) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def encode(img: Image.Image, fmt: str = "PNG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def noisy_photo(size: tuple[int, int] = SIZE) -> Image.Image:
    """Random pixels: a PNG of them is large enough that half of it is missing data."""
    rng = np.random.default_rng(4)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    # A handful of zero rows: enough to look real, far from the claimed size.
    idat = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def cmyk_jpeg() -> bytes:
    return encode(photo().convert("CMYK"), "JPEG", quality=95)


def png16() -> bytes:
    grey = np.asarray(photo().convert("L"), np.uint16) * 257  # full 16-bit range
    return encode(Image.fromarray(grey))  # uint16 -> mode I;16


def palette_with_transparency() -> bytes:
    img = photo().convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    return encode(img, transparency=0)


def exif_rotated_jpeg() -> bytes:
    """Stored 64 x 96 (portrait), shown 96 x 64: orientation 6 turns it 90° clockwise.

    The mask is drawn on the picture as shown, so it only lines up if the
    orientation is honoured.
    """
    stored = photo().transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(stored, "JPEG", quality=95, subsampling=0, exif=exif.tobytes())


def animated_gif() -> bytes:
    frames = [photo(), photo().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    """One input. ``image``/``mask`` make bytes (None: not given); ``needle`` is the
    words the refusal must contain, or None when the input must work."""

    name: str
    image: Callable[[], bytes | None] = lambda: encode(photo())
    mask: Callable[[], bytes | None] = lambda: encode(box_mask())
    params: dict[str, Any] = field(default_factory=dict)
    needle: str | None = None  # a regular expression
    image_name: str = "image.png"
    #  The size the result must have, when it works (the image as the user saw it).
    size: tuple[int, int] = SIZE

    @property
    def works(self) -> bool:
        return self.needle is None

    def write(self, folder: Path) -> tuple[str | None, str | None]:
        """The image and mask as files in ``folder`` (None for a missing one)."""
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[str | None] = []
        for name, make in ((self.image_name, self.image), ("mask.png", self.mask)):
            data = make()
            if data is None:
                paths.append(None)
                continue
            path = folder / f"{self.name}-{name}"
            path.write_bytes(data)
            paths.append(str(path))
        return paths[0], paths[1]


PROMPT = "a field of sunflowers"

CASES: list[Case] = [
    # -- images and masks -------------------------------------------------------------
    Case("no-image", image=lambda: None, needle="no image|init_image is required"),
    Case("empty-mask", mask=lambda: encode(Image.new("L", SIZE, 0)), needle="paint"),
    Case("all-white-mask", mask=lambda: encode(Image.new("L", SIZE, 255))),
    Case(
        "1x1-image",
        image=lambda: encode(photo((1, 1))),
        mask=lambda: encode(Image.new("L", (1, 1), 255)),
        size=(1, 1),
    ),
    Case("decompression-bomb", image=bomb_png, needle="too large"),
    Case("truncated-png", image=lambda: truncated(encode(noisy_photo())), needle="truncated"),
    Case(
        "text-file-named-png",
        image=lambda: b"hello, I am not a picture\n" * 20,
        needle="not an image",
    ),
    Case("cmyk-jpeg", image=cmyk_jpeg, image_name="image.jpg"),
    Case("16-bit-png", image=png16),
    Case("palette-png-with-transparency", image=palette_with_transparency),
    Case("exif-rotated-jpeg", image=exif_rotated_jpeg, image_name="image.jpg"),
    Case("animated-gif", image=animated_gif, image_name="image.gif"),
    # -- prompts ------------------------------------------------------------------------
    Case("empty-prompt", params={"prompt": ""}, needle="prompt"),
    Case("2000-character-prompt", params={"prompt": ("sunflowers " * 200)[:2000]}),
    Case(
        "10000-character-prompt",
        params={"prompt": ("sunflowers " * 1000)[:10_000]},
        needle="10000 characters long: at most 2000",
    ),
    Case("emoji-prompt", params={"prompt": "🌻🌻 a sunflower 🌞, naïve café"}),
    # -- parameters out of range or of the wrong type -----------------------------------
    Case("guidance-7", params={"guidance_scale": 7}, needle="guidance"),
    Case("samples-9", params={"samples": 9}, needle="samples"),
    Case("strength-1.5", params={"strength": 1.5}, needle="strength"),
    Case("width-2048", params={"width": 2048, "height": 512}, needle="width"),
    Case("steps-0", params={"num_inference_steps": 0}, needle="steps"),
    Case("seed-abc", params={"seed": "abc"}, needle="seed"),
    Case("webhook-not-a-url", params={"webhook": "not a url"}, needle="webhook"),
]

BY_CASE = {case.name: case for case in CASES}


def changed_box(
    before: Image.Image, after: Image.Image, threshold: int = 24
) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the pixels that changed noticeably."""
    a = np.asarray(before.convert("RGB"), np.int16)
    b = np.asarray(after.convert("RGB"), np.int16)
    changed = np.abs(a - b).max(axis=2) > threshold
    if not changed.any():
        return None
    rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
