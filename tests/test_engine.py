"""Unit tests of the classical inpainting engine (no server involved)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint.offline import ENGINE_VARIABLE, offline_engine
from inpaint.server import ServerConfig
from inpaint.server.engine import ENGINE_NAME, engine_name, engine_note, inpaint_image, methods_for
from inpaint.server.inputs import mask_for_engine


def scene(size: tuple[int, int] = (240, 160), seed: int = 0) -> Image.Image:
    """A grainy blue-green gradient with a red square in the middle."""
    width, height = size
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    arr = np.zeros((height, width, 3), np.float32)
    arr[..., 1] = 90 + 60 * xs / width
    arr[..., 2] = 140 + 40 * ys / height
    arr += rng.normal(0, 6, arr.shape)
    arr[height // 3 : 2 * height // 3, width // 3 : 2 * width // 3] = (230, 20, 20)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def square_mask(size: tuple[int, int] = (240, 160), grow: int = 4) -> Image.Image:
    width, height = size
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(
        (width // 3 - grow, height // 3 - grow, 2 * width // 3 + grow, 2 * height // 3 + grow),
        fill=255,
    )
    return mask


def arr(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def test_fills_the_masked_area_from_its_surroundings():
    image, mask = scene(), square_mask()
    (out,) = inpaint_image(image, mask, 240, 160, samples=1, seed=3, strength=1.0)
    before, after = arr(image), arr(out)
    inside = np.asarray(mask) == 255
    # The red square is gone: the hole now looks like the blue-green background.
    assert before[inside][:, 0].mean() > 150
    assert after[inside][:, 0].mean() < 40
    ring = (np.asarray(square_mask(grow=12)) == 255) & ~inside
    background = before[ring].mean(axis=0)
    assert np.abs(after[inside].mean(axis=0) - background).max() < 20
    # The fill is not flat: it carries grain like its surroundings.
    assert after[inside][:, 1].std() > 2


def test_pixels_outside_the_mask_are_untouched():
    image, mask = scene(), square_mask()
    (out,) = inpaint_image(image, mask, 240, 160, samples=1, seed=1)
    outside = np.asarray(mask) == 0
    assert np.array_equal(np.asarray(out)[outside], np.asarray(image)[outside])


def test_output_size_is_honoured_and_the_input_is_resized():
    image, mask = scene((451, 300)), square_mask((451, 300))
    outputs = inpaint_image(image, mask, 320, 216, samples=2, seed=5)
    assert [o.size for o in outputs] == [(320, 216), (320, 216)]
    assert all(o.mode == "RGB" for o in outputs)
    # Outside the (resized) mask the result is the resized input.
    small_mask = np.asarray(mask.resize((320, 216), Image.Resampling.BILINEAR))
    resized = np.asarray(image.resize((320, 216), Image.Resampling.LANCZOS))
    outside = small_mask == 0
    assert np.array_equal(np.asarray(outputs[0])[outside], resized[outside])


def test_samples_are_visibly_distinct():
    image, mask = scene(), square_mask()
    outputs = inpaint_image(image, mask, 240, 160, samples=4, seed=11)
    inside = np.asarray(mask) == 255
    for i in range(4):
        for j in range(i + 1, 4):
            difference = np.abs(arr(outputs[i])[inside] - arr(outputs[j])[inside]).mean()
            assert difference > 1.0, (i, j, difference)


def test_same_seed_reproduces_and_sample_i_uses_seed_plus_i():
    image, mask = scene(), square_mask()
    first = inpaint_image(image, mask, 240, 160, samples=3, seed=42)
    again = inpaint_image(image, mask, 240, 160, samples=3, seed=42)
    assert len(first) == len(again) == 3
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    (third_alone,) = inpaint_image(image, mask, 240, 160, samples=1, seed=44)
    assert np.array_equal(np.asarray(first[2]), np.asarray(third_alone))
    other = inpaint_image(image, mask, 240, 160, samples=1, seed=43)[0]
    assert not np.array_equal(np.asarray(first[0]), np.asarray(other))
    assert methods_for(42, 3) == [f"{ENGINE_NAME} seed={s}" for s in (42, 43, 44)]


def test_concurrent_jobs_reproduce_their_seeds():
    # The server runs jobs in threads; PatchMatch's seed is process-global, so
    # this only holds because the engine serialises it (see inpaint.fill).
    import threading
    from concurrent.futures import ThreadPoolExecutor

    image, mask = scene(), square_mask()
    seeds = [7, 8, 7, 8]
    alone = {
        s: np.asarray(inpaint_image(image, mask, 240, 160, samples=2, seed=s)[1])
        for s in set(seeds)
    }
    start = threading.Barrier(len(seeds))

    def job(seed):
        start.wait()
        return np.asarray(inpaint_image(image, mask, 240, 160, samples=2, seed=seed)[1])

    with ThreadPoolExecutor(max_workers=len(seeds)) as pool:
        for seed, result in zip(seeds, pool.map(job, seeds), strict=True):
            assert np.array_equal(result, alone[seed]), seed


def test_strength_zero_keeps_the_original_and_lower_strength_keeps_more_colour():
    image, mask = scene(), square_mask()
    (kept,) = inpaint_image(image, mask, 240, 160, seed=2, strength=0.0)
    assert np.array_equal(np.asarray(kept), np.asarray(image))
    (full,) = inpaint_image(image, mask, 240, 160, seed=2, strength=1.0)
    (default,) = inpaint_image(image, mask, 240, 160, seed=2, strength=0.7)
    (half,) = inpaint_image(image, mask, 240, 160, seed=2, strength=0.5)
    (low,) = inpaint_image(image, mask, 240, 160, seed=2, strength=0.1)
    inside = np.asarray(mask) == 255
    red = [arr(x)[inside][:, 0].mean() for x in (kept, low, half, default, full)]
    # Monotone: the lower the strength, the more of the red survives...
    assert red[0] > red[1] > red[2] > red[3] - 0.5
    # ...but from the default up the painted area is the fill alone: no ghost.
    assert np.array_equal(np.asarray(default), np.asarray(full))
    assert red[3] < 40


def test_soft_mask_edges_blend_partially():
    image = scene()
    mask = Image.new("L", (240, 160), 0)
    ImageDraw.Draw(mask).rectangle((70, 45, 170, 115), fill=255)
    ImageDraw.Draw(mask).rectangle((60, 35, 69, 125), fill=128)  # a grey strip on the left
    (out,) = inpaint_image(image, mask, 240, 160, seed=4)
    grey = np.asarray(mask) == 128
    change = np.abs(arr(out)[grey] - arr(image)[grey]).mean()
    full = np.asarray(mask) == 255
    full_change = np.abs(arr(out)[full] - arr(image)[full]).mean()
    assert 0 < change < full_change


def test_empty_and_full_masks():
    image = scene()
    (same,) = inpaint_image(image, Image.new("L", (240, 160), 0), 240, 160, seed=1)
    assert np.array_equal(np.asarray(same), np.asarray(image))
    outputs = inpaint_image(image, Image.new("L", (240, 160), 255), 120, 80, samples=2, seed=1)
    assert [o.size for o in outputs] == [(120, 80), (120, 80)]


def test_mask_of_another_size_is_scaled_to_the_output():
    image = scene((240, 160))
    (out,) = inpaint_image(image, square_mask((120, 80)), 240, 160, seed=9)
    center = arr(out)[75:85, 115:125]
    assert center[..., 0].mean() < 60  # the red centre was repainted


def test_large_image_is_filled_coarse_to_fine(monkeypatch):
    # Was a wall-clock budget for the old OpenCV engine; what keeps a large job
    # fast now is structural: PatchMatch (the expensive part) only ever sees the
    # hole's neighbourhood at reduced size, never the whole 1024 x 1024 picture.
    from inpaint import fill as fill_module

    seen: list[tuple[int, ...]] = []
    real = fill_module._patchmatch_fill

    def recording(image, hole, seed):
        seen.append(image.shape[:2])
        return real(image, hole, seed)

    monkeypatch.setattr(fill_module, "_patchmatch_fill", recording)
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (1024, 1024, 3), dtype=np.uint8), "RGB")
    mask = Image.new("L", (1024, 1024), 0)
    ImageDraw.Draw(mask).rectangle((256, 256, 767, 767), fill=255)  # 25 % of the area
    (out,) = inpaint_image(image, mask, 1024, 1024, samples=1, seed=0)
    assert out.size == (1024, 1024)
    assert seen and max(max(shape) for shape in seen) <= 1024 * fill_module.MIN_SCALE + 1
    inside = np.asarray(mask) == 255
    # Still a full-resolution fill: grain like the surroundings, not a smudge.
    assert arr(out)[inside].std() > 0.5 * arr(image)[~inside].std()


def test_rejects_nonsense_arguments():
    image, mask = scene(), square_mask()
    with pytest.raises(ValueError):
        inpaint_image(image, mask, 0, 160)
    with pytest.raises(ValueError):
        inpaint_image(image, mask, 240, 160, samples=0)
    with pytest.raises(ValueError):
        inpaint_image(image, mask, 240, 160, seed=-1)


# -- the server's input helpers, which are pure too ----------------------------------
def test_brush_layer_mask_uses_its_alpha():
    layer = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle((10, 10, 20, 20), fill=(0, 0, 0, 255))  # black strokes
    mask = np.asarray(mask_for_engine(layer))
    assert mask[15, 15] == 255 and mask[2, 2] == 0


def test_opaque_mask_keeps_grey_edges():
    grey = Image.new("RGB", (10, 10), (0, 0, 0))
    grey.putpixel((5, 5), (128, 128, 128))
    assert np.asarray(mask_for_engine(grey))[5, 5] == 128


# -- the quick engine (OpenCV Telea): a speed option, honest about what it is ----------
def test_quick_engine_fills_only_the_mask_and_has_no_seed():
    image, mask = scene(), square_mask()
    first, second = inpaint_image(image, mask, 240, 160, samples=2, seed=3, engine="quick")
    (other_seed,) = inpaint_image(image, mask, 240, 160, samples=1, seed=99, engine="quick")
    outside = np.asarray(mask) == 0
    inside = ~outside
    assert np.array_equal(np.asarray(first)[outside], np.asarray(image)[outside])
    # The red square is gone, smoothed over from the rim (no texture, so no grain test).
    assert arr(image)[inside][:, 0].mean() > 150 and arr(first)[inside][:, 0].mean() < 40
    # No seed: every sample and every seed give the same picture, as methods_for says.
    assert np.array_equal(np.asarray(first), np.asarray(second))
    assert np.array_equal(np.asarray(first), np.asarray(other_seed))
    assert methods_for(3, 2, "quick") == ["opencv-telea (quick engine), no seed"] * 2
    assert engine_name("quick") == "opencv-telea (quick engine)"
    assert "not PatchMatch" in engine_note("quick") and "prompt" in engine_note("quick")
    (kept,) = inpaint_image(image, mask, 240, 160, strength=0.0, engine="quick")
    assert np.array_equal(np.asarray(kept), np.asarray(image))


def test_engines_are_named_and_unknown_ones_refused():
    assert ServerConfig().engine == "patchmatch"  # the default stays the real engine
    assert engine_name() == ENGINE_NAME
    with pytest.raises(ValueError, match="engine must be one of patchmatch, quick"):
        ServerConfig(engine="telea")
    with pytest.raises(ValueError, match="engine must be one of"):
        inpaint_image(scene(), square_mask(), 240, 160, engine="fast")


def test_the_offline_backend_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(ENGINE_VARIABLE, raising=False)
    assert offline_engine() == "patchmatch"
    monkeypatch.setenv(ENGINE_VARIABLE, " Quick ")
    assert offline_engine() == "quick"
    monkeypatch.setenv(ENGINE_VARIABLE, "")
    assert offline_engine() == "patchmatch"
    monkeypatch.setenv(ENGINE_VARIABLE, "telea")
    with pytest.raises(ValueError, match="INPAINT_OFFLINE_ENGINE='telea' is not an engine"):
        offline_engine()
