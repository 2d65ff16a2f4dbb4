"""The command line's parser, generated from the parameter specification.

Every API parameter and library option becomes a flag with the same name
(dashes for underscores), type, choices and documented range, so a flag can
never drift from what the library checks. Unset flags are ``None``: the
request's own defaults apply.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any

from ..contract import DEFAULT_BASE_URL
from ..params import OPTIONS, PARAMS, Param
from ..request import flag_name

PROG = "python -m inpaint"

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_API = 4
EXIT_PENDING = 5
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "every result was written"),
    (
        EXIT_USAGE,
        "usage error, bad input or bad parameter (refused before anything was sent, "
        "or HTTP 400), an output that cannot be written; in folder mode also a photo "
        "without a mask",
    ),
    (EXIT_AUTH, "API key missing or refused, not enough credits, or not allowed by the plan"),
    (EXIT_API, "API, server, network or download error, or the job failed"),
    (
        EXIT_PENDING,
        "the job was accepted but had not finished within --max-wait: its id and "
        "the command that fetches it are printed",
    ),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C); a job id already known is printed"),
)

METAVARS = {"int": "N", "float": "X", "text": "TEXT", "url": "URL", "enum": "NAME"}

__all__ = ["EXIT_CODES", "PROG", "build_parser", "flag_name"]


def _help_text(param: Param) -> str:
    text = param.help.rstrip(".") + "."
    rng = param.range_text()
    if param.kind in ("int", "float", "enum", "flag", "url"):
        text += f" {rng[0].upper()}{rng[1:]}"
        if not param.nullable and param.default is not None:
            text += f"; default {param.wire(param.default)}"
        text += "."
    elif param.kind == "bool":
        default = "auto" if param.default is None else "on" if param.default else "off"
        text += f" Default: {default}."
    if param.kind == "flag":
        text += f" Alone, the flag means {param.choices[0]}."
    return text.replace("%", "%%")  # argparse %-formats help strings


def _converter(param: Param) -> Callable[[str], Any]:
    """argparse type: the value's type only; ranges are the library's check (one message)."""

    def convert(text: str) -> Any:
        if param.is_random(text):
            return None  # random, as in the studio
        try:
            if param.kind == "int":
                return int(text)
            if param.kind == "float":
                return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{param.name} must be {param.range_text()} (got {text!r})"
            ) from None
        return text

    convert.__name__ = param.kind  # argparse names the type in its own messages
    return convert


def add_param(group: Any, param: Param) -> None:
    """One flag from one ``Param``: name, type, choices and help all from the spec."""
    names = [param.flag, *param.aliases]
    common: dict[str, Any] = {"dest": param.name, "default": None, "help": _help_text(param)}
    if param.kind == "bool":
        group.add_argument(*names, action=argparse.BooleanOptionalAction, **common)
    elif param.kind == "flag":
        group.add_argument(
            *names,
            nargs="?",
            const=param.choices[0],
            choices=param.choices,
            type=str.lower,
            metavar="|".join(param.choices),
            **common,
        )
    elif param.kind == "enum":
        group.add_argument(*names, choices=param.choices, metavar="|".join(param.choices), **common)
    else:
        group.add_argument(*names, type=_converter(param), metavar=METAVARS[param.kind], **common)


def epilog() -> str:
    codes = "\n".join(
        textwrap.fill(text, 88, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7)
        for code, text in EXIT_CODES
    )
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

other commands (each with --help):
  {PROG} sweep ...     parameter sweeps with a labelled grid (resumable)
  {PROG} replay ...    repeat a saved result from the parameters its PNG carries
  {PROG} evaluate ...  score fills where the truth is known

examples:
  {PROG} --image photo.jpg --mask mask.png --prompt "a red scarf" --out result.png
  {PROG} --image photos/ --mask masks/ --prompt "clean wall" --seed 7 --out results/
  {PROG} --image photo.jpg --prompt "more beach" --extend-right 512 --out wide.png
  {PROG} --image photo.jpg --prompt "more sky" --extend-to 16:9 --anchor bottom --out w.png
  {PROG} --fetch 1234 --out result.png
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.fill(
            "Repaint the masked part of a photo (white = repaint, black = keep) with "
            "ModelsLab's v6 inpainting API, or offline with the bundled classical fill. "
            "Writes PNGs that carry their parameters; prints their paths on stdout.",
            88,
        ),
    )
    _add_files(parser)
    api = parser.add_argument_group("API parameters (from the parameter specification)")
    for param in PARAMS:
        add_param(api, param)
    own = parser.add_argument_group("library options (applied around the API)")
    for param in OPTIONS:
        add_param(own, param)
    conn = parser.add_argument_group("connection")
    conn.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL (default: $MODELSLAB_BASE_URL or the public API)",
    )
    conn.add_argument(
        "--offline",
        action="store_true",
        help="use the bundled local server (classical fill, ignores the prompt)",
    )
    conn.add_argument(
        "--max-wait",
        type=float,
        default=600,
        metavar="SECONDS",
        help="how long to wait for a queued job (default 600)",
    )
    conn.add_argument(
        "--timeout",
        type=float,
        default=30,
        metavar="SECONDS",
        help="limit for each HTTP answer (default 30)",
    )
    conn.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return parser


def _add_files(parser: argparse.ArgumentParser) -> None:
    """The photo, the mask, where results go, outpainting targets and ``--fetch``."""
    files = parser.add_argument_group("input and output")
    files.add_argument(
        "--image", metavar="PATH", help="the photo (file or http(s) URL), or a folder of photos"
    )
    files.add_argument(
        "--mask", metavar="PATH", help="the mask (white = repaint), or a folder of masks"
    )
    files.add_argument(
        "--out",
        metavar="PATH",
        help="the PNG to write (several samples: NAME-1.png, NAME-2.png...), "
        "or a folder; missing folders are created",
    )
    files.add_argument(
        "--region",
        metavar="L,T,R,B",
        type=_box,
        help="with --fetch, --image and --mask: the box of the photo an "
        '"only masked" job was cut from (printed when it was left '
        "pending), so its result is put back there",
    )
    files.add_argument(
        "--extend-to",
        metavar="TARGET",
        help="outpaint to an aspect ratio (16:9, 1:1, 1.5) or a scale (x1.5) "
        "instead of giving --extend-left/-top/-right/-bottom; no mask",
    )
    files.add_argument(
        "--anchor",
        default="center",
        metavar="WHERE",
        help="with --extend-to: where the photo stays (center, left, right, "
        "top, bottom, top-left, ...; default center)",
    )
    files.add_argument(
        "--fetch",
        metavar="JOB_ID",
        help="collect a job that was still running (see exit code 5) and write it to --out",
    )


def _box(text: str) -> tuple[int, int, int, int]:
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected four whole numbers L,T,R,B (got {text!r})")
    left, top, right, bottom = (int(p) for p in parts)
    return left, top, right, bottom
