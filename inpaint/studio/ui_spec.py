"""Gradio component settings derived from ``inpaint.params.PARAMS``.

The studio never writes a range, step, default or label of its own for an API
parameter: it asks this module, which reads them from the one specification the
client and the local server also use. Retuning a parameter there retunes the
UI with it. The functions return plain keyword dictionaries so they can be
tested without building any component.
"""

from __future__ import annotations

from typing import Any

from ..params import PARAMS, Param, spec
from .canvas import EDIT_SIDE

# Which widget each API parameter becomes, from its declaration (``Param.widget``):
# a bounded stepped number is a slider, a yes/no a checkbox, an open-ended
# number a number field, text and URLs text boxes.
SLIDERS = tuple(p.name for p in PARAMS if p.widget == "slider")
CHECKBOXES = tuple(p.name for p in PARAMS if p.widget == "checkbox")
NUMBERS = tuple(p.name for p in PARAMS if p.widget == "number")
TEXTS = tuple(p.name for p in PARAMS if p.widget == "text")
# A browser number field holds integers exactly up to 2**53: larger ranges (a
# track id) are typed as text, and an empty one means none rather than 0.
EXACT_NUMBER_LIMIT = 2**53


def param(name: str) -> Param:
    """The declaration of ``name``: an API parameter or one of the tool's options
    (by its name or its library keyword)."""
    return spec(name)


def component_for(name: str) -> tuple[str, dict[str, Any]]:
    """The widget of a declared field: gradio's class name and its keywords."""
    p = param(name)
    if p.widget == "number" and (p.maximum or 0) > EXACT_NUMBER_LIMIT:
        return "Textbox", {
            "label": p.label,
            "info": p.help + " Leave empty for none.",
            "placeholder": "none",
        }
    kinds = {
        "slider": ("Slider", slider_kwargs),
        "checkbox": ("Checkbox", checkbox_kwargs),
        "number": ("Number", number_kwargs),
        "text": ("Textbox", text_kwargs),
        "dropdown": ("Dropdown", dropdown_kwargs),
    }
    kind, kwargs = kinds[p.widget]
    return kind, kwargs(name)


def elem_id(name: str) -> str:
    """A field's element id on the page: its own, else its keyword with dashes."""
    p = param(name)
    return p.page_id or p.keyword.replace("_", "-")


def slider_kwargs(name: str) -> dict[str, Any]:
    """``gr.Slider`` keywords: the documented range, step and default."""
    p = param(name)
    if p.kind not in ("int", "float") or p.minimum is None or p.maximum is None:
        raise ValueError(f"{name} has no bounded numeric range to make a slider from")
    step = p.step if p.step is not None else (1 if p.kind == "int" else 0.01)
    return {
        "minimum": _num(p.minimum, p.kind),
        "maximum": _num(p.maximum, p.kind),
        "step": _num(step, p.kind),
        "value": p.start,
        "label": p.label,
        "info": p.help,
    }


def checkbox_kwargs(name: str) -> dict[str, Any]:
    """``gr.Checkbox`` keywords for a yes/no flag: ticked means its first choice."""
    p = param(name)
    if p.kind not in ("bool", "flag"):
        raise ValueError(f"{name} is not a yes/no flag")
    return {"value": bool(p.default), "label": p.label, "info": p.help}


def dropdown_kwargs(name: str) -> dict[str, Any]:
    """``gr.Dropdown`` keywords for a choice: the choices, the default and the help."""
    p = param(name)
    if p.kind != "enum":
        raise ValueError(f"{name} is not a choice")
    return {"choices": list(p.choices), "value": p.default, "label": p.label, "info": p.help}


def number_kwargs(name: str) -> dict[str, Any]:
    """``gr.Number`` keywords for the open-ended whole numbers (seed, track id).

    The seed field starts at -1 (random) rather than blank so the meaning of
    the empty state is visible; both are accepted.
    """
    p = param(name)
    if p.kind != "int":
        raise ValueError(f"{name} is not a whole number")
    random = p.random_value is not None
    value = p.random_value if random else p.default
    minimum = p.random_value if random else p.minimum
    return {
        "value": value,
        "precision": 0,
        "minimum": _num(minimum, "int") if minimum is not None else None,
        "maximum": _num(p.maximum, "int") if p.maximum is not None else None,
        "label": p.label,
        "info": p.help,
    }


def text_kwargs(name: str) -> dict[str, Any]:
    """``gr.Textbox`` keywords for the prompt fields and URLs."""
    p = param(name)
    if p.kind not in ("text", "url"):
        raise ValueError(f"{name} is not text")
    out: dict[str, Any] = {"label": p.label, "info": p.help, "value": p.default or ""}
    if p.kind == "url":
        out["placeholder"] = "https://example.com/hook"
    else:
        out["lines"] = 2
    return out


def kwargs_for(name: str) -> dict[str, Any]:
    """Keywords for whichever widget ``name`` is shown as."""
    return component_for(name)[1]


def _num(value: float, kind: str) -> int | float:
    return int(value) if kind == "int" else float(value)


def scale_with_photo_kwargs() -> dict[str, Any]:
    """The checkbox that lets the photo set padding and blend width (the library's rule
    for values left out), in words taken from the specification."""
    padding, feather = param("mask_padding"), param("feather")
    return {
        "value": True,
        "label": "Scale padding and blend width with the photo",
        "info": f"{padding.per_1024:g} and {feather.per_1024:g} px per 1024 px of the photo's "
        "long side; the sliders show this photo's values. Moving a slider turns this off.",
    }


# A fixed brush of so many px would be right for a 1024 px photo and a hairline
# on a 4000 px one. Every photo fills the editor's canvas with its long side
# (``studio.canvas``), so brush and eraser are this many px per 1024 px of the
# photo's long side whatever its size.
BRUSH_PER_1024 = 25
ERASER_PER_1024 = 25


def brush_size_for(size: tuple[int, int], per_1024: float = BRUSH_PER_1024) -> int:
    """Brush radius in pixels of a canvas (or photo) of ``size``."""
    return max(3, round(per_1024 * max(size) / 1024))


def brush_kwargs() -> dict[str, Any]:
    """``gr.Brush`` keywords: two translucent colours, sized for the editor's canvas."""
    return {
        "colors": [("#ff2d6f", 0.6), ("#2d8cff", 0.6)],
        "default_color": ("#ff2d6f", 0.6),
        "color_mode": "fixed",
        "default_size": brush_size_for((EDIT_SIDE, EDIT_SIDE)),
    }


def eraser_kwargs() -> dict[str, Any]:
    return {"default_size": brush_size_for((EDIT_SIDE, EDIT_SIDE), ERASER_PER_1024)}
