"""Image preparation and encoding: modes, orientation, sizing, limits."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint import images as imgs
from inpaint.client import ModelsLabClient
from inpaint.contract import UPLOAD_LIMIT_BYTES
from inpaint.errors import InputImageError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (200, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = encode(img, "JPEG", exif=exif)
    out = imgs.to_rgb(imgs.load_image(data))
    assert out.size == (20, 40)


def test_transparency_is_flattened_on_white():
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    img.putpixel((0, 0), (0, 0, 255, 255))
    out = imgs.to_rgb(img)
    assert out.mode == "RGB"
    assert out.getpixel((1, 1)) == (255, 255, 255)
    assert out.getpixel((0, 0)) == (0, 0, 255)


@pytest.mark.parametrize("mode", ["CMYK", "P", "L", "LA", "1", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    base = Image.new("RGB", (8, 8), (100, 150, 200))
    if mode == "I;16":
        img = Image.fromarray(np.full((8, 8), 40000, np.uint16))
    else:
        img = base.convert(mode)
    out = imgs.to_rgb(img)
    assert out.mode == "RGB" and out.size == (8, 8)
    if mode == "I;16":
        assert 150 <= out.getpixel((0, 0))[0] <= 160  # 40000/65535 of white


def test_numpy_arrays_of_common_shapes():
    assert imgs.load_image(np.zeros((5, 6), bool)).size == (6, 5)
    assert imgs.load_image(np.ones((5, 6, 3), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    assert imgs.load_image(np.zeros((5, 6, 4), np.uint8)).mode == "RGBA"
    with pytest.raises(InputImageError, match="shape"):
        imgs.load_image(np.zeros((5, 6, 2), np.uint8))


@pytest.mark.parametrize(
    "size,expected",
    [
        ((451, 300), (448, 296)),
        ((600, 400), (600, 400)),
        ((4000, 3000), (1024, 768)),
        ((3000, 4000), (768, 1024)),
        ((5000, 100), (1024, 16)),
        ((3, 3), (8, 8)),
    ],
)
def test_fit_size_keeps_aspect_within_1024_in_multiples_of_8(size, expected):
    assert imgs.fit_size(*size) == expected


def test_non_image_and_missing_files_get_plain_messages(tmp_path):
    with pytest.raises(InputImageError, match="not an image"):
        imgs.load_image(b"%PDF-1.4 definitely not a picture")
    with pytest.raises(InputImageError, match="does not exist"):
        imgs.load_image(tmp_path / "nope.png")
    with pytest.raises(InputImageError, match="no image"):
        imgs.load_image(None)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InputImageError, match="too large"):
        imgs.load_image(bomb_png(60_000, 60_000))


def test_photo_encodes_as_png_and_noise_falls_back_under_the_limit():
    photo = Image.open(EXAMPLES / "astronaut.png").convert("RGB")
    data, mime = imgs.encode_for_upload(photo)
    assert mime == "image/png"
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), np.uint8))
    data, mime = imgs.encode_for_upload(noise)  # raw-size PNG still fits 5 MB of base64
    assert len(base64.b64encode(data)) < UPLOAD_LIMIT_BYTES
    data, mime = imgs.encode_for_upload(noise, limit=2_000_000)
    assert mime == "image/jpeg"
    assert len(base64.b64encode(data)) < 2_000_000


def test_mask_is_encoded_single_channel_and_small():
    mask = Image.new("L", (1024, 1024), 0)
    mask.paste(255, (100, 100, 600, 500))
    data = imgs.encode_mask(mask)
    assert Image.open(io.BytesIO(data)).mode == "L"
    assert len(data) < 20_000


@pytest.mark.parametrize(
    "text",
    [
        "data:image/png;base64,{b}",
        "{b}",
        "  {b}\n",
        "{b_nopad}",
        "data:image/png;base64,{b_url}",
    ],
)
def test_base64_payload_shapes(text):
    raw = encode(Image.new("RGB", (3, 3), (9, 9, 9)))
    b = base64.b64encode(raw).decode()
    payload = text.format(b=b, b_nopad=b.rstrip("="), b_url=base64.urlsafe_b64encode(raw).decode())
    assert imgs.decode_base64_payload(payload) == raw


def test_prepare_aligns_mask_and_derives_size():
    client = ModelsLabClient(api_key="k", base_url="http://127.0.0.1:9/api")
    image = Image.new("RGB", (2000, 1000), (50, 60, 70))
    mask = Image.new("L", (500, 250), 0)  # drawn at a quarter of the resolution
    mask.paste(255, (250, 0, 500, 250))  # right half
    img, msk, w, h = client.jobs.prepare(image, mask)
    assert (w, h) == (1024, 512) and img.size == msk.size == (1024, 512)
    arr = np.asarray(msk)
    assert set(np.unique(arr)) == {0, 255}
    assert arr[:, :510].max() == 0 and arr[:, 514:].min() == 255


def test_prepare_honours_one_given_side():
    client = ModelsLabClient(api_key="k", base_url="http://127.0.0.1:9/api")
    image = Image.new("RGB", (600, 400))
    mask = Image.new("L", (600, 400), 255)
    assert client.jobs.prepare(image, mask, width=300)[2:] == (300, 200)
    assert client.jobs.prepare(image, mask, width=512, height=512)[2:] == (512, 512)


@pytest.mark.parametrize(
    ("width", "height", "init", "expected"),
    [
        (None, None, (451, 300), (448, 296)),
        (None, None, (2048, 1024), (1024, 512)),
        (512, None, (400, 200), (512, 256)),
        (None, 300, (400, 200), (600, 300)),
        (320, 200, (451, 300), (320, 200)),
    ],
)
def test_output_size_one_rule_for_client_and_server(width, height, init, expected):
    assert imgs.output_size(init, width, height) == expected
