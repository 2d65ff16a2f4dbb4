"""Region mode and exact paste-back: geometry units, then the whole edit over real HTTP."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import ModelsLabClient, masks, metadata, region
from inpaint.errors import JobTimeoutError, ParameterError
from inpaint.region import Box

from .conftest import EXAMPLES

KEY = "region-test-key"


def blob_mask(size: tuple[int, int], *boxes: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for box in boxes:
        draw.ellipse(box, fill=255)
    return mask


@pytest.fixture(scope="module")
def big_photo() -> Image.Image:
    """A 12-megapixel photo (the coffee example enlarged to a phone camera's 4032 x 3024)."""
    with Image.open(EXAMPLES / "coffee.png") as src:
        return src.convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)


def outside_band(mask: Image.Image, feather: int) -> np.ndarray:
    """Pixels farther than the blend band from the mask (a disc one pixel wider)."""
    return np.asarray(masks.grow(mask, feather + 1)) == 0


# -- planning -------------------------------------------------------------------
def test_one_painted_area_gives_one_padded_region_sent_without_distortion():
    mask = blob_mask((4032, 3024), (2000, 1500, 2200, 1650))
    [r] = region.plan_regions(mask, padding=32)
    assert r.box.left <= 2000 - 32 and r.box.top <= 1500 - 32
    assert r.box.right >= 2201 + 32 and r.box.bottom >= 1651 + 32
    w, h = r.send_size
    assert w % 8 == 0 and h % 8 == 0 and max(w, h) == 1024 or max(w, h) > 1016
    assert abs(r.box.width / r.box.height - w / h) < 0.02


def test_far_apart_areas_are_separate_regions_and_close_ones_merge():
    far = blob_mask((4032, 3024), (100, 100, 300, 300), (3600, 2600, 3900, 2900))
    assert len(region.plan_regions(far, padding=32)) == 2
    close = blob_mask((4032, 3024), (100, 100, 300, 300), (400, 120, 600, 320))
    [merged] = region.plan_regions(close, padding=32)
    assert merged.box.left <= 68 and merged.box.right >= 633


def test_many_scattered_areas_are_capped():
    spots = [(x, y, x + 20, y + 20) for x in range(100, 4000, 900) for y in range(100, 3000, 900)]
    mask = blob_mask((4032, 3024), *spots)
    plan = region.plan_regions(mask, padding=16)
    assert 1 <= len(plan) <= region.MAX_REGIONS
    covered = np.zeros((3024, 4032), bool)
    for r in plan:
        covered[r.box.top : r.box.bottom, r.box.left : r.box.right] = True
    assert covered[np.asarray(mask) > 0].all()  # every painted pixel is in some region


def test_a_thin_stroke_gets_enough_context_across_it():
    mask = Image.new("L", (4000, 3000), 0)
    ImageDraw.Draw(mask).line((200, 1500, 3800, 1500), fill=255, width=6)
    [r] = region.plan_regions(mask, padding=8)
    assert r.box.width <= region.MAX_ASPECT * r.box.height + 8
    assert min(r.send_size) >= 1024 / region.MAX_ASPECT - 8


def test_the_region_covers_the_blend_band_even_with_no_padding():
    mask = blob_mask((800, 600), (300, 200, 400, 300))
    [r] = region.plan_regions(mask, padding=0, feather=20)
    assert r.box.left <= 300 - 20 and r.box.right >= 401 + 20


def test_empty_mask_plans_nothing():
    assert region.plan_regions(Image.new("L", (64, 64), 0)) == []


def test_cut_keeps_a_stroke_thinner_than_a_pixel_after_scaling():
    mask = Image.new("L", (4000, 3000), 0)
    ImageDraw.Draw(mask).line((0, 10, 4000, 2990), fill=255, width=1)
    img = Image.new("RGB", mask.size, "gray")
    r = region.Region(Box(0, 0, 4000, 3000), (1024, 768))
    _, sent = region.cut(img, mask, r)
    rows = np.asarray(sent).max(axis=1)
    assert (rows[4:-4] == 255).all()  # a continuous line, not dashes


# -- paste-back -----------------------------------------------------------------
def test_paste_back_is_exact_outside_the_band_and_the_result_inside():
    rng = np.random.default_rng(1)
    original = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    result = Image.new("RGB", (200, 150), (250, 10, 10))  # a half-size result, as from the API
    mask = blob_mask((400, 300), (150, 100, 250, 200))
    out = region.paste_back(original, result, mask, feather=12)
    a, b = np.asarray(out), np.asarray(original)
    keep = outside_band(mask, 12)
    assert out.size == original.size
    assert (a[keep] == b[keep]).all()
    inside = np.asarray(mask) > 0
    assert (np.abs(a[inside].astype(int) - (250, 10, 10)) <= 1).all()
    band = ~keep & ~inside
    mid = a[band].astype(int)
    assert ((mid != b[band]).any(axis=1)).mean() > 0.5  # the band is actually blended


def test_blend_weights_fall_smoothly_to_zero_at_the_feather():
    mask = np.zeros((1, 60), np.uint8)
    mask[0, :20] = 255
    w = region.blend_weights(mask, 10)[0]
    assert (w[:20] == 1).all() and (w[30:] == 0).all()
    assert (np.diff(w[19:31]) <= 0).all() and 0 < w[25] < 1


def test_paste_back_into_a_box_touches_only_that_box():
    original = Image.new("RGB", (1000, 800), (30, 60, 90))
    mask = blob_mask((1000, 800), (600, 500, 700, 600))
    box = Box(550, 450, 750, 650)
    out = region.paste_back(
        original, Image.new("RGB", (256, 256), "white"), mask, box=box, feather=8
    )
    diff = np.any(np.asarray(out) != np.asarray(original), axis=2)
    ys, xs = np.nonzero(diff)
    assert diff.any() and xs.min() >= 550 and xs.max() < 750 and ys.min() >= 450


# -- the whole edit, over HTTP against the local server --------------------------
def client_for(server) -> ModelsLabClient:
    return ModelsLabClient(api_key=KEY, base_url=server.base_url)


@pytest.mark.parametrize("crop", [True, False], ids=["only-masked", "whole-picture"])
def test_full_resolution_edit_keeps_every_unpainted_pixel(server, big_photo, crop):
    mask = blob_mask(big_photo.size, (1800, 1200, 2300, 1600))
    with client_for(server) as client:
        result = client.inpaint(
            big_photo,
            mask,
            prompt="x",
            strength=1.0,
            seed=7,
            transport="base64",
            crop_to_mask=crop,
            mask_padding=48,
            feather=10,
        )
    [out] = result.images
    assert out.size == (4032, 3024)
    a, b = np.asarray(out), np.asarray(big_photo)
    keep = outside_band(mask, 10)
    assert (a[keep] == b[keep]).all()
    inside = np.asarray(mask) > 0
    assert np.abs(a[inside].astype(int) - b[inside]).mean() > 3
    if crop:  # only the area around the mask was sent, at the API's size
        assert result.sent["width"] <= 1024 and result.sent["height"] <= 1024
        assert len(result.regions) == 1 and result.parameters["mode"] == "masked"
    else:
        assert result.parameters["mode"] == "whole"


def test_far_apart_areas_are_separate_jobs_with_one_seed(server, big_photo):
    areas = ((200, 200, 400, 400), (3500, 2500, 3800, 2800))
    mask = blob_mask(big_photo.size, *areas)
    photo = big_photo.copy()
    for x0, y0, x1, y1 in areas:  # something to remove under each painted area
        ImageDraw.Draw(photo).rectangle((x0 + 50, y0 + 50, x1 - 50, y1 - 50), fill="white")
    with client_for(server) as client:
        result = client.inpaint(
            photo, mask, prompt="x", strength=1.0, samples=2, transport="base64", crop_to_mask=True
        )
    assert len(result.job_ids) == 2 and len(result.regions) == 2
    assert len(result.images) == 2 and all(i.size == photo.size for i in result.images)
    assert result.parameters["seed"] == result.seed is not None
    # The default blend width scales with the photo: 8 px per 1024 px of its long side.
    assert result.parameters["feather"] == 32 and result.parameters["mask_padding"] == 126
    for out in result.images:
        a, b = np.asarray(out), np.asarray(photo)
        keep = outside_band(mask, 32)
        assert (a[keep] == b[keep]).all()
        for box in areas:
            x0, y0, x1, y1 = box
            centre = (slice(y0 + 60, y1 - 60), slice(x0 + 60, x1 - 60))
            assert np.abs(a[centre].astype(int) - b[centre]).mean() > 40


def test_without_paste_back_the_whole_region_box_is_replaced(server, big_photo):
    mask = blob_mask(big_photo.size, (1800, 1200, 2300, 1600))
    with client_for(server) as client:
        result = client.inpaint(
            big_photo,
            mask,
            prompt="x",
            strength=1.0,
            transport="base64",
            crop_to_mask=True,
            paste_back=False,
        )
    assert result.images[0].size == big_photo.size
    x0, y0, x1, y1 = result.regions[0]
    outside = np.ones((3024, 4032), bool)
    outside[y0:y1, x0:x1] = False
    assert (np.asarray(result.images[0])[outside] == np.asarray(big_photo)[outside]).all()


def test_saved_pngs_carry_the_parameters_and_never_the_key(server, tmp_path):
    photo = Image.open(EXAMPLES / "chelsea.png").convert("RGB")
    mask = Image.open(EXAMPLES / "chelsea_mask.png")
    with client_for(server) as client:
        result = client.inpaint(
            photo,
            mask,
            prompt="a red scarf 🧣",
            negative_prompt="blur",
            seed=99,
            num_inference_steps=12,
            guidance_scale=3,
            strength=0.6,
            transport="upload",
            crop_to_mask=True,
            mask_padding=24,
        )
    [path] = result.save(tmp_path / "out.png")
    data = path.read_bytes()
    assert KEY.encode() not in data
    params = metadata.read_parameters(path)
    assert params["prompt"] == "a red scarf 🧣" and params["negative_prompt"] == "blur"
    assert params["seed"] == 99 and params["num_inference_steps"] == 12
    assert params["guidance_scale"] == 3 and params["strength"] == 0.6
    assert params["mode"] == "masked" and params["mask_padding"] == 24
    assert params["request_id"] == str(result.id) and params["backend"]
    assert params["output_size"] == list(photo.size)
    with Image.open(path) as reopened:
        assert reopened.text["prompt"] == "a red scarf 🧣" and reopened.text["seed"] == "99"


def test_url_transport_cannot_crop(server):
    with client_for(server) as client, pytest.raises(ParameterError, match="crop_to_mask"):
        client.inpaint(
            server.root_url + "/files/a.png",
            server.root_url + "/files/m.png",
            prompt="x",
            transport="url",
            crop_to_mask=True,
        )


def test_options_out_of_range_are_refused_before_sending(server):
    with client_for(server) as client, pytest.raises(ParameterError, match="mask_padding"):
        client.inpaint(
            Image.new("RGB", (64, 64)),
            Image.new("L", (64, 64), 255),
            prompt="x",
            crop_to_mask=True,
            mask_padding=-5,
        )


def test_read_parameters_explains_a_png_without_them(tmp_path):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    with pytest.raises(Exception, match="carries no inpainting parameters"):
        metadata.read_parameters(plain)
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(Exception, match="not an image"):
        metadata.read_parameters(text)


def test_fetch_result_puts_a_pending_region_job_back_where_it_belongs(make_server, big_photo):
    srv = make_server(latency=1.0, sync_threshold=0.0)
    mask = blob_mask(big_photo.size, (1800, 1200, 2300, 1600))
    client = ModelsLabClient(api_key=KEY, base_url=srv.base_url, max_wait=0.2)
    with pytest.raises(JobTimeoutError) as info:
        client.inpaint(
            big_photo, mask, prompt="x", strength=1.0, transport="base64", crop_to_mask=True
        )
    box = info.value.region
    assert box is not None and box[2] - box[0] < 4032
    later = ModelsLabClient(api_key=KEY, base_url=srv.base_url, max_wait=30)
    raw = later.fetch_result(info.value.job_id)
    assert max(raw.images[0].size) <= 1024
    placed = later.fetch_result(info.value.job_id, image=big_photo, mask=mask, box=box)
    out = np.asarray(placed.images[0])
    keep = outside_band(mask, 32)  # the blend width scaled to a 4032 px photo
    assert out.shape == (3024, 4032, 3) and (out[keep] == np.asarray(big_photo)[keep]).all()
    with pytest.raises(ParameterError, match="not inside"):
        later.fetch_result(info.value.job_id, image=big_photo, mask=mask, box=(0, 0, 5000, 10))
    with pytest.raises(ParameterError, match="both image and mask"):
        later.fetch_result(info.value.job_id, image=big_photo)
