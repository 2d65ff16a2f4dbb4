"""Pre-fill over real HTTP: what the local server receives is the photo with the painted
area already filled, and exactly the photo everywhere else.

The client uploads the init image with ``base64_to_url``; the server keeps what it
received in its upload folder, which is read back here.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import InpaintRequest, ModelsLabClient, ParameterError
from inpaint.metadata import read_parameters

KEY = "prefill-key"
SIZE = (256, 192)  # a multiple of 8 within 1024: sent at its own size, no resampling
BOX = (96, 64, 160, 128)


def photo() -> Image.Image:
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0 : SIZE[1], 0 : SIZE[0]]
    base = np.stack([60 + 0.3 * x, 110 + 0.2 * y, 90 + 0.1 * x], axis=-1)
    arr = np.clip(base + rng.normal(0, 5, base.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(arr, "RGB")
    ImageDraw.Draw(image).ellipse((104, 72, 152, 120), fill=(250, 20, 200))  # the object
    return image


def mask() -> Image.Image:
    out = Image.new("L", SIZE, 0)
    ImageDraw.Draw(out).rectangle(BOX, fill=255)
    return out


def received_init(server) -> np.ndarray:
    """The RGB image among the server's uploads (the other one is the mask)."""
    uploads = sorted((server.app.state.storage.root / "uploads").iterdir())
    images = [Image.open(p) for p in uploads]
    [init] = [im for im in images if im.mode == "RGB"]
    return np.asarray(init)


@pytest.mark.parametrize("method", ["patchmatch", "blur", "colour"])
def test_the_server_receives_the_prefilled_photo(make_server, method, tmp_path) -> None:
    server = make_server()
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        result = client.inpaint(
            photo(), mask(), prompt="remove it", prefill=method, seed=2, transport="upload"
        )
    sent = received_init(server)
    original = np.asarray(photo())
    inside = np.asarray(mask()) > 0
    assert sent.shape == original.shape
    assert (sent[~inside] == original[~inside]).all()  # outside: the photo, bit for bit
    magenta = (sent[..., 0] > 200) & (sent[..., 1] < 60) & (sent[..., 2] > 150)
    assert magenta[inside].mean() < 0.01  # nothing of the painted object is sent
    assert result.parameters["prefill"] == method
    saved = result.save(tmp_path / "out.png")[0]
    assert read_parameters(saved)["prefill"] == method


def test_original_sends_the_photo_as_it_is(make_server) -> None:
    server = make_server()
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        client.inpaint(photo(), mask(), prompt="x", transport="upload")
    assert (received_init(server) == np.asarray(photo())).all()


def test_prefill_applies_to_each_region_in_only_masked_mode(make_server) -> None:
    server = make_server()
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        result = client.inpaint(
            photo(),
            mask(),
            prompt="x",
            transport="upload",
            crop_to_mask=True,
            mask_padding=16,
            prefill="patchmatch",
        )
    sent = received_init(server)
    magenta = (sent[..., 0] > 200) & (sent[..., 1] < 60) & (sent[..., 2] > 150)
    assert magenta.mean() < 0.002 and len(result.regions) == 1


def test_prefill_is_checked_before_anything_is_sent() -> None:
    with pytest.raises(ParameterError, match='prefill must be one of "original"'):
        InpaintRequest(prompt="x", prefill="smudge")
    with pytest.raises(ParameterError, match="prefill needs the image itself"):
        InpaintRequest(prompt="x", prefill="blur", transport="url")
