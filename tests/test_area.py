"""The inpaint area: "auto" picks "only masked" where it keeps a big photo's detail.

The rule is pure geometry (``pipeline.choose_area``) and shared by the
library, the command line and the studio; the edits over real HTTP check that
a 12 MP photo's small edit comes back as sharp and as saturated as the photo.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import ModelsLabClient, pipeline
from inpaint.params import AUTO_AREA_GAIN
from inpaint.request import InpaintRequest
from inpaint.server import RunningServer, ServerConfig, serve_in_background

from .conftest import EXAMPLES

KEY = "area-test-key"
BIG = (4000, 3000)


def ellipse(size: tuple[int, int], *boxes: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    for box in boxes:
        ImageDraw.Draw(mask).ellipse(box, fill=255)
    return mask


def scaled(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[int, ...]:
    """A box drawn on the 451 x 300 cat, in pixels of a photo of ``size``."""
    sx, sy = size[0] / 451, size[1] / 300
    return tuple(round(v * s) for v, s in zip(box, (sx, sy, sx, sy), strict=True))


NOSE = (228, 218, 298, 272)  # the cat's nose in the 451 x 300 example


@pytest.fixture(scope="module")
def cat_12mp() -> Image.Image:
    """The cat photo at a phone camera's 12 MP (as the issue's newcomer tried it)."""
    with Image.open(EXAMPLES / "chelsea.png") as src:
        return src.convert("RGB").resize(BIG, Image.Resampling.BICUBIC)


# -- the rule -------------------------------------------------------------------------
def test_auto_sends_only_the_masked_area_of_a_big_photo_with_a_small_edit():
    request = InpaintRequest(prompt="x")
    mask = ellipse(BIG, scaled(NOSE, BIG))
    assert request.crop_to_mask is None and request.mode == "auto"
    assert pipeline.choose_area(BIG, mask, request) is True
    assert pipeline.area_gain(BIG, mask, request) > 3  # 1024 px over ~1000 instead of 4000
    assert pipeline.with_area(request, BIG, mask).mode == "masked"


def test_auto_sends_the_whole_picture_where_nothing_would_be_gained():
    request = InpaintRequest(prompt="x")
    small = (451, 300)
    assert not pipeline.choose_area(small, ellipse(small, NOSE), request)  # sent at its size
    far = ellipse(BIG, (100, 100, 400, 400), (3500, 2500, 3900, 2900))  # two jobs: not auto
    assert pipeline.area_gain(BIG, far, request) == 0
    assert not pipeline.choose_area(BIG, far, request)
    most = ellipse(BIG, (300, 200, 3700, 2800))  # the box is nearly the photo
    assert pipeline.area_gain(BIG, most, request) < AUTO_AREA_GAIN
    assert not pipeline.choose_area(BIG, most, request)


def test_an_explicit_choice_and_url_transport_are_kept():
    mask = ellipse(BIG, scaled(NOSE, BIG))
    assert not pipeline.choose_area(BIG, mask, InpaintRequest(prompt="x", crop_to_mask=False))
    url = InpaintRequest(prompt="x", transport="url")
    assert not pipeline.choose_area(BIG, mask, url)
    # Without paste-back the API's image is the result: auto never hands back a crop.
    assert not pipeline.choose_area(BIG, mask, InpaintRequest(prompt="x", paste_back=False))
    small = (451, 300)
    forced = InpaintRequest(prompt="x", crop_to_mask=True)
    assert pipeline.choose_area(small, ellipse(small, NOSE), forced)


def test_auto_is_recorded_as_the_area_chosen_and_restores_as_auto():
    assert InpaintRequest(prompt="x").recorded()["mode"] == "auto"
    assert InpaintRequest.from_recorded({"prompt": "p", "mode": "auto"}).crop_to_mask is None
    assert InpaintRequest.from_recorded({"prompt": "p", "mode": "whole"}).crop_to_mask is False
    assert InpaintRequest(prompt="x").cli_args() == ["--prompt=x"]  # auto is the default
    assert "--no-crop-to-mask" in InpaintRequest(prompt="x", crop_to_mask=False).cli_args()


# -- over real HTTP -------------------------------------------------------------------
def tone(image: Image.Image, where: np.ndarray) -> tuple[float, float, float]:
    """Mean brightness, mean saturation and mean detail (|Laplacian|) over ``where``."""
    rgb = np.asarray(image.convert("RGB"))
    grey = rgb.astype(np.float32).mean(axis=2)
    sat = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1].astype(np.float32)
    detail = np.abs(cv2.Laplacian(grey, cv2.CV_32F))
    return float(grey[where].mean()), float(sat[where].mean()), float(detail[where].mean())


@pytest.fixture(scope="module")
def patchmatch_server() -> Iterator[RunningServer]:
    """The offline default engine: what a newcomer without a key gets."""
    running = serve_in_background(ServerConfig(latency=0.0, engine="patchmatch"))
    try:
        yield running
    finally:
        running.stop()


def test_a_small_edit_on_a_12mp_photo_comes_back_as_sharp_and_not_paler(
    patchmatch_server, cat_12mp
):
    """The newcomer's case: the cat's nose removed from a 4000 x 3000 photo.

    The whole picture goes at 1024 x 768: the fill is made at a quarter of the
    photo's scale (there it copies the pale chin fur) and blown up 3.9x, a
    pale, soft patch. Auto sends the area around the nose at 1024 px instead:
    as bright and at least as detailed as the fur around it. Put-back itself
    never pales: the whole picture's pasted area has the job's own colours.
    """
    mask = ellipse(BIG, scaled(NOSE, BIG))
    inside = np.asarray(mask) > 0
    ring = (cv2.dilate(inside.astype(np.uint8), np.ones((301, 301), np.uint8)) > 0) & ~inside
    base = patchmatch_server.base_url
    with ModelsLabClient(api_key=KEY, base_url=base) as client:
        auto = client.inpaint(cat_12mp, mask, prompt="fur", seed=3, transport="base64")
        whole = client.inpaint(
            cat_12mp, mask, prompt="fur", seed=3, transport="base64", crop_to_mask=False
        )
    assert auto.parameters["mode"] == "masked" and len(auto.regions) == 1
    assert max(auto.sent["width"], auto.sent["height"]) == 1024
    around = tone(cat_12mp, ring)
    lum, sat, detail = tone(auto.images[0], inside)
    assert abs(lum - around[0]) < 8  # not paler (nor darker) than the fur
    assert sat > around[1] - 25  # not washed out
    assert detail > 0.8 * around[2]  # as sharp as the photo, not a blown-up patch
    assert detail > tone(whole.images[0], inside)[2]
    raw = whole.jobs[0].images[0].convert("RGB")
    small = np.asarray(mask.resize(raw.size, Image.Resampling.BOX)) > 127
    pasted, sent_back = tone(whole.images[0], inside), tone(raw, small)
    assert abs(pasted[0] - sent_back[0]) < 1.5 and abs(pasted[1] - sent_back[1]) < 2.5


def test_a_paling_model_does_not_pale_a_12mp_whole_picture_edit(cat_12mp) -> None:
    """A model that returns the whole picture washed out (+18 levels everywhere, as a
    diffusion round trip can) at 1024 px: colour matching measures the drift on the
    upscaled result against the photo and undoes it, so the pasted area is as bright
    as a faithful model's."""
    mask = ellipse(BIG, scaled(NOSE, BIG))
    inside = np.asarray(mask) > 0
    results = []
    for shift in (None, (18, 18, 18)):
        server = serve_in_background(ServerConfig(latency=0.0, engine="quick", colour_shift=shift))
        try:
            with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
                result = client.inpaint(
                    cat_12mp, mask, prompt="fur", seed=3, transport="base64", crop_to_mask=False
                )
        finally:
            server.stop()
        results.append(tone(result.images[0], inside))
    faithful, paling = results
    assert abs(paling[0] - faithful[0]) < 2.5 and abs(paling[1] - faithful[1]) < 4
