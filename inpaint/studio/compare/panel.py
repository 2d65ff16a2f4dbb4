"""The Compare tab: one or two parameters' values side by side on the current photo.

The form is the fixed part of every cell, so a comparison asks only what
varies; the photo and mask are read from the editor the way Generate reads
them (a hidden copy, see ``studio.browser``). A click on a finished cell puts
its parameters back into the form, the same way a history row does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..browser import CURRENT_JS
from ..common import PRIVATE
from ..events import Studio
from ..form import FORM_FIELDS
from .handler import COMPARE_INPUTS, COMPARE_OUTPUTS, NO_AXIS, axis_choices

COMPARE_TAB = "compare"


@dataclass
class ComparePanel:
    axis_1: gr.Dropdown
    values_1: gr.Textbox
    axis_2: gr.Dropdown
    values_2: gr.Textbox
    count: gr.Markdown
    run: gr.Button
    stop: gr.Button
    status: gr.Markdown
    gallery: gr.Gallery
    grid: gr.File


def build() -> ComparePanel:
    choices = axis_choices()
    with gr.Tab("Compare", id=COMPARE_TAB, elem_id="compare-tab"):
        gr.Markdown(
            "Try one or two parameters at several values on this photo and mask; "
            "everything else is the form as it is. Numbers are separated by commas, "
            "prompts by “|”."
        )
        with gr.Row(equal_height=True):
            axis_1 = gr.Dropdown(
                choices,
                value="strength",
                label="Across: parameter",
                elem_id="compare-axis-1",
                scale=1,
            )
            values_1 = gr.Textbox(
                label="Values", placeholder="0.3, 0.7, 1", elem_id="compare-values-1", scale=2
            )
        with gr.Row(equal_height=True):
            axis_2 = gr.Dropdown(
                [("(none)", NO_AXIS), *choices],
                value=NO_AXIS,
                label="Down: parameter",
                elem_id="compare-axis-2",
                scale=1,
            )
            values_2 = gr.Textbox(
                label="Values", placeholder="1, 2", elem_id="compare-values-2", scale=2
            )
        count = gr.Markdown("", elem_id="compare-count")
        with gr.Row():
            run = gr.Button("Run comparison", variant="primary", elem_id="compare-run", scale=3)
            stop = gr.Button("Stop", variant="secondary", elem_id="compare-stop", scale=1)
        status = gr.Markdown("", elem_id="compare-status")
        gallery = gr.Gallery(
            label="Cells (click one to load its parameters into the form)",
            columns=2,
            height=560,
            object_fit="contain",
            format="png",
            allow_preview=False,
            interactive=False,
            elem_id="compare-gallery",
        )
        grid = gr.File(
            label="The grid, labelled (PNG)",
            interactive=False,
            visible=False,
            elem_id="compare-grid",
        )
    return ComparePanel(axis_1, values_1, axis_2, values_2, count, run, stop, status, gallery, grid)


def wire(app: Studio, panel: ComparePanel, photo: gr.Image, components: Mapping[str, Any]) -> None:
    """Count, run, stop and restore; ``components`` names the form fields, the mask file
    and the session key by their ``COMPARE_INPUTS`` names.

    The hidden components are made here, outside the tabs: gradio 6 shows a
    tab twice once a State sits between tabs in a ``gr.Tabs``.
    """
    # Per gallery item, the form that remakes it (None: not finished).
    cells = gr.State([])
    named = {
        **components,
        "axis_1": panel.axis_1,
        "values_1": panel.values_1,
        "axis_2": panel.axis_2,
        "values_2": panel.values_2,
        "compare_gallery": panel.gallery,
        "compare_status": panel.status,
        "compare_grid": panel.grid,
        "compare_cells": cells,
        "compare_snapshot": gr.ImageEditor(
            type="pil", image_mode="RGBA", format="png", visible=False
        ),
    }
    form = [named[name] for name in FORM_FIELDS]
    counted = [named[name] for name in COMPARE_INPUTS[2:]]  # all but the photo and mask
    gr.on(
        [
            panel.axis_1.change,
            panel.values_1.change,
            panel.axis_2.change,
            panel.values_2.change,
            named["session_key"].change,
            named["crop_to_mask"].change,
            named["prompt"].change,
        ],
        app.compare.count_for,
        counted,
        panel.count,
        trigger_mode="always_last",
        show_progress="hidden",
        queue=False,
        **PRIVATE,
    )
    panel.run.click(
        None,
        photo,
        named["compare_snapshot"],
        js=CURRENT_JS,
        **PRIVATE,
    ).then(
        app.compare.run,
        [named[name] for name in COMPARE_INPUTS],
        [named[name] for name in COMPARE_OUTPUTS],
        concurrency_id="compare",
        concurrency_limit=2,
        show_progress="minimal",
        **PRIVATE,
    )
    panel.stop.click(app.compare.stop, None, panel.status, queue=False, **PRIVATE)
    panel.gallery.select(app.compare.select, cells, [*form, panel.status], **PRIVATE)
