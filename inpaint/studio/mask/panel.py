"""The Mask tab (the preview of exactly what is sent) and the mask tools beside it.

The tools are built outside the tabs (``build_tools``): Generate shows the
Result tab, and the tools that shaped the result must stay in reach.

The preview is refreshed by "Refresh preview" and by everything that can
change what would be sent: the mask settings, the tab being shown, every edit
on the editor's canvas and a new photo. The page's scheduler
(``studio.browser``) runs one refresh at a time, so refreshes never overtake
one another and the last one starts after the last edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from .. import ui_spec
from ..browser import (
    DONE_JS,
    READ_BUTTON_ID,
    READ_JS,
    REFRESH_BUTTON_ID,
    REQUEST_JS,
    REREAD_JS,
    REUSE_BUTTON_ID,
    REUSE_JS,
)
from ..common import PRIVATE
from ..form import AREA_AUTO, AREAS, MASK_TAB, MASK_TOOL_LIMIT, PREVIEW_SETTINGS
from ..messages import NO_PHOTO_CAPTION
from . import handler as preview


@dataclass
class MaskPreview:
    tab: gr.Tab
    preview: gr.Image
    caption: gr.Markdown
    refresh: gr.Button


@dataclass
class MaskTools:
    crop_to_mask: gr.Radio
    mask_padding: gr.Slider
    grow_px: gr.Slider
    feather_px: gr.Slider
    scale_with_photo: gr.Checkbox
    paste_back: gr.Checkbox
    invert_mask: gr.Checkbox
    mask_file: gr.Image
    prefill: gr.Dropdown
    match_colours: gr.Checkbox


@dataclass
class MaskPanel:
    shown: MaskPreview
    tools: MaskTools

    @property
    def mask_file(self) -> gr.Image:
        return self.tools.mask_file

    @property
    def fields(self) -> dict[str, gr.components.Component]:
        """The form fields this panel holds, by ``FORM_FIELDS`` name."""
        t = self.tools
        return {
            "invert_mask": t.invert_mask,
            "grow_px": t.grow_px,
            "scale_with_photo": t.scale_with_photo,
            "feather_px": t.feather_px,
            "crop_to_mask": t.crop_to_mask,
            "mask_padding": t.mask_padding,
            "paste_back": t.paste_back,
            "prefill": t.prefill,
            "match_colours": t.match_colours,
        }


def build_preview() -> MaskPreview:
    """The Mask tab: what will be sent, with its caption (inside the right-hand tabs)."""
    with gr.Tab("Mask", id=MASK_TAB, elem_id="mask-tab") as tab:
        shown = gr.Image(
            label="The mask that will be sent, over the image that will be sent",
            interactive=False,
            type="pil",
            format="png",
            elem_id="mask-preview",
            height=360,
        )
        with gr.Row(equal_height=True):
            caption = gr.Markdown(NO_PHOTO_CAPTION, elem_id="mask-caption")
            refresh = gr.Button(
                "Refresh preview", size="sm", scale=0, min_width=140, elem_id=REFRESH_BUTTON_ID
            )
    return MaskPreview(tab, shown, caption, refresh)


def build_tools() -> MaskTools:
    """The mask tools, outside the tabs: Generate shows the Result tab, and the tools
    that shaped it must stay in reach for the next try."""
    with gr.Accordion("Mask tools", open=True, elem_id="mask-tools"):
        with gr.Row():
            crop_to_mask = gr.Radio(
                list(AREAS),
                value=AREA_AUTO,
                label="Inpaint area",
                info="Auto sends only the area around the mask when that keeps a large "
                "photo's detail (the preview says which it chose); Whole picture sends "
                "everything at up to 1024 px; Only masked always sends the area around the mask.",
                elem_id="area",
            )
            grow_px = gr.Slider(
                -MASK_TOOL_LIMIT,
                MASK_TOOL_LIMIT,
                value=0,
                step=1,
                label="Grow (+) or shrink (-), px of the photo",
                elem_id="grow",
            )
        scale_with_photo = gr.Checkbox(
            **ui_spec.scale_with_photo_kwargs(), elem_id="scale-with-photo"
        )
        with gr.Row():
            mask_padding = gr.Slider(**ui_spec.slider_kwargs("mask_padding"), elem_id="padding")
            feather_px = gr.Slider(**ui_spec.slider_kwargs("feather"), elem_id="feather")
        with gr.Row():
            prefill = gr.Dropdown(**ui_spec.dropdown_kwargs("prefill"), elem_id="prefill")
            match_colours = gr.Checkbox(
                **ui_spec.checkbox_kwargs("match_colours"), elem_id="match-colours"
            )
        with gr.Row():
            paste_back = gr.Checkbox(**ui_spec.checkbox_kwargs("paste_back"), elem_id="paste-back")
            invert_mask = gr.Checkbox(
                label="Invert (repaint everything except the painted area)",
                value=False,
                elem_id="invert",
            )
        mask_file = gr.Image(
            label="Mask file (white = repaint), instead of painting",
            sources=["upload", "clipboard"],
            type="filepath",
            image_mode=None,
            elem_id="mask-file",
            height=180,
        )
    # Moving either slider is choosing a number: the photo no longer sets it.
    for slider in (mask_padding, feather_px):
        slider.input(lambda: False, None, scale_with_photo, queue=False, **PRIVATE)
    return MaskTools(
        crop_to_mask,
        mask_padding,
        grow_px,
        feather_px,
        scale_with_photo,
        paste_back,
        invert_mask,
        mask_file,
        prefill,
        match_colours,
    )


def wire_preview(
    panel: MaskPanel,
    photo: gr.Image,
    image_editor: gr.ImageEditor,
    size_fields: dict[str, gr.components.Component],
) -> None:
    """The preview event; ``size_fields`` are the parameters panel's auto/width/height.

    Two hidden buttons start it, pressed only by the page's scheduler
    (``studio.browser``), which runs one refresh at a time: one reads the
    editor first, the other reuses the painting last read (a mask setting
    moved, nothing painted since). Every refresh ends by telling the
    scheduler, which then starts the next one if anything changed meanwhile.
    """
    fields: dict[str, Any] = {**panel.fields, **size_fields, "mask_file": panel.mask_file}
    settings = [fields[name] for name in PREVIEW_SETTINGS]
    snapshot = gr.ImageEditor(type="pil", image_mode="RGBA", format="png", visible=False)
    names = PREVIEW_SETTINGS[1:]  # after the mask file

    sized_for = gr.State(None)  # the photo size the sliders were set for

    def refresh(editor_value: Any, mask_file: Any, *values: Any) -> tuple[Any, ...]:
        *settings_values, seen = values
        by_name = dict(zip(names, settings_values, strict=True))
        return preview.refresh(editor_value, mask_file, by_name, seen)

    read = gr.Button("read the editor", elem_id=READ_BUTTON_ID, visible="hidden")
    reuse = gr.Button("reuse the painting", elem_id=REUSE_BUTTON_ID, visible="hidden")
    for button, inputs, js in ((read, [photo, image_editor], READ_JS), (reuse, [photo], REUSE_JS)):
        button.click(None, inputs, snapshot, js=js, **PRIVATE).then(
            refresh,
            [snapshot, *settings, sized_for],
            [
                panel.shown.preview,
                panel.shown.caption,
                size_fields["width"],
                size_fields["height"],
                panel.tools.mask_padding,
                panel.tools.feather_px,
                sized_for,
            ],
            show_progress="hidden",
            concurrency_id="preview",
            concurrency_limit=4,
            **PRIVATE,
        ).then(None, js=DONE_JS, **PRIVATE)
    panel.shown.refresh.click(None, js=REREAD_JS, **PRIVATE)
    gr.on(
        [panel.shown.tab.select, *(component.change for component in settings)],
        None,
        js=REQUEST_JS,
        **PRIVATE,
    )
    photo.clear(
        preview.cleared, None, [panel.shown.preview, panel.shown.caption], queue=False, **PRIVATE
    )


def wire_new_photo(panel: MaskPanel, photo: gr.Image, status: gr.Markdown) -> None:
    """A photo the user picks starts without another photo's mask file.

    An example brings its prepared mask file; left in place it would be
    stretched over the next photo and used although nothing was painted on it.
    The photo's ``upload`` event is the user's own pick (a file, a paste, the
    webcam), never the page's load of an example.
    """

    def forget(mask_file: Any) -> tuple[Any, Any]:
        if not mask_file:
            return gr.skip(), gr.skip()
        return None, (
            "↺ New photo: the previous mask file was removed. Paint the area to "
            "change (or upload a mask file for this photo). The prompt and negative "
            "prompt are kept: check they fit this photo."
        )

    photo.upload(forget, panel.mask_file, [panel.mask_file, status], queue=False, **PRIVATE)
