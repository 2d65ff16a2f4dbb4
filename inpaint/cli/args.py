"""What the command line asks for, checked before anything is sent.

Everything that can be checked locally is checked here, before a backend is
started or a paid job submitted: the parameters (as the library will check
them, by building the ``InpaintRequest``), the files, and how they combine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..contract import JOB_ID_PATTERN as JOB_ID
from ..params import OPTIONS, PARAMS
from ..request import InpaintRequest


class UsageError(Exception):
    """A problem with the command line itself; exit code 2."""


def request_from(args: argparse.Namespace) -> InpaintRequest:
    """The request the flags describe; ``ParameterError`` names a bad field, its range and value.

    Unset flags are left out, so the request's defaults apply. ``--prompt`` is
    required by the request itself (an empty prompt is refused).
    """
    values = {
        p.name: getattr(args, p.name)
        for p in (*PARAMS, *OPTIONS)
        if getattr(args, p.name, None) is not None
    }
    return InpaintRequest.from_values(values)


def outpainting(args: argparse.Namespace) -> bool:
    return bool(args.extend_to) or any(
        getattr(args, f"extend_{side}", None) for side in ("left", "top", "right", "bottom")
    )


def resolve_extend_to(args: argparse.Namespace) -> None:
    """``--extend-to 16:9 --anchor left`` -> the four amounts, from the photo's own size."""
    if not args.extend_to:
        return
    for name, value in extension_for(args.image, args).items():
        setattr(args, name, value)


def extension_for(image: str | Path, args: argparse.Namespace) -> dict[str, int]:
    """The ``extend_*`` amounts that bring ``image`` to ``--extend-to`` around ``--anchor``."""
    if any(getattr(args, f"extend_{side}") for side in ("left", "top", "right", "bottom")):
        raise UsageError("--extend-to replaces --extend-left/-top/-right/-bottom: give one")
    from ..images import load_image, upright
    from ..outpaint import Extension

    size = upright(load_image(image, what="image")).size
    ext = Extension.to_target(size, args.extend_to, args.anchor)
    if not ext.any:
        raise UsageError(
            f"the photo ({size[0]} x {size[1]}) is already {args.extend_to}: nothing to extend"
        )
    return dict(
        zip(
            ("extend_left", "extend_top", "extend_right", "extend_bottom"),
            ext.as_tuple(),
            strict=True,
        )
    )


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def check_args(args: argparse.Namespace) -> None:
    """Refuse impossible combinations and missing files with one plain sentence."""
    if args.max_wait < 0 or args.timeout <= 0:
        raise UsageError("--max-wait must be 0 or more and --timeout more than 0")
    if args.offline and args.base_url:
        raise UsageError("--offline and --base-url exclude each other")
    if not args.out:
        raise UsageError("--out is required: the PNG (or folder) to write")
    if args.region is not None and args.fetch is None:
        raise UsageError("--region goes with --fetch (it says where a region job belongs)")
    if args.fetch is not None:
        _check_fetch(args)
        return
    if outpainting(args):
        if args.mask:
            raise UsageError("outpainting takes no --mask: the new area is the mask")
        if not args.image:
            raise UsageError("--image is required")
    elif not args.image or not args.mask:
        raise UsageError(
            "--image and --mask are required (or --fetch JOB_ID, or --extend-... to outpaint)"
        )
    for what in ("image", "mask"):
        value = getattr(args, what)
        if value and not is_url(value) and not Path(value).exists():
            raise UsageError(f"{what} not found: {value}")
    if is_url(args.image) or not Path(args.image).is_dir():
        return
    if args.mask and is_url(args.mask):
        raise UsageError("with a folder of photos, --mask must be a folder or one mask file")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out must be a folder when --image is a folder ({args.out} is a file)")


def _check_fetch(args: argparse.Namespace) -> None:
    if bool(args.image) != bool(args.mask):
        raise UsageError(
            "--fetch takes both --image and --mask (to put the result back "
            "into the photo) or neither"
        )
    if args.region is not None and not args.image:
        raise UsageError("--region needs --image and --mask: it is a box of that photo")
    for what in ("image", "mask"):
        value = getattr(args, what)
        if value and not is_url(value) and not Path(value).is_file():
            raise UsageError(f"{what} not found: {value}")
    if not JOB_ID.fullmatch(args.fetch):
        raise UsageError(
            f"--fetch needs a job id of 1 to 18 digits, such as 1234 (got {args.fetch!r})"
        )
    if args.offline:
        raise UsageError(
            "--fetch needs the server that ran the job; offline jobs end "
            "with the command that started them"
        )
