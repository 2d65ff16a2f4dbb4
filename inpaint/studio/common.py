"""What the features share: the page's session, gradio's progress hook, the output tuple,
the mark that keeps a component out of the public API, and quick-to-write previews."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import gradio as gr
from PIL import Image

from .form import GENERATE_OUTPUTS, KEY_INPUTS

PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # not part of the public API
SKIP: Any = object()  # placeholder: "leave this output as it is"
# gradio finds the progress tracker by the parameter's default being a Progress;
# the tracker itself is per event (a context variable), so one default is shared.
PROGRESS = gr.Progress()
# zlib level of the previews gradio writes as PNG: level 1 writes a 1024 x 768
# preview in ~45 ms instead of ~210 ms (the default, 6) for ~15 % more bytes; a
# preview is redrawn after every stroke and setting, so the wait is what counts.
PREVIEW_PNG_LEVEL = 1


def quick_png(image: Image.Image) -> Image.Image:
    """``image``, marked to be written with a quick PNG level when gradio saves it.

    Pillow (12 and later) merges an image's ``encoderinfo`` into the options
    of the save gradio makes; an older Pillow ignores it (the default level).
    """
    image.encoderinfo = {**getattr(image, "encoderinfo", {}), "compress_level": PREVIEW_PNG_LEVEL}
    return image


def session_of(request: Any) -> str:
    """The page session a request comes from (an API call without one gets its own)."""
    session = getattr(request, "session_hash", None)
    return session or f"anonymous-{uuid.uuid4().hex}"


def own_key(keys: Mapping[str, str | None]) -> str:
    """The visitor's own key from an event's ``KEY_INPUTS``: a script's own key (the
    first), else the one typed in the tab (the second)."""
    script, typed = (str(keys.get(name) or "").strip() for name in KEY_INPUTS[:2])
    return script or typed


def browser_token(keys: Mapping[str, str | None] | str | None) -> str | None:
    """The browser's token among an event's ``KEY_INPUTS`` (or the token itself)."""
    return keys.get(KEY_INPUTS[-1]) if isinstance(keys, Mapping) else keys


def generate_outputs(**values: Any) -> tuple[Any, ...]:
    """The ``GENERATE_OUTPUTS`` tuple by name; every output not named is left as it is."""
    unknown = set(values) - set(GENERATE_OUTPUTS)
    if unknown:
        raise KeyError(f"not an output of a generation: {sorted(unknown)}")
    return tuple(
        gr.skip() if values.get(name, SKIP) is SKIP else values[name] for name in GENERATE_OUTPUTS
    )


def before_after(before: str | None, after: str) -> tuple[Any, Any]:
    """The slider's pair; without a known input the result is shown on both sides."""
    return (before or after, after)
