"""The single specification of the inpaint endpoint's parameters.

Everything that needs to know a parameter's type, default or range reads it
from ``PARAMS``: the client's validation and payload (``build_payload``), the
local server's lenient parsing (``parse_request``) and the UI's sliders. Adding
or retuning a parameter therefore happens here and nowhere else.

Two directions, two temperaments:

* ``to_wire`` is strict. The client refuses anything out of the documented
  range before a paid request is made, and always sends the documented types.
* ``from_wire`` is lenient in the ways the documentation itself is: numeric
  strings, whole-valued floats where integers are documented, JSON booleans
  where ``"true"``/``"false"`` strings are documented. It still refuses values
  out of range, as the real API does with HTTP 400.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ParameterError

Kind = Literal["text", "int", "float", "enum", "flag", "url", "bool"]


@dataclass(frozen=True)
class Param:
    """One request field. ``flag`` is a yes/no travelling as a string enum."""

    name: str
    kind: Kind
    default: Any
    label: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    required: bool = False
    advanced: bool = False
    # A value that stands for "none, choose at random" (the seed's -1).
    random_value: int | None = None
    # Left out, the value scales with the photo: this many per 1024 px of its
    # long side (a blend width of 8 px means nothing on a 4000 px photo).
    per_1024: float | None = None

    def scaled(self, size: tuple[int, int]) -> int:
        """The automatic value for a photo of ``size`` (``per_1024``), within the range."""
        assert self.per_1024 is not None
        value = round(self.per_1024 * max(size) / 1024)
        low = int(self.minimum) if self.minimum is not None else value
        high = int(self.maximum) if self.maximum is not None else value
        return max(low, min(high, value))

    # -- describing -------------------------------------------------------
    def range_text(self) -> str:
        if self.kind == "int":
            text = f"a whole number from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
            if self.random_value is not None:
                text += f", or {self.random_value} (or blank) for random"
            if self.per_1024 is not None:
                text += f"; left out: {_fmt(self.per_1024)} per 1024 px of the photo's long side"
            return text
        if self.kind == "float":
            return f"a number from {_fmt(self.minimum)} to {_fmt(self.maximum)}"
        if self.kind in ("enum", "flag"):
            return "one of " + ", ".join(f'"{c}"' for c in self.choices)
        if self.kind == "url":
            return "an http(s) URL"
        if self.kind == "bool":
            return "true or false"
        if self.maximum is not None:
            return f"text of at most {_fmt(self.maximum)} characters"
        return "text"

    def _fail(self, value: Any) -> ParameterError:
        return ParameterError(
            f"{self.name} must be {self.range_text()} (got {_show(value)})", field=self.name
        )

    # -- client side (strict) ---------------------------------------------
    def to_wire(self, value: Any) -> Any:
        """Validate a Python value and return what goes in the JSON body."""
        if value is None or (self.nullable and value == ""):
            if self.required:
                raise ParameterError(f"{self.name} is required", field=self.name)
            return None if self.nullable else self.to_wire(self.default)
        if self.kind == "text":
            if not isinstance(value, str):
                raise self._fail(value)
            if self.required and not value.strip():
                raise ParameterError(f"{self.name} must not be empty", field=self.name)
            if self.maximum is not None and len(value) > self.maximum:
                raise ParameterError(
                    f"{self.name} is {len(value)} characters long: at most "
                    f"{_fmt(self.maximum)} are accepted",
                    field=self.name,
                )
            return value
        if self.kind == "int":
            number = _whole(value)
            if number is None or not self._in_range(number):
                raise self._fail(value)
            return number
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._fail(value)
            real = float(value)
            if not self._in_range(real):
                raise self._fail(value)
            return real
        if self.kind == "flag":
            if isinstance(value, bool):
                return self.choices[0] if value else self.choices[1]
            if isinstance(value, str) and value.lower() in self.choices:
                return value.lower()
            raise self._fail(value)
        if self.kind == "enum":
            if isinstance(value, str) and value in self.choices:
                return value
            raise self._fail(value)
        if self.kind == "url":
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return value
            raise self._fail(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            raise self._fail(value)
        raise AssertionError(self.kind)

    # -- server side (lenient) --------------------------------------------
    def from_wire(self, value: Any) -> Any:
        """Accept what the real API accepts and return the normalised value."""
        if value is None or (self.nullable and value == ""):
            if self.required:
                raise ParameterError(f"{self.name} is required", field=self.name)
            return None if self.nullable else self.default
        if self.kind in ("int", "float") and isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise self._fail(value) from None
        if self.kind == "flag" and isinstance(value, bool):
            value = self.choices[0] if value else self.choices[1]
        if self.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        if self.kind == "text" and not isinstance(value, str):
            raise self._fail(value)
        return self.to_wire(value)

    def _in_range(self, number: float) -> bool:
        if math.isnan(number) or math.isinf(number):
            return False
        if self.minimum is not None and number < self.minimum:
            return False
        return not (self.maximum is not None and number > self.maximum)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _fmt(number: float | None) -> str:
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() else str(number)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# The contract gives no prompt length; ours is 2000 characters (a few hundred
# words, far beyond what a text encoder reads), checked by the client before a
# paid request and by the local server, so a megabyte prompt goes nowhere.
MAX_PROMPT_CHARS = 2000

# Ranges are the documented ones. Where the documentation gives none
# (num_inference_steps, the lower bound of width/height) the choice is ours
# and the README says so.
PARAMS: tuple[Param, ...] = (
    Param(
        "prompt",
        "text",
        None,
        "Prompt",
        "What should appear in the painted area.",
        required=True,
        maximum=MAX_PROMPT_CHARS,
    ),
    Param(
        "negative_prompt",
        "text",
        None,
        "Negative prompt",
        "What the model should avoid.",
        nullable=True,
        maximum=MAX_PROMPT_CHARS,
    ),
    Param(
        "width",
        "int",
        512,
        "Width",
        "Output width in pixels (at most 1024). Left out, the image's own size is used.",
        minimum=8,
        maximum=1024,
        step=8,
        nullable=True,
    ),
    Param(
        "height",
        "int",
        512,
        "Height",
        "Output height in pixels (at most 1024). Left out, the image's own size is used.",
        minimum=8,
        maximum=1024,
        step=8,
        nullable=True,
    ),
    Param(
        "samples",
        "int",
        1,
        "Samples",
        "How many variations to generate in one job.",
        minimum=1,
        maximum=4,
        step=1,
    ),
    Param(
        "num_inference_steps",
        "int",
        30,
        "Steps",
        "Denoising steps: more is slower and usually finer. "
        "The API documents no bound; 1-100 is this tool's choice.",
        minimum=1,
        maximum=100,
        step=1,
    ),
    Param(
        "safety_checker",
        "flag",
        "no",
        "Safety checker",
        "Let the API blur images it judges unsafe.",
        choices=("yes", "no"),
    ),
    Param(
        "guidance_scale",
        "int",
        5,
        "Guidance scale",
        "How closely to follow the prompt (whole steps).",
        minimum=1,
        maximum=5,
        step=1,
    ),
    Param(
        "strength",
        "float",
        0.7,
        "Strength",
        "How much the painted area may change: 0 keeps it, 1 replaces it.",
        minimum=0,
        maximum=1,
        step=0.01,
    ),
    Param(
        "seed",
        "int",
        None,
        "Seed",
        "Same seed and settings give the same result.",
        minimum=0,
        maximum=2**32 - 1,
        nullable=True,
        random_value=-1,
    ),
    Param(
        "instant_response",
        "flag",
        "false",
        "Instant response",
        "Answer at once with a job id and fetch the result later.",
        choices=("true", "false"),
        advanced=True,
    ),
    Param(
        "base64",
        "flag",
        "false",
        "Base64 output",
        "Receive the images inline as base64 instead of as URLs.",
        choices=("true", "false"),
        advanced=True,
    ),
    Param(
        "webhook",
        "url",
        None,
        "Webhook URL",
        "The API POSTs the result here when the job ends.",
        nullable=True,
        advanced=True,
    ),
    Param(
        "track_id",
        "int",
        None,
        "Track id",
        "Echoed in the webhook payload so you can match it to this request.",
        minimum=0,
        maximum=2**63 - 1,
        nullable=True,
        advanced=True,
    ),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}

# What the painted area holds before it is sent ("masked content" in A1111,
# "infill" in InvokeAI): name -> what it does. ``prefill.prefill`` implements them.
PREFILL_METHODS: dict[str, str] = {
    "original": "leave the painted area as it is (the model sees the old content)",
    "patchmatch": "fill it with patches from the surroundings (PatchMatch, seeded)",
    "blur": "fill it with a heavy blur of the surroundings (no trace of the old content)",
    "colour": "fill it with the average colour of its surroundings",
    "edge": "stretch the nearest surrounding pixels into it (for outpainting)",
}

# The automatic inpaint area (``crop_to_mask`` left out) sends only the area
# around the mask when that gains at least this factor in resolution over the
# whole picture: a 12 MP photo's whole picture goes at 1024 px, and the API's
# result blown up ~4x over a small edit is a visibly softer patch.
AUTO_AREA_GAIN = 1.5

# Options of this tool, not of the API: how the photo is cut and put back
# together around the request. They never travel in the JSON body, but they
# are validated, shown as controls and offered as command-line flags from
# here, like the API's own parameters.
OPTIONS: tuple[Param, ...] = (
    Param(
        "crop_to_mask",
        "bool",
        None,
        "Only the masked area",
        "Send only the area around the mask (at up to 1024 x 1024) instead of the whole "
        "picture, so small edits on large photos keep their detail. Left out (auto): only "
        "the masked area when the photo is larger than the API's 1024 x 1024, the result is "
        "pasted back, the painted areas fit in one region (one job, as the whole picture) "
        "and that region is sent at "
        f"least {AUTO_AREA_GAIN:g}x sharper than the whole picture would be; otherwise the "
        "whole picture.",
        nullable=True,
    ),
    Param(
        "mask_padding",
        "int",
        None,
        "Padding around the mask, px",
        'Context kept around each painted area in "only masked" mode, in pixels of the '
        "original photo.",
        minimum=0,
        maximum=512,
        step=8,
        nullable=True,
        per_1024=32,
    ),
    Param(
        "paste_back",
        "bool",
        True,
        "Paste back over the original",
        "Keep every pixel outside the mask (widened by the feather) exactly as in the "
        "original, at the original's full size.",
    ),
    Param(
        "feather",
        "int",
        None,
        "Blend width, px",
        "Width of the smooth blend outside the mask edge when pasting back, in pixels of "
        "the original photo.",
        minimum=0,
        maximum=128,
        step=1,
        nullable=True,
        per_1024=8,
    ),
    *(
        Param(
            f"extend_{side}",
            "int",
            0,
            f"Extend {side}, px",
            f"Pixels of new picture to add on the {side} (outpainting), in pixels of the "
            "photo. No mask is needed: the new area is the mask.",
            minimum=0,
            maximum=8192,
            step=8,
        )
        for side in ("left", "top", "right", "bottom")
    ),
    Param(
        "overlap",
        "int",
        None,
        "Overlap, px",
        "How far into the photo an extension's new area blends, in pixels of the photo; "
        "beyond it every original pixel is kept exactly.",
        minimum=0,
        maximum=256,
        step=2,
        nullable=True,
        per_1024=16,
    ),
    Param(
        "prefill",
        "enum",
        "original",
        "Pre-fill (masked content)",
        'What the painted area holds when it is sent: "original" sends the photo as it '
        'is; "patchmatch" fills it from its surroundings first (the best start for '
        'removing something); "blur" and "colour" give a neutral start; "edge" '
        "stretches the border inward.",
        choices=tuple(PREFILL_METHODS),
    ),
    Param(
        "match_colours",
        "bool",
        True,
        "Match colours",
        "Undo the colour shift a model's round trip leaves on the whole picture (measured "
        "away from the mask) before the result is put back, so the painted area meets its "
        "surroundings without a visible edge.",
    ),
    Param(
        "transport",
        "enum",
        "upload",
        "Transport",
        'How the images travel: "upload" posts each to the API\'s temporary storage and '
        'sends the URLs; "base64" sends them inline; "url" passes your own public '
        "URLs through unchanged.",
        choices=("upload", "base64", "url"),
        advanced=True,
    ),
)
OPTIONS_BY_NAME: dict[str, Param] = {p.name: p for p in OPTIONS}


def defaults() -> dict[str, Any]:
    """The documented defaults, keyed by parameter name."""
    return {p.name: p.default for p in PARAMS}


def is_random(param: Param, value: Any) -> bool:
    """Whether ``value`` is the parameter's spelling of "random" (the seed's -1 or blank)."""
    if param.random_value is None:
        return False
    if isinstance(value, str):
        return value.strip() in ("", str(param.random_value))
    return value is None or (not isinstance(value, bool) and value == param.random_value)


def normalise_seed(seed: Any) -> Any:
    """-1 and blank mean "random" in the UI and the README; the wire says null."""
    if is_random(BY_NAME["seed"], seed):
        return None
    if isinstance(seed, str):
        try:
            return int(seed.strip())
        except ValueError:
            raise BY_NAME["seed"]._fail(seed) from None
    return seed


def check_options(values: dict[str, Any]) -> dict[str, Any]:
    """Validate the tool's own options (``OPTIONS``); defaults fill the gaps."""
    unknown = sorted(set(values) - set(OPTIONS_BY_NAME))
    if unknown:
        raise ParameterError(f"unknown option(s): {', '.join(unknown)}")
    return {p.name: p.to_wire(values.get(p.name, p.default)) for p in OPTIONS}


def build_payload(values: dict[str, Any]) -> dict[str, Any]:
    """Validate ``values`` strictly and return the JSON fields to send.

    Unknown names are refused (a typo must not silently fall back to a
    default). Null optional fields are left out so the API applies its own
    rule (for width/height: the size of init_image).
    """
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise ParameterError(f"unknown parameter(s): {', '.join(unknown)}")
    payload: dict[str, Any] = {}
    for param in PARAMS:
        raw = values.get(param.name, param.default)
        if param.name == "seed":
            raw = normalise_seed(raw)
        wire = param.to_wire(raw)
        if wire is not None:
            payload[param.name] = wire
    return payload


def parse_request(body: dict[str, Any]) -> dict[str, Any]:
    """Leniently parse an incoming request body (server side).

    Returns every parameter, defaults filled in; unknown fields are ignored,
    as the real API ignores the official SDK's extras.
    """
    parsed: dict[str, Any] = {}
    for param in PARAMS:
        raw = body.get(param.name)
        if raw is not None and is_random(param, raw):
            raw = None
        parsed[param.name] = param.from_wire(raw)
    return parsed
