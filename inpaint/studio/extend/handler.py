"""Extend (outpainting): presets, the preview of the new canvas, and the run itself.

The run goes through ``Generation``'s own job machinery (its backend, job
runner, cancel board, history and result outputs), so an extension reports
progress, keeps every job id, ends in plain words and fills the result
gallery, before/after and downloads exactly as Generate does. Only what is
particular to outpainting lives here: the amounts, the preview, and the one
call of ``client.outpaint``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr
from PIL import Image, ImageDraw

from ... import images as imgs
from ...client import ModelsLabClient
from ...errors import InputImageError, ModelsLabError, ParameterError
from ...offline import OFFLINE_EXTEND_PROMPT
from ...outpaint import Extension, start_canvas, tiles
from ...params import OPTIONS_BY_NAME
from ...progress import ProgressEvent
from ...request import EXTEND_NAMES
from ...result import InpaintResult
from .. import editor
from ..backend import MODE_OFFLINE
from ..common import PROGRESS, browser_token, own_key, quick_png, session_of
from ..endpoint import takes
from ..form import FIELDS, KEY_INPUTS, PROMPTS, RESULT_TAB, Form
from ..generate.handler import Generation, Plan
from ..jobs import JobCall
from ..messages import describe_error, page_error
from ..prepare import PREVIEW_SIDE, Prepared, plain_preview
from ..visitors import Visitor, anonymous

SIDES = ("left", "top", "right", "bottom")
PRESETS = ("x1.25", "x1.5", "x2", "16:9", "9:16", "1:1", "4:3")
ANCHORS = ("center", "left", "right", "top", "bottom")
STEP = 8  # the sliders' step: presets are rounded to it
MAX_AMOUNT = 2048  # the sliders' range per side, px of the photo
DEFAULT_PREFILL = "patchmatch"
OVERLAP, PREFILL = "overlap", "prefill"
DEFAULT_OVERLAP = OPTIONS_BY_NAME[OVERLAP].scaled((1024, 1024))
# /outpaint's arguments after the photo: the prompt, the amounts (by their short
# names), the overlap and pre-fill, then the form's fields an extension uses (the
# API's, and the colour match); the inpaint area, padding and blend are its own.
OUTPAINT_NAMES = {name: name.removeprefix("extend_") for name in EXTEND_NAMES}
OUTPAINT_FIELDS = (
    *PROMPTS[:1],
    *OUTPAINT_NAMES.values(),
    OVERLAP,
    PREFILL,
    *(n for n, p in FIELDS.items() if p.api and not p.sized and n not in PROMPTS[:1]),
    "transport",
    "match_colours",
)
NO_PHOTO_MESSAGE = "No photo: upload one in the editor first, then extend it."
EMPTY_PROMPT_MESSAGE = "Empty prompt: describe what the extended picture should show."
# Offline the classical fill ignores the prompt, so none is demanded; the request
# (which the API requires a prompt for) and the history carry this one.
OFFLINE_PROMPT_NOTE = "offline, the prompt is ignored: the local fill continues the photo"
NOTHING_MESSAGE = "Nothing to extend: move a side's slider above 0 px, or pick a preset."
TINT = (255, 40, 90)
# One colour per job, in the order they run (yellow first, as in the Mask tab's regions).
BOX_COLOURS = ((255, 214, 0), (0, 200, 255), (120, 255, 80), (255, 140, 0), (200, 120, 255))


def extension(left: Any, top: Any, right: Any, bottom: Any) -> Extension:
    """The four amounts as the library's ``Extension`` (blank counts as 0)."""
    values = []
    for side, value in zip(SIDES, (left, top, right, bottom), strict=True):
        try:
            number = float(value or 0)
        except (TypeError, ValueError):
            number = -1.0  # refused below, in the same words
        if not number.is_integer() or number < 0:
            raise ParameterError(
                f"Extend {side} must be a whole number of pixels, 0 or more (got {value!r})",
                field=f"extend_{side}",
            )
        values.append(int(number))
    return Extension(*values)


def check(size: tuple[int, int], ext: Extension) -> None:
    """Refuse what cannot be sent, in the studio's words: nothing to do, or too large."""
    if not ext.any:
        raise ParameterError(NOTHING_MESSAGE, field="extend")
    ext.check(size)  # the library's own limit, with the size it would have been


def preset(size: tuple[int, int], target: str, anchor: str) -> tuple[Extension, str]:
    """The sliders' values for ``target`` on a photo of ``size``, and a note if clipped.

    ``Extension.to_target`` gives exact pixels; the sliders move in steps of 8
    and stop at 2048, so each side is rounded to the step and capped, and the
    note says when a preset asked for more than one pass can give.
    """
    exact = Extension.to_target(size, target, anchor)
    rounded = [min(MAX_AMOUNT, STEP * round(v / STEP)) for v in exact.as_tuple()]
    note = ""
    if any(v > MAX_AMOUNT for v in exact.as_tuple()):
        note = (
            f"{target} needs more than {MAX_AMOUNT} px on a side: extended as far as the "
            "sliders go; use the result as input for another pass."
        )
    return Extension(*rounded), note


def preview(
    photo: Any, ext: Extension, overlap: int, prefill: str
) -> tuple[Image.Image | None, str]:
    """The new canvas with the area to generate tinted and each job's cut box outlined."""
    if photo is None:
        return None, NO_PHOTO_MESSAGE
    picture = imgs.to_rgb(imgs.load_image(photo, what="image"))
    try:
        check(picture.size, ext)
    except ModelsLabError as exc:  # the plain photo, and why nothing more is shown
        return plain_preview(picture), describe_error(exc)
    # Drawn at preview size: a 40-megapixel canvas is never built just to be shrunk.
    full = ext.canvas_size(picture.size)
    scale = min(1.0, PREVIEW_SIDE / max(full))
    small = Extension(*(round(v * scale) for v in ext.as_tuple()))
    photo_size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    resized = picture if scale == 1 else picture.resize(photo_size, Image.Resampling.BILINEAR)
    shown = start_canvas(resized, small)
    size = shown.size
    new_area = Image.new("L", size, 255)
    new_area.paste(0, small.photo_box(photo_size).as_tuple())
    alpha = new_area.point(lambda v: v * 45 // 100)
    shown = Image.composite(Image.new("RGB", size, TINT), shown, alpha)
    plan = list(tiles(picture.size, ext))
    draw = ImageDraw.Draw(shown)
    width = max(2, round(3 * max(size) / 1024))
    for index, tile in enumerate(plan):
        # Cut boxes often coincide (a small photo's jobs each see all of it): each is
        # drawn a line further in, so every one stays visible, and its band is numbered.
        colour = BOX_COLOURS[index % len(BOX_COLOURS)]
        inset = (index % 4) * width
        box = [round(v * scale) for v in tile.region.box.as_tuple()]
        draw.rectangle(
            (box[0] + inset, box[1] + inset, box[2] - 1 - inset, box[3] - 1 - inset),
            outline=colour,
            width=width,
        )
        band = [round(v * scale) for v in tile.band.as_tuple()]
        centre = ((band[0] + band[2]) / 2, (band[1] + band[3]) / 2)
        draw.text(
            centre,
            str(index + 1),
            fill=colour,
            anchor="mm",
            stroke_width=2,
            stroke_fill=(0, 0, 0),
            font_size=max(14, round(28 * max(size) / 1024)),
        )
    return quick_png(shown), caption(picture.size, ext, len(plan), overlap, prefill)


def caption(size: tuple[int, int], ext: Extension, jobs: int, overlap: int, prefill: str) -> str:
    """What the extension makes, how many jobs it takes, and what stays exactly as it was."""
    width, height = ext.canvas_size(size)
    added = ", ".join(f"+{v} {name}" for name, v in zip(SIDES, ext.as_tuple(), strict=True) if v)
    return (
        f"**{size[0]} × {size[1]} → {width} × {height}** px ({added}) · "
        f"this extension takes **{jobs} job{'s' if jobs != 1 else ''}** (with a key, a paid "
        f"request each), one after another (numbered in their "
        f"new area; outlined: the box each is cut from) · tinted: the new area, "
        f"pre-filled (**{prefill}**) before it is sent · every original pixel farther "
        f"than **{overlap}** px from the old border is kept exactly."
    )


class Extend:
    """The Extend panel's events, run by the same ``Generation`` as Generate."""

    def __init__(
        self,
        generation: Generation,
        visitor: Callable[[Any, Any, str | None], Visitor] | None = None,
    ) -> None:
        self.generation = generation
        # (request, OAuth profile, browser token) -> the visitor: ``Studio.visitor``.
        self.visitor = visitor or (lambda request, profile, token: anonymous(session_of(request)))

    # -- the panel ----------------------------------------------------------------------
    @staticmethod
    def photo_of(image_editor: dict[str, Any] | None) -> Any:
        """The editor's photo (its paint ignored: the new area is the mask), or nothing."""
        photo = editor.background_image(image_editor)
        return photo if photo is not None else gr.skip()

    @staticmethod
    def same_photo(photo: Any) -> Any:
        """The photo the page put into the editor (an example, "Use as input")."""
        return photo if photo is not None else gr.skip()

    @staticmethod
    def no_photo() -> None:
        """The editor was emptied: so is the panel's copy."""
        return None

    @staticmethod
    def apply_preset(photo: Any, target: str, anchor: str) -> tuple[Any, ...]:
        """A preset pressed: the four sliders for the current photo, and the preset kept."""
        if photo is None:
            raise page_error(NO_PHOTO_MESSAGE)
        size = imgs.load_image(photo, what="image").size
        try:
            ext, note = preset(size, target, anchor or "center")
        except ModelsLabError as exc:
            raise page_error(describe_error(exc)) from None
        if note:
            gr.Warning(note)
        return (*ext.as_tuple(), target)

    @classmethod
    def reanchor(cls, photo: Any, anchor: str, last_preset: str | None) -> tuple[Any, ...]:
        """A new anchor re-applies the last preset there; without one it waits for one."""
        if not last_preset or photo is None:
            return (*(gr.skip() for _ in SIDES), gr.skip())
        return cls.apply_preset(photo, last_preset, anchor)

    @staticmethod
    def refresh(
        photo: Any,
        left: Any,
        top: Any,
        right: Any,
        bottom: Any,
        overlap: Any,
        prefill: Any,
        shown_for: Any = None,
    ) -> tuple[Any, ...]:
        """The preview, its caption, and what they were drawn for (a page state); a bad
        amount is a caption, never a broken page.

        gradio 6 fires a side slider's ``change`` again, with the same value, on
        status updates of a later event (an extension under way: several a
        second), so a refresh for what is already shown changes nothing.
        """
        drawn_for = repr((photo, left, top, right, bottom, overlap, prefill))
        if drawn_for == shown_for:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            ext = extension(left, top, right, bottom)
        except ModelsLabError as exc:
            return gr.skip(), describe_error(exc), None
        picture, caption = preview(photo, ext, int(overlap or 0), str(prefill or DEFAULT_PREFILL))
        return picture, caption, drawn_for

    # -- Extend: the quick first step, then the run ----------------------------------------
    def capture(
        self,
        image_editor: dict[str, Any] | None,
        prompt: str | None,
        left: Any,
        top: Any,
        right: Any,
        bottom: Any,
        session_key: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, str, Any, Any]]:
        """Freeze the editor's photo into the file ``/outpaint`` takes, or refuse plainly.

        Yields (image file, status, tab to show, the panel's copy of the photo,
        which is brought up to date too); the slips caught here (no
        photo, nothing to extend, too large, no prompt) never reach the
        long-running event.
        """
        try:
            photo = editor.background_image(image_editor)
            if photo is None:
                raise InputImageError(NO_PHOTO_MESSAGE, field="init_image")
            check(photo.size, extension(left, top, right, bottom))
            offline = self.generation.backend.mode_for(session_key) == MODE_OFFLINE
            if not (prompt or "").strip() and not offline:
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
        except ModelsLabError as exc:
            message = describe_error(exc)
            yield gr.skip(), f"⚠ {message}", gr.skip(), gr.skip()
            raise page_error(message) from None
        # The store keeps an editor's inputs as a pair; an extension needs no mask.
        session = session_of(request)
        path = self.generation.store.save_inputs(
            photo, Image.new("L", photo.size, 0), session=session
        )[0]
        self.generation.board.arm(session)  # Cancel works from now on
        status = f"Extending… ({OFFLINE_PROMPT_NOTE})" if offline else "Extending…"
        yield path, status, gr.Tabs(selected=RESULT_TAB), path

    @takes(fields=OUTPAINT_FIELDS, keys=KEY_INPUTS)
    def outpaint(
        self,
        image: str | None,
        fields: Mapping[str, Any],
        keys: Mapping[str, str | None],
        progress: gr.Progress = PROGRESS,
        request: gr.Request | None = None,
        profile: gr.OAuthProfile | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """The public ``/outpaint`` endpoint: ``image`` extended by left/top/right/bottom px.

        The new area (plus ``overlap`` px into the photo) is pre-filled by
        ``prefill`` and painted from ``prompt``; every original pixel farther
        than ``overlap`` from the old border comes back exactly. The other
        arguments are the form's (``OUTPAINT_FIELDS``, from the declaration).
        """
        values = dict(fields)
        amounts = tuple(values.pop(OUTPAINT_NAMES.get(n, n)) for n in EXTEND_NAMES)
        overlap = values.pop(OVERLAP)
        values[PREFILL] = values[PREFILL] or DEFAULT_PREFILL
        yield from self.run(
            image,
            amounts,
            overlap,
            values,
            session_key=own_key(keys),
            progress=progress,
            session=session_of(request),
            visitor=self.visitor(request, profile, browser_token(keys)),
        )

    def run(
        self,
        image: Any,
        amounts: tuple[Any, ...],
        overlap: Any,
        fields: Mapping[str, Any],
        *,
        session_key: str | None,
        progress: Callable[..., Any],
        session: str,
        visitor: Visitor | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Check, then run ``client.outpaint`` as one job of ``Generation``'s runner."""

        def plan(mode: str) -> Plan:
            progress(0.0, desc="Preparing the canvas")
            values = dict(fields)
            if mode == MODE_OFFLINE and not str(values.get("prompt") or "").strip():
                values["prompt"] = OFFLINE_EXTEND_PROMPT
            planned = _prepare(image, amounts, overlap, values)
            return Plan(
                planned.form,
                planned.prepared,
                jobs_for(planned),
                lambda client: _outpaint_call(client, planned),
            )

        yield from self.generation.launch(
            plan,
            "preparing an extension failed",
            session_key=session_key,
            progress=progress,
            session=session,
            visitor=visitor,
        )


def jobs_for(planned: Planned) -> int:
    """What an extension may submit at most: each tile's job, for each sample."""
    return max(1, len(planned.prepared.regions)) * max(1, planned.form.samples)


@dataclass
class Planned:
    """An extension ready to send: the form as the history records it, the photo, the
    amounts, the overlap width, and the canvas as ``Generation`` keeps a job's inputs."""

    form: Form
    photo: Image.Image
    ext: Extension
    overlap: int
    prepared: Prepared


def _prepare(
    image: Any, amounts: tuple[Any, ...], overlap: Any, fields: Mapping[str, Any]
) -> Planned:
    """Check everything before anything is sent.

    ``Prepared`` holds the start canvas and its new-area mask, with each
    job's cut box as a region, so a job collected later by id is put back
    into the canvas by the same rule as an "only masked" job, and the
    before/after slider shows the canvas the jobs started from.
    """
    if image is None:
        raise InputImageError(NO_PHOTO_MESSAGE, field="init_image")
    photo = imgs.to_rgb(imgs.load_image(image, what="image"))
    ext = extension(*amounts)
    check(photo.size, ext)
    width = (
        int(float(overlap))
        if overlap is not None and overlap != ""
        else OPTIONS_BY_NAME[OVERLAP].scaled(photo.size)
    )
    form = Form.from_ui(dict(fields))
    if not form.prompt.strip():
        raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
    # The put-back of a job fetched later by id blends as the library's would; the
    # history keeps the amounts and the overlap, so a restored row is this extension.
    form = form.replace(
        paste_back=True,
        feather_px=width - width // 2,
        overlap=width,
        **dict(zip(EXTEND_NAMES, ext.as_tuple(), strict=True)),
    )
    canvas = start_canvas(photo, ext)
    new_area = Image.new("L", canvas.size, 255)
    new_area.paste(0, ext.photo_box(photo.size).as_tuple())
    regions = [tile.region for tile in tiles(photo.size, ext)]
    if form.samples > 1 and len(regions) > 1:  # one chain of jobs per sample
        regions = regions * form.samples
    prepared = Prepared(
        canvas,
        new_area,
        canvas.width,
        canvas.height,
        False,
        [],
        "extend",
        regions=regions,
        crop=True,
        paste_back=True,
        prefill=form.prefill,
        seed=form.seed,
        before=photo_on_canvas(photo, ext),
    )
    return Planned(form, photo, ext, width, prepared)


NEUTRAL = (128, 128, 128)  # the new area on the before side: plainly "nothing yet"


def photo_on_canvas(photo: Image.Image, ext: Extension) -> Image.Image:
    """The before side of an extension: the photo where it sits on the larger canvas,
    neutral grey around it (not the edge-stretched canvas the jobs start from)."""
    canvas = Image.new("RGB", ext.canvas_size(photo.size), NEUTRAL)
    canvas.paste(photo.convert("RGB"), (ext.left, ext.top))
    return canvas


def _outpaint_call(client: ModelsLabClient, planned: Planned) -> JobCall:
    """The one place the studio sends an extension: the form's request (its amounts,
    overlap and pre-fill included), through the client's own outpainting."""
    request = planned.form.extension_request()

    def call(
        on_progress: Callable[[ProgressEvent], None], cancel: Callable[[], bool]
    ) -> InpaintResult:
        return client.run(planned.photo, None, request, progress=on_progress, cancel=cancel)

    return call
