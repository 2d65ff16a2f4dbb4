"""The Extend panel: outpainting the editor's photo, with a preview of the new canvas.

An accordion under the Mask/Result tabs rather than a third tab: in gradio 6.31
a third tab's button is shown twice once it is first opened. The panel keeps
its own copy of the photo (a hidden image), which follows the page's photo
component: whatever puts a photo there (the user, an example, "Use as
input") or clears it. "Extend" takes the photo component's value, in two
steps like Generate: ``capture`` freezes the photo into the file ``/outpaint``
takes (refusing the everyday slips in plain words), then the public
``/outpaint`` event runs it through the studio's job runner, into the Result tab.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from .. import limits, ui_spec
from ..browser import PHOTO_ONLY_JS
from ..common import PRIVATE
from ..events import Studio
from ..form import GENERATE_OUTPUTS, KEY_INPUTS
from .handler import (
    ANCHORS,
    DEFAULT_OVERLAP,
    DEFAULT_PREFILL,
    MAX_AMOUNT,
    NO_PHOTO_MESSAGE,
    OUTPAINT_FIELDS,
    OVERLAP,
    PREFILL,
    PRESETS,
    SIDES,
    STEP,
)


@dataclass
class ExtendPanel:
    accordion: gr.Accordion
    photo: gr.Image  # the editor's photo as this panel last saw it
    preview: gr.Image
    caption: gr.Markdown
    sides: dict[str, gr.Slider]
    anchor: gr.Radio
    presets: dict[str, gr.Button]
    last_preset: gr.State
    overlap: gr.Slider
    prefill: gr.Dropdown
    extend: gr.Button
    allowance: gr.Markdown  # on the owner's key: what this visitor may still send

    @property
    def fields(self) -> dict[str, gr.components.Component]:
        """The amounts and the overlap by ``EXTEND_FIELDS`` name (history, Reproduce)."""
        sides = {f"extend_{s}": self.sides[s] for s in SIDES}
        return {**sides, "overlap": self.overlap, "extend_prefill": self.prefill}


def build() -> ExtendPanel:
    with gr.Accordion(
        "Extend the photo (outpainting)", open=False, elem_id="extend-panel"
    ) as accordion:
        shown = gr.Image(
            label="The new canvas: tinted = generated, outlined = each job's box",
            interactive=False,
            type="pil",
            format="png",
            elem_id="extend-preview",
            height=360,
        )
        caption = gr.Markdown(NO_PHOTO_MESSAGE, elem_id="extend-caption")
        allowance = gr.Markdown("", elem_id="extend-allowance")
        anchor = gr.Radio(
            list(ANCHORS),
            value="center",
            label="Keep the photo at",
            info="Where a preset leaves the photo; changing it moves the last preset's new area.",
            elem_id="extend-anchor",
        )
        gr.Markdown("**Presets** set the four sliders for this photo (rounded to 8 px):")
        with gr.Row(elem_id="extend-presets"):
            presets = {
                target: gr.Button(
                    target, size="sm", min_width=60, elem_id=f"extend-preset-{_slug(target)}"
                )
                for target in PRESETS
            }
        sides: dict[str, gr.Slider] = {}
        for pair in (("left", "right"), ("top", "bottom")):
            with gr.Row():
                for side in pair:
                    sides[side] = gr.Slider(
                        0,
                        MAX_AMOUNT,
                        value=0,
                        step=STEP,
                        label=f"Add {side}, px of the photo",
                        elem_id=f"extend-{side}",
                    )
        with gr.Row():
            overlap = gr.Slider(
                **{**ui_spec.slider_kwargs("overlap"), "value": DEFAULT_OVERLAP},
                elem_id="extend-overlap",
            )
            prefill = gr.Dropdown(
                **{**ui_spec.dropdown_kwargs("prefill"), "value": DEFAULT_PREFILL},
                elem_id="extend-prefill",
            )
        extend = gr.Button("Extend", variant="primary", elem_id="run-extend")
        gr.Markdown(
            "Uses the prompt, seed and parameters of the page (offline the prompt is "
            "ignored: the local fill continues the photo); several samples run one chain "
            "of jobs each. The result appears in the Result tab above, where “Use as "
            "input” allows another pass."
        )
        photo = gr.Image(label="Photo to extend", type="filepath", format="png", visible=False)
        last_preset = gr.State(None)
    return ExtendPanel(
        accordion,
        photo,
        shown,
        caption,
        {s: sides[s] for s in SIDES},
        anchor,
        presets,
        last_preset,
        overlap,
        prefill,
        extend,
        allowance,
    )


def _slug(target: str) -> str:
    return target.replace(":", "-").replace(".", "_")


def wire(
    app: Studio,
    panel: ExtendPanel,
    photo: gr.Image,
    components: Mapping[str, Any],
    show_progress_on: gr.components.Component,
) -> None:
    """The panel's own events, and Extend into the result outputs.

    ``photo`` is the page's photo component (the user's file, an example, a
    result reused); ``components`` names the page's ``OUTPAINT_FIELDS``, the
    ``KEY_INPUTS`` and every
    ``GENERATE_OUTPUTS`` component.
    """
    _wire_photo(app, panel, photo)
    sides = [panel.sides[s] for s in SIDES]
    settings: list[Any] = [*sides, panel.overlap, panel.prefill]
    # Beside the job count, before anything runs: what this visitor has left.
    gr.on(
        [panel.photo.change, *(c.change for c in sides), components["session_key"].change],
        app.allowance,
        [components[name] for name in KEY_INPUTS[1:]],  # ``Studio.allowance``'s
        panel.allowance,
        queue=False,
        show_progress="hidden",
        **PRIVATE,
    )
    shown_for = gr.State(None)  # what the preview was last drawn for
    gr.on(
        [panel.photo.change, *(component.change for component in settings)],
        app.extend.refresh,
        [panel.photo, *sides, panel.overlap, panel.prefill, shown_for],
        [panel.preview, panel.caption, shown_for],
        trigger_mode="always_last",
        show_progress="hidden",
        **PRIVATE,
    )
    # Presets read the page's photo, not the panel's copy, which follows it one event
    # later: a preset pressed just after "Use as input" is for the new photo.
    for target, button in panel.presets.items():
        button.click(
            _preset(app, target),
            [photo, panel.anchor],
            [*sides, panel.last_preset],
            **PRIVATE,
        )
    panel.anchor.change(
        app.extend.reanchor,
        [photo, panel.anchor, panel.last_preset],
        [*sides, panel.last_preset],
        **PRIVATE,
    )
    _wire_run(app, panel, photo, components, show_progress_on)


def _preset(app: Studio, target: str) -> Callable[[Any, str], tuple[Any, ...]]:
    def apply(photo: Any, anchor: str) -> tuple[Any, ...]:
        return app.extend.apply_preset(photo, target, anchor)

    return apply


def _wire_photo(app: Studio, panel: ExtendPanel, photo: gr.Image) -> None:
    """The panel's copy of the photo follows the photo component (never the painting)."""
    photo.change(app.extend.same_photo, photo, panel.photo, show_progress="hidden", **PRIVATE)
    photo.clear(app.extend.no_photo, None, panel.photo, queue=False, **PRIVATE)


def _wire_run(
    app: Studio,
    panel: ExtendPanel,
    photo: gr.Image,
    components: Mapping[str, Any],
    show_progress_on: gr.components.Component,
) -> None:
    """Extend: capture the photo, then the public ``/outpaint`` event."""
    snapshot = gr.ImageEditor(type="pil", image_mode="RGBA", format="png", visible=False)
    image = gr.Image(label="Image", type="filepath", image_mode=None, format="png", visible=False)
    sides = [panel.sides[s] for s in SIDES]
    # /outpaint's own arguments are this panel's; the rest are the page's (``OUTPAINT_FIELDS``).
    own = {**dict(zip(SIDES, sides, strict=True)), OVERLAP: panel.overlap, PREFILL: panel.prefill}
    limit = app.settings.event_limit
    panel.extend.click(
        None,
        photo,
        snapshot,
        js=PHOTO_ONLY_JS,
        **PRIVATE,
    ).then(
        app.extend.capture,
        [snapshot, components["prompt"], *sides, components["session_key"]],
        [image, components["status"], components["right_tabs"], panel.photo],
        show_progress="hidden",
        **PRIVATE,
    ).success(
        app.extend.outpaint,
        [image, *(own[n] if n in own else components[n] for n in (*OUTPAINT_FIELDS, *KEY_INPUTS))],
        [components[name] for name in GENERATE_OUTPUTS],
        api_name="outpaint",
        # Its own line: an outpaint holds ~1.2 GB, so only a few run at once
        # (the API's queue limit is kept by the backend's job slots either way).
        concurrency_id="outpaint",
        concurrency_limit=min(limit, limits.OUTPAINT_CONCURRENCY),
        show_progress_on=[show_progress_on],
        api_description="Extend the image beyond its borders by left/top/right/bottom px "
        "(outpainting); the other parameters are optional.",
    )
