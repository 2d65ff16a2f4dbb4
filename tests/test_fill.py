"""The exemplar-based fill (``inpaint.fill``): behaviour, not timings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint.evaluate import blob, ghost, make_case, texture, texture_ratio
from inpaint.fill import HOLE_LEVEL, fill, fill_array


def grainy(size: int = 160, seed: int = 0) -> np.ndarray:
    """A textured background: a green gradient with strong grain."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:size, 0:size]
    arr = np.zeros((size, size, 3), np.float32)
    arr[..., 1] = 90 + 60 * xs / size
    arr[..., 2] = 140 + 40 * ys / size
    arr += rng.normal(0, 12, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def square_hole(size: int = 160, side: int = 48) -> np.ndarray:
    hole = np.zeros((size, size), bool)
    start = (size - side) // 2
    hole[start : start + side, start : start + side] = True
    return hole


def test_outside_the_hole_is_exact_and_the_object_is_gone():
    image = grainy()
    hole = square_hole()
    image[hole] = (230, 20, 20)  # a red object
    out = fill_array(image, hole, seed=1)
    assert np.array_equal(out[~hole], image[~hole])
    assert out[hole][:, 0].mean() < 60  # no red left
    ring = (~hole) & np.pad(square_hole(144, 64), 8)
    assert np.abs(out[hole].mean(axis=0) - image[ring].mean(axis=0)).max() < 15


def test_fill_copies_texture_rather_than_smudging():
    truth = np.asarray(texture("gravel", 256))
    hole = square_hole(256, 80)
    damaged = truth.copy()
    damaged[hole] = 0
    out = fill_array(damaged, hole, seed=0)
    ratio = texture_ratio(out, truth, hole)
    assert 0.6 < ratio < 1.4, ratio


def test_large_holes_go_coarse_to_fine_and_keep_their_texture():
    # A hole much larger than WORK_SIDE: filled at reduced size, detail added back.
    truth = np.asarray(texture("grass", 640))
    hole = square_hole(640, 300)
    out = fill_array(truth, hole, seed=3)
    assert np.array_equal(out[~hole], truth[~hole])
    assert 0.6 < texture_ratio(out, truth, hole) < 1.4


def test_no_trace_of_a_pasted_object():
    case = make_case("brick", texture("brick", 256), texture("gravel", 256), radius=50)
    out = fill(case.damaged, case.mask, seed=0)
    inside = np.asarray(case.mask) >= 128
    assert ghost(np.asarray(out), np.asarray(case.truth), np.asarray(case.damaged), inside) < 0.1


def test_same_seed_same_pixels_and_seeds_differ_visibly():
    image, hole = grainy(), square_hole()
    first = fill_array(image, hole, seed=5)
    assert np.array_equal(first, fill_array(image, hole, seed=5))
    other = fill_array(image, hole, seed=6)
    difference = np.abs(first[hole].astype(float) - other[hole]).mean()
    assert difference > 5, difference


def test_concurrent_fills_are_reproducible():
    image, hole = grainy(), square_hole()
    seeds = [1, 2, 3, 1, 2, 3]
    expected = {seed: fill_array(image, hole, seed=seed) for seed in set(seeds)}
    start = threading.Barrier(len(seeds))

    def job(seed: int) -> np.ndarray:
        start.wait()  # all at once, so their PatchMatch runs would overlap
        return fill_array(image, hole, seed=seed)

    with ThreadPoolExecutor(max_workers=len(seeds)) as pool:
        results = list(pool.map(job, seeds))
    for seed, result in zip(seeds, results, strict=True):
        assert np.array_equal(result, expected[seed]), seed


def test_grey_mask_pixels_count_from_hole_level_and_black_is_kept():
    image = Image.fromarray(grainy(), "RGB")
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle((50, 50, 100, 100), fill=255)
    draw.rectangle((40, 50, 49, 100), fill=HOLE_LEVEL)  # faint: filled
    draw.rectangle((30, 50, 39, 100), fill=HOLE_LEVEL - 1)  # below: kept
    out = np.asarray(fill(image, mask, seed=0))
    level = np.asarray(mask)
    assert np.array_equal(out[level < HOLE_LEVEL], np.asarray(image)[level < HOLE_LEVEL])
    assert not np.array_equal(out[level == HOLE_LEVEL], np.asarray(image)[level == HOLE_LEVEL])


def test_edge_cases():
    image = grainy(40)
    assert np.array_equal(fill_array(image, np.zeros((40, 40), bool)), image)
    everything = fill_array(image, np.ones((40, 40), bool))
    assert everything.shape == image.shape
    tiny = fill_array(image[:6, :6].copy(), square_hole(6, 2), seed=1)
    assert tiny.shape == (6, 6, 3)
    strip = blob(64, (32, 32), 20, 0)
    assert fill(Image.fromarray(grainy(64)), strip).size == (64, 64)


def test_rejects_mismatched_inputs():
    with pytest.raises(ValueError):
        fill(Image.new("RGB", (20, 20)), Image.new("L", (10, 10)))
    with pytest.raises(ValueError):
        fill(Image.new("RGB", (20, 20)), Image.new("L", (20, 20)), seed=-1)
