"""The Result tab: the before/after slider, every sample, downloads, seed, time, job id."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..browser import SHOW_RESULT_JS
from ..common import PRIVATE
from ..events import Studio
from ..form import RESULT_TAB


@dataclass
class ResultPanel:
    before_after: gr.ImageSlider
    gallery: gr.Gallery
    run_info: gr.Markdown
    use_as_input: gr.Button
    downloads: gr.File
    info: gr.JSON
    last_run: gr.State  # the outputs shown and which one is selected
    last_seed: gr.State


def build(app: Studio) -> ResultPanel:
    with gr.Tab("Result", id=RESULT_TAB, elem_id="result-tab"):
        before_after = gr.ImageSlider(
            label="Before / after (drag the handle)",
            type="filepath",
            format="png",
            max_height=420,
            interactive=False,
            elem_id="before-after",
        )
        gallery = gr.Gallery(
            label="All samples (select one to compare it above)",
            columns=4,
            height=140,
            object_fit="contain",
            format="png",
            fit_columns=False,
            allow_preview=False,
            elem_id="gallery",
            interactive=False,
        )
        run_info = gr.Markdown("", elem_id="run-info")
        use_as_input = gr.Button("Use as input (another pass)", elem_id="use-as-input")
        downloads = gr.File(
            label="Download full-resolution PNGs",
            file_count="multiple",
            interactive=False,
            elem_id="downloads",
            visible=False,
        )
        with gr.Accordion("Request sent and response meta (key redacted)", open=False):
            info = gr.JSON(label="Request and response", elem_id="info")
    last_run = gr.State(None)
    last_seed = gr.State(None)
    gallery.select(app.results.select, last_run, [before_after, last_run], **PRIVATE)
    before_after.change(None, None, None, js=SHOW_RESULT_JS, **PRIVATE)
    return ResultPanel(
        before_after, gallery, run_info, use_as_input, downloads, info, last_run, last_seed
    )


def wire_use_as_input(
    app: Studio,
    panel: ResultPanel,
    photo: gr.Image,
    mask_file: gr.Image,
    status: gr.Markdown,
    tabs: gr.Tabs,
) -> None:
    """ "Use as input": the selected result becomes the photo (the editor follows it),
    unpainted, for another pass."""
    panel.use_as_input.click(
        app.results.use_as_input, panel.last_run, [photo, mask_file, status, tabs], **PRIVATE
    )
