"""Outpainting's pictures on real photos: the photo's own detail, no flat blocks, no seams.

Over real HTTP against the local server (PatchMatch engine). The photos are
small, so the tile and pass sizes are shrunk for these tests (``MAX_SIDE`` 256,
``MAX_PASS`` 48): an extension is then made of several tiles along each side
and several passes outward, and every join between them is measured, as on a
12-megapixel photo, in seconds rather than minutes.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpaint import ModelsLabClient
from inpaint import outpaint as op
from inpaint.evaluate import EXAMPLES, texture
from inpaint.outpaint import Extension
from inpaint.outpaint_eval import PHOTOS, detail, flat_share, seam_lines, seam_step, side_areas


@pytest.fixture(scope="module")
def client(patchmatch_server):
    with ModelsLabClient(api_key="quality-key", base_url=patchmatch_server.base_url) as c:
        yield c


@pytest.fixture
def small_tiles(monkeypatch):
    """Tiles of at most 256 px and passes of 48 px, so small photos have many joins."""
    monkeypatch.setattr(op, "MAX_SIDE", 256)
    monkeypatch.setattr(op, "MAX_PASS", 48)
    monkeypatch.setattr(op, "CONTEXT", 96)
    monkeypatch.setattr(op, "TILE_OVERLAP", 64)


def photo(name: str, size: tuple[int, int]) -> Image.Image:
    path = PHOTOS / name if (PHOTOS / name).exists() else EXAMPLES / name
    return Image.open(path).convert("RGB").resize(size, Image.Resampling.LANCZOS)


CASES = {
    # trees and a lake below the tower; tiles along the bottom, two passes down
    "landscape": (lambda: photo("china.jpg", (480, 320)), Extension(bottom=96)),
    # the wooden table right of the saucer (which is near the border: not to be copied)
    "table": (lambda: photo("coffee.png", (480, 320)), Extension(right=96)),
    # a band long enough for every other tile to go first (at once), then the
    # tiles that fill the gaps between them: joins on both sides of those
    "landscape-wide": (lambda: photo("china.jpg", (640, 427)), Extension(bottom=96)),
    # a texture on two sides and the corner between them
    "gravel": (lambda: texture("gravel", 320), Extension(right=80, bottom=64)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_new_sides_keep_the_photos_detail_without_flat_blocks_or_seams(client, small_tiles, name):
    make, ext = CASES[name]
    picture = make()
    left, top, right, bottom = ext.as_tuple()
    plan = list(op.tiles(picture.size, ext))
    assert len(plan) >= 3  # several tiles and passes: there are joins to measure
    result = client.outpaint(
        picture, "more", left=left, top=top, right=right, bottom=bottom, seed=4
    )
    out = np.asarray(result.images[0])
    assert out.shape[1::-1] == ext.canvas_size(picture.size)
    for side, new, beside in side_areas(out, picture.size, ext):
        ratio = detail(new) / detail(beside)
        assert 0.6 <= ratio <= 1.5, (side, ratio)  # the photo's own sharpness
        assert flat_share(new, beside, block=16) <= 0.2, side
    lines = seam_lines(picture.size, ext)
    assert len(lines) >= 3
    for line in lines:
        # A join shows as a step well above the steps between neighbouring columns.
        assert seam_step(out, *line) < 2.0, line


def test_seam_step_sees_a_line_and_not_a_texture():
    rng = np.random.default_rng(0)
    grain = np.clip(128 + rng.normal(0, 10, (64, 64, 3)), 0, 255).astype(np.uint8)
    assert seam_step(grain, "x", 32, 0, 64) < 1.5
    stepped = grain.astype(np.int16)
    stepped[:, 32:] += 30
    assert seam_step(np.clip(stepped, 0, 255).astype(np.uint8), "x", 32, 0, 64) > 2.0
    smeared = grain.copy()
    smeared[:, :32] = 128
    assert flat_share(smeared[:, :32], grain[:, 32:], block=16) == 1.0
    assert flat_share(grain[:, :32], grain[:, 32:], block=16) == 0.0


def test_a_wide_band_beside_a_landscape_continues_its_rows(client):
    """The benchmark's hard case at full tile sizes: 456 px left of a 1536 x 1152
    landscape, two tiles along the side (the second in the cut's corner, beside the
    first). The photo's border has sky and haze above, a lake and trees below: the
    new area must continue them row by row. A coarse layout carried the haze over
    the whole band (the lower part 35 % flat where the photo strip is 8 %; 67 % at
    3 MP), and the second tile grew down from the first one's sky."""
    source = Image.open(PHOTOS / "china.jpg").convert("RGB")
    side = round(source.height * 4 / 3)
    left = (source.width - side) // 2
    picture = source.crop((left, 0, left + side, source.height)).resize(
        (1536, 1152), Image.Resampling.BICUBIC
    )
    ext = Extension(left=456)
    assert len(list(op.tiles(picture.size, ext))) == 2
    result = client.outpaint(picture, "more", left=456, seed=7)
    out = np.asarray(result.images[0])
    new, beside = out[:, :456], out[:, 456:912]
    assert 0.6 <= detail(new) / detail(beside) <= 1.5, detail(new) / detail(beside)
    # Where the photo strip shows the lake and trees (its lower 40 %), so does the new area.
    low = int(0.6 * 1152)
    assert flat_share(new[low:], beside[low:]) <= 0.2, flat_share(new[low:], beside[low:])
    assert 0.6 <= detail(new[low:]) / detail(beside[low:]) <= 1.5
    for line in seam_lines(picture.size, ext):
        assert seam_step(out, *line) < 2.0, line
