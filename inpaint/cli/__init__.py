"""``python -m inpaint``: inpainting from the command line, one photo or a folder.

Modules: ``parser`` (flags generated from the parameter specification, exit
codes), ``args`` (checks before anything is sent, the ``InpaintRequest``),
``runner`` (backend, Ctrl-C, one photo, a folder, a fetch), ``batch`` (folder
mode's photo/mask pairing), ``progressbar`` (the stderr display).

Without ``MODELSLAB_API_KEY`` (or with ``--offline``) the bundled local server
runs inside this process, as in the studio's offline mode. stdout carries only
the paths of the PNGs written, one per line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..errors import ModelsLabError, ParameterError
from ..offline import OFFLINE_EXTEND_PROMPT
from ..outputs import output_problem
from . import batch
from .args import (
    UsageError,
    check_args,
    is_url,
    outpainting,
    request_from,
    resolve_extend_to,
)
from .parser import (
    EXIT_API,
    EXIT_AUTH,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    build_parser,
    flag_name,
)
from .runner import (
    Backend,
    Context,
    Interrupt,
    NoKeyError,
    exit_code_for,
    run_fetch,
    run_folder,
    run_one,
    runs_offline,
    single_output,
)

__all__ = ["EXIT_CODES", "build_parser", "exit_code_for", "flag_name", "main", "request_from"]


SUBCOMMANDS = ("sweep", "replay", "evaluate")


def main(
    argv: list[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code (see ``EXIT_CODES``).

    ``sweep``, ``replay`` and ``evaluate`` as the first word run those commands
    (``python -m inpaint sweep --help``); anything else is one edit or a folder.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv[0], argv[1:], out, err)
    return edit_main(argv, out, err)


def _subcommand(name: str, argv: list[str], out: TextIO, err: TextIO) -> int:
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True))
    if name == "evaluate":
        from ..evaluate import main as evaluate_main

        return evaluate_main(argv)
    from .experiments import replay_main, sweep_main

    return (sweep_main if name == "sweep" else replay_main)(argv, out, err)


def offline_extension_without_prompt(args: argparse.Namespace) -> bool:
    """An extension run offline with no ``--prompt``: none is demanded, as in the studio
    (the classical fill ignores it and continues the photo)."""
    return (
        args.fetch is None
        and outpainting(args)
        and not (args.prompt or "").strip()
        and runs_offline(args)
    )


def edit_main(argv: list[str], out: TextIO, err: TextIO) -> int:
    """One photo, a folder of photos, or ``--fetch``: the original command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not any((args.image, args.mask, args.out, args.fetch)):
        parser.print_usage(err)
        print(f"error: nothing to do: see {PROG} --help", file=err)
        return EXIT_USAGE
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True))  # first: a key in .env decides what is offline
    try:
        check_args(args)
        folder = args.fetch is None and not is_url(args.image) and Path(args.image).is_dir()
        if not folder:
            resolve_extend_to(args)  # a folder's photos are measured one by one
        if offline_extension_without_prompt(args):
            args.prompt = OFFLINE_EXTEND_PROMPT
            print("note: no --prompt needed offline: the local fill ignores it", file=err)
        request = request_from(args) if args.fetch is None else None
        pairs: list[batch.Pair] = []
        if folder:
            pairs = batch.plan(
                Path(args.image), Path(args.mask) if args.mask else None, Path(args.out)
            )
            if not pairs:
                raise UsageError(f"no photos (png, jpg, jpeg, webp) in {args.image}")
        elif (
            args.fetch is None and args.mask and not is_url(args.mask) and Path(args.mask).is_dir()
        ):
            found = batch.find_mask(Path(args.image), Path(args.mask))
            if found is None:
                raise UsageError(f"no mask for {args.image} in {args.mask}")
            args.mask = str(found)
        # Before anything is sent: a paid result that cannot be saved is lost.
        problem = (
            output_problem(args.out, folder=True) if folder else output_problem(single_output(args))
        )
        if problem:
            raise UsageError(f"--out: {problem}")
    except (UsageError, ParameterError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    needed = not folder or outpainting(args) or any(p.mask is not None for p in pairs)
    backend: Backend | None = None
    try:
        with Interrupt(err) as interrupt:  # installed first: Ctrl-C at any point is handled
            try:
                backend = Backend(args, err) if needed else None
            except NoKeyError as exc:
                print(f"error: {exc}", file=err)
                return EXIT_AUTH
            except ModelsLabError as exc:  # e.g. INPAINT_SLOTS_URL or INPAINT_QUEUE_LIMIT
                print(f"error: {exc}", file=err)
                return EXIT_USAGE
            except (OSError, RuntimeError) as exc:
                print(f"error: the local server could not start: {exc}", file=err)
                return EXIT_API
            ctx = Context(args, backend, interrupt, out, err)
            if args.fetch is not None:
                return run_fetch(ctx, args.fetch, Path(args.out))
            assert request is not None
            if folder:
                return run_folder(ctx, request, pairs)
            return run_one(ctx, request, args.image, args.mask, single_output(args))
    except KeyboardInterrupt:
        print("error: interrupted", file=err)
        return EXIT_INTERRUPTED
    finally:
        if backend is not None:
            backend.close()
