"""``python -m inpaint sweep`` and ``python -m inpaint replay``: experiments from a shell.

A sweep says what it will cost before it sends anything and asks above
``CONFIRM_ABOVE`` paid jobs (``--yes`` skips the question; offline jobs cost
nothing and are never asked about). It can be stopped at any point and run
again: finished cells are not paid for twice (see ``inpaint.sweep``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from PIL import Image

from ..errors import ModelsLabError, ParameterError
from ..metadata import read_parameters
from ..outputs import output_problem
from ..params import OPTIONS, PARAMS
from ..request import InpaintRequest, spec
from ..sweep import MAX_AXES, CellResult, SweepPlan, SweepRunner, load_inputs, plan_sweep
from .args import UsageError, request_from
from .parser import EXIT_API, EXIT_AUTH, EXIT_OK, EXIT_PENDING, EXIT_USAGE, add_param
from .runner import Backend, Interrupt, NoKeyError, exit_code_for

CONFIRM_ABOVE = 4  # paid jobs a sweep may send without asking
TEXT_SEPARATOR = "|"  # prompts contain commas, so lists of text are split on "|"


def _connection(parser: argparse.ArgumentParser) -> None:
    conn = parser.add_argument_group("connection")
    conn.add_argument("--base-url", metavar="URL", help="API base URL")
    conn.add_argument("--offline", action="store_true", help="use the bundled local server")
    conn.add_argument("--max-wait", type=float, default=600, metavar="SECONDS")
    conn.add_argument("--timeout", type=float, default=30, metavar="SECONDS")
    conn.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def sweep_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inpaint sweep",
        description="Run every combination of up to three parameters' values on one photo "
        "and mask; write the images, a labelled grid, an HTML page, a CSV and a "
        "resumable manifest to --out. Prints the grid, page and CSV paths.",
    )
    parser.add_argument("--image", required=True, metavar="PATH")
    parser.add_argument("--mask", required=True, metavar="PATH")
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the sweep's folder (created; run again to resume)",
    )
    parser.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help=f"a parameter and its values (up to {MAX_AXES} times); text "
        f"values are separated by '{TEXT_SEPARATOR}'",
    )
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help=f"do not ask before sending more than {CONFIRM_ABOVE} paid jobs",
    )
    parser.add_argument(
        "--queue-limit",
        type=int,
        default=5,
        metavar="N",
        help="jobs the key may have queued at once (default 5, the smallest plan's)",
    )
    fixed = parser.add_argument_group("fixed parameters (as for a single edit)")
    for param in (*PARAMS, *OPTIONS):
        add_param(fixed, param)
    _connection(parser)
    return parser


def parse_vary(items: list[str]) -> dict[str, list[object]]:
    """``NAME=V1,V2`` -> {name: [values]}, each value converted to the field's type."""
    vary: dict[str, list[object]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not raw.strip():
            raise UsageError(f"--vary needs NAME=V1,V2,... (got {item!r})")
        try:
            param = spec(name)
        except KeyError:
            raise UsageError(f"--vary: {name} is not a parameter") from None
        parts = raw.split(TEXT_SEPARATOR if param.kind == "text" else ",")
        values: list[object] = []
        for part in (p.strip() for p in parts):
            try:
                values.append(float(part) if param.kind == "float" else part)
            except ValueError:
                raise UsageError(
                    f"--vary {name}: {param.name} must be {param.range_text()} (got {part!r})"
                ) from None
        if name in vary:
            raise UsageError(f"--vary {name} is given twice")
        vary[name] = values
    return vary


def _start_backend(args: argparse.Namespace, err: TextIO) -> Backend | int:
    """The client (and, offline, the local server); else the exit code, after saying why."""
    try:
        return Backend(args, err)
    except NoKeyError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_AUTH
    except ModelsLabError as exc:  # e.g. INPAINT_SLOTS_URL or INPAINT_QUEUE_LIMIT unusable
        print(f"error: {exc}", file=err)
        return EXIT_USAGE


def sweep_main(argv: list[str], out: TextIO, err: TextIO) -> int:
    args = sweep_parser().parse_args(argv)
    args.fetch = None
    try:
        vary = parse_vary(args.vary)
        base = request_from(args)
        image, mask = load_inputs(args.image, args.mask)
        plan = plan_sweep(base, vary, image=image, mask=mask)
        problem = output_problem(args.out, folder=True)
        if problem:
            raise UsageError(f"--out: {problem}")
    except (UsageError, ModelsLabError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    backend = _start_backend(args, err)
    if isinstance(backend, int):
        return backend
    try:
        what = "jobs on the local server (free)" if backend.offline else "paid jobs"
        print(
            f"sweep: {len(plan.cells)} cells over {', '.join(plan.names)}: up to "
            f"{plan.job_count} {what}",
            file=err,
            flush=True,
        )
        if (
            not backend.offline
            and plan.job_count > CONFIRM_ABOVE
            and not args.yes
            and not _confirmed(plan.job_count, err)
        ):
            print(
                "error: not confirmed: nothing was sent (add --yes to skip the question)", file=err
            )
            return EXIT_USAGE
        return _run_sweep(args, backend, plan, image, mask, out, err)
    finally:
        backend.close()


def _confirmed(count: int, err: TextIO) -> bool:
    if not sys.stdin.isatty():
        return False
    err.write(f"Send {count} paid jobs to ModelsLab? [y/N] ")
    err.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _run_sweep(
    args: argparse.Namespace,
    backend: Backend,
    plan: SweepPlan,
    image: Image.Image,
    mask: Image.Image,
    out: TextIO,
    err: TextIO,
) -> int:
    done = [0]
    total = len(plan.cells)

    def report(result: CellResult) -> None:
        done[0] += 1
        if args.quiet:
            return
        detail = {
            "done": f"seed {result.seed}, job {', '.join(map(str, result.job_ids))}"
            + (" (from the earlier run)" if result.reused else ""),
            "failed": result.error or "failed",
            "pending": f"still running: job {', '.join(map(str, result.job_ids))}",
        }
        print(
            f"[{done[0]}/{total}] {result.cell.label(plan.names)}: {result.state}, "
            f"{detail.get(result.state, '')}",
            file=err,
            flush=True,
        )

    with Interrupt(err) as interrupt:
        runner = SweepRunner(
            backend.client,
            image,
            mask,
            plan,
            args.out,
            queue_limit=args.queue_limit,
            on_cell=report,
            cancel=interrupt,
        )
        result = runner.run()
    counts = result.counts()
    reused = sum(1 for c in result.cells if c.reused)
    print(
        f"{total} cells: {counts['done']} done ({reused} from an earlier run), "
        f"{counts['failed']} failed, {counts['pending']} pending",
        file=err,
        flush=True,
    )
    for path in (*result.grids, result.html, result.csv):
        print(path, file=out, flush=True)
    if counts["pending"]:
        print("run the same command again to collect the pending cells", file=err)
        return EXIT_PENDING
    return EXIT_API if counts["failed"] else EXIT_OK


# -- replay ---------------------------------------------------------------------------------
def replay_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inpaint replay",
        description="Repeat a saved result from the parameters its PNG carries, on the same "
        "photo and mask (offline: the same pixels; with the API: the same "
        "request). An extension (outpainting) is replayed from the photo alone. "
        "Prints the paths written.",
    )
    parser.add_argument("result", metavar="RESULT.png", help="a PNG saved by this tool")
    parser.add_argument("--image", required=True, metavar="PATH")
    parser.add_argument(
        "--mask",
        metavar="PATH",
        help="the mask of an edit inside the photo (an extension takes none: its new "
        "area is the mask)",
    )
    parser.add_argument("--out", required=True, metavar="PATH")
    _connection(parser)
    return parser


def replay_main(argv: list[str], out: TextIO, err: TextIO) -> int:
    args = replay_parser().parse_args(argv)
    args.fetch = None
    try:
        recorded = read_parameters(args.result)
        if not recorded.get("prompt"):
            raise ParameterError("the PNG records no prompt, so it cannot be replayed")
        request = InpaintRequest.from_recorded(recorded)
        if request.extension.any and args.mask:
            print(
                "note: the PNG is an extension (outpainting); its new area is the mask, "
                "so --mask is not used",
                file=err,
            )
            args.mask = None
        elif not request.extension.any and not args.mask:
            raise UsageError(
                "--mask is required: the PNG is an edit inside the photo (give the mask it "
                "was made with)"
            )
        problem = output_problem(args.out)
        if problem:
            raise UsageError(f"--out: {problem}")
    except (UsageError, ModelsLabError, OSError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    backend = _start_backend(args, err)
    if isinstance(backend, int):
        return backend
    try:
        with Interrupt(err) as interrupt:
            result = backend.client.run(args.image, args.mask, request, cancel=interrupt)
        paths = result.save(Path(args.out))
    except (ModelsLabError, KeyboardInterrupt) as exc:
        print(f"error: {exc}", file=err)
        return exit_code_for(exc)
    finally:
        backend.close()
    sample = recorded.get("sample")
    if sample and len(paths) >= int(sample):
        print(
            f"the PNG was sample {sample} of its job: compare it with {paths[int(sample) - 1]}",
            file=err,
        )
    for path in paths:
        print(path, file=out, flush=True)
    return EXIT_OK
