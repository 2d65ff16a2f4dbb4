"""Make the README's pictures offline, with the project itself (no key, no network).

    .venv/bin/python docs/make_pictures.py

* ``docs/outpaint.png``: a sample photo before and after ``client.outpaint`` to 16:9;
* ``docs/sweep-grid.png``: the contact sheet of a 3 x 2 sweep (pre-fill x strength).

The fill-engine strip (``docs/fill-strip.png``) comes from ``python -m inpaint
evaluate`` (see ``benchmarks/fill_quality.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from inpaint import ModelsLabClient
from inpaint.outpaint import Extension

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
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


def main() -> None:
    photo = Image.open(EXAMPLES / "coffee.png").convert("RGB")
    ext = Extension.to_target(photo.size, "16:9", "center")
    with ModelsLabClient.offline() as client:
        wide = client.outpaint(
            photo,
            "the wooden table continues",
            left=ext.left,
            top=ext.top,
            right=ext.right,
            bottom=ext.bottom,
            seed=7,
        )
        side_by_side(photo, wide.images[0]).save(DOCS / "outpaint.png")
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
    print("wrote docs/outpaint.png and docs/sweep-grid.png")


if __name__ == "__main__":
    main()
