"""The editor column: the photo, the editor to paint on, the prompts, Generate, Cancel,
Fetch result.

The photo is uploaded once, at full resolution, into its own component; the
editor shows a copy of it on a fixed canvas (``studio.canvas``), so reading
the editor stays quick whatever the photo's size.

Generate runs in two steps: ``capture`` freezes the photo and the painting
(through a hidden copy, see ``studio.browser``) into the image and mask files
that ``/inpaint`` takes, then the public ``/inpaint`` event sends them with
the form. Before both, the browser answers the click at once (the status, old
error toasts closed) and says what it is doing while it reads the painting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ...errors import ModelsLabError
from .. import canvas, ui_spec
from ..browser import (
    ACKNOWLEDGE_JS,
    COPY_TO_EDITOR_JS,
    HOLD_JS,
    READ_FOR_GENERATE_JS,
    RELEASE_JS,
)
from ..common import PRIVATE
from ..events import Studio
from ..form import CAPTURE_INPUTS, CAPTURE_OUTPUTS, FETCH_INPUTS, GENERATE_INPUTS
from ..form import GENERATE_OUTPUTS as GENERATE_OUTPUTS
from ..messages import describe_error
from . import parameters


def snapshot_editor() -> gr.ImageEditor:
    """Generate's hidden copy of the editor, handed to ``capture`` as file paths.

    gradio's own reading opens every image of the value and converts it (a
    12 MP photo decoded into RGBA before the event starts), only for the
    capture to need the user's photo file itself: it is kept with its bytes
    as they are and decoded once, by the generation. The paths are the ones
    gradio checked as its own uploads. A value held by id (gradio's realtime
    mode, not used by the page) or as data is read as gradio reads it. (The
    instance's reading is replaced rather than subclassed: gradio writes a
    type stub file next to the module of every component subclass.)
    """
    editor = gr.ImageEditor(type="filepath", image_mode="RGBA", format="png", visible=False)
    read_by_gradio = editor.preprocess

    def preprocess(payload: Any) -> Any:
        files = [payload.background, payload.composite, *(payload.layers or [])] if payload else []
        if payload is None or payload.id is not None or any(f and not f.path for f in files):
            return read_by_gradio(payload)

        def path(file: Any) -> str | None:
            return None if file is None else file.path

        return {
            "background": path(payload.background),
            "layers": [p for p in (path(layer) for layer in payload.layers or []) if p],
            "composite": path(payload.composite),
        }

    editor.preprocess = preprocess  # type: ignore[method-assign]
    return editor


@dataclass
class EditorPanel:
    photo: gr.Image
    image_editor: gr.ImageEditor
    texts: dict[str, gr.components.Component]  # the prompts, by form field name
    generate: gr.Button
    status: gr.Markdown
    fetch_row: gr.Row
    fetch_job_id: gr.Textbox
    fetch: gr.Button

    @property
    def fields(self) -> dict[str, gr.components.Component]:
        """The form fields this panel holds, by ``FORM_FIELDS`` name."""
        return dict(self.texts)


def build(app: Studio) -> EditorPanel:
    # The user's file as it is (``image_mode=None``: never decoded or re-encoded
    # by gradio); the page's own photos (examples, "Use as input") come here too.
    photo = gr.Image(
        label="Photo",
        sources=["upload", "clipboard", "webcam"],
        type="filepath",
        image_mode=None,
        elem_id="photo",
        height=170,
    )
    image_editor = gr.ImageEditor(
        # Short: on a phone the label shares one line with the editor's toolbar;
        # the page's heading says what to do.
        label="Paint",
        # The photo comes from the component above, as a copy that fills the
        # fixed canvas (``studio.canvas``); the editor takes no file itself.
        sources=(),
        canvas_size=(canvas.EDIT_SIDE, canvas.EDIT_SIDE),
        fixed_canvas=True,
        type="filepath",
        image_mode="RGBA",
        format="png",
        elem_id="editor",
        # Said outright: no event takes the editor as an input to the server (the
        # page reads it itself, see studio.browser), and gradio shows such a
        # component read-only.
        interactive=True,
        height=520,
        transforms=(),
        brush=gr.Brush(**ui_spec.brush_kwargs()),
        eraser=gr.Eraser(**ui_spec.eraser_kwargs()),
        layers=gr.LayerOptions(allow_additional_layers=True),
    )
    texts = parameters.widgets(parameters.TEXTS)
    with gr.Row():
        generate = gr.Button("Generate", variant="primary", elem_id="generate", scale=3)
        # Secondary: a bright red button while nothing runs reads as an alarm.
        cancel = gr.Button("Cancel", variant="secondary", elem_id="cancel", scale=1)
    status = gr.Markdown("", elem_id="status")
    with gr.Row(visible=False, elem_id="fetch-row") as fetch_row:
        fetch_job_id = gr.Textbox(label="Job id", elem_id="fetch-job-id", scale=2)
        fetch = gr.Button("Fetch result", elem_id="fetch", scale=1)
    cancel.click(app.cancel, None, status, queue=False, **PRIVATE)
    _wire_photo(photo, image_editor, status)
    return EditorPanel(
        photo,
        image_editor,
        texts,
        generate,
        status,
        fetch_row,
        fetch_job_id,
        fetch,
    )


def _wire_photo(photo: gr.Image, image_editor: gr.ImageEditor, status: gr.Markdown) -> None:
    """A new photo (the user's, an example, a result reused) goes into the editor as
    the copy it paints on; the page reads no painting until the copy is there.

    The server makes the copy into a hidden image and the browser moves it into
    the editor: no server event has the editor among its outputs. gradio re-reads
    (exports) every component that was ever an output of a server event on each
    status update of every later event, which for an edited canvas is seconds each.
    """
    # Only shown, never sent back: JPEG is quick to write.
    copy = gr.Image(type="pil", format="jpeg", visible=False)

    def show(path: str | None) -> tuple[Any, Any]:
        if not path:
            return None, gr.skip()
        try:
            return canvas.display_copy(path), gr.skip()
        except ModelsLabError as exc:
            return None, f"⚠ {describe_error(exc)}"

    photo.change(None, js=HOLD_JS, **PRIVATE).then(
        show, photo, [copy, status], show_progress="hidden", **PRIVATE
    ).then(None, copy, image_editor, js=COPY_TO_EDITOR_JS, **PRIVATE).then(
        None, js=RELEASE_JS, **PRIVATE
    )


def wire_generation(
    app: Studio,
    panel: EditorPanel,
    components: Mapping[str, Any],
    show_progress_on: gr.components.Component,
) -> None:
    """Generate and Fetch result; ``components`` names every input and output they use.

    The hidden components made here are what the two steps of Generate pass
    on: the frozen image and mask are also the two files an API caller of
    ``/inpaint`` sends.
    """
    limit = app.settings.event_limit
    named = dict(components)
    named["generate_snapshot"] = snapshot_editor()
    named["input_image"] = gr.Image(
        label="Image", type="filepath", image_mode=None, format="png", visible=False
    )
    named["input_mask"] = gr.Image(
        label="Mask (white = repaint)",
        type="filepath",
        image_mode=None,
        format="png",
        visible=False,
    )

    def pick(names: tuple[str, ...]) -> list[Any]:
        return [named[name] for name in names]

    # First and browser-only: the click is acknowledged before anything is read.
    panel.generate.click(None, None, panel.status, js=ACKNOWLEDGE_JS, **PRIVATE)
    panel.generate.click(
        None,
        panel.photo,
        [named["generate_snapshot"], panel.status],
        js=READ_FOR_GENERATE_JS,
        **PRIVATE,
    ).then(
        app.capture,
        pick(CAPTURE_INPUTS),
        pick(CAPTURE_OUTPUTS),
        show_progress="hidden",
        **PRIVATE,
    ).success(
        app.generate,
        pick(GENERATE_INPUTS),
        pick(GENERATE_OUTPUTS),
        api_name="inpaint",
        concurrency_id="modelslab",
        concurrency_limit=limit,
        # A large result's event ends once its PNGs are written, after the result is
        # shown: a Generate pressed meanwhile runs right after it, not dropped ("once").
        trigger_mode="always_last",
        show_progress_on=[show_progress_on],
        api_description="Inpaint the white area of the mask in the image. image and mask "
        "are image files; the other parameters are optional.",
    )
    panel.fetch.click(
        app.fetch,
        pick(FETCH_INPUTS),
        pick(GENERATE_OUTPUTS),
        api_name="fetch_result",
        concurrency_id="modelslab",
        concurrency_limit=limit,
        show_progress_on=[show_progress_on],
    )
