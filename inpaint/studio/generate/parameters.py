"""The generation parameters' widgets, built from the parameter declaration.

Every API parameter the page shows is a widget made from its declaration
(``ui_spec.component_for``: kind, range, step, default, label, help), laid out
by what the declaration says of it: the prompts beside the editor, the sliders
under "Parameters", the other everyday ones under "Seed and safety", the
advanced ones under "Advanced". A parameter added to the declaration appears
here with no edit of this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ...params import PARAMS, Param, spec
from .. import ui_spec
from ..common import PRIVATE
from ..events import Studio
from ..form import PROMPTS, TRANSPORTS

COMPONENTS: dict[str, type[gr.components.Component]] = {
    "Slider": gr.Slider,
    "Checkbox": gr.Checkbox,
    "Number": gr.Number,
    "Textbox": gr.Textbox,
    "Dropdown": gr.Dropdown,
}
# Where each API parameter goes on the page.
TEXTS = tuple(spec(name) for name in PROMPTS)  # beside the editor
SLIDERS = tuple(p for p in PARAMS if p.widget == "slider" and not p.advanced)
EVERYDAY = tuple(p for p in PARAMS if p not in (*TEXTS, *SLIDERS) and not p.advanced)
ADVANCED = tuple(p for p in PARAMS if p.advanced)


@dataclass
class Fields:
    """Widgets by form field name (``FORM_FIELDS``)."""

    fields: dict[str, gr.components.Component]

    @property
    def size(self) -> dict[str, gr.components.Component]:
        """The automatic-size box and the size sliders (what the mask preview reads)."""
        sized = (p.keyword for p in SLIDERS if p.sized)
        return {"auto_size": self.fields["auto_size"], **{n: self.fields[n] for n in sized}}


def widget(p: Param, **extra: Any) -> gr.components.Component:
    """The widget of one declared field."""
    kind, kwargs = ui_spec.component_for(p.name)
    return COMPONENTS[kind](**kwargs, elem_id=ui_spec.elem_id(p.name), **extra)


def widgets(params: Iterable[Param]) -> dict[str, gr.components.Component]:
    """The widgets of ``params`` by their form field names (the library keywords)."""
    return {p.keyword: widget(p) for p in params}


def size_controls(auto_size: bool) -> tuple[dict, ...]:
    """The size sliders are only editable when the size is not automatic."""
    return tuple(gr.update(interactive=not auto_size) for p in SLIDERS if p.sized)


def _pairs(params: tuple[Param, ...]) -> Iterator[tuple[Param, ...]]:
    for i in range(0, len(params), 2):
        yield params[i : i + 2]


def build_size_and_quality() -> Fields:
    with gr.Accordion("Parameters", open=True):
        auto_size = gr.Checkbox(
            value=True,
            label="Size: auto from image",
            info="The image's own size, fitted within 1024 x 1024 in multiples of 8. Untick "
            "to set width and height.",
            elem_id="auto-size",
        )
        fields: dict[str, gr.components.Component] = {"auto_size": auto_size}
        for pair in _pairs(SLIDERS):
            with gr.Row():
                for p in pair:
                    extra = {"interactive": False} if p.sized else {}
                    fields[p.keyword] = widget(p, **extra)
    sized = [fields[p.keyword] for p in SLIDERS if p.sized]
    auto_size.change(size_controls, auto_size, sized, queue=False, **PRIVATE)
    return Fields(fields)


def build_seed_and_advanced(app: Studio, last_seed: gr.State) -> Fields:
    """Seed, safety and the transport options; "Reuse" reads the last result's seed."""
    fields: dict[str, gr.components.Component] = {}
    with gr.Accordion("Seed and safety", open=True):
        for p in EVERYDAY:
            fields[p.keyword] = widget(p)
            if p.random_value is not None:
                reuse = gr.Button("Reuse the last result's seed", elem_id="reuse-seed", size="sm")
                reuse.click(app.results.reuse_seed, last_seed, fields[p.keyword], **PRIVATE)
    with gr.Accordion("Advanced", open=False):
        fields["transport"] = gr.Radio(
            list(TRANSPORTS),
            value="upload",
            label="Transport",
            info="upload: the images go to the API's temporary storage first and the job "
            "gets their URLs; base64: they travel inside the request.",
        )
        fields.update(widgets(ADVANCED))
    return Fields(fields)
