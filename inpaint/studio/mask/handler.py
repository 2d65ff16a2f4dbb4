"""The mask preview: the exact mask that would be sent, over the photo that would be sent."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import gradio as gr
from PIL import Image

from ... import pipeline
from ...errors import InputImageError, ModelsLabError
from ...params import OPTIONS_BY_NAME
from .. import editor
from ..form import Form
from ..messages import NO_PHOTO_CAPTION, describe_error
from ..prepare import plain_preview, prepare_inputs, preview_caption, preview_image

log = logging.getLogger("inpaint.studio")


def preview(
    image_editor: dict[str, Any] | None, mask_file: Any, settings: Mapping[str, Any]
) -> tuple[Image.Image | None, str]:
    """The preview image and its caption for an editor value and the mask settings.

    ``settings`` are the mask and size fields by name (``PREVIEW_SETTINGS``
    without the mask file); missing ones take the form's defaults.
    """
    image, caption, _ = _preview(
        image_editor, mask_file, settings, editor.background_image(image_editor)
    )
    return image, caption


def _preview(
    image_editor: dict[str, Any] | None,
    mask_file: Any,
    settings: Mapping[str, Any],
    photo: Image.Image | None,
) -> tuple[Image.Image | None, str, tuple[int, int] | None]:
    """``preview`` and the size the (first) request is sent at, when it is known;
    ``photo`` is the editor value's (``editor.background_image``)."""
    try:
        form = Form.from_ui(dict(settings))
        if photo is None:
            return None, NO_PHOTO_CAPTION, None
        inputs = editor.read_inputs(image_editor, mask_file, photo)
        prepared = prepare_inputs(
            inputs.image, inputs.mask, form, source=inputs.source, notes=inputs.notes
        )
    except InputImageError as exc:  # e.g. nothing painted yet: show the plain photo
        # The whole picture's size does not depend on the mask: it is known already.
        size = (
            None
            if photo is None or form.crop_to_mask
            else pipeline.send_size(photo.size, *form.size())
        )
        return (
            None if photo is None else plain_preview(photo),
            describe_error(exc),
            size,
        )
    except ModelsLabError as exc:
        return None, describe_error(exc), None
    except Exception:  # the preview must never break the page
        log.exception("mask preview failed")
        return None, describe_error(RuntimeError()), None
    return (preview_image(prepared), preview_caption(prepared), (prepared.width, prepared.height))


def refresh(
    image_editor: dict[str, Any] | None,
    mask_file: Any,
    settings: Mapping[str, Any],
    sized_for: Mapping[str, Any] | None = None,
) -> tuple[Any, ...]:
    """``preview`` as the page uses it: silent while there is no photo.

    A refresh may run while a photo is on its way (the page holds reads
    until the editor has its copy, and the photo's value may still be
    empty); an empty reading must not replace the preview with "upload a
    photo". A cleared photo has its own event (``cleared``).

    The page shows what is sent, never a stale default: with "Size: auto" the
    width and height sliders are set to the size that will be sent, and with
    "scale with the photo" the padding and blend-width sliders to the values
    this photo gets (the brush is the same share of every photo, see
    ``studio.canvas``). ``sized_for`` (a page state, the last output)
    remembers the photo size the sliders were last set for, so a refresh for
    the same photo leaves them alone: a refresh that read "scale" a moment
    before the user moved a slider cannot put the photo's value back over the
    user's.
    """
    photo = editor.background_image(image_editor)
    if photo is None:
        return (gr.skip(),) * 7
    seen = dict(sized_for or {})
    shown_for = _depends_on(image_editor, mask_file, settings)
    if seen.get("shown") == shown_for:
        # An echo: this refresh was asked for by the sliders the last one set (the
        # size sent, the photo-scaled padding), which the preview already follows.
        return (gr.skip(),) * 7
    image, caption, size = _preview(image_editor, mask_file, settings, photo)
    # A preview that failed is not remembered: "Refresh preview" tries again.
    seen["shown"] = shown_for if image is not None else None
    sizes: tuple[Any, ...] = (gr.skip(), gr.skip())
    if size is not None and settings.get("auto_size") is not False:
        sizes = (gr.update(value=size[0]), gr.update(value=size[1]))
    scaled: tuple[Any, ...] = (gr.skip(), gr.skip())
    if not settings.get("scale_with_photo"):
        seen["scaled"] = None
    elif seen.get("scaled") != list(photo.size):
        seen["scaled"] = list(photo.size)
        scaled = (
            gr.update(value=OPTIONS_BY_NAME["mask_padding"].scaled(photo.size)),
            gr.update(value=OPTIONS_BY_NAME["feather"].scaled(photo.size)),
        )
    return (image, caption, *sizes, *scaled, seen)


# Settings the preview does not read while another setting is on: those sliders only
# show the value used (the size sent with "auto", the photo-scaled values).
_SHOWN_ONLY = {"auto_size": ("width", "height"), "scale_with_photo": ("mask_padding", "feather_px")}


def _depends_on(
    image_editor: dict[str, Any] | None, mask_file: Any, settings: Mapping[str, Any]
) -> str:
    """A digest of everything the preview is drawn from (the photo's and the paint's
    pixels, the mask file, the settings it reads): equal digests, equal previews."""
    used = dict(settings)
    switched_on = {
        "auto_size": used.get("auto_size") is not False,  # on unless turned off
        "scale_with_photo": bool(used.get("scale_with_photo")),
    }
    for switch, names in _SHOWN_ONLY.items():
        if switched_on[switch]:
            for name in names:
                used.pop(name, None)
    digest = hashlib.blake2b(digest_size=16)
    value = image_editor or {}
    for part in (value.get("background"), *(value.get("layers") or ()), mask_file):
        if isinstance(part, Image.Image):
            digest.update(repr((part.mode, part.size)).encode())
            digest.update(part.tobytes())
        else:
            digest.update(repr(part).encode())
    digest.update(repr(sorted(used.items())).encode())
    return digest.hexdigest()


def cleared() -> tuple[None, str]:
    """The editor was emptied: so is the preview."""
    return None, NO_PHOTO_CAPTION
