"""Pre-fills (``inpaint.prefill``): outside the mask exact, inside no trace of the object."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint.prefill import HOLE_LEVEL, PREFILL_METHODS, prefill


def scene() -> tuple[Image.Image, Image.Image]:
    """A blue-green gradient with grain and a red square, and a mask over the square."""
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:120, 0:160]
    arr = np.zeros((120, 160, 3), np.float32)
    arr[..., 1] = 90 + 60 * xs / 160
    arr[..., 2] = 140 + 40 * ys / 120
    arr += rng.normal(0, 6, arr.shape)
    arr[40:80, 60:100] = (230, 20, 20)
    mask = Image.new("L", (160, 120), 0)
    ImageDraw.Draw(mask).rectangle((56, 36, 103, 83), fill=255)
    ImageDraw.Draw(mask).rectangle((50, 36, 55, 83), fill=100)  # a soft edge
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB"), mask


def test_every_method_is_described():
    assert set(PREFILL_METHODS) == {"original", "patchmatch", "blur", "colour", "edge"}
    assert all(isinstance(text, str) and text for text in PREFILL_METHODS.values())


@pytest.mark.parametrize("method", list(PREFILL_METHODS))
def test_outside_the_mask_is_exactly_the_input(method):
    image, mask = scene()
    out = np.asarray(prefill(image, mask, method, seed=3))
    keep = np.asarray(mask) < HOLE_LEVEL
    assert out.shape == (120, 160, 3)
    assert np.array_equal(out[keep], np.asarray(image)[keep])


def test_original_is_unchanged():
    image, mask = scene()
    assert np.array_equal(np.asarray(prefill(image, mask, "original")), np.asarray(image))


@pytest.mark.parametrize("method", ["patchmatch", "blur", "colour", "edge"])
def test_no_trace_of_the_object(method):
    image, mask = scene()
    out = np.asarray(prefill(image, mask, method, seed=1)).astype(float)
    inside = np.asarray(mask) >= HOLE_LEVEL
    # The red square is gone: the area looks like the blue-green surroundings.
    assert out[inside][:, 0].max() < 120
    ring = np.zeros_like(inside)
    ring[26:94, 40:120] = True
    ring &= ~inside
    surroundings = np.asarray(image)[ring].astype(float).mean(axis=0)
    assert np.abs(out[inside].mean(axis=0) - surroundings).max() < 25


def test_colour_is_flat_and_blur_is_smooth():
    image, mask = scene()
    inside = np.asarray(mask) >= HOLE_LEVEL
    colour = np.asarray(prefill(image, mask, "colour"))[inside]
    assert len(np.unique(colour.reshape(-1, 3), axis=0)) == 1
    blur = np.asarray(prefill(image, mask, "blur")).astype(float)
    # Neighbouring pixels inside differ far less than the grain outside does.
    assert np.abs(np.diff(blur[45:75, 65:95], axis=1)).mean() < 2


def test_edge_stretches_the_nearest_pixels():
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill=(200, 50, 10))
    mask = Image.new("L", (40, 20), 0)
    ImageDraw.Draw(mask).rectangle((20, 0, 39, 19), fill=255)  # outpainting to the right
    out = np.asarray(prefill(image, mask, "edge"))
    assert (out[:, 20:] == (200, 50, 10)).all()


def test_patchmatch_is_seeded_and_mask_is_scaled():
    image, mask = scene()
    a = prefill(image, mask, "patchmatch", seed=4)
    assert np.array_equal(np.asarray(a), np.asarray(prefill(image, mask, "patchmatch", seed=4)))
    small = prefill(image, mask.resize((80, 60)), "blur")
    assert small.size == image.size


def test_unknown_method_is_refused():
    image, mask = scene()
    with pytest.raises(ValueError, match="unknown pre-fill"):
        prefill(image, mask, "magic")


def test_nothing_to_copy_from():
    image = Image.new("RGB", (16, 16), (10, 200, 30))
    mask = Image.new("L", (16, 16), 255)
    for method in PREFILL_METHODS:
        assert prefill(image, mask, method).size == (16, 16)
