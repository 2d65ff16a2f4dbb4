"""The generation parameters, generated from the parameter specification (``ui_spec``)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .. import ui_spec
from ..common import PRIVATE
from ..events import Studio
from ..form import TRANSPORTS


@dataclass
class SizeAndQuality:
    auto_size: gr.Checkbox
    width: gr.Slider
    height: gr.Slider
    samples: gr.Slider
    num_inference_steps: gr.Slider
    guidance_scale: gr.Slider
    strength: gr.Slider

    @property
    def fields(self) -> dict[str, gr.components.Component]:
        return dict(vars(self))


@dataclass
class SeedAndAdvanced:
    seed: gr.Number
    safety_checker: gr.Checkbox
    transport: gr.Radio
    base64_output: gr.Checkbox
    instant_response: gr.Checkbox
    webhook: gr.Textbox
    track_id: gr.Textbox

    @property
    def fields(self) -> dict[str, gr.components.Component]:
        return dict(vars(self))


def size_controls(auto_size: bool) -> tuple[dict, dict]:
    """Width and height are only editable when the size is not automatic."""
    return gr.update(interactive=not auto_size), gr.update(interactive=not auto_size)


def build_size_and_quality() -> SizeAndQuality:
    with gr.Accordion("Parameters", open=True):
        auto_size = gr.Checkbox(
            value=True,
            label="Size: auto from image",
            info="The image's own size, fitted within 1024 x 1024 in multiples of 8. Untick "
            "to set width and height.",
            elem_id="auto-size",
        )
        with gr.Row():
            width = gr.Slider(**ui_spec.slider_kwargs("width"), interactive=False, elem_id="width")
            height = gr.Slider(
                **ui_spec.slider_kwargs("height"), interactive=False, elem_id="height"
            )
        with gr.Row():
            samples = gr.Slider(**ui_spec.slider_kwargs("samples"), elem_id="samples")
            steps = gr.Slider(**ui_spec.slider_kwargs("num_inference_steps"), elem_id="steps")
        with gr.Row():
            guidance = gr.Slider(**ui_spec.slider_kwargs("guidance_scale"), elem_id="guidance")
            strength = gr.Slider(**ui_spec.slider_kwargs("strength"), elem_id="strength")
    auto_size.change(size_controls, auto_size, [width, height], queue=False, **PRIVATE)
    return SizeAndQuality(auto_size, width, height, samples, steps, guidance, strength)


def build_seed_and_advanced(app: Studio, last_seed: gr.State) -> SeedAndAdvanced:
    """Seed, safety and the transport options; "Reuse" reads the last result's seed."""
    with gr.Accordion("Seed and safety", open=True):
        seed = gr.Number(**ui_spec.number_kwargs("seed"), elem_id="seed")
        reuse_seed = gr.Button("Reuse the last result's seed", elem_id="reuse-seed", size="sm")
        safety = gr.Checkbox(**ui_spec.checkbox_kwargs("safety_checker"), elem_id="safety")
    with gr.Accordion("Advanced", open=False):
        transport = gr.Radio(
            list(TRANSPORTS),
            value="upload",
            label="Transport",
            info="upload: the images go to the API's temporary storage first and the job "
            "gets their URLs; base64: they travel inside the request.",
        )
        base64_output = gr.Checkbox(**ui_spec.checkbox_kwargs("base64"))
        instant_response = gr.Checkbox(**ui_spec.checkbox_kwargs("instant_response"))
        webhook = gr.Textbox(**ui_spec.text_kwargs("webhook"))
        # A text field: an empty Number shows (and sends) 0, but "no track id" is the default.
        track_id = gr.Textbox(
            label=ui_spec.param("track_id").label,
            info=ui_spec.param("track_id").help + " Leave empty for none.",
            placeholder="none",
            elem_id="track-id",
        )
    reuse_seed.click(app.results.reuse_seed, last_seed, seed, **PRIVATE)
    return SeedAndAdvanced(
        seed, safety, transport, base64_output, instant_response, webhook, track_id
    )
