"""The generation form: the page's fields, derived from the parameter declaration.

Every declared parameter (``params.Parameters``) is a field of the form under
its library keyword (``PAGE_NAMES`` lists the one the page spells otherwise),
with the declaration's default and its one coercion (``Param.coerce``); the
page's own controls (automatic size, the mask tools) sit beside them. A
parameter added to the declaration is therefore a field of the form, of the
public ``/inpaint`` endpoint and of the history without an edit here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, field, make_dataclass
from typing import Any

from ..errors import ParameterError
from ..params import DECLARED, Param
from ..request import EXTEND_NAMES, InpaintRequest

TRANSPORTS = ("upload", "base64")
AREA_AUTO = "Auto"
AREA_WHOLE = "Whole picture"
AREA_MASKED = "Only masked"
AREAS = (AREA_AUTO, AREA_WHOLE, AREA_MASKED)
AREA_FIELD = "crop_to_mask"  # a yes/no/auto option the page shows as a radio of AREAS
MASK_TOOL_LIMIT = 64  # the grow/shrink slider, in pixels of the photo


# -- form values --------------------------------------------------------------
# The page's name of a field where it is not the library keyword.
PAGE_NAMES = {"feather": "feather_px"}
# Every declared parameter by the page's name for it.
FIELDS: dict[str, Param] = {PAGE_NAMES.get(p.name, p.keyword): p for p in DECLARED}
# The Extend panel's own fields (not Generate's): the amounts and the overlap.
EXTEND_ONLY = (*EXTEND_NAMES, "overlap")
# The free-text fields written beside the editor (and filled by the examples).
PROMPTS = tuple(p.keyword for p in DECLARED if p.api and p.kind == "text" and not p.advanced)
# The page's own controls, with their types: how the size and the mask are
# chosen, not request fields.
PAGE_CONTROL_TYPES: dict[str, type] = {
    "auto_size": bool,
    "invert_mask": bool,
    "grow_px": int,
    "scale_with_photo": bool,
}
PAGE_CONTROLS = tuple(PAGE_CONTROL_TYPES)
# The generation form, in the order the page passes it. History entries store
# exactly these (so "restore" refills exactly these); the key is not one.
FORM_FIELDS = (
    *(name for name, p in FIELDS.items() if p.name not in EXTEND_ONLY),
    *PAGE_CONTROLS,
)
# The settings the mask preview reads besides the editor (which it reads
# through a hidden copy, see browser): the size, the mask tools and the
# options that shape what is sent; a change of any refreshes it.
PREVIEW_SETTINGS = (
    "mask_file",
    *(name for name, p in FIELDS.items() if p.sized),
    *PAGE_CONTROLS,
    *(PAGE_NAMES.get(n, n) for n in ("crop_to_mask", "mask_padding", "paste_back", "feather")),
    "prefill",
)
# The Extend panel's amounts and overlap, by component name: restored from the
# history and from a saved PNG with the form, and read by "Reproduce".
EXTEND_FIELDS = (*EXTEND_ONLY, "extend_prefill")
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


def _start(p: Param) -> Any:
    """A field's value on a fresh page: an empty prompt, a slider's number where
    the default is "the photo's" (width and height), else the default."""
    if p.required:
        return ""
    return p.ui_value if p.default is None and p.ui_value is not None else p.default


# A dataclass of every field with its starting value, generated from the declaration.
_FormFields: Any = make_dataclass(
    "_FormFields",
    [
        *((name, Any, field(default=_start(p))) for name, p in FIELDS.items()),
        ("auto_size", bool, field(default=True)),
        ("invert_mask", bool, field(default=False)),
        ("grow_px", int, field(default=0)),
    ],
)


class Form(_FormFields):
    """The generation form's values (``FIELDS`` by the page's names, and the page's
    controls), checked and normalised for the client by ``from_ui``."""

    @classmethod
    def from_ui(cls, values: Mapping[str, Any]) -> Form:
        """Coerce what the widgets hand over (floats from sliders, None from blanks)."""
        changes: dict[str, Any] = {}
        for name, p in FIELDS.items():
            if name in FORM_FIELDS and values.get(name) is not None:
                changes[name] = _read(p, values[name])
        changes["auto_size"] = _flag(values.get("auto_size"), True)
        changes["invert_mask"] = _flag(values.get("invert_mask"), False)
        changes["grow_px"] = _whole(values.get("grow_px"), "grow_px", 0)
        # Ticked, the photo sets every photo-scaled value (whatever the sliders show);
        # unticked, the sliders do; not given (an API caller), each value given is used.
        if _flag(values.get("scale_with_photo"), False):
            changes.update({name: None for name in _SCALED})
        form = cls().replace(**changes)
        if form.transport not in TRANSPORTS:
            raise ParameterError(
                f"Transport must be one of {', '.join(TRANSPORTS)}", field="transport"
            )
        return form

    @property
    def scale_with_photo(self) -> bool:
        return all(getattr(self, name) is None for name in _SCALED)

    @property
    def extend(self) -> list[int] | None:
        """An extension's amounts (left, top, right, bottom); None: an edit inside the photo."""
        amounts = [int(getattr(self, name) or 0) for name in EXTEND_NAMES]
        return amounts if any(amounts) else None

    def feather_for(self, size: tuple[int, int]) -> int:
        """The blend width for a photo of ``size``: the slider's, or scaled to the photo."""
        return self._loose().feather_for(size)

    def padding_for(self, size: tuple[int, int]) -> int:
        """The padding for a photo of ``size``: the slider's, or scaled to the photo."""
        return self._loose().padding_for(size)

    def size(self) -> tuple[int | None, int | None]:
        return (None, None) if self.auto_size else (self.width, self.height)

    def client_kwargs(self) -> dict[str, Any]:
        """The API's fields as ``ModelsLabClient.inpaint`` keywords, in wire spellings
        (the size as ``size()`` says)."""
        return {
            p.keyword: p.wire(value)
            for p, value in self._values().items()
            if p.api and (p.required or value is not None or p.nullable)
        }

    def request(self) -> InpaintRequest:
        """The typed request this form describes (validated: a bad value is refused)."""
        return InpaintRequest.from_values({p.name: v for p, v in self._values().items()})

    def replace(self, **changes: Any) -> Form:
        return dataclasses.replace(self, **changes)

    def as_entry(self) -> dict[str, Any]:
        """What a history entry keeps: every field, and an extension's amounts as a list."""
        return {**asdict(self), "extend": self.extend}

    @classmethod
    def from_entry(cls, params: Mapping[str, Any]) -> Form:
        """A form from a history entry (``as_entry``, or an older one), as it was kept."""
        form = cls(**{k: v for k, v in params.items() if k in _CONSTRUCTOR})
        extend = params.get("extend")
        if isinstance(extend, list) and len(extend) == len(EXTEND_NAMES) and any(extend):
            form = form.replace(**dict(zip(EXTEND_NAMES, (int(v) for v in extend), strict=True)))
        return form

    def as_ui(self) -> dict[str, Any]:
        """Values to put back into the widgets (seed -1 for random)."""
        out = {name: _shown(p, getattr(self, name)) for name, p in FIELDS.items()}
        out.update(
            auto_size=self.auto_size,
            invert_mask=self.invert_mask,
            grow_px=self.grow_px,
            scale_with_photo=self.scale_with_photo,
            extend_prefill=self.prefill if self.extend else None,
        )
        out[AREA_FIELD] = area_label(getattr(self, AREA_FIELD))
        return out

    @classmethod
    def from_parameters(cls, params: Mapping[str, Any], base: Form | None = None) -> Form:
        """A form refilled from the parameters a saved PNG carries (``inpaint.metadata``),
        read by the library's one reader (``InpaintRequest.from_recorded``).

        Fields the file does not record keep ``base``'s values; a whole-picture
        size is restored into the width/height sliders without changing "auto".
        """
        base = base if base is not None else cls()
        request = InpaintRequest.from_recorded(params, base._loose())
        changes = {name: getattr(request, p.name) for name, p in FIELDS.items()}
        for name, p in FIELDS.items():
            if p.sized and changes[name] is None:
                changes[name] = getattr(base, name)  # the sliders keep their numbers
        if params.get("prompt") is None:
            changes["prompt"] = base.prompt
        if request.mode != "outpaint":
            changes.update({name: FIELDS[name].default for name in EXTEND_ONLY})
        return base.replace(**changes)

    def with_extension(self, values: Mapping[str, Any]) -> Form:
        """This form with the Extend panel's sliders (``EXTEND_FIELDS`` by name) read in."""
        amounts = {name: _read(FIELDS[name], values.get(name)) for name in EXTEND_NAMES}
        overlap = FIELDS["overlap"]
        if not any(amounts.values()):
            return self.replace(**{name: FIELDS[name].default for name in EXTEND_ONLY})
        prefill = str(values.get("extend_prefill") or "patchmatch")
        return self.replace(
            **amounts, overlap=_read(overlap, values.get("overlap")), prefill=prefill
        )

    def extension_request(self) -> InpaintRequest:
        """The request this form describes, an extension's amounts included: the inpaint
        area, padding and blend of an extension are its own."""
        request = self.request()
        if not self.extend:
            return request
        return request.replace(crop_to_mask=None, mask_padding=None, feather=None, paste_back=True)

    def extension_text(self) -> str:
        """ "+600 left, +300 bottom" for an extension, "" for an edit inside the photo."""
        if not self.extend:
            return ""
        sides = (name.removeprefix("extend_") for name in EXTEND_NAMES)
        return ", ".join(f"+{v} {s}" for s, v in zip(sides, self.extend, strict=True) if v)

    # -- helpers ------------------------------------------------------------------
    def _values(self) -> dict[Param, Any]:
        """Every declared field's value as the request takes it (the size as ``size()``)."""
        sizes = iter(self.size())
        return {p: next(sizes) if p.sized else getattr(self, name) for name, p in FIELDS.items()}

    def _loose(self) -> InpaintRequest:
        """The request with a stand-in prompt: the form's prompt may still be empty (the
        page says so in its own words, after the image), its other values are checked."""
        values = {p.name: v for p, v in self._values().items() if not p.required}
        return InpaintRequest.from_values({**values, "prompt": "-"})


# The photo-scaled values the "scale with the photo" box controls (not Extend's overlap).
_SCALED = tuple(
    name for name, p in FIELDS.items() if p.per_1024 is not None and p.name not in EXTEND_ONLY
)
_CONSTRUCTOR = frozenset((*FIELDS, "auto_size", "invert_mask", "grow_px"))


def area_label(crop_to_mask: bool | None) -> str:
    """The inpaint-area radio's label for a ``crop_to_mask`` value (None: auto)."""
    if crop_to_mask is None:
        return AREA_AUTO
    return AREA_MASKED if crop_to_mask else AREA_WHOLE


def _read(p: Param, value: Any) -> Any:
    """A widget's value for ``p`` as the request holds it, refused in the page's words."""
    if p.name == AREA_FIELD:
        return _area(value)
    if p.required:  # the prompt: an empty one is said later, after the image
        return str(value or "")
    if p.kind in ("flag", "bool") and isinstance(value, str):
        value = value.strip().lower() in TRUE_WORDS
    if isinstance(value, str) and p.kind != "text":
        value = value.strip()
    try:
        return p.coerce(value)
    except ParameterError as exc:
        message = str(exc)
        if p.api and message.startswith(p.name + " "):  # as ``messages`` names them
            message = p.label + message[len(p.name) :]
        raise ParameterError(message, field=p.name) from None


def _shown(p: Param, value: Any) -> Any:
    """A field's value as its widget shows it: -1 for a random seed, the 1024 px
    value on a slider the photo will set, empty text for none."""
    if value is not None:
        return value
    if p.random_value is not None:
        return p.random_value
    if p.per_1024 is not None and p.name not in EXTEND_ONLY:
        return p.scaled((1024, 1024))
    return "" if p.kind in ("text", "url") else None


TRUE_WORDS = ("yes", "true", "1", "on")


def _area(value: Any) -> bool | None:
    if isinstance(value, str) and value in AREAS:
        return None if value == AREA_AUTO else value == AREA_MASKED
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    return _flag(value, False)


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


def _field_error(name: str, value: Any) -> ParameterError:
    p = FIELDS.get(name)
    label = p.label if p is not None else name.replace("_", " ")
    return ParameterError(f"{label} must be a whole number (got {value!r})", field=name)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)
