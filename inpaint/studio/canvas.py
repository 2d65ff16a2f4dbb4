"""The editor's canvas and the photo: where one sits on the other, both ways.

The page paints on a copy of the photo, never on the photo itself: gradio's
``ImageEditor`` exports its whole canvas (the photo, each layer and the
composite, as PNGs) every time it is read, which for a 12 MP photo took 10-20 s
in a browser without a GPU. So the editor has a fixed square canvas of
``EDIT_SIDE`` px (``fixed_canvas``), and the photo travels once, at full
resolution, through its own upload component; the editor shows a copy scaled
so that its long side fills the canvas (``display_copy``), centred, and the
paint read back from the canvas is mapped onto the full-size photo here
(``photo_box``): the band above and below a landscape photo (left and right of
a portrait one) is cropped away, the rest scaled up.

The copy's short side is rounded to an even number of pixels, so the band on
each side is a whole number of pixels and gradio centres the copy exactly
where ``photo_box`` expects it (gradio rounds a half-pixel offset either way).
The copy is drawn 1:1, unscaled, since its long side already is the canvas's.
Every photo, small or large, fills the same canvas, so one brush size (in
canvas pixels) is the same share of every photo.
"""

from __future__ import annotations

from PIL import Image

from .. import images as imgs

# The editor's canvas side. Each read of the editor encodes the canvas three
# times as PNG (photo, paint, composite); without a GPU, 2048 px took 10 s per
# read on the shared machine and 1536 px 3 s, 1024 px 1-1.5 s. At 1024 a
# stroke's edge on a 12 MP photo (4000 px wide) falls on a 4 px grid, well
# inside the blend band the paste-back gives a photo that size (about 20 px);
# where the painting lies is exact (``photo_box``), only its edge is coarser.
EDIT_SIDE = 1024


def photo_box(
    photo_size: tuple[int, int], canvas_size: tuple[int, int] = (EDIT_SIDE, EDIT_SIDE)
) -> tuple[int, int, int, int]:
    """Where a photo of ``photo_size`` sits on a canvas of ``canvas_size``, as
    (left, top, right, bottom): scaled to fit, centred, bands of whole pixels.

    A canvas of the photo's own shape (a layer at the photo's size or a
    multiple of it) is the whole canvas, with no band.
    """
    width, height = photo_size
    cw, ch = canvas_size
    if width <= 0 or height <= 0 or cw <= 0 or ch <= 0:
        raise ValueError(f"no photo fits: {photo_size} on {canvas_size}")
    if width * ch == height * cw:  # the same shape: no band
        return 0, 0, cw, ch
    if width * ch > height * cw:  # wider than the canvas: bands above and below
        band = max(0, round((ch - height * cw / width) / 2))
        return 0, band, cw, ch - band
    band = max(0, round((cw - width * ch / height) / 2))
    return band, 0, cw - band, ch


def display_size(photo_size: tuple[int, int], side: int = EDIT_SIDE) -> tuple[int, int]:
    """The size the photo is shown at on the editor's ``side`` x ``side`` canvas."""
    left, top, right, bottom = photo_box(photo_size, (side, side))
    return right - left, bottom - top


def display_copy(source: imgs.ImageSource, side: int = EDIT_SIDE) -> Image.Image:
    """The photo as the editor shows it: upright, RGB, scaled to ``display_size``."""

    def shown(upright: tuple[int, int]) -> tuple[int, int]:
        return display_size(upright, side)

    photo = imgs.to_rgb(imgs.load_image(source, what="image", reduce_for=shown))
    size = display_size(photo.size, side)
    if photo.size == size:
        return photo
    return photo.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def crop_to_photo(layer: Image.Image, photo_size: tuple[int, int]) -> Image.Image:
    """The part of a canvas-sized ``layer`` that lies over a photo of ``photo_size``."""
    box = photo_box(photo_size, layer.size)
    return layer if box == (0, 0, *layer.size) else layer.crop(box)
