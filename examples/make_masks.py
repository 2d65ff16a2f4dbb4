"""Draw the examples' masks (white = repaint) and write them next to the photos.

The masks are committed; this script documents how they were made and remakes
them if a shape needs adjusting: ``python examples/make_masks.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent

# Shapes in the photo's own pixel coordinates, found by looking at the photos.
# Keyed by mask name: ``<name>_mask.png`` is drawn on ``<photo>.png``, the
# photo being the name's first word (``coffee_handle`` -> ``coffee.png``).
SHAPES: dict[str, list[tuple[str, tuple]]] = {
    # The cup's handle: removing it leaves the saucer and the cup's side, which
    # the offline fill continues well (an offline example).
    "coffee_handle": [
        ("ellipse", (190, 224, 268, 314)),
    ],
    # The round mission patch on the suit: plain orange fabric around it, which
    # the offline fill continues well (an offline example).
    "astronaut_patch": [
        ("ellipse", (128, 342, 214, 428)),
    ],
    # The espresso cup with its handle (not the saucer or the spoon).
    "coffee": [
        ("ellipse", (168, 14, 412, 210)),  # the rim and the coffee
        (
            "polygon",
            ((176, 110), (404, 110), (380, 230), (330, 272), (262, 282), (214, 262), (188, 212)),
        ),  # the body
        ("ellipse", (192, 226, 262, 310)),  # the handle
    ],
    # The cat's nose.
    "chelsea": [
        ("ellipse", (228, 218, 298, 272)),
    ],
    # The flag behind the astronaut, left of her shoulder.
    "astronaut": [
        (
            "polygon",
            (
                (0, 0),
                (96, 0),
                (97, 204),
                (84, 222),
                (54, 250),
                (34, 292),
                (19, 360),
                (13, 430),
                (14, 512),
                (0, 512),
            ),
        ),
    ],
}


def make_mask(size: tuple[int, int], shapes: list[tuple[str, tuple]]) -> Image.Image:
    """A binary mask with a slightly grown outline, so the edge of the object goes too."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for kind, geometry in shapes:
        if kind == "ellipse":
            draw.ellipse(geometry, fill=255)
        else:
            draw.polygon(geometry, fill=255)
    grown = mask.filter(ImageFilter.MaxFilter(5))
    return grown.point(lambda v: 255 if v >= 128 else 0)


def main() -> None:
    for name, shapes in SHAPES.items():
        with Image.open(HERE / f"{name.split('_')[0]}.png") as photo:
            size = photo.size
        make_mask(size, shapes).save(HERE / f"{name}_mask.png", optimize=True)
        print(f"wrote {name}_mask.png ({size[0]} x {size[1]})")


if __name__ == "__main__":
    main()
