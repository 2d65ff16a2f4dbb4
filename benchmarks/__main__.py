"""``python -m benchmarks [--quick] [--only NAME[,NAME]] [--out PATH]``.

Runs the benchmarks in order, prints each table as it is done, and writes all
of them (with the machine, Python and library versions) to ``--out``. Nothing
here asserts a timing: targets are printed as met or missed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from benchmarks.common import ROOT, Section, machine, render, write_results

NAMES = (
    "prepare",
    "lateness",
    "overhead",
    "studio_load",
    "browser",
    "engine",
    "fill_quality",
    "outpaint",
    "sweep",
    "studio_resources",
    "generate_click",
    "shared_state",
    "replicas",
    "put_back",
)
DEFAULT_OUT = ROOT / "benchmarks" / "RESULTS.md"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every benchmark briefly (fewer runs; for catching breakage)",
    )
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(NAMES)}")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Markdown file to write (default benchmarks/RESULTS.md; in --quick "
        "mode nothing is written unless --out is given)",
    )
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(NAMES)
    unknown = [n for n in chosen if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    args.chosen = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    print("\n".join(machine()), flush=True)
    sections: list[Section] = []
    failed = []
    for name in args.chosen:
        print(f"\n... running {name}{' (quick)' if args.quick else ''}", flush=True)
        started = time.perf_counter()
        try:
            section = importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            section = Section(
                f"{name}: FAILED",
                ["error"],
                [[traceback.format_exc(limit=1).strip().splitlines()[-1]]],
            )
            section.seconds = time.perf_counter() - started
        sections.append(section)
        print(render(section), flush=True)
    out = args.out if args.out is not None else (None if args.quick else DEFAULT_OUT)
    if out is not None:
        command = (
            "python -m benchmarks"
            + (" --quick" if args.quick else "")
            + (f" --only {','.join(args.chosen)}" if args.only else "")
        )
        write_results(out, sections, quick=args.quick, command=command, preface=PREFACE)
        print(f"\nwrote {out}")
    return 1 if failed else 0


PREFACE = (
    "",
    "What was profiled and changed to reach these figures, with before/after numbers, is in "
    "[profiling.md](profiling.md).",
)


if __name__ == "__main__":
    sys.exit(main())
