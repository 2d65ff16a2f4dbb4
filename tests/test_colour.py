"""Colour matching: a model's colour drift is undone before paste-back, intent is kept.

A drifting server (the local server with ``colour_shift``, over real HTTP)
returns every pixel a few levels off, as a diffusion model's round trip does.
Pasted back into the exact original, the painted area would sit off its
surroundings: the seam test measures that step, with and without matching.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import ModelsLabClient
from inpaint.colour import _channel_sums, match_colours, seam_step

SHIFT = (14, -10, 8)
KEY = "colour-test-key"


def textured(size: tuple[int, int] = (320, 240), seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    base = np.stack([90 + 0.2 * x, 120 + 0.15 * y, 100 + 0.1 * (x + y)], axis=-1)
    noise = rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")


def ellipse_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse(box, fill=255)
    return mask


def test_drift_is_undone_outside_and_an_intended_change_inside_is_kept() -> None:
    reference = textured()
    mask = ellipse_mask(reference.size, (110, 70, 210, 170))
    drawn = np.asarray(reference).astype(np.int16).copy()
    inside = np.asarray(mask) > 0
    drawn[inside] = (200, 30, 40)  # the model painted something red on purpose
    drifted = Image.fromarray(np.clip(drawn + np.array(SHIFT), 0, 255).astype(np.uint8))
    fixed = np.asarray(match_colours(drifted, reference, mask)).astype(np.int16)
    outside = ~inside
    assert np.abs(fixed[outside] - np.asarray(reference)[outside]).mean() < 1.5
    assert np.abs(fixed[inside].mean(axis=0) - (200, 30, 40)).max() < 3  # the red is kept


def test_nothing_to_measure_leaves_the_result_alone() -> None:
    result = textured()
    everything = Image.new("L", result.size, 255)
    assert match_colours(result, textured(seed=2), everything) is result


def step_across(image: Image.Image, mask: Image.Image, band: int) -> np.ndarray:
    """Mean colour just inside the mask minus just outside the blend band (per channel)."""
    import cv2

    m = (np.asarray(mask) > 0).astype(np.uint8)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    inner = (m - cv2.erode(m, disc)) > 0
    grown = cv2.dilate(
        m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    )
    outer = (cv2.dilate(grown, disc) - grown) > 0
    arr = np.asarray(image, dtype=np.float32)
    return arr[inner].mean(axis=0) - arr[outer].mean(axis=0)


@pytest.mark.parametrize("crop", [False, True], ids=["whole-picture", "only-masked"])
def test_seam_against_a_drifting_server(make_server, crop) -> None:
    photo = textured((900, 600), seed=3)
    mask = ellipse_mask(photo.size, (380, 230, 520, 370))
    honest, drifting = make_server(), make_server(colour_shift=SHIFT)

    def edit(server, match: bool) -> Image.Image:
        with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
            result = client.inpaint(
                photo,
                mask,
                prompt="x",
                seed=4,
                strength=1.0,
                transport="base64",
                crop_to_mask=crop,
                feather=8,
                match_colours=match,
            )
        return result.images[0]

    truth = step_across(edit(honest, True), mask, 8)
    matched = step_across(edit(drifting, True), mask, 8)
    unmatched = step_across(edit(drifting, False), mask, 8)
    assert np.abs(unmatched - truth).max() > 8  # the drift shows as a step at the seam
    assert np.abs(matched - truth).max() < 2.5  # matched: as seamless as a faithful model
    assert seam_step(edit(drifting, True), mask) < seam_step(edit(drifting, False), mask)


@pytest.mark.parametrize("spread", [3, 255])
def test_the_fast_channel_sums_are_numpys_bit_for_bit(spread) -> None:
    """Whole-number differences summed in OpenCV equal numpy's float32 row-by-row sum.

    A small spread keeps the absolute sum below 2**24 (the fast path); the full
    spread goes past it (numpy's own sum is used): both must match exactly.
    """
    rng = np.random.default_rng(spread)
    diff = rng.integers(-spread, spread + 1, (700, 900, 3)).astype(np.float32)
    diff[:, 300:500] = 0.0
    expected = diff.reshape(-1, 3).sum(axis=0)
    got = _channel_sums(diff, whole=True)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()
