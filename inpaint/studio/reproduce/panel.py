"""The Reproduce accordion: load the parameters from a saved PNG, the request as code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..common import PRIVATE
from ..events import Studio
from ..form import EXTEND_FIELDS, FORM_FIELDS


@dataclass
class ReproducePanel:
    load_parameters: gr.File
    python: gr.Code
    curl: gr.Code
    cli: gr.Code


def build() -> ReproducePanel:
    with gr.Accordion("Reproduce", open=False, elem_id="reproduce"):
        load = gr.File(
            label="Load parameters from image (a PNG saved by this studio)",
            file_types=[".png"],
            type="filepath",
            elem_id="load-params",
            height=120,
        )
        with gr.Tabs():
            with gr.Tab("Python"):
                python = gr.Code(
                    language="python",
                    interactive=False,
                    label="This request with the library (key from MODELSLAB_API_KEY)",
                    elem_id="code-python",
                )
            with gr.Tab("curl"):
                curl = gr.Code(
                    language="shell",
                    interactive=False,
                    label="This request with curl (key from $MODELSLAB_API_KEY)",
                    elem_id="code-curl",
                )
            with gr.Tab("Command line"):
                cli = gr.Code(
                    language="shell",
                    interactive=False,
                    label="This request with python -m inpaint (key from MODELSLAB_API_KEY)",
                    elem_id="code-cli",
                )
    return ReproducePanel(load, python, curl, cli)


def wire(
    app: Studio,
    panel: ReproducePanel,
    demo: gr.Blocks,
    fields: Mapping[str, Any],
    status: gr.Markdown,
    session_key: gr.State,
) -> None:
    """Both read and refill the whole form and the Extend panel's amounts (``fields``
    by ``FORM_FIELDS`` and ``EXTEND_FIELDS`` name)."""
    names = (*FORM_FIELDS, *EXTEND_FIELDS)
    form = [fields[name] for name in names]

    def load(file: Any, *current: Any) -> tuple[Any, ...]:
        return app.reproduce.load_parameters(file, dict(zip(names, current, strict=True)))

    def code(*values: Any) -> tuple[str, str, str]:
        *current, key = values
        return app.reproduce.code_for(dict(zip(names, current, strict=True)), key)

    panel.load_parameters.upload(load, [panel.load_parameters, *form], [*form, status], **PRIVATE)
    gr.on(
        [demo.load, *(component.change for component in form), session_key.change],
        code,
        [*form, session_key],
        [panel.python, panel.curl, panel.cli],
        trigger_mode="always_last",
        show_progress="hidden",
        **PRIVATE,
    )
