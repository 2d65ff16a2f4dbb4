"""Plain messages for values gradio itself refuses, before the studio sees them.

An API caller of ``/inpaint`` bypasses the page's sliders, so gradio's own
``preprocess`` is the first thing to meet a bad value. Left alone it answers
either a bare "Value 7 is greater than maximum value 5." (which field?) or,
for a text file sent as an image or a string sent as a number, a generic
"the upstream app has raised an exception" with a traceback in the log.
``guard`` wraps a component's ``preprocess`` so every such refusal becomes one
sentence that names the field, the allowed range and the value received, the
same way the library words its own refusals.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from typing import Any

import gradio as gr

from .. import images as imgs
from ..errors import InputImageError


def guard(components: Iterable[Any]) -> None:
    """Give each component a ``preprocess`` whose failures are plain ``gr.Error``s."""
    for component in components:
        if isinstance(component, (gr.Slider, gr.Number, gr.Image)):
            component.preprocess = _guarded(  # type: ignore[method-assign,assignment]
                component, component.preprocess
            )


def _guarded(component: Any, original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    label = str(getattr(component, "label", None) or "A value")

    def preprocess(payload: Any) -> Any:
        if isinstance(component, (gr.Slider, gr.Number)):
            problem = number_problem(label, payload, component.minimum, component.maximum)
            if problem:
                raise _plain(problem)
        try:
            return original(payload)
        except gr.Error as exc:
            raise _plain(f"{label}: {exc.message}") from None
        except Exception:
            if isinstance(component, gr.Image):
                raise _plain(image_problem(label, payload)) from None
            raise _plain(f"{label}: this value cannot be used (got {_show(payload)}).") from None

    return preprocess


def number_problem(
    label: str, value: Any, minimum: float | None, maximum: float | None
) -> str | None:
    """Why ``value`` is not a number within [minimum, maximum]; None when it is fine."""
    if value is None:
        return None
    bounds = _bounds(minimum, maximum)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{label} must be a number{bounds} (got {_show(value)})."
    if (
        math.isnan(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        return f"{label} must be a number{bounds} (got {_show(value)})."
    return None


def image_problem(label: str, payload: Any) -> str:
    """What is wrong with an uploaded file that gradio could not open as an image."""
    path = getattr(payload, "path", None)
    what = label.split(" (")[0].lower()
    try:
        imgs.load_image(path, what=what)  # type: ignore[arg-type]  # None: refused plainly
    except InputImageError as exc:
        return exc.message[:1].upper() + exc.message[1:] + "."
    return f"The {what} could not be read as an image (use PNG, JPEG or WebP)."


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {_num(minimum)} to {_num(maximum)}"
    if minimum is not None:
        return f" of at least {_num(minimum)}"
    if maximum is not None:
        return f" of at most {_num(maximum)}"
    return ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _plain(message: str) -> gr.Error:
    # gr.Error renders HTML: escape, and keep gradio from printing a traceback.
    return gr.Error(html.escape(message, quote=False), print_exception=False)
