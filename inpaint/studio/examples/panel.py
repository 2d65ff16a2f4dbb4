"""The example photos, each with a prepared mask and prompts."""

from __future__ import annotations

from collections.abc import Mapping

import gradio as gr

from ..form import PROMPTS
from . import load_examples

# Headers wrap, so a column is as wide as its pictures (the mask's long label made
# it 370 px). On a phone the negative prompt gives way: a click still fills it in,
# and photo, mask and prompt then fit the screen without scrolling.
CSS = """
#examples th { white-space: normal; }
@media (max-width: 640px) { #examples [aria-colindex="4"] { display: none; } }
"""


def build(
    photo: gr.Image,
    mask_file: gr.Image,
    prompts: Mapping[str, gr.components.Component],
) -> None:
    """The examples table: an example fills the photo (the editor follows it), the mask
    file and the prompts.

    ``prompts`` are the editor's text fields by name (``form.PROMPTS``)."""
    inputs = [photo, mask_file, *(prompts[name] for name in PROMPTS)]
    gr.Examples(
        examples=load_examples(offline=True),
        label="Examples (each with a prepared mask): removals, which the offline fill does well",
        inputs=inputs,
        examples_per_page=6,
    )
    gr.Examples(
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
