"""The example photos, each with a prepared mask and prompts."""

from __future__ import annotations

from collections.abc import Mapping

import gradio as gr

from ..browser import IMAGE_TO_EDITOR_JS, PRESS_REFRESH_JS
from ..common import PRIVATE
from ..form import PROMPTS
from . import load_examples

# Headers wrap, so a column is as wide as its pictures (the mask's long label made
# it 370 px). On a phone the negative prompt gives way: a click still fills it in,
# and photo, mask and prompt then fit the screen without scrolling.
CSS = """
#examples th { white-space: normal; }
@media (max-width: 640px) { #examples [aria-colindex="4"] { display: none; } }
"""


def load_photo(
    trigger: gr.events.Dependency,
    image: gr.Image,
    image_editor: gr.ImageEditor,
    *,
    only_on_success: bool = False,
) -> gr.events.Dependency:
    """After ``trigger``, put ``image`` into the editor (no paint) and refresh the preview.

    A value the page sets is read from the value itself, so the preview can
    be refreshed in the very next step (``studio.browser``).
    """
    step = trigger.success if only_on_success else trigger.then
    return step(
        None,
        image,
        image_editor,
        js=IMAGE_TO_EDITOR_JS,
        **PRIVATE,
    ).then(None, js=PRESS_REFRESH_JS, **PRIVATE)


def build(
    image_editor: gr.ImageEditor,
    mask_file: gr.Image,
    prompts: Mapping[str, gr.components.Component],
) -> gr.Image:
    """The examples table; returns the hidden image an example (or a result) goes through.

    ``prompts`` are the editor's text fields by name (``form.PROMPTS``)."""
    photo = gr.Image(label="Photo", type="filepath", format="png", visible=False)
    inputs = [photo, mask_file, *(prompts[name] for name in PROMPTS)]
    offline = gr.Examples(
        examples=load_examples(offline=True),
        label="Examples (each with a prepared mask): removals, which the offline fill does well",
        inputs=inputs,
        examples_per_page=6,
    )
    keyed = gr.Examples(
        examples=load_examples(offline=False),
        label="Examples that need a ModelsLab key: a generative model paints new content "
        "(offline, the classical fill only continues the surroundings)",
        inputs=inputs,
        examples_per_page=6,
        elem_id="examples",
    )
    gr.Markdown(
        "Example photos: scikit-image sample data (CC0 / public domain), see `examples/SOURCES.md`."
    )
    load_photo(offline.load_input_event, photo, image_editor)
    load_photo(keyed.load_input_event, photo, image_editor)
    return photo
