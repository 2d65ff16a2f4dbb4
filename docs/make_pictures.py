"""Make the README's pictures offline, with the project itself (no key, no network).

    .venv/bin/python docs/make_pictures.py [outpaint|sweep]

* ``docs/outpaint.png``: a landscape cut to 4:3, before and after ``client.outpaint``
  to 16:9, with the new area and the old border shown at full size below;
* ``docs/sweep-grid.png``: the contact sheet of a 3 x 2 sweep (pre-fill x strength).

The fill-engine strip (``docs/fill-strip.png``) comes from ``python -m inpaint
evaluate`` (see ``benchmarks/fill_quality.py``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from inpaint import ModelsLabClient
from inpaint.outpaint import Extension

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PHOTOS = EXAMPLES / "photos"
DOCS = ROOT / "docs"


def side_by_side(before: Image.Image, after: Image.Image, height: int = 300) -> Image.Image:
    scale = height / after.height
    a = before.resize((round(before.width * scale), height), Image.Resampling.LANCZOS)
    b = after.resize((round(after.width * scale), height), Image.Resampling.LANCZOS)
    out = Image.new("RGB", (a.width + b.width + 30, height + 24), "white")
    out.paste(a, (0, 24))
    out.paste(b, (a.width + 30, 24))
    draw = ImageDraw.Draw(out)
    draw.text((4, 4), f"before: {before.width} x {before.height}", fill="black")
    draw.text(
        (a.width + 34, 4), f"after: {after.width} x {after.height} (16:9, offline)", fill="black"
    )
    return out


def with_zoom(
    before: Image.Image, after: Image.Image, ext: Extension, zoom: tuple[int, int]
) -> Image.Image:
    """Before | after, and below them the after at full size (no scaling) around the
    old left border: the new area, the border and the photo, as they are."""
    top = side_by_side(before, after)
    left, height = ext.left, zoom[1]
    y = (after.height - height) // 2
    crop = after.crop((max(0, left - zoom[0] // 2), y, left + zoom[0] // 2, y + height))
    out = Image.new("RGB", (top.width, top.height + crop.height + 28), "white")
    out.paste(top, (0, 0))
    out.paste(crop, (0, top.height + 24))
    draw = ImageDraw.Draw(out)
    draw.text(
        (4, top.height + 6),
        "full size, around the old left border (new area on the left of the middle)",
        fill="black",
    )
    return out


def outpaint_picture(client: ModelsLabClient) -> None:
    """A hard case, honestly: a landscape with a tower near the border, 4:3 to 16:9."""
    source = Image.open(PHOTOS / "china.jpg").convert("RGB")
    side = round(source.height * 4 / 3)
    photo = source.crop((0, 0, side, source.height))
    ext = Extension.to_target(photo.size, "16:9", "center")
    wide = client.outpaint(
        photo,
        "the landscape continues",
        left=ext.left,
        top=ext.top,
        right=ext.right,
        bottom=ext.bottom,
        seed=7,
    )
    with_zoom(photo, wide.images[0], ext, (560, 260)).save(DOCS / "outpaint.png")


def sweep_picture(client: ModelsLabClient) -> None:
    with tempfile.TemporaryDirectory() as out:
        sweep = client.sweep(
            EXAMPLES / "astronaut.png",
            EXAMPLES / "astronaut_mask.png",
            prompt="a plain studio backdrop",
            out_dir=out,
            seed=3,
            vary={"prefill": ["original", "patchmatch", "blur"], "strength": [0.3, 0.7]},
        )
        shutil.copy(sweep.grids[0], DOCS / "sweep-grid.png")


def main(argv: list[str]) -> None:
    wanted = set(argv) or {"outpaint", "sweep"}
    with ModelsLabClient.offline() as client:
        if "outpaint" in wanted:
            outpaint_picture(client)
            print("wrote docs/outpaint.png")
        if "sweep" in wanted:
            sweep_picture(client)
            print("wrote docs/sweep-grid.png")


if __name__ == "__main__":
    main(sys.argv[1:])
