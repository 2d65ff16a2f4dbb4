"""Sizes that follow the photo in the studio: padding, blend width and brush.

A blend width of 8 px is right for a 1024 px photo and invisible on a 4000 px
one. With "scale with the photo" ticked the studio leaves both out of the
request (the library scales them, one rule) and its sliders show the values
the photo gets; unticked, the sliders' numbers are sent as they are.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image, ImageDraw

from inpaint.studio import Form
from inpaint.studio.form import FORM_FIELDS
from inpaint.studio.mask import handler as preview
from inpaint.studio.prepare import prepare_inputs

BIG = (4000, 3000)


def photo_and_mask(size: tuple[int, int] = BIG) -> tuple[Image.Image, Image.Image]:
    photo = Image.new("RGB", size, (120, 90, 60))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((1800, 1300, 2100, 1500), fill=255)
    return photo, mask


def ui(**values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in FORM_FIELDS} | {"prompt": "x"}


def test_ticked_the_photo_sets_padding_and_blend_whatever_the_sliders_show() -> None:
    form = Form.from_ui(ui(scale_with_photo=True, feather_px=8, mask_padding=32))
    assert form.feather_px is None and form.mask_padding is None
    request = form.request()
    assert request.feather is None and request.mask_padding is None  # the library scales
    assert (form.feather_for(BIG), form.padding_for(BIG)) == (31, 125)
    assert request.resolved(BIG).feather == 31  # one rule: the library's
    photo, mask = photo_and_mask()
    prepared = prepare_inputs(photo, mask, form.replace(crop_to_mask=True))
    assert prepared.feather == 31
    box = prepared.regions[0].box.as_tuple()
    assert box[0] <= 1800 - 125 and box[2] >= 2100 + 125  # padded by the photo's 125 px


def test_unticked_the_sliders_numbers_are_sent_as_they_are() -> None:
    form = Form.from_ui(ui(scale_with_photo=False, feather_px=8, mask_padding=32))
    assert (form.feather_for(BIG), form.padding_for(BIG)) == (8, 32)
    assert form.request().feather == 8
    assert form.as_ui()["scale_with_photo"] is False
    # An API caller giving one value: that one is used, the other scales.
    api = Form.from_ui(ui(feather_px=12))
    assert (api.feather_for(BIG), api.padding_for(BIG)) == (12, 125)


def test_the_preview_sets_the_sliders_once_per_photo() -> None:
    photo, _ = photo_and_mask((2048, 1536))
    value = {"background": photo, "layers": [], "composite": photo}
    settings = {"scale_with_photo": True, "auto_size": True, "feather_px": 8, "mask_padding": 32}
    out = preview.refresh(value, None, settings, None)
    padding, feather, seen = out[4], out[5], out[6]
    assert (padding["value"], feather["value"]) == (64, 16)
    # The same photo again (a stroke, a setting): the user's numbers stay.
    again = preview.refresh(value, None, {**settings, "feather_px": 20}, seen)
    assert all(isinstance(o, type(gr.skip())) for o in again[4:6]), again[4:6]
    # Unticked then ticked again: the photo's values come back.
    off = preview.refresh(value, None, {**settings, "scale_with_photo": False}, seen)
    back = preview.refresh(value, None, settings, off[6])
    assert (back[4]["value"], back[5]["value"]) == (64, 16)
