"""From the editor's photo and mask to exactly what the client is given, and its preview."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from .. import images as imgs
from .. import masks, pipeline, region
from ..errors import InputImageError
from ..request import InpaintRequest
from . import editor
from .common import quick_png
from .form import Form
from .messages import ALL_BLACK_MESSAGE


# -- the exact inputs ---------------------------------------------------------
@dataclass
class Prepared:
    """The photo and mask at full size, and how they will be sent.

    ``width``/``height`` is the size of the (first) request; in "only masked"
    mode ``regions`` are the boxes cut out of the photo, one request each.
    """

    image: Image.Image
    mask: Image.Image
    width: int
    height: int
    soft: bool
    notes: list[str]
    source: str
    regions: list[region.Region] = field(default_factory=list)
    crop: bool = False
    paste_back: bool = True
    prefill: str = "original"
    seed: int | None = None
    feather: int = 0  # the blend width at the photo's size (paste-back), or the soft edge
    auto: bool = False  # the area was chosen by "auto" (the caption says which and why)
    gain: float = 0.0  # how much sharper "only masked" sends the painted area
    # The before side of the before/after slider when it is not ``image`` (an
    # extension: the photo on the larger canvas, not the canvas the jobs start from).
    before: Image.Image | None = None
    # The file ``image`` was decoded from, when it came as one: kept for a later
    # fetch by linking it, rather than encoding the same photo again.
    photo_file: str | None = None

    @property
    def coverage(self) -> float:
        return masks.coverage(self.mask)


def prepare_inputs(
    image: Any, mask: Any, form: Form, *, source: str = "uploaded", notes: list[str] | None = None
) -> Prepared:
    """Image + mask + mask tools -> the full-size photo and mask the client is given.

    ``image`` and ``mask`` are anything ``inpaint.images`` reads (a path from
    the API, PIL images from the editor). The mask tools work in pixels of the
    photo, in a fixed order (invert, grow or shrink, then feather when the
    mask is sent soft), and the sizes and regions are the client's own rules
    (``send_size``, ``region.plan_regions``), so the preview and the request
    match exactly.
    """
    if image is None:
        raise InputImageError(editor.NO_IMAGE_MESSAGE, field="init_image")
    picture = imgs.to_rgb(imgs.load_image(image, what="image"))
    if mask is None:
        raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
    mask, mask_notes = editor.uploaded_mask(mask, picture.size)
    notes = [*(notes or []), *mask_notes]
    if masks.is_empty(mask) and not form.invert_mask:
        if source == "uploaded":
            raise InputImageError(ALL_BLACK_MESSAGE, field="mask_image")
        raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
    # With paste-back the feather is the blend band; without it, the mask is sent soft.
    feather = form.feather_for(picture.size)
    soft = feather > 0 and not form.paste_back
    mask = masks.refine(
        mask,
        invert_mask=form.invert_mask,
        grow_px=form.grow_px,
        feather_px=feather if soft else 0,
    )
    # The sizes and regions are the library's own rules for this very request.
    request = form.request() if form.prompt.strip() else form.replace(prompt="-").request()
    regions: list[region.Region] = []
    auto = request.crop_to_mask is None
    request = pipeline.with_area(request, picture.size, mask)
    if request.crop_to_mask:
        regions = pipeline.regions_for(mask, request)
        w, h = regions[0].send_size
    else:
        w, h = pipeline.send_size(picture.size, request.width, request.height)
    return Prepared(
        picture,
        mask,
        w,
        h,
        soft,
        notes,
        source,
        regions,
        bool(request.crop_to_mask),
        form.paste_back,
        request.prefill,
        request.seed,
        feather,
        auto,
        pipeline.area_gain(picture.size, mask, request) if auto else 0.0,
        photo_file=(
            str(image) if isinstance(image, (str, os.PathLike)) and os.path.isfile(image) else None
        ),
    )


PREVIEW_SIDE = 1024  # the preview is drawn at most this large, whatever the photo


def plain_preview(photo: Image.Image) -> Image.Image:
    """The photo alone as a preview shows it (nothing to draw over it yet): no larger than
    ``PREVIEW_SIDE``, so a 12 MP photo is not encoded whole for a box a few hundred px tall."""
    shown = photo.copy()
    shown.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BILINEAR)
    return quick_png(shown)


def preview_image(prepared: Prepared) -> Image.Image:
    """The mask tinted over the photo, with the boxes that "only masked" mode sends."""
    scale = min(1.0, PREVIEW_SIDE / max(prepared.image.size))
    size = (
        max(1, round(prepared.image.width * scale)),
        max(1, round(prepared.image.height * scale)),
    )
    photo = prepared.image if scale == 1 else prepared.image.resize(size, Image.Resampling.BILINEAR)
    mask = prepared.mask if scale == 1 else prepared.mask.resize(size, Image.Resampling.BOX)
    if prepared.prefill != "original":  # the painted area as it will be sent
        photo = pipeline.prefilled(pipeline.Send(photo, mask), _prefill_only(prepared)).image
        shown = masks.overlay(photo, mask, opacity=0.25)
    else:
        shown = masks.overlay(photo, mask)
    if prepared.regions:
        draw = ImageDraw.Draw(shown)
        for r in prepared.regions:
            box = [round(v * scale) for v in r.box.as_tuple()]
            draw.rectangle(
                (box[0], box[1], box[2] - 1, box[3] - 1),
                outline=(255, 214, 0),
                width=max(2, round(3 * max(size) / 1024)),
            )
    return quick_png(shown)


def _prefill_only(prepared: Prepared) -> InpaintRequest:
    return InpaintRequest(prompt="-", prefill=prepared.prefill, seed=prepared.seed)


def preview_caption(prepared: Prepared) -> str:
    """What is sent, how much of it is repainted, and what comes back."""
    source = "uploaded mask file" if prepared.source == "uploaded" else "painted strokes"
    soft = ", feathered edge" if prepared.soft else ""
    full = f"{prepared.image.width} × {prepared.image.height}"
    if prepared.crop:
        sizes = ", ".join(f"{r.send_size[0]} × {r.send_size[1]}" for r in prepared.regions)
        count = len(prepared.regions)
        text = "Auto chose **only masked**" if prepared.auto else "Only masked"
        text += f": **{count} region{'s' if count != 1 else ''}** (yellow) sent at **{sizes}** px"
        if prepared.auto:
            text += f", {prepared.gain:.1f}× sharper than the whole picture"
    else:
        text = "Auto chose the **whole picture**: s" if prepared.auto else "S"
        text += f"ent at **{prepared.width} × {prepared.height}** px"
    text += f" · **{prepared.coverage:.1%}** repainted (from the {source}{soft})."
    if prepared.prefill != "original":
        text += f" Pre-filled (**{prepared.prefill}**) as shown, lightly tinted."
    if prepared.paste_back or prepared.crop:
        text += f" Result at full size, **{full}** px"
        if prepared.paste_back:
            text += f", unpainted pixels kept exactly, blended over **{prepared.feather} px**."
        else:
            text += "."
    for note in prepared.notes:
        text += f"\n\n⚠ {note}"
    return text
