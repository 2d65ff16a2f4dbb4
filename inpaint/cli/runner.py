"""Running the command line: the backend, Ctrl-C, one photo, a folder, a fetch.

Each run returns the documented exit code (``parser.EXIT_CODES``); errors are
one line on stderr, never a traceback and never the key, and a job id that is
known when something goes wrong is printed with the command that collects it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..client import ModelsLabClient
from ..errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobTimeoutError,
    ModelsLabError,
    PermissionDeniedError,
)
from ..offline import OFFLINE_KEY, OFFLINE_NOTE, start_local_server
from ..request import InpaintRequest
from ..result import InpaintResult
from . import batch
from .args import UsageError, is_url
from .parser import (
    EXIT_API,
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_USAGE,
)
from .progressbar import ProgressBar


class NoKeyError(Exception):
    """A server was named but no key given; exit code 3."""


# -- the backend ----------------------------------------------------------------------
def runs_offline(args: argparse.Namespace) -> bool:
    """``--offline``, or no key and no server named: the bundled local server is used."""
    key = os.environ.get("MODELSLAB_API_KEY", "").strip()
    named = args.base_url or os.environ.get("MODELSLAB_BASE_URL", "").strip()
    return bool(args.offline or (not key and not named))


class Backend:
    """The client to use and, offline, the local server started for this command."""

    def __init__(self, args: argparse.Namespace, err: TextIO) -> None:
        key = os.environ.get("MODELSLAB_API_KEY", "").strip()
        self.server: Any = None
        self.offline = runs_offline(args)
        if self.offline:
            if args.fetch is not None:
                raise NoKeyError(
                    "--fetch needs MODELSLAB_API_KEY: offline jobs end with the "
                    "command that started them"
                )
            why = "" if args.offline else "no MODELSLAB_API_KEY, so "
            print(f"offline: {why}using {OFFLINE_NOTE}", file=err, flush=True)
            self.server = start_local_server()
            key, base_url = OFFLINE_KEY, self.server.base_url
        elif not key:
            raise NoKeyError("no API key: set MODELSLAB_API_KEY (environment or .env)")
        else:
            base_url = args.base_url or None
        self.client = ModelsLabClient(
            api_key=key, base_url=base_url, timeout=args.timeout, max_wait=args.max_wait
        )

    def close(self) -> None:
        self.client.close()
        if self.server is not None:
            self.server.stop()


class Interrupt:
    """The client's cancel hook: the first Ctrl-C stops waiting (the job id is kept),
    a second one stops at once."""

    def __init__(self, err: TextIO) -> None:
        self.event = threading.Event()
        self.err = err
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.event.is_set()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()
        self.err.write("\nstopping (Ctrl-C again to quit at once)\n")
        self.err.flush()

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


# -- running ----------------------------------------------------------------------------
@dataclass
class Context:
    args: argparse.Namespace
    backend: Backend | None
    interrupt: Interrupt
    out: TextIO
    err: TextIO


def fetch_command(
    ctx: Context,
    job_id: Any,
    out_path: Path | str,
    inputs: tuple[Any, Any] | None = None,
    region: tuple[int, int, int, int] | None = None,
) -> str:
    """The command that collects ``job_id`` later and puts it back into its photo."""
    words = ["python", "-m", "inpaint", "--fetch", str(job_id), "--out", str(out_path)]
    if inputs is not None and inputs[0] is not None and inputs[1] is not None:
        words += ["--image", str(inputs[0]), "--mask", str(inputs[1])]
        if region is not None:
            words += ["--region", ",".join(str(v) for v in region)]
        if ctx.args.paste_back is False:
            words.append("--no-paste-back")
        if ctx.args.feather is not None:
            words += ["--feather", str(ctx.args.feather)]
    if ctx.args.base_url:
        words += ["--base-url", ctx.args.base_url]
    return shlex.join(words)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception of the library."""
    if isinstance(exc, JobTimeoutError):
        return EXIT_PENDING
    if isinstance(exc, (JobCancelledError, KeyboardInterrupt)):
        return EXIT_INTERRUPTED
    if isinstance(
        exc, (AuthenticationError, InsufficientCreditsError, PermissionDeniedError, NoKeyError)
    ):
        return EXIT_AUTH
    if isinstance(exc, (BadRequestError, UsageError)):  # ParameterError, InputImageError too
        return EXIT_USAGE
    return EXIT_API


def report(
    ctx: Context,
    exc: BaseException,
    job_id: Any,
    out_path: Path | str,
    label: str,
    inputs: tuple[Any, Any] | None = None,
) -> int:
    code = exit_code_for(exc)
    prefix = f"{label}: " if label else ""
    err = ctx.err
    if isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    elif isinstance(exc, (ModelsLabError, UsageError, NoKeyError)):
        message = str(exc)
    else:
        message = f"unexpected {type(exc).__name__}: {exc} (please report this)"
    print(f"error: {prefix}{message}", file=err)
    if isinstance(exc, JobError) and exc.job_id is not None:
        job_id = exc.job_id
    if job_id is not None and code in (EXIT_PENDING, EXIT_INTERRUPTED, EXIT_API):
        print(f"job id: {job_id}", file=err)
        if code != EXIT_API and ctx.backend is not None and ctx.backend.offline:
            print(
                "note: the offline server stops with this command, so this job cannot be "
                "fetched later; run again with a larger --max-wait",
                file=err,
            )
        elif code != EXIT_API:
            region = getattr(exc, "region", None)
            print(
                f"fetch it later with: {fetch_command(ctx, job_id, out_path, inputs, region)}",
                file=err,
            )
    err.flush()
    return code


def save(ctx: Context, result: InpaintResult, out_path: Path, label: str) -> int:
    try:
        paths = result.save(out_path)
    except OSError as exc:
        print(
            f"error: {label + ': ' if label else ''}cannot write {out_path}: {exc.strerror or exc}",
            file=ctx.err,
        )
        if result.id is not None:
            print(
                f"job id: {result.id}; fetch it again with: "
                f"{fetch_command(ctx, result.id, out_path)}",
                file=ctx.err,
            )
        return EXIT_USAGE
    for path in paths:
        print(path, file=ctx.out, flush=True)
    return EXIT_OK


def run_one(
    ctx: Context, request: InpaintRequest, image: Any, mask: Any, out_path: Path, label: str = ""
) -> int:
    """Inpaint one photo and write its PNG(s); returns the exit code."""
    bar = ProgressBar(ctx.err, enabled=not ctx.args.quiet, label=label)
    try:
        assert ctx.backend is not None
        result = ctx.backend.client.run(image, mask, request, progress=bar, cancel=ctx.interrupt)
    except (ModelsLabError, KeyboardInterrupt) as exc:
        bar.close()
        return report(ctx, exc, bar.job_id, out_path, label, (image, mask))
    except Exception as exc:  # a bug, not bad input: still one line and the job id
        bar.close()
        return report(ctx, exc, bar.job_id, out_path, label, (image, mask))
    bar.close()
    return save(ctx, result, out_path, label)


def run_fetch(ctx: Context, job_id: str, out_path: Path) -> int:
    bar = ProgressBar(ctx.err, enabled=not ctx.args.quiet)
    bar.job_id = job_id
    try:
        assert ctx.backend is not None
        args = ctx.args
        placing: dict[str, Any] = {}
        if args.image:  # put the result back into the photo it was made from
            placing = {"image": args.image, "mask": args.mask, "box": args.region}
            if args.paste_back is not None:
                placing["paste_back"] = args.paste_back
            if args.feather is not None:
                placing["feather"] = args.feather
        result = ctx.backend.client.fetch_result(
            job_id, progress=bar, cancel=ctx.interrupt, **placing
        )
    except Exception as exc:  # library errors, and bugs: one line and the job id
        bar.close()
        return report(ctx, exc, job_id, out_path, "")
    except KeyboardInterrupt as exc:
        bar.close()
        return report(ctx, exc, job_id, out_path, "")
    bar.close()
    return save(ctx, result, out_path, "")


def single_output(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", os.sep)):
        stem = Path(args.image).stem if args.image and not is_url(args.image) else "result"
        return out / f"{stem}.png"
    return out


def run_folder(ctx: Context, request: InpaintRequest, pairs: list[batch.Pair]) -> int:
    """Every photo in turn; a failure is reported and the next photo goes on."""
    codes: list[int] = []
    counts = {"written": 0, "skipped": 0, "failed": 0, "pending": 0}
    total = len(pairs)
    for number, pair in enumerate(pairs, 1):
        label = f"[{number}/{total}] {pair.image.name}"
        if ctx.args.extend_to:  # the amounts that give this photo the target shape
            from .args import extension_for

            request = request.replace(**extension_for(pair.image, ctx.args))
        if pair.mask is None and not request.extension.any:
            stem = pair.image.stem
            print(
                f"skipped {pair.image.name}: no mask ({stem}.*, {stem}_mask.* or "
                f"{stem}-mask.* in {ctx.args.mask})",
                file=ctx.err,
                flush=True,
            )
            counts["skipped"] += 1
            codes.append(EXIT_USAGE)
            continue
        code = run_one(ctx, request, pair.image, pair.mask, pair.out, label)
        codes.append(code)
        key = {EXIT_OK: "written", EXIT_PENDING: "pending"}.get(code, "failed")
        counts[key] += 1
        if code == EXIT_INTERRUPTED or ctx.interrupt():
            break
        if code == EXIT_AUTH:
            print("stopping: the other photos would be refused the same way", file=ctx.err)
            break
    not_run = total - len(codes)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    if not_run:
        summary += f", {not_run} not run"
    if not ctx.args.quiet or any(codes):
        print(f"{total} photo{'s' if total != 1 else ''}: {summary}", file=ctx.err, flush=True)
    if EXIT_INTERRUPTED in codes or (not_run and ctx.interrupt()):
        return EXIT_INTERRUPTED
    return max(codes, default=EXIT_OK)
