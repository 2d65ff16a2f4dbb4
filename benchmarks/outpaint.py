"""Outpainting offline at 1, 3 and 12 megapixels: seconds and the new area's quality.

``python benchmarks/outpaint.py [--quick] [--latency S] [--label NAME] [--json FILE]`` extends
the landscape photo (``examples/photos/china.jpg``, cut to 4:3 and enlarged) on
the left by 30 % of its width and at the bottom by 20 % of its height (the
issue's cases: 2016 x 1512 + 600 left + 300 down, 4032 x 3024 + 1000 + 500)
with ``client.outpaint`` and its defaults against the local server in this
process, and prints per size: wall seconds, CPU seconds of the process, the
machine's load (``os.getloadavg``, the 1-minute figure at the end), the new
sides' detail relative to the photo strip beside them, the share of flat 32 px
blocks, and the worst step across a tile or pass join or the old border
(``inpaint.outpaint_eval``). ``--latency S`` gives every job S seconds of
simulated model time (the server waits, as ModelsLab's queue does), which is
where running independent tiles at once pays with a key; ``--only`` picks
sizes (``--only "3 MP"``); ``--save DIR`` writes the results to look at;
``--workers N`` lets the local server run N jobs at once (the bundled one runs
2; ModelsLab runs a key's queue, up to 5 on the smallest plan); ``--engine
quick`` makes the server's own fill nearly free, as a key's jobs are for this
machine (the model runs at ModelsLab), so the time left is the job time and
this side's pre-fill and put-back; ``--prefill original`` leaves out this
side's pre-fill too, so what is left is the job time and how the jobs are
ordered.
``--json`` keeps the rows; ``--merge A.json B.json [--write]`` prints (and
writes into ``benchmarks/RESULTS.md``) a before/after table from two such
files, measured back to back.

The enlarged photo is softer than a camera's, so "detail" is relative to the
photo's own strip, never absolute.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/outpaint.py` from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Section, render  # noqa: E402

TITLE = "Outpainting offline (1, 3, 12 MP): time and the new area's quality"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SIZES = {"1 MP": (1152, 864), "3 MP": (2016, 1512), "12 MP": (4032, 3024)}
PHOTO = ROOT / "examples" / "photos" / "china.jpg"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    sizes: dict[str, tuple[int, int]],
    latency: float = 0.0,
    save: Path | None = None,
    workers: int | None = None,
    engine: str | None = None,
    prefill: str | None = None,
) -> list[dict[str, object]]:
    """One extension per size, through the client and the in-process local server."""
    import numpy as np
    from PIL import Image

    from inpaint.outpaint import Extension
    from inpaint.outpaint_eval import detail, flat_share, side_areas, worst_seam

    source = Image.open(PHOTO).convert("RGB")
    side = round(source.height * 4 / 3)
    left = (source.width - side) // 2
    four_three = source.crop((left, 0, left + side, source.height))
    rows = []
    with _client(latency, workers, engine) as client:
        for name, size in sizes.items():
            photo = four_three.resize(size, Image.Resampling.BICUBIC)
            ext = Extension(
                left=round(0.3 * size[0]) // 8 * 8, bottom=round(0.2 * size[1]) // 4 * 4
            )
            started, cpu = time.perf_counter(), _cpu()
            options = {"prefill": prefill} if prefill else {}
            result = client.outpaint(
                photo, "more", left=ext.left, bottom=ext.bottom, seed=7, **options
            )
            seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu
            if save is not None:  # to look at (joins, the old border)
                save.mkdir(parents=True, exist_ok=True)
                result.images[0].save(save / f"outpaint-{name.replace(' ', '')}.png")
            out = np.asarray(result.images[0])
            sides = {
                s: (detail(new) / detail(beside), flat_share(new, beside))
                for s, new, beside in side_areas(out, photo.size, ext)
            }
            row = {
                "size": f"{name} ({size[0]} x {size[1]} + {ext.left} left + {ext.bottom} down)",
                "jobs": len(result.jobs),
                "latency": latency,
                "workers": workers,
                "engine": engine,
                "prefill": prefill,
                "seconds": seconds,
                "cpu": cpu_seconds,
                "load": os.getloadavg()[0],
                "detail": {s: v[0] for s, v in sides.items()},
                "flat": {s: v[1] for s, v in sides.items()},
                "seam": worst_seam(out, photo.size, ext),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def _client(latency: float, workers: int | None, engine: str | None) -> Any:
    """The bundled server's client, or one of a server running ``workers`` jobs at once
    with ``engine``."""
    from inpaint import ModelsLabClient

    if workers is None and engine is None:
        return ModelsLabClient.offline(latency=latency)
    from inpaint.server import ServerConfig, serve_in_background

    config = ServerConfig(latency=latency, workers=workers or 2, engine=engine or "patchmatch")
    server = serve_in_background(config)
    client = ModelsLabClient(api_key="bench", base_url=server.base_url)
    client._server = server  # stopped by close()
    return client


def _cells(row: dict[str, object]) -> list[str]:
    detail = row["detail"]
    flat = row["flat"]
    assert isinstance(detail, dict) and isinstance(flat, dict)
    return [
        str(row["jobs"]),
        f"{row['seconds']:.0f}",
        f"{row['cpu']:.0f}",
        f"{row['load']:.1f}",
        " / ".join(f"{detail[s]:.2f}" for s in ("left", "bottom")),
        " / ".join(f"{flat[s]:.2f}" for s in ("left", "bottom")),
        f"{row['seam']:.2f}",
    ]


def section(runs: dict[str, list[dict[str, object]]]) -> Section:
    """The before/after table (rows of each size next to each other)."""
    out = Section(
        TITLE,
        [
            "size",
            "engine",
            "jobs",
            "wall s",
            "CPU s",
            "load",
            "detail left / bottom",
            "flat left / bottom",
            "worst seam",
        ],
    )
    labels = list(runs)
    for index in range(len(runs[labels[0]])):
        for label in labels:
            row = runs[label][index]
            out.add(row["size"], label, *_cells(row))
    out.note(
        "Each engine measured by `python benchmarks/outpaint.py --label L --json L.json` (the "
        "'before' one from a checkout of the commit before this engine, with this script and "
        "the photo copied in), one after the other on the same machine, then tabulated with "
        "`--merge before=before.json after=after.json --write`. The 2 cores are shared with "
        "other agents: 'load' is the 1-minute load average at the end of each row, and CPU s "
        "(this process's user + system time, the local server included) is the figure the "
        "load disturbs least."
    )
    out.note(
        "Detail = high-frequency energy of each new side / the photo's strip beside it (target "
        "0.6-1.5); flat = share of 32 px blocks below 0.3 of that strip's median block (target "
        "<= 0.2; the left strip of this photo is itself 31 % flat: sky); seam = the largest step "
        "across the old border or a tile/pass join relative to the steps beside it (about 1 = "
        "invisible). The photo is a 640 px landscape enlarged, so softer than a camera's."
    )
    return out


def run(quick: bool = False) -> Section:
    """This engine alone (for ``python -m benchmarks``)."""
    started = time.perf_counter()
    sizes = {"1 MP": SIZES["1 MP"]} if quick else SIZES
    result = section({"current": measure(sizes)})
    result.seconds = time.perf_counter() - started
    return result


def write(table: Section, path: Path = RESULTS) -> None:
    """Put the table into ``path``: replace an earlier one of the same title, else append."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    heading = f"## {TITLE}"
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        end = len(text) if following < 0 else following + 1
        text = text[:start] + render(table) + "\n" + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + render(table) + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 MP only")
    parser.add_argument("--only", action="append", choices=list(SIZES), help="these sizes")
    parser.add_argument("--latency", type=float, default=0.0, help="simulated s per job")
    parser.add_argument("--workers", type=int, help="jobs the local server runs at once")
    parser.add_argument("--engine", help="the local server's engine (quick: the fill costs ~0)")
    parser.add_argument("--prefill", help="the extension's pre-fill (default: patchmatch)")
    parser.add_argument("--save", type=Path, help="write each result PNG into this folder")
    parser.add_argument("--label", default="current")
    parser.add_argument("--json", type=Path, help="keep the rows in this file")
    parser.add_argument("--merge", nargs="+", type=Path, help="label=FILE.json ... to tabulate")
    parser.add_argument("--write", action="store_true", help=f"write the table into {RESULTS}")
    args = parser.parse_args(argv)
    if args.merge:
        runs = {}
        for item in args.merge:
            label, _, path = str(item).partition("=")
            runs[label] = json.loads(Path(path).read_text())
        table = section(runs)
    else:
        names = args.only or (["1 MP"] if args.quick else list(SIZES))
        sizes = {name: SIZES[name] for name in names}
        rows = measure(
            sizes,
            latency=args.latency,
            save=args.save,
            workers=args.workers,
            engine=args.engine,
            prefill=args.prefill,
        )
        if args.json:
            args.json.write_text(json.dumps(rows))
        table = section({args.label: rows})
    print(render(table))
    if args.write:
        write(table, RESULTS)
        print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
