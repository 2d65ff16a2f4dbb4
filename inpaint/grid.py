"""A sweep's reports: labelled contact sheets, an HTML page, and a CSV.

The contact sheet is what a researcher looks at first, so it must read at a
glance: the first axis runs across, the second down, a third gives one sheet
per value; every column and row is titled with its parameter and value, and
every cell shows its seed. On a large photo a whole result scaled to a
thumbnail shows nothing of the edit, so each cell is cut to the edited area
(the mask's bounding box widened by half its size, at least 256 px) when the
photo's long side is over ``CROP_ABOVE`` px.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from .sweep import CellResult, SweepPlan, SweepResult

THUMB = 320  # longest side of a cell on the sheet
CROP_ABOVE = 1024  # photos larger than this are shown cut to the edited area
PAD = 12
HEADER = 44
LABEL = 26
BACKGROUND = (250, 250, 250)
INK = (20, 20, 20)
MUTED = (110, 110, 110)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def edit_box(mask: Image.Image) -> tuple[int, int, int, int] | None:
    """The area a cell shows on a large photo: the mask's box widened by half its size."""
    box = mask.getbbox()
    if box is None or max(mask.size) <= CROP_ABOVE:
        return None
    left, top, right, bottom = box
    grow_x = max((right - left) // 2, (256 - (right - left)) // 2, 0)
    grow_y = max((bottom - top) // 2, (256 - (bottom - top)) // 2, 0)
    return (
        max(0, left - grow_x),
        max(0, top - grow_y),
        min(mask.width, right + grow_x),
        min(mask.height, bottom + grow_y),
    )


def _thumb(image: Image.Image, box: tuple[int, int, int, int] | None) -> Image.Image:
    view = image.crop(box) if box is not None and image.size[0] >= box[2] else image
    view = view.convert("RGB")
    view.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
    return view


def contact_sheet(
    plan: SweepPlan,
    results: Sequence[CellResult],
    *,
    title: str,
    box: tuple[int, int, int, int] | None,
) -> Image.Image:
    """One sheet: the first axis across, the second (if any) down."""
    names = plan.names
    xs = plan.axes[0][1]
    ys = plan.axes[1][1] if len(plan.axes) > 1 else (None,)
    thumbs = {id(r): _thumb(r.images[0], box) for r in results if r.images}
    cell_w = max([t.width for t in thumbs.values()] + [THUMB // 2])
    cell_h = max([t.height for t in thumbs.values()] + [THUMB // 2])
    row_head = 0 if len(plan.axes) == 1 else 150
    width = row_head + len(xs) * (cell_w + PAD) + PAD
    height = HEADER + LABEL + len(ys) * (cell_h + LABEL + PAD) + PAD
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((PAD, 10), title, fill=INK, font=_font(22))
    for i, x in enumerate(xs):
        left = row_head + PAD + i * (cell_w + PAD)
        draw.text((left, HEADER), f"{names[0]} = {_value(x)}", fill=INK, font=_font(16))
    by_values = {r.cell.values[:2]: r for r in results}
    for j, y in enumerate(ys):
        top = HEADER + LABEL + j * (cell_h + LABEL + PAD)
        if y is not None:
            draw.multiline_text(
                (PAD, top + cell_h // 2 - 10),
                f"{names[1]} =\n{_value(y)}",
                fill=INK,
                font=_font(16),
            )
        for i, x in enumerate(xs):
            left = row_head + PAD + i * (cell_w + PAD)
            key = (x,) if y is None else (x, y)
            result = by_values.get(key)
            _draw_cell(sheet, draw, result, thumbs, (left, top), (cell_w, cell_h))
    return sheet


def _draw_cell(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    result: CellResult | None,
    thumbs: dict[int, Image.Image],
    at: tuple[int, int],
    size: tuple[int, int],
) -> None:
    left, top = at
    if result is not None and id(result) in thumbs:
        thumb = thumbs[id(result)]
        sheet.paste(thumb, (left + (size[0] - thumb.width) // 2, top))
        seed = "?" if result.seed is None else str(result.seed)
        draw.text((left, top + size[1] + 4), f"seed {seed}", fill=MUTED, font=_font(14))
        return
    draw.rectangle((left, top, left + size[0], top + size[1]), outline=MUTED)
    state = "not run" if result is None else result.state
    draw.text((left + 10, top + size[1] // 2 - 8), state, fill=MUTED, font=_font(16))


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 28 else text[:27] + "…"


def write_reports(
    plan: SweepPlan, results: list[CellResult], out_dir: Path, image: Image.Image, mask: Image.Image
) -> SweepResult:
    """Sheets (one per value of a third axis), the HTML page and the CSV; the result."""
    from .sweep import SweepResult

    box = edit_box(mask)
    grids = []
    groups: list[tuple[str, list[CellResult]]]
    if len(plan.axes) == 3:
        name, values = plan.axes[2]
        groups = [
            (f"{name} = {_value(v)}", [r for r in results if r.cell.values[2] == v]) for v in values
        ]
    else:
        groups = [("", results)]
    for number, (suffix, group) in enumerate(groups, 1):
        across = " · ".join(
            f"{'across' if i == 0 else 'down'}: {n}" for i, n in enumerate(plan.names[:2])
        )
        title = across + (f" · {suffix}" if suffix else "")
        sheet = contact_sheet(plan, group, title=title, box=box)
        path = out_dir / ("grid.png" if len(groups) == 1 else f"grid-{number}.png")
        sheet.save(path)
        grids.append(path)
    csv_path = _write_csv(plan, results, out_dir / "cells.csv")
    html_path = _write_html(plan, results, grids, out_dir / "index.html")
    return SweepResult(plan, results, out_dir, grids, html_path, csv_path)


def _write_csv(plan: SweepPlan, results: list[CellResult], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["cell", *plan.names, "state", "job_ids", "seed", "generation_time", "files", "error"]
        )
        for r in sorted(results, key=lambda r: r.cell.index):
            writer.writerow(
                [
                    r.cell.index,
                    *(_value(v) for v in r.cell.values),
                    r.state,
                    " ".join(map(str, r.job_ids)),
                    r.seed,
                    r.generation_time,
                    " ".join(r.files),
                    r.error or "",
                ]
            )
    return path


def _write_html(plan: SweepPlan, results: list[CellResult], grids: list[Path], path: Path) -> Path:
    rows = []
    for r in sorted(results, key=lambda r: r.cell.index):
        label = html.escape(r.cell.label(plan.names))
        images = "".join(
            f'<a href="{html.escape(f)}"><img src="{html.escape(f)}" loading="lazy"></a>'
            for f in r.files
        )
        params = html.escape(
            json.dumps(r.cell.request.kwargs(changed_only=True), ensure_ascii=False, default=str)
        )
        detail = f"seed {r.seed}, jobs {', '.join(map(str, r.job_ids)) or '-'}"
        if r.error:
            detail += f" · {html.escape(r.error)}"
        rows.append(
            f"<tr><td><b>{label}</b><br>{r.state} · {html.escape(detail)}<br>"
            f"<code>{params}</code></td><td>{images}</td></tr>"
        )
    sheets = "".join(f'<p><img src="{g.name}" style="max-width:100%"></p>' for g in grids)
    page = (
        "<!doctype html><meta charset='utf-8'><title>Sweep</title>"
        "<style>body{font-family:sans-serif;margin:20px}img{max-width:420px;margin:2px}"
        "td{vertical-align:top;padding:6px;border-bottom:1px solid #ddd}</style>"
        f"<h1>Sweep over {html.escape(', '.join(plan.names))}</h1>{sheets}"
        f"<table>{''.join(rows)}</table>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def notebook_html(result: SweepResult) -> str:
    """The sheets inline, for Jupyter's rich display."""
    parts = []
    for grid in result.grids:
        data = base64.b64encode(grid.read_bytes()).decode("ascii")
        parts.append(f'<img src="data:image/png;base64,{data}" style="max-width:100%">')
    counts = ", ".join(f"{n} {k}" for k, n in result.counts().items() if n)
    return "".join(parts) + f"<p>{html.escape(counts)} · {html.escape(str(result.out_dir))}</p>"


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
