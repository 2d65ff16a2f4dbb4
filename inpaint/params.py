"""The one declaration of every request parameter: the API's fields and this tool's options.

``Parameters`` below declares each parameter once, as a typed field whose
``Param`` says its kind, default, documented range, label, help and how it is
shown. Everything else is derived from that declaration:

* ``request.InpaintRequest`` is ``Parameters`` with its forms (payload, PNG
  record, keyword arguments, command line), validated by ``Param.coerce``;
* ``ModelsLabClient.inpaint``'s keyword arguments (a generated signature);
* the local server's lenient parsing (``parse_request``) and its ``meta`` echo;
* the command-line flags (``cli.parser``), the names a saved PNG records
  (``metadata``) and the studio's widgets, form and endpoint signatures.

Adding or retuning a parameter is one field here (plus whatever uses its value
in the pipeline or the engine); ``tests/test_one_declaration.py`` adds one and
keeps every name spelled in at most three source files.

One coercion, two temperaments (``Param.coerce``):

* strict (the client, the command line, the studio): what a person or a widget
  hands over (whole floats for integers, numeric text for integers, ``"yes"``
  or ``True`` for yes/no fields, -1 or blank for a random seed), but never a
  value out of the documented range, before a paid request is made;
* lenient (the local server): also what the documentation itself sends:
  numeric strings for any number, JSON booleans where ``"true"`` is documented.
  It still refuses values out of range, as the real API does with HTTP 400.

Values are held as Python types (``safety_checker`` is a bool, a random seed
None); the wire's ``"yes"``/``"true"`` strings exist only in ``Param.wire``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .errors import ParameterError

Kind = Literal["text", "int", "float", "enum", "flag", "url", "bool"]
Transport = Literal["upload", "base64", "url"]


@dataclass(frozen=True)
class Param:
    """How one field is checked, sent, recorded and shown. ``flag`` is a yes/no
    travelling as a string enum (its first choice means yes)."""

    kind: Kind
    default: Any  # the Python value used when the field is left out
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
    # Travels in the API's JSON body; False: an option of this tool, applied
    # around the request (cropping, pasting back...).
    api: bool = True
    # A saved PNG records it: it changes the picture, so repeating the edit needs it.
    recorded: bool = True
    # The size asked for: a region's size says nothing about the size to ask for,
    # so only a whole-picture edit's is restored.
    sized: bool = False
    # The library's keyword and command-line flag where the wire name would
    # mislead ("base64" alone reads like the transport), and short flags people type.
    kwarg: str = ""
    aliases: tuple[str, ...] = ()
    # A widget's starting value where the default is "left out" (a slider needs a number).
    ui_value: Any = None
    # The element id of its widget on the page, where not the keyword with dashes.
    page_id: str = ""
    # The studio's Compare offers it as an axis: it changes how good a picture is,
    # not what a picture is (its size, how many, how it travels).
    axis: bool = False
    name: str = ""  # the field's name, filled in from the declaration

    # -- derived spellings ------------------------------------------------
    @property
    def keyword(self) -> str:
        """The keyword of ``ModelsLabClient.inpaint`` (and of the studio's form)."""
        return self.kwarg or self.name

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--num-inference-steps``."""
        return "--" + self.keyword.replace("_", "-")

    @property
    def widget(self) -> str:
        """How the studio shows it: a bounded stepped number is a slider, and so on."""
        if self.kind in ("int", "float"):
            bounded = self.minimum is not None and self.maximum is not None
            return "slider" if bounded and self.step is not None else "number"
        return {"flag": "checkbox", "bool": "checkbox", "enum": "dropdown"}.get(self.kind, "text")

    @property
    def start(self) -> Any:
        """The value a widget starts at: the default, or a stand-in for "left out"."""
        if self.default is not None:
            return self.default
        if self.random_value is not None:
            return self.random_value
        if self.per_1024 is not None:
            return self.scaled((1024, 1024))
        return self.ui_value

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

    def fail(self, value: Any) -> ParameterError:
        """The one sentence for a bad value: the name, what is accepted, what came."""
        return ParameterError(
            f"{self.name} must be {self.range_text()} (got {_show(value)})", field=self.name
        )

    # -- the one coercion ---------------------------------------------------
    def is_random(self, value: Any) -> bool:
        """Whether ``value`` is this field's spelling of "random" (the seed's -1 or blank)."""
        if self.random_value is None:
            return False
        if isinstance(value, str):
            return value.strip() in ("", str(self.random_value))
        return value is None or (not isinstance(value, bool) and value == self.random_value)

    def coerce(self, value: Any, *, lenient: bool = False) -> Any:
        """``value`` checked against the declaration, as its Python type (see the module
        docstring for what strict and ``lenient`` accept). None: the default."""
        if self.is_random(value) or (
            self.nullable and isinstance(value, str) and not value.strip()
        ):
            value = None
        if value is None:
            if self.required:
                raise ParameterError(f"{self.name} is required", field=self.name)
            return None if self.nullable else self.default
        if self.kind in ("int", "float") and isinstance(value, str):
            value = self._number(value, lenient)
        return self._checked(value)

    def wire(self, value: Any) -> Any:
        """The API's spelling of a Python value (``True`` -> ``"yes"`` for a yes/no field)."""
        if self.kind == "flag" and isinstance(value, bool):
            return self.choices[0] if value else self.choices[1]
        return value

    def _number(self, text: str, lenient: bool) -> Any:
        try:
            if lenient:
                number = float(text.strip())
                return int(number) if self.kind == "int" and number.is_integer() else number
            return int(text.strip()) if self.kind == "int" else text
        except ValueError:
            raise self.fail(text) from None

    def _checked(self, value: Any) -> Any:
        if self.kind == "text":
            if not isinstance(value, str):
                raise self.fail(value)
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
                raise self.fail(value)
            return number
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(value)
            if not self._in_range(float(value)):
                raise self.fail(value)
            return float(value)
        if self.kind == "flag":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in self.choices:
                return value.lower() == self.choices[0]
            raise self.fail(value)
        if self.kind == "enum":
            if isinstance(value, str) and value in self.choices:
                return value
            raise self.fail(value)
        if self.kind == "url":
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return value
            raise self.fail(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
            raise self.fail(value)
        raise AssertionError(self.kind)

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


def api(kind: Kind, default: Any, label: str, help: str, **more: Any) -> Any:
    """A field of the API's JSON body (typed ``Any`` like ``dataclasses.field``)."""
    return field(default=default, metadata={"param": Param(kind, default, label, help, **more)})


def option(kind: Kind, default: Any, label: str, help: str, **more: Any) -> Any:
    """A field of this tool's own: it shapes what is sent but never travels itself."""
    return api(kind, default, label, help, api=False, **more)


def _extend(side: str) -> Any:
    return option(
        "int",
        0,
        f"Extend {side}, px",
        f"Pixels of new picture to add on the {side} (outpainting), in pixels of the "
        "photo. No mask is needed: the new area is the mask.",
        minimum=0,
        maximum=8192,
        step=8,
        recorded=False,  # recorded together, as ``extend``
    )


# The contract gives no prompt length; ours is 2000 characters (a few hundred
# words, far beyond what a text encoder reads), checked by the client before a
# paid request and by the local server, so a megabyte prompt goes nowhere.
MAX_PROMPT_CHARS = 2000

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


@dataclass(frozen=True)
class ApiParameters:
    """The API's fields, in the documentation's order, with the documented ranges;
    where the documentation gives none (num_inference_steps, the lower bound of
    width/height) the choice is ours and the README says so."""

    prompt: str = api(
        "text",
        None,
        "Prompt",
        "What should appear in the painted area.",
        required=True,
        maximum=MAX_PROMPT_CHARS,
        axis=True,
    )
    negative_prompt: str | None = api(
        "text",
        None,
        "Negative prompt",
        "What the model should avoid.",
        nullable=True,
        maximum=MAX_PROMPT_CHARS,
        aliases=("--negative",),
        axis=True,
    )
    # The documentation's 512 is what its examples send; left out, the API uses
    # the image's own size, and so does this library (the sliders start at 512).
    width: int | None = api(
        "int",
        None,
        "Width",
        "Output width in pixels (at most 1024). Left out, the image's own size is used.",
        minimum=8,
        maximum=1024,
        step=8,
        nullable=True,
        sized=True,
        ui_value=512,
    )
    height: int | None = api(
        "int",
        None,
        "Height",
        "Output height in pixels (at most 1024). Left out, the image's own size is used.",
        minimum=8,
        maximum=1024,
        step=8,
        nullable=True,
        sized=True,
        ui_value=512,
    )
    samples: int = api(
        "int",
        1,
        "Samples",
        "How many variations to generate in one job.",
        minimum=1,
        maximum=4,
        step=1,
    )
    num_inference_steps: int = api(
        "int",
        30,
        "Steps",
        "Denoising steps: more is slower and usually finer. "
        "The API documents no bound; 1-100 is this tool's choice.",
        minimum=1,
        maximum=100,
        step=1,
        aliases=("--steps",),
        axis=True,
        page_id="steps",
    )
    guidance_scale: int = api(
        "int",
        5,
        "Guidance scale",
        "How closely to follow the prompt (whole steps).",
        minimum=1,
        maximum=5,
        step=1,
        aliases=("--guidance",),
        axis=True,
        page_id="guidance",
    )
    strength: float = api(
        "float",
        0.7,
        "Strength",
        "How much the painted area may change: 0 keeps it, 1 replaces it.",
        minimum=0,
        maximum=1,
        step=0.01,
        axis=True,
    )
    safety_checker: bool = api(
        "flag",
        False,
        "Safety checker",
        "Let the API blur images it judges unsafe.",
        choices=("yes", "no"),
        page_id="safety",
    )
    seed: int | None = api(
        "int",
        None,
        "Seed",
        "Same seed and settings give the same result.",
        minimum=0,
        maximum=2**32 - 1,
        nullable=True,
        random_value=-1,
        axis=True,
    )
    base64: bool = api(
        "flag",
        False,
        "Base64 output",
        "Receive the images inline as base64 instead of as URLs.",
        choices=("true", "false"),
        advanced=True,
        recorded=False,
        kwarg="base64_output",
    )
    instant_response: bool = api(
        "flag",
        False,
        "Instant response",
        "Answer at once with a job id and fetch the result later.",
        choices=("true", "false"),
        advanced=True,
        recorded=False,
    )
    webhook: str | None = api(
        "url",
        None,
        "Webhook URL",
        "The API POSTs the result here when the job ends.",
        nullable=True,
        advanced=True,
        recorded=False,
    )
    track_id: int | None = api(
        "int",
        None,
        "Track id",
        "Echoed in the webhook payload so you can match it to this request.",
        minimum=0,
        maximum=2**63 - 1,
        nullable=True,
        advanced=True,
        recorded=False,
    )


@dataclass(frozen=True)
class Parameters(ApiParameters):
    """Every parameter of one edit, declared once (see the module docstring): the
    API's fields, then this tool's options (``option``): how the photo is cut and
    put back together around the request. Options never travel in the JSON body,
    but they are validated, shown and offered as flags like the API's own.
    """

    crop_to_mask: bool | None = option(
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
        recorded=False,  # recorded as ``mode``
        axis=True,
    )
    mask_padding: int | None = option(
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
        axis=True,
    )
    paste_back: bool = option(
        "bool",
        True,
        "Paste back over the original",
        "Keep every pixel outside the mask (widened by the feather) exactly as in the "
        "original, at the original's full size.",
        axis=True,
    )
    feather: int | None = option(
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
        axis=True,
    )
    extend_left: int = _extend("left")
    extend_top: int = _extend("top")
    extend_right: int = _extend("right")
    extend_bottom: int = _extend("bottom")
    overlap: int | None = option(
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
    )
    prefill: str = option(
        "enum",
        "original",
        "Pre-fill (masked content)",
        'What the painted area holds when it is sent: "original" sends the photo as it '
        'is; "patchmatch" fills it from its surroundings first (the best start for '
        'removing something); "blur" and "colour" give a neutral start; "edge" '
        "stretches the border inward.",
        choices=tuple(PREFILL_METHODS),
        axis=True,
    )
    match_colours: bool = option(
        "bool",
        True,
        "Match colours",
        "Undo the colour shift a model's round trip leaves on the whole picture (measured "
        "away from the mask) before the result is put back, so the painted area meets its "
        "surroundings without a visible edge.",
        axis=True,
    )
    transport: Transport = option(
        "enum",
        "upload",
        "Transport",
        'How the images travel: "upload" posts each to the API\'s temporary storage and '
        'sends the URLs; "base64" sends them inline; "url" passes your own public '
        "URLs through unchanged.",
        choices=("upload", "base64", "url"),
        advanced=True,
        recorded=False,
    )


def _declared() -> tuple[Param, ...]:
    out = []
    for f in fields(Parameters):
        param: Param = f.metadata["param"]
        object.__setattr__(param, "name", f.name)
        out.append(param)
    return tuple(out)


DECLARED: tuple[Param, ...] = _declared()
PARAMS: tuple[Param, ...] = tuple(p for p in DECLARED if p.api)
OPTIONS: tuple[Param, ...] = tuple(p for p in DECLARED if not p.api)
BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
OPTIONS_BY_NAME: dict[str, Param] = {p.name: p for p in OPTIONS}
BY_KEYWORD: dict[str, Param] = {p.keyword: p for p in DECLARED}
RECORDED: tuple[str, ...] = tuple(p.name for p in DECLARED if p.recorded)


def spec(name: str) -> Param:
    """The declaration of a field by its name or its library keyword (``base64_output``)."""
    return BY_KEYWORD[name] if name in BY_KEYWORD else BY_NAME[name]


def images_asked(body: dict[str, Any]) -> int:
    """How many images a request body asks for (at least one; unreadable: one)."""
    try:
        return max(1, int(float(body.get("samples") or 1)))
    except (TypeError, ValueError):
        return 1


def defaults() -> dict[str, Any]:
    """The API's defaults in their wire spellings, keyed by parameter name."""
    return {p.name: p.wire(p.default) for p in PARAMS}


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
        wire = param.wire(param.coerce(values.get(param.name, param.default)))
        if wire is not None:
            payload[param.name] = wire
    return payload


def parse_request(body: dict[str, Any]) -> dict[str, Any]:
    """Leniently parse an incoming request body (server side), in wire spellings.

    Returns every parameter, defaults filled in; unknown fields are ignored,
    as the real API ignores the official SDK's extras.
    """
    return {p.name: p.wire(p.coerce(body.get(p.name), lenient=True)) for p in PARAMS}
