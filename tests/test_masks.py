"""Mask extraction and tools: every mode to a clean, aligned 0/255 mask."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpaint import masks
from inpaint.errors import InputImageError


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img)


def test_brush_layer_alpha_is_the_mask_whatever_the_stroke_colour():
    layer = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    for x in range(2, 5):
        layer.putpixel((x, 5), (0, 0, 0, 255))  # black stroke: still paint
    m = masks.to_binary_mask(layer)
    assert m.mode == "L"
    assert arr(m)[5, 2:5].tolist() == [255, 255, 255]
    assert arr(m).sum() == 3 * 255


def test_opaque_rgba_mask_file_uses_brightness():
    img = Image.new("RGBA", (4, 4), (0, 0, 0, 255))
    img.putpixel((1, 1), (255, 255, 255, 255))
    assert arr(masks.to_binary_mask(img)).sum() == 255


@pytest.mark.parametrize("mode", ["L", "RGB", "1", "P", "I;16"])
def test_every_mode_binarises_with_antialiased_edges(mode):
    grey = np.zeros((6, 6), np.uint8)
    grey[:, 3:] = 255
    grey[:, 2] = 140  # anti-aliased edge, counts as paint
    grey[:, 1] = 90  # faint edge, does not
    img = Image.fromarray(grey, "L")
    if mode == "I;16":
        img = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode != "L":
        img = img.convert(mode)
    out = arr(masks.to_binary_mask(img))
    assert set(np.unique(out)) <= {0, 255}
    assert out[0, 3:].min() == 255 and out[0, 0] == 0
    if mode != "1":
        assert out[0, 2] == 255 and out[0, 1] == 0


def test_resize_is_nearest_and_aligned():
    small = Image.new("L", (4, 2), 0)
    small.putpixel((3, 0), 255)
    big = arr(masks.to_binary_mask(small, (40, 20)))
    assert set(np.unique(big)) == {0, 255}
    assert big[:10, 30:].min() == 255 and big[:, :30].max() == 0 and big[10:].max() == 0


def test_empty_mask_is_refused_plainly():
    with pytest.raises(InputImageError, match="paint the area to change"):
        masks.require_painted(Image.new("L", (5, 5), 0))
    assert masks.is_empty(Image.new("L", (5, 5), 10))


def square(size=40, box=(10, 10, 30, 30)) -> Image.Image:
    m = Image.new("L", (size, size), 0)
    m.paste(255, box)
    return m


def test_invert_grow_shrink():
    m = square()
    assert masks.coverage(masks.invert(m)) == pytest.approx(1 - masks.coverage(m))
    grown, shrunk = masks.grow(m, 3), masks.shrink(m, 3)
    assert arr(grown)[20, 7] == 255 and arr(grown)[20, 6] == 0
    assert arr(shrunk)[20, 13] == 255 and arr(shrunk)[20, 12] == 0
    assert masks.grow(m, 0).tobytes() == m.tobytes()


def test_feather_softens_the_edge_but_keeps_the_core():
    f = arr(masks.feather(square(), 6))
    assert f[20, 20] == 255
    assert 0 < f[20, 8] < 255
    assert f[20, 0] < 8  # only the blur's faint tail this far out


def test_refine_order_and_overlay():
    m = masks.refine(square(), invert_mask=True, grow_px=2)
    assert arr(m)[20, 20] == 0 and arr(m)[20, 11] == 255
    preview = masks.overlay(Image.new("RGB", (40, 40), (0, 0, 0)), square())
    assert preview.getpixel((20, 20)) != (0, 0, 0) and preview.getpixel((0, 0)) == (0, 0, 0)
