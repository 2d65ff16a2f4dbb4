"""Outpainting over real HTTP against the local server: sizes, exact originals, texture, seams.

The photo is a generated background (grass) so that "the new area looks like
the photo" can be measured: its fine texture compared with the photo's own
next to the border (the fill-quality measure of ``inpaint.evaluate``), and the
step in colour across the old border compared with the photo's own steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inpaint import ModelsLabClient, ParameterError
from inpaint.evaluate import texture
from inpaint.metadata import read_parameters
from inpaint.outpaint import Extension
from tests.cli_run import run_cli_here

ROOT = Path(__file__).resolve().parent.parent
KEY = "outpaint-key"


@pytest.fixture(scope="module")
def client(patchmatch_server):
    """PatchMatch: these tests judge the new area's texture and its seam."""
    with ModelsLabClient(api_key=KEY, base_url=patchmatch_server.base_url) as c:
        yield c


def grass(size: tuple[int, int]) -> Image.Image:
    """Generated grass; large sizes repeat a 512 px tile (generating 12 MP of it is slow)."""
    tile = np.asarray(texture("grass", min(512, max(size))))
    reps = (-(-size[1] // tile.shape[0]), -(-size[0] // tile.shape[1]), 1)
    return Image.fromarray(np.tile(tile, reps)[: size[1], : size[0]], "RGB")


def detail(array: np.ndarray) -> float:
    grey = array.astype(np.float32).mean(axis=2)
    import cv2

    return float((grey - cv2.GaussianBlur(grey, (0, 0), 1.5)).std())


def check(photo: Image.Image, out: Image.Image, ext: Extension, band: int) -> None:
    """Size, the original kept outside the overlap band, texture and no step at the border."""
    w, h = photo.size
    assert out.size == ext.canvas_size(photo.size)
    got = np.asarray(out)
    inner = got[ext.top : ext.top + h, ext.left : ext.left + w]
    original = np.asarray(photo)
    keep = np.zeros((h, w), bool)
    keep[
        band if ext.top else 0 : h - band if ext.bottom else h,
        band if ext.left else 0 : w - band if ext.right else w,
    ] = True
    assert (inner[keep] == original[keep]).all()
    for side, amount in zip(("left", "top", "right", "bottom"), ext.as_tuple(), strict=True):
        if not amount:
            continue
        depth = min(amount, 48)
        new, old = _strips(got, ext, photo.size, side, depth)
        assert 0.6 < detail(new) / detail(old) < 1.6, side  # real texture, not a smear
        step = np.abs(new.reshape(-1, 3).mean(0) - old.reshape(-1, 3).mean(0)).max()
        # No colour step at the old border beyond the photo's own from strip to strip
        # (generated grass has broad light and dark patches: up to ~19 levels here).
        inner_old = _strips(got, ext, photo.size, side, 2 * depth)[1]
        half = inner_old.shape[1 if side in ("left", "right") else 0] // 2
        a, b = (
            (inner_old[:, :half], inner_old[:, half:])
            if side in ("left", "right")
            else (inner_old[:half], inner_old[half:])
        )
        own = np.abs(a.reshape(-1, 3).mean(0) - b.reshape(-1, 3).mean(0)).max()
        assert step < max(12.0, 1.2 * own), side


def _strips(
    got: np.ndarray, ext: Extension, size: tuple[int, int], side: str, depth: int
) -> tuple[np.ndarray, np.ndarray]:
    """The new pixels just outside the old border, and the photo's just inside it."""
    w, h = size
    left, top = ext.left, ext.top
    if side == "left":
        return got[top : top + h, left - depth : left], got[top : top + h, left : left + depth]
    if side == "right":
        return got[top : top + h, left + w : left + w + depth], got[
            top : top + h, left + w - depth : left + w
        ]
    if side == "top":
        return got[top - depth : top, left : left + w], got[top : top + depth, left : left + w]
    return got[top + h : top + h + depth, left : left + w], got[
        top + h - depth : top + h, left : left + w
    ]


@pytest.mark.parametrize(
    "amounts",
    [(96, 0, 0, 0), (0, 64, 0, 0), (0, 0, 80, 0), (0, 0, 0, 72), (40, 32, 56, 48)],
    ids=["left", "top", "right", "bottom", "all-four"],
)
def test_each_side_alone_and_all_four(client, amounts):
    photo = grass((320, 240))
    ext = Extension(*amounts)
    result = client.outpaint(
        photo,
        "more grass",
        left=amounts[0],
        top=amounts[1],
        right=amounts[2],
        bottom=amounts[3],
        overlap=8,
        seed=5,
    )
    check(photo, result.images[0], ext, band=8)
    assert result.parameters["extend"] == list(amounts)
    assert result.parameters["mode"] == "outpaint"


def test_a_12_megapixel_photo_extended_on_two_sides_at_full_resolution(client, tmp_path):
    photo = grass((4032, 3024))
    result = client.outpaint(photo, "more grass", right=200, bottom=120, seed=2)
    ext = Extension(0, 0, 200, 120)
    overlap = result.parameters["overlap"]
    assert overlap == 63  # 16 px per 1024 px of the long side
    check(photo, result.images[0], ext, band=overlap)
    # Every job worked at the photo's own resolution: no cut was shrunk to fit 1024.
    assert all(r[2] - r[0] <= 1024 and r[3] - r[1] <= 1024 for r in result.regions)
    assert len(result.job_ids) == len(result.regions) > 2
    saved = result.save(tmp_path / "wide.png")[0]
    assert read_parameters(saved)["extend"] == [0, 0, 200, 120]


@pytest.mark.parametrize(
    "call,words",
    [
        ({"left": -5}, "extend_left must be a whole number from 0 to 8192"),
        ({}, "nothing to extend"),
        ({"right": 8192, "bottom": 8192}, r"megapixels\); the limit is 40"),
    ],
)
def test_bad_extensions_are_refused_before_anything_is_sent(make_server, call, words):
    server = make_server()
    with (
        ModelsLabClient(api_key=KEY, base_url=server.base_url) as c,
        pytest.raises(ParameterError, match=words),
    ):
        c.outpaint(
            Image.new("RGB", (4032, 3024)) if "bottom" in call else grass((64, 48)), "x", **call
        )
    assert server.app.state.jobs.counts()["submitted"] == 0


def test_targets_and_anchors():
    assert Extension.to_target((400, 300), "16:9", "left") == Extension(0, 0, 133, 0)
    assert Extension.to_target((400, 300), "1:1", "center") == Extension(0, 50, 0, 50)
    assert Extension.to_target((400, 300), "x1.5", "top-left") == Extension(0, 0, 200, 150)
    for bad in ("abc", "0:9", "16:0", "x9"):
        with pytest.raises(ParameterError):
            Extension.to_target((400, 300), bad)


def test_cli_extends_without_a_mask(tmp_path, server):
    photo = tmp_path / "photo.png"
    grass((160, 120)).save(photo)
    proc = run_cli_here(
        tmp_path,
        *["--image", photo, "--prompt", "x", "--extend-to", "16:9", "--anchor", "left"],
        *["--out", tmp_path / "wide.png", "--base-url", server.base_url],
        key=KEY,
    )
    assert proc.returncode == 0, proc.stderr
    assert Image.open(tmp_path / "wide.png").size == (213, 120)
    bad = run_cli_here(
        tmp_path,
        *["--image", photo, "--prompt", "x", "--extend-to", "abc"],
        *["--out", tmp_path / "w.png", "--base-url", server.base_url],
        key=KEY,
    )
    assert bad.returncode == 2 and "a target must be a ratio such as 16:9" in bad.stderr
