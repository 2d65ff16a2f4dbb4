"""``python -m inpaint``: inpainting from the command line, one photo or a folder.

The flags are generated from the same specification as the studio's sliders
(``inpaint.params.PARAMS`` and ``OPTIONS``), so a flag's type, choices,
default and documented range can never drift from what the library checks.
Everything is validated before anything is sent; errors are one line on
stderr and an exit code a script can branch on (``EXIT_CODES``). stdout
carries only the paths of the PNGs written, one per line.

Without ``MODELSLAB_API_KEY`` (or with ``--offline``) the bundled local server
runs inside this process, as in the studio's offline mode.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import batch
from .client import DEFAULT_BASE_URL, InpaintResult, ModelsLabClient
from .errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobTimeoutError,
    ModelsLabError,
    ParameterError,
    PermissionDeniedError,
)
from .params import OPTIONS, PARAMS, Param, build_payload, check_options
from .progressbar import ProgressBar

PROG = "python -m inpaint"

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_API = 4
EXIT_PENDING = 5
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "every result was written"),
    (EXIT_USAGE, "usage error, bad input or bad parameter (refused before anything was sent, "
                 "or HTTP 400), an output that cannot be written; in folder mode also a photo "
                 "without a mask"),
    (EXIT_AUTH, "API key missing or refused, not enough credits, or not allowed by the plan"),
    (EXIT_API, "API, server, network or download error, or the job failed"),
    (EXIT_PENDING, "the job was accepted but had not finished within --max-wait: its id and "
                   "the command that fetches it are printed"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); a job id already known is printed"),
)

# Flag spellings that differ from the parameter's name with dashes.
FLAG_NAMES = {"base64": "--base64-output"}
ALIASES = {"num_inference_steps": ("--steps",), "guidance_scale": ("--guidance",),
           "negative_prompt": ("--negative",)}
METAVARS = {"int": "N", "float": "X", "text": "TEXT", "url": "URL"}
OFFLINE_KEY = "offline"
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UsageError(Exception):
    """A problem with the command line itself; exit code 2."""


class NoKeyError(Exception):
    """A server was named but no key given; exit code 3."""


# -- the parser, generated from the specification ---------------------------------
def flag_name(param: Param) -> str:
    return FLAG_NAMES.get(param.name, "--" + param.name.replace("_", "-"))


def _help_text(param: Param) -> str:
    text = param.help.rstrip(".") + "."
    rng = param.range_text()
    if param.kind in ("int", "float", "enum", "flag", "url"):
        text += f" {rng[0].upper()}{rng[1:]}"
        if not param.nullable and param.default is not None:
            text += f"; default {param.default}"
        text += "."
    elif param.kind == "bool":
        text += f" Default: {'on' if param.default else 'off'}."
    if param.kind == "flag":
        text += f" Alone, the flag means {param.choices[0]}."
    return text.replace("%", "%%")  # argparse %-formats help strings


def _converter(param: Param) -> Callable[[str], Any]:
    """argparse type: the value's type only; ranges are the library's check (one message)."""

    def convert(text: str) -> Any:
        if param.name == "seed" and text.strip() in ("-1", ""):
            return None  # random, as in the studio
        try:
            if param.kind == "int":
                return int(text)
            if param.kind == "float":
                return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{param.name} must be {param.range_text()} (got {text!r})") from None
        return text

    convert.__name__ = param.kind  # argparse names the type in its own messages
    return convert


def add_param(group: Any, param: Param) -> None:
    """One flag from one ``Param``: name, type, choices and help all from the spec."""
    names = [flag_name(param), *ALIASES.get(param.name, ())]
    common: dict[str, Any] = {"dest": param.name, "default": None, "help": _help_text(param)}
    if param.kind == "bool":
        group.add_argument(*names, action=argparse.BooleanOptionalAction, **common)
    elif param.kind == "flag":
        group.add_argument(*names, nargs="?", const=param.choices[0], choices=param.choices,
                           type=str.lower, metavar="|".join(param.choices), **common)
    else:
        group.add_argument(*names, type=_converter(param), metavar=METAVARS[param.kind],
                           **common)


def epilog() -> str:
    codes = "\n".join(textwrap.fill(text, 88, initial_indent=f"  {code:<5}",
                                     subsequent_indent=" " * 7) for code, text in EXIT_CODES)
    return f"""exit codes:
{codes}
  In folder mode: the highest code of any photo.

backend:
  MODELSLAB_API_KEY set (environment or ./.env): ModelsLab at MODELSLAB_BASE_URL or
  {DEFAULT_BASE_URL} (--base-url overrides). No key, or --offline: the bundled local
  server, started inside this command; a classical fill that ignores the prompt.

folder mode:
  --image DIR --mask DIR --out DIR: each png/jpg/jpeg/webp photo in DIR with the mask of
  the same name (any image extension) or <name>_mask / <name>-mask; results go to
  DIR/<name>.png (<name>-1.png, -2.png... with --samples). --mask FILE uses one mask for
  every photo. Photos without a mask are reported and skipped; a failure does not stop
  the others.

examples:
  {PROG} --image photo.jpg --mask mask.png --prompt "a red scarf" --out result.png
  {PROG} --image photos/ --mask masks/ --prompt "clean wall" --seed 7 --out results/
  {PROG} --fetch 1234 --out result.png
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, epilog=epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Repaint the masked part of a photo (white = repaint, black = keep) with "
            "ModelsLab's v6 inpainting API, or offline with the bundled classical fill. "
            "Writes PNGs that carry their parameters; prints their paths on stdout.", 88))
    files = parser.add_argument_group("input and output")
    files.add_argument("--image", metavar="PATH",
                       help="the photo (file or http(s) URL), or a folder of photos")
    files.add_argument("--mask", metavar="PATH",
                       help="the mask (white = repaint), or a folder of masks")
    files.add_argument("--out", metavar="PATH",
                       help="the PNG to write (several samples: NAME-1.png, NAME-2.png...), "
                            "or a folder")
    files.add_argument("--region", metavar="L,T,R,B", type=_box,
                       help="with --fetch, --image and --mask: the box of the photo an "
                            "\"only masked\" job was cut from (printed when it was left "
                            "pending), so its result is put back there")
    files.add_argument("--fetch", metavar="JOB_ID",
                       help="collect a job that was still running (see exit code 5) and write "
                            "it to --out")
    api = parser.add_argument_group("API parameters (from the parameter specification)")
    for param in PARAMS:
        add_param(api, param)
    own = parser.add_argument_group("region options (this tool's, applied around the API)")
    for param in OPTIONS:
        add_param(own, param)
    conn = parser.add_argument_group("connection")
    conn.add_argument("--transport", choices=("upload", "base64"), default="upload",
                      help="upload the images to base64_to_url first, or send them inline "
                           "(default: upload)")
    conn.add_argument("--base-url", metavar="URL",
                      help="API base URL (default: $MODELSLAB_BASE_URL or the public API)")
    conn.add_argument("--offline", action="store_true",
                      help="use the bundled local server (classical fill, ignores the prompt)")
    conn.add_argument("--max-wait", type=float, default=600, metavar="SECONDS",
                      help="how long to wait for a queued job (default 600)")
    conn.add_argument("--timeout", type=float, default=30, metavar="SECONDS",
                      help="limit for each HTTP request (default 30)")
    conn.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return parser


# -- what to do -----------------------------------------------------------------------
@dataclass
class Request:
    """The validated parameters shared by every photo of a run."""

    kwargs: dict[str, Any]


def request_from(args: argparse.Namespace) -> Request:
    """Validate the parameters exactly as the library will, before anything starts."""
    values = {p.name: getattr(args, p.name) for p in PARAMS if getattr(args, p.name) is not None}
    build_payload(values)  # ParameterError names the field, its range and the value
    options = check_options({p.name: getattr(args, p.name) for p in OPTIONS
                             if getattr(args, p.name) is not None})
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if name == "base64":
            kwargs["base64_output"] = value == "true"
        elif name == "instant_response":
            kwargs["instant_response"] = value == "true"
        else:
            kwargs[name] = value
    kwargs.update(options, transport=args.transport)
    return Request(kwargs)


def _box(text: str) -> tuple[int, int, int, int]:
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected four whole numbers L,T,R,B (got {text!r})")
    left, top, right, bottom = (int(p) for p in parts)
    return left, top, right, bottom


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _check_args(args: argparse.Namespace) -> None:
    if args.max_wait < 0 or args.timeout <= 0:
        raise UsageError("--max-wait must be 0 or more and --timeout more than 0")
    if args.offline and args.base_url:
        raise UsageError("--offline and --base-url exclude each other")
    if not args.out:
        raise UsageError("--out is required: the PNG (or folder) to write")
    if args.region is not None and args.fetch is None:
        raise UsageError("--region goes with --fetch (it says where a region job belongs)")
    if args.fetch is not None:
        if bool(args.image) != bool(args.mask):
            raise UsageError("--fetch takes both --image and --mask (to put the result back "
                             "into the photo) or neither")
        if args.region is not None and not args.image:
            raise UsageError("--region needs --image and --mask: it is a box of that photo")
        for what in ("image", "mask"):
            value = getattr(args, what)
            if value and not _is_url(value) and not Path(value).is_file():
                raise UsageError(f"{what} not found: {value}")
        if not JOB_ID.match(args.fetch):
            raise UsageError(f"--fetch needs a job id such as 1234 (got {args.fetch!r})")
        if args.offline:
            raise UsageError("--fetch needs the server that ran the job; offline jobs end "
                             "with the command that started them")
        return
    if not args.image or not args.mask:
        raise UsageError("--image and --mask are required (or --fetch JOB_ID)")
    for what in ("image", "mask"):
        value = getattr(args, what)
        if not _is_url(value) and not Path(value).exists():
            raise UsageError(f"{what} not found: {value}")
    if _is_url(args.image) or not Path(args.image).is_dir():
        return
    if _is_url(args.mask):
        raise UsageError("with a folder of photos, --mask must be a folder or one mask file")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out must be a folder when --image is a folder ({args.out} is a file)")


# -- the backend ----------------------------------------------------------------------
class Backend:
    """The client to use and, offline, the local server started for this command."""

    def __init__(self, args: argparse.Namespace, err: TextIO) -> None:
        key = os.environ.get("MODELSLAB_API_KEY", "").strip()
        named = args.base_url or os.environ.get("MODELSLAB_BASE_URL", "").strip()
        self.server: Any = None
        self.offline = bool(args.offline or (not key and not named))
        if self.offline:
            if args.fetch is not None:
                raise NoKeyError("--fetch needs MODELSLAB_API_KEY: offline jobs end with the "
                                 "command that started them")
            from .server import ServerConfig, serve_in_background

            print("offline: no MODELSLAB_API_KEY, so the bundled local server is used; it is a "
                  "classical fill that ignores the prompt" if not args.offline else
                  "offline: the bundled local server is used; it is a classical fill that "
                  "ignores the prompt", file=err, flush=True)
            self.server = serve_in_background(ServerConfig(), host="127.0.0.1", port=0)
            key, base_url = OFFLINE_KEY, self.server.base_url
        elif not key:
            raise NoKeyError("no API key: set MODELSLAB_API_KEY (environment or .env)")
        else:
            base_url = args.base_url or None
        self.client = ModelsLabClient(api_key=key, base_url=base_url, timeout=args.timeout,
                                      max_wait=args.max_wait)

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


def fetch_command(ctx: Context, job_id: Any, out_path: Path | str,
                  inputs: tuple[Any, Any] | None = None,
                  region: tuple[int, int, int, int] | None = None) -> str:
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
    if isinstance(exc, (AuthenticationError, InsufficientCreditsError, PermissionDeniedError,
                        NoKeyError)):
        return EXIT_AUTH
    if isinstance(exc, (BadRequestError, UsageError)):  # ParameterError, InputImageError too
        return EXIT_USAGE
    return EXIT_API


def _report(ctx: Context, exc: BaseException, job_id: Any, out_path: Path | str,
            label: str, inputs: tuple[Any, Any] | None = None) -> int:
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
            print("note: the offline server stops with this command, so this job cannot be "
                  "fetched later; run again with a larger --max-wait", file=err)
        elif code != EXIT_API:
            region = getattr(exc, "region", None)
            print(f"fetch it later with: {fetch_command(ctx, job_id, out_path, inputs, region)}",
                  file=err)
    err.flush()
    return code


def _save(ctx: Context, result: InpaintResult, out_path: Path, label: str) -> int:
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        paths = result.save(out_path)
    except OSError as exc:
        print(f"error: {label + ': ' if label else ''}cannot write {out_path}: "
              f"{exc.strerror or exc}", file=ctx.err)
        if result.id is not None:
            print(f"job id: {result.id}; fetch it again with: "
                  f"{fetch_command(ctx, result.id, out_path)}", file=ctx.err)
        return EXIT_USAGE
    for path in paths:
        print(path, file=ctx.out, flush=True)
    return EXIT_OK


def run_one(ctx: Context, request: Request, image: Any, mask: Any, out_path: Path,
            label: str = "") -> int:
    """Inpaint one photo and write its PNG(s); returns the exit code."""
    bar = ProgressBar(ctx.err, enabled=not ctx.args.quiet, label=label)
    try:
        assert ctx.backend is not None
        result = ctx.backend.client.inpaint(image, mask, progress=bar, cancel=ctx.interrupt,
                                            **request.kwargs)
    except (ModelsLabError, KeyboardInterrupt) as exc:
        bar.close()
        return _report(ctx, exc, bar.job_id, out_path, label, (image, mask))
    except Exception as exc:  # a bug, not bad input: still one line and the job id
        bar.close()
        return _report(ctx, exc, bar.job_id, out_path, label, (image, mask))
    bar.close()
    return _save(ctx, result, out_path, label)


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
        result = ctx.backend.client.fetch_result(job_id, progress=bar, cancel=ctx.interrupt,
                                                 **placing)
    except Exception as exc:  # library errors, and bugs: one line and the job id
        bar.close()
        return _report(ctx, exc, job_id, out_path, "")
    except KeyboardInterrupt as exc:
        bar.close()
        return _report(ctx, exc, job_id, out_path, "")
    bar.close()
    return _save(ctx, result, out_path, "")


def single_output(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", os.sep)):
        stem = Path(args.image).stem if args.image and not _is_url(args.image) else "result"
        return out / f"{stem}.png"
    return out


def run_folder(ctx: Context, request: Request, pairs: list[batch.Pair]) -> int:
    """Every photo in turn; a failure is reported and the next photo goes on."""
    codes: list[int] = []
    counts = {"written": 0, "skipped": 0, "failed": 0, "pending": 0}
    total = len(pairs)
    for number, pair in enumerate(pairs, 1):
        label = f"[{number}/{total}] {pair.image.name}"
        if pair.mask is None:
            stem = pair.image.stem
            print(f"skipped {pair.image.name}: no mask ({stem}.*, {stem}_mask.* or "
                  f"{stem}-mask.* in {ctx.args.mask})", file=ctx.err, flush=True)
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


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (see ``EXIT_CODES``)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if not any((args.image, args.mask, args.out, args.fetch)):
        parser.print_usage(err)
        print(f"error: nothing to do: see {PROG} --help", file=err)
        return EXIT_USAGE
    try:
        _check_args(args)
        request = request_from(args) if args.fetch is None else Request({})
        folder = args.fetch is None and not _is_url(args.image) and Path(args.image).is_dir()
        pairs: list[batch.Pair] = []
        if folder:
            pairs = batch.plan(Path(args.image), Path(args.mask), Path(args.out))
            if not pairs:
                raise UsageError(f"no photos (png, jpg, jpeg, webp) in {args.image}")
        elif args.fetch is None and not _is_url(args.mask) and Path(args.mask).is_dir():
            found = batch.find_mask(Path(args.image), Path(args.mask))
            if found is None:
                raise UsageError(f"no mask for {args.image} in {args.mask}")
            args.mask = str(found)
    except (UsageError, ParameterError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True))
    needed = not folder or any(p.mask is not None for p in pairs)
    backend: Backend | None = None
    try:
        with Interrupt(err) as interrupt:  # installed first: Ctrl-C at any point is handled
            try:
                backend = Backend(args, err) if needed else None
            except NoKeyError as exc:
                print(f"error: {exc}", file=err)
                return EXIT_AUTH
            except (OSError, RuntimeError) as exc:
                print(f"error: the local server could not start: {exc}", file=err)
                return EXIT_API
            ctx = Context(args, backend, interrupt, out, err)
            if args.fetch is not None:
                return run_fetch(ctx, args.fetch, Path(args.out))
            if folder:
                return run_folder(ctx, request, pairs)
            return run_one(ctx, request, args.image, args.mask, single_output(args))
    except KeyboardInterrupt:
        print("error: interrupted", file=err)
        return EXIT_INTERRUPTED
    finally:
        if backend is not None:
            backend.close()
