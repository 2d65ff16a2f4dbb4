"""From the ImageEditor's value (and an optional mask file) to an image and an aligned mask."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint.errors import InputImageError
from inpaint.studio import canvas, editor

W, H = 120, 80


def photo() -> Image.Image:
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8), "RGB")


def layer(
    box: tuple[int, int, int, int],
    size: tuple[int, int] = (W, H),
    color: tuple[int, int, int, int] = (255, 45, 111, 153),
) -> Image.Image:
    """A paint layer as the editor sends it: transparent, strokes in the brush colour."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle(box, fill=color)
    return img


def painted(mask: Image.Image) -> np.ndarray:
    arr = np.asarray(mask)
    assert set(np.unique(arr)) <= {0, 255}
    return arr == 255


def value(*layers: Image.Image, background: Image.Image | None = None) -> dict:
    bg = photo().convert("RGBA") if background is None else background
    return {"background": bg, "layers": list(layers), "composite": bg}


def test_background_is_rgb_and_missing_or_blank_canvas_means_no_image() -> None:
    assert editor.background_image(None) is None
    assert editor.background_image({"background": None, "layers": [], "composite": None}) is None
    blank = Image.new("RGBA", (800, 800), (0, 0, 0, 0))  # the editor's empty canvas
    assert editor.background_image(value(background=blank)) is None
    img = editor.background_image(value())
    assert img is not None and img.mode == "RGB" and img.size == (W, H)
    assert np.array_equal(np.asarray(img), np.asarray(photo()))


def test_mask_is_the_union_of_all_layers_aligned_to_the_photo() -> None:
    mask = editor.painted_mask(value(layer((10, 10, 29, 19)), layer((60, 40, 79, 59))), (W, H))
    arr = painted(mask)
    assert mask.size == (W, H) and mask.mode == "L"
    assert arr[10:20, 10:30].all() and arr[40:60, 60:80].all()
    assert arr.sum() == 20 * 10 + 20 * 20  # nothing else


def test_translucent_and_dark_brush_strokes_count_as_paint() -> None:
    faint = layer((0, 0, 9, 9), color=(0, 0, 0, 40))  # black, 16 % opaque
    arr = painted(editor.painted_mask(value(faint), (W, H)))
    assert arr[:10, :10].all() and arr.sum() == 100


def test_erased_layer_is_empty() -> None:
    arr = painted(editor.painted_mask(value(Image.new("RGBA", (W, H), (255, 0, 0, 0))), (W, H)))
    assert not arr.any()


def test_layer_at_another_resolution_is_scaled_onto_the_photo() -> None:
    # A layer at twice the photo's size (a browser canvas at 2x) lands on the same pixels.
    big = layer((20, 20, 59, 39), size=(2 * W, 2 * H))
    arr = painted(editor.painted_mask(value(big), (W, H)))
    assert arr[10:20, 10:30].all() and arr.sum() == 20 * 10


def test_opaque_layer_is_read_as_a_black_and_white_mask() -> None:
    # What an API caller may send as a layer: white = repaint on opaque black.
    bw = Image.new("RGBA", (W, H), (0, 0, 0, 255))
    ImageDraw.Draw(bw).rectangle((5, 5, 14, 14), fill=(255, 255, 255, 255))
    arr = painted(editor.painted_mask(value(bw), (W, H)))
    assert arr[5:15, 5:15].all() and arr.sum() == 100


def test_layers_may_arrive_as_file_paths_and_arrays(tmp_path) -> None:
    path = tmp_path / "layer.png"
    layer((0, 0, 9, 9)).save(path)
    array = np.asarray(layer((100, 60, 109, 69)))
    arr = painted(editor.painted_mask({"layers": [str(path), array]}, (W, H)))
    assert arr[:10, :10].all() and arr[60:70, 100:110].all() and arr.sum() == 200


def test_uploaded_mask_white_on_black_or_transparent_drawing() -> None:
    bw = Image.new("L", (W, H), 0)
    ImageDraw.Draw(bw).rectangle((0, 0, 9, 9), fill=255)
    mask, notes = editor.uploaded_mask(bw, (W, H))
    assert painted(mask).sum() == 100 and notes == []
    drawing, _ = editor.uploaded_mask(layer((0, 0, 9, 9), color=(0, 0, 0, 255)), (W, H))
    assert painted(drawing).sum() == 100


def test_uploaded_mask_of_another_shape_is_stretched_with_a_note() -> None:
    square = Image.new("L", (50, 50), 255)
    mask, notes = editor.uploaded_mask(square, (W, H))
    assert mask.size == (W, H) and painted(mask).all()
    assert len(notes) == 1 and "50 x 50" in notes[0] and "stretched" in notes[0]
    same_shape, notes = editor.uploaded_mask(Image.new("L", (2 * W, 2 * H), 255), (W, H))
    assert notes == [] and same_shape.size == (W, H)


def test_read_inputs_without_photo_says_so() -> None:
    with pytest.raises(InputImageError) as info:
        editor.read_inputs({"background": None, "layers": [layer((0, 0, 5, 5))], "composite": None})
    assert info.value.message == editor.NO_IMAGE_MESSAGE


def test_read_inputs_uses_painting_or_else_the_mask_file_with_a_note() -> None:
    painting = value(layer((10, 10, 29, 19)))
    got = editor.read_inputs(painting)
    assert got.source == "painted" and painted(got.mask).sum() == 200 and got.notes == []

    file_mask = Image.new("L", (W, H), 0)
    ImageDraw.Draw(file_mask).rectangle((100, 60, 109, 69), fill=255)
    got = editor.read_inputs(painting, file_mask)
    assert got.source == "uploaded"
    assert painted(got.mask)[60:70, 100:110].all() and painted(got.mask).sum() == 100
    assert any("painted strokes are ignored" in note for note in got.notes)
    # No painting, no note.
    assert editor.read_inputs(value(), file_mask).notes == []


def test_empty_painting_is_returned_for_the_caller_to_judge() -> None:
    got = editor.read_inputs(value())
    assert got.source == "painted" and not painted(got.mask).any()


def test_photo_file_reads_only_the_header_and_leaves_transparency_to_the_decoder(
    tmp_path,
) -> None:
    sideways = tmp_path / "sideways.jpg"
    exif = Image.Exif()
    exif[0x0112] = 8  # stored 30 x 20, shown 20 x 30
    Image.new("RGB", (30, 20), (9, 9, 9)).save(sideways, exif=exif)
    assert editor.photo_file({"background": {"path": str(sideways)}}) == (str(sideways), (20, 30))
    glass = tmp_path / "canvas.png"
    Image.new("RGBA", (30, 20), (0, 0, 0, 0)).save(glass)  # may be the empty canvas
    assert editor.photo_file({"background": str(glass)}) is None
    assert editor.photo_file({"background": Image.new("RGB", (4, 4))}) is None  # no file
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    with pytest.raises(InputImageError, match="not an image"):
        editor.photo_file({"background": str(text)})


# -- the editor's fixed canvas and the full-size photo ---------------------------------
def test_the_photo_fills_the_canvas_with_its_long_side_centred_in_whole_pixels() -> None:
    side = canvas.EDIT_SIDE
    assert canvas.photo_box((4000, 3000), (side, side)) == (0, side // 8, side, side - side // 8)
    assert canvas.photo_box((3000, 4000), (side, side)) == (side // 8, 0, side - side // 8, side)
    assert canvas.photo_box((500, 500), (side, side)) == (0, 0, side, side)
    # The photo's own shape at any resolution: the whole layer.
    assert canvas.photo_box((W, H), (2 * W, 2 * H)) == (0, 0, 2 * W, 2 * H)
    for size in [(1001, 667), (640, 427), (4032, 3024), (37, 1000), (1000, 999)]:
        left, top, right, bottom = canvas.photo_box(size, (side, side))
        # Equal bands of whole pixels, so gradio centres the copy exactly there.
        assert left == side - right and top == side - bottom
        assert canvas.display_size(size) == (right - left, bottom - top)
        assert abs((right - left) / (bottom - top) - size[0] / size[1]) < 2 / min(
            right - left, bottom - top
        )


def test_paint_on_the_canvas_lands_on_the_same_pixels_of_the_full_size_photo() -> None:
    """A 4000 x 3000 photo: a canvas pixel is 3.90625 photo pixels, the band 128 px."""
    side = canvas.EDIT_SIDE
    scale = 4000 / side
    band = canvas.photo_box((4000, 3000), (side, side))[1]
    layer_img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    # Canvas x 256..511, y band+192..band+383 -> photo x 1000..1999, y 750..1499.
    ImageDraw.Draw(layer_img).rectangle((256, band + 192, 511, band + 383), fill=(255, 0, 0, 150))
    # Paint in the band above the photo is not on the photo.
    ImageDraw.Draw(layer_img).rectangle((0, 0, side - 1, band - 1), fill=(255, 0, 0, 150))
    mask = painted(editor.painted_mask({"layers": [layer_img]}, (4000, 3000)))
    expected = np.zeros((3000, 4000), bool)
    rows, cols = slice(round(192 * scale), round(384 * scale)), slice(1000, 2000)
    expected[rows, cols] = True
    assert mask.shape == (3000, 4000)
    assert np.array_equal(mask, expected)


def test_the_editor_copy_is_upright_and_shaped_like_the_photo(tmp_path) -> None:
    """An EXIF-rotated photo (stored 40 x 30, shown 30 x 40) is shown as the user sees it."""
    stored = Image.new("RGB", (40, 30), (200, 0, 0))
    ImageDraw.Draw(stored).rectangle((0, 0, 9, 29), fill=(0, 0, 200))  # blue on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to show
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=95)
    copy = canvas.display_copy(str(path))
    assert copy.size == canvas.display_size((30, 40))
    assert copy.size[1] == canvas.EDIT_SIDE  # portrait: the height fills the canvas
    top = np.asarray(copy)[: copy.size[1] // 10].mean(axis=(0, 1))
    assert top[2] > 150 and top[0] < 80  # the stored left (blue) is now the top
    with pytest.raises(InputImageError):
        canvas.display_copy(str(tmp_path / "missing.png"))
