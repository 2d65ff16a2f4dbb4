"""The generation form: its fields in the page's order, checked and normalised."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ParameterError
from ..params import BY_NAME, OPTIONS_BY_NAME, check_options
from ..request import InpaintRequest
from .ui_spec import RANDOM_SEED

TRANSPORTS = ("upload", "base64")
AREA_AUTO = "Auto"
AREA_WHOLE = "Whole picture"
AREA_MASKED = "Only masked"
AREAS = (AREA_AUTO, AREA_WHOLE, AREA_MASKED)
MASK_TOOL_LIMIT = 64  # the grow/shrink slider, in pixels of the photo


# -- form values --------------------------------------------------------------
# The generation form, in the order the page passes it. History entries store
# exactly these (so "restore" refills exactly these); the key is not one.
FORM_FIELDS = (
    "prompt",
    "negative_prompt",
    "auto_size",
    "width",
    "height",
    "samples",
    "num_inference_steps",
    "guidance_scale",
    "strength",
    "safety_checker",
    "seed",
    "transport",
    "base64_output",
    "instant_response",
    "webhook",
    "track_id",
    "invert_mask",
    "grow_px",
    "scale_with_photo",
    "feather_px",
    "crop_to_mask",
    "mask_padding",
    "paste_back",
    "prefill",
    "match_colours",
)
# The settings the mask preview reads besides the editor (which it reads
# through a hidden copy, see studio.browser); a change of any refreshes it.
PREVIEW_SETTINGS = (
    "mask_file",
    "auto_size",
    "width",
    "height",
    "invert_mask",
    "grow_px",
    "scale_with_photo",
    "feather_px",
    "crop_to_mask",
    "mask_padding",
    "paste_back",
    "prefill",
)
# The Extend panel's amounts and overlap, by component name: restored from the
# history and from a saved PNG with the form, and read by "Reproduce".
EXTEND_FIELDS = (
    "extend_left",
    "extend_top",
    "extend_right",
    "extend_bottom",
    "overlap",
    "extend_prefill",
)
CAPTURE_INPUTS = ("generate_snapshot", "mask_file", "invert_mask", "prompt")
CAPTURE_OUTPUTS = ("input_image", "input_mask", "status", "right_tabs")
# ``api_key`` is a script's own key; ``session_key`` the one typed in this tab.
KEY_INPUTS = ("api_key", "session_key", "visitor_token")
GENERATE_INPUTS = ("input_image", "input_mask", *FORM_FIELDS, *KEY_INPUTS)
FETCH_INPUTS = ("fetch_job_id", *KEY_INPUTS)
GENERATE_OUTPUTS = (
    "gallery",
    "before_after",
    "downloads",
    "run_info",
    "info",
    "status",
    "fetch_job_id",
    "fetch_row",
    "last_run",
    "last_seed",
    "new_entry",
    "right_tabs",
)
RESULT_TAB = "result"
MASK_TAB = "mask"


@dataclass
class Form:
    """The generation form's values, checked and normalised for the client."""

    prompt: str = ""
    negative_prompt: str = ""
    auto_size: bool = True
    width: int = int(BY_NAME["width"].start)
    height: int = int(BY_NAME["height"].start)
    samples: int = int(BY_NAME["samples"].default)
    num_inference_steps: int = int(BY_NAME["num_inference_steps"].default)
    guidance_scale: int = int(BY_NAME["guidance_scale"].default)
    strength: float = float(BY_NAME["strength"].default)
    safety_checker: bool = bool(BY_NAME["safety_checker"].default)
    seed: int | None = None
    transport: str = "upload"
    base64_output: bool = False
    instant_response: bool = False
    webhook: str = ""
    track_id: int | None = None
    invert_mask: bool = False
    grow_px: int = 0
    # None: scaled with the photo (``params``' per-1024 rule), as the library does.
    feather_px: int | None = None
    # None: "auto", the library's rule (``pipeline.choose_area``).
    crop_to_mask: bool | None = OPTIONS_BY_NAME["crop_to_mask"].default
    mask_padding: int | None = None
    paste_back: bool = bool(OPTIONS_BY_NAME["paste_back"].default)
    prefill: str = str(OPTIONS_BY_NAME["prefill"].default)
    match_colours: bool = bool(OPTIONS_BY_NAME["match_colours"].default)
    # An extension's amounts (left, top, right, bottom) and overlap; None: an edit
    # inside the photo. Not Generate's fields: Extend's sliders (``EXTEND_FIELDS``).
    extend: list[int] | None = None
    overlap: int | None = None

    @classmethod
    def from_ui(cls, values: dict[str, Any]) -> Form:
        """Coerce what the widgets hand over (floats from sliders, None from blanks)."""
        d = {name: values.get(name) for name in FORM_FIELDS}
        form = cls()
        form.prompt = str(d["prompt"] or "")
        form.negative_prompt = str(d["negative_prompt"] or "")
        form.auto_size = bool(d["auto_size"]) if d["auto_size"] is not None else True
        for name in ("width", "height", "samples", "num_inference_steps", "guidance_scale"):
            setattr(form, name, _whole(d[name], name, getattr(form, name)))
        form.strength = float(d["strength"]) if d["strength"] is not None else form.strength
        form.safety_checker = _flag(d["safety_checker"], form.safety_checker)
        form.seed = BY_NAME["seed"].coerce(_whole_or_none(d["seed"], "seed"))
        form.transport = str(d["transport"] or "upload")
        if form.transport not in TRANSPORTS:
            raise ParameterError(
                f"Transport must be one of {', '.join(TRANSPORTS)}", field="transport"
            )
        form.base64_output = _flag(d["base64_output"], False)
        form.instant_response = _flag(d["instant_response"], False)
        form.webhook = str(d["webhook"] or "").strip()
        form.track_id = _whole_or_none(d["track_id"], "track_id")
        form.invert_mask = _flag(d["invert_mask"], False)
        form.grow_px = _whole(d["grow_px"], "grow_px", 0)
        # Ticked, the photo sets both (whatever the sliders show); unticked, the
        # sliders do; not given (an API caller), each value given is used as is.
        feather = _whole_or_none(d["feather_px"], "feather_px")
        padding = _whole_or_none(d["mask_padding"], "mask_padding")
        if _flag(d["scale_with_photo"], False):
            feather = padding = None
        form.feather_px, form.mask_padding = feather, padding
        area = d["crop_to_mask"]
        form.crop_to_mask = _area(area, form.crop_to_mask)
        form.paste_back = _flag(d["paste_back"], form.paste_back)
        form.prefill = str(d["prefill"] or form.prefill)
        form.match_colours = _flag(d["match_colours"], form.match_colours)
        check_options(form.options())  # the documented ranges, named in the message
        return form

    def options(self) -> dict[str, Any]:
        """The region and paste-back options, by their names in ``OPTIONS``."""
        return {
            "crop_to_mask": self.crop_to_mask,
            "mask_padding": self.mask_padding,
            "paste_back": self.paste_back,
            "feather": self.feather_px,
            "prefill": self.prefill,
            "match_colours": self.match_colours,
        }

    @property
    def scale_with_photo(self) -> bool:
        return self.feather_px is None and self.mask_padding is None

    def feather_for(self, size: tuple[int, int]) -> int:
        """The blend width for a photo of ``size``: the slider's, or scaled to the photo."""
        return _or_scaled("feather", self.feather_px, size)

    def padding_for(self, size: tuple[int, int]) -> int:
        """The padding for a photo of ``size``: the slider's, or scaled to the photo."""
        return _or_scaled("mask_padding", self.mask_padding, size)

    def size(self) -> tuple[int | None, int | None]:
        return (None, None) if self.auto_size else (self.width, self.height)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ModelsLabClient.inpaint`` (images and hooks aside)."""
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt or None,
            "samples": self.samples,
            "num_inference_steps": self.num_inference_steps,
            "safety_checker": "yes" if self.safety_checker else "no",
            "guidance_scale": self.guidance_scale,
            "strength": self.strength,
            "seed": self.seed,
            "transport": self.transport,
            "base64_output": self.base64_output,
            "instant_response": self.instant_response,
            "webhook": self.webhook or None,
            "track_id": self.track_id,
        }

    def request(self) -> InpaintRequest:
        """The typed request this form describes (validated: a bad value is refused)."""
        width, height = self.size()
        return InpaintRequest.from_values(
            {**self.client_kwargs(), "width": width, "height": height, **self.options()}
        )

    def replace(self, **changes: Any) -> Form:
        return dataclasses.replace(self, **changes)

    def as_ui(self) -> dict[str, Any]:
        """Values to put back into the widgets (seed -1 for random)."""
        out = asdict(self)
        out["seed"] = RANDOM_SEED if self.seed is None else self.seed
        out["crop_to_mask"] = area_label(self.crop_to_mask)
        out["scale_with_photo"] = self.scale_with_photo
        amounts = self.extend or [0, 0, 0, 0]
        out.update(zip(EXTEND_FIELDS[:4], amounts, strict=True))
        out["overlap"] = self.overlap
        out["extend_prefill"] = self.prefill if self.extend else None
        # A slider needs a number: the 1024 px value until a photo sets it.
        out["feather_px"] = self.feather_for((1024, 1024))
        out["mask_padding"] = self.padding_for((1024, 1024))
        return out

    @classmethod
    def from_parameters(cls, params: dict[str, Any], base: Form | None = None) -> Form:
        """A form refilled from the parameters a saved PNG carries (``inpaint.metadata``).

        Fields the file does not record keep ``base``'s values; a whole-picture
        size is restored into the width/height sliders without changing "auto".
        """
        form = Form(**asdict(base)) if base is not None else cls()
        plain = {
            "prompt": str,
            "negative_prompt": str,
            "num_inference_steps": int,
            "guidance_scale": int,
            "samples": int,
            "strength": float,
            "mask_padding": int,
        }
        if params.get("mode") != "masked":  # a region's size says nothing about the sliders
            plain.update(width=int, height=int)
        for name, kind in plain.items():
            if params.get(name) is not None:
                setattr(form, name, kind(params[name]))
        if params.get("seed") is not None:
            form.seed = int(params["seed"])
        if params.get("safety_checker") is not None:
            form.safety_checker = _flag(params["safety_checker"], form.safety_checker)
        if params.get("mode") in ("masked", "whole", "auto"):
            form.crop_to_mask = None if params["mode"] == "auto" else params["mode"] == "masked"
        if params.get("paste_back") is not None:
            form.paste_back = _flag(params["paste_back"], form.paste_back)
        if params.get("feather") is not None:
            form.feather_px = int(params["feather"])
        if params.get("prefill") in OPTIONS_BY_NAME["prefill"].choices:
            form.prefill = str(params["prefill"])
        if params.get("match_colours") is not None:
            form.match_colours = _flag(params["match_colours"], form.match_colours)
        extend = params.get("extend")
        if params.get("mode") == "outpaint" and isinstance(extend, list) and len(extend) == 4:
            form.extend = [int(v) for v in extend]
            form.overlap = int(params["overlap"]) if params.get("overlap") is not None else None
        elif params.get("mode") is not None:
            form.extend, form.overlap = None, None
        return form

    def with_extension(self, values: Mapping[str, Any]) -> Form:
        """This form with the Extend panel's sliders (``EXTEND_FIELDS`` by name) read in."""
        amounts = [_whole(values.get(name), name, 0) for name in EXTEND_FIELDS[:4]]
        overlap = _whole_or_none(values.get("overlap"), "overlap")
        if not any(amounts):
            return self.replace(extend=None, overlap=None)
        prefill = str(values.get("extend_prefill") or "patchmatch")
        return self.replace(extend=amounts, overlap=overlap, prefill=prefill)

    def extension_request(self) -> InpaintRequest:
        """The request this form describes, an extension's amounts included."""
        request = self.request()
        if not self.extend:
            return request
        left, top, right, bottom = self.extend
        return request.replace(
            extend_left=left,
            extend_top=top,
            extend_right=right,
            extend_bottom=bottom,
            overlap=self.overlap,
            crop_to_mask=None,  # the inpaint area, padding and blend are the extension's own
            mask_padding=None,
            feather=None,
            paste_back=True,
        )

    def extension_text(self) -> str:
        """ "+600 left, +300 bottom" for an extension, "" for an edit inside the photo."""
        if not self.extend:
            return ""
        sides = ("left", "top", "right", "bottom")
        return ", ".join(f"+{v} {s}" for s, v in zip(sides, self.extend, strict=True) if v)


def area_label(crop_to_mask: bool | None) -> str:
    """The inpaint-area radio's label for a ``crop_to_mask`` value (None: auto)."""
    if crop_to_mask is None:
        return AREA_AUTO
    return AREA_MASKED if crop_to_mask else AREA_WHOLE


def _area(value: Any, default: bool | None) -> bool | None:
    if isinstance(value, str) and value in AREAS:
        return None if value == AREA_AUTO else value == AREA_MASKED
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    return default if value is None else _flag(value, False)


def _or_scaled(name: str, value: int | None, size: tuple[int, int]) -> int:
    return int(value) if value is not None else OPTIONS_BY_NAME[name].scaled(size)


def _whole(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _field_error(name, value) from None
    if not number.is_integer():
        raise _field_error(name, value)
    return int(number)


def _whole_or_none(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _whole(value, name, 0)


def _field_error(name: str, value: Any) -> ParameterError:
    spec = BY_NAME.get(name) or OPTIONS_BY_NAME.get(name)
    label = spec.label if spec is not None else name.replace("_", " ")
    return ParameterError(f"{label} must be a whole number (got {value!r})", field=name)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "on")
    return bool(value)
