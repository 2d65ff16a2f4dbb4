"""One inpainting request, typed and validated once, in every form it travels in.

A request used to be translated separately by the studio's form, the client,
the command line, "copy as code", the PNG metadata and the server's meta, each
with its own idea of defaults and spellings. ``InpaintRequest`` is built and
checked against the parameter specification (``params.PARAMS`` for the API's
documented fields, ``params.OPTIONS`` for this library's own options), and
every other form is a method of it:

* ``payload()``: the JSON fields sent to the API, in the documented types;
* ``recorded()``: what a saved PNG, the history and reproduction record;
* ``kwargs()``: the keyword arguments of ``ModelsLabClient.inpaint``;
* ``cli_args()``: the flags of ``python -m inpaint``.

Values are held as Python types (``safety_checker`` is a bool, ``seed`` None
for random); the wire strings ``"yes"``/``"true"`` exist only in ``payload()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from .errors import ParameterError
from .params import BY_NAME, OPTIONS, OPTIONS_BY_NAME, PARAMS, Param, build_payload, is_random

if TYPE_CHECKING:
    from .outpaint import Extension

Transport = Literal["upload", "base64", "url"]

# Library keyword names that differ from the API's field names: ``base64`` is
# the output format on the wire, but "base64" alone reads like the transport.
KWARG_ALIASES = {"base64": "base64_output"}
FROM_KWARG = {alias: name for name, alias in KWARG_ALIASES.items()}
# Command-line spellings that are not the name with dashes.
FLAG_NAMES = {"base64": "--base64-output"}


def spec(name: str) -> Param:
    """The specification entry of a request field (API parameter or library option)."""
    return BY_NAME[name] if name in BY_NAME else OPTIONS_BY_NAME[name]


def flag_name(param: Param) -> str:
    """The command-line flag of a field, e.g. ``--num-inference-steps``."""
    return FLAG_NAMES.get(param.name, "--" + param.name.replace("_", "-"))


@dataclass(frozen=True)
class InpaintRequest:
    """The parameters of one edit: the API's documented fields and the library's options.

    Construct it with keywords (library spellings such as ``base64_output`` and
    wire spellings such as ``safety_checker="yes"`` are both accepted); every
    value is validated against the specification and normalised, so an
    instance is always sendable. ``width``/``height`` None means "the image's
    own size, fitted within 1024 x 1024".
    """

    prompt: str
    negative_prompt: str | None = None
    width: int | None = None
    height: int | None = None
    samples: int = 1
    num_inference_steps: int = 30
    safety_checker: bool = False
    guidance_scale: int = 5
    strength: float = 0.7
    seed: int | None = None
    instant_response: bool = False
    base64: bool = False
    webhook: str | None = None
    track_id: int | None = None
    crop_to_mask: bool | None = None  # None: auto (``pipeline.choose_area``)
    mask_padding: int | None = None
    paste_back: bool = True
    feather: int | None = None
    extend_left: int = 0
    extend_top: int = 0
    extend_right: int = 0
    extend_bottom: int = 0
    overlap: int | None = None
    prefill: str = "original"
    match_colours: bool = True
    transport: Transport = "upload"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = normalise(spec(field.name), getattr(self, field.name))
            object.__setattr__(self, field.name, value)
        # "Whole picture" (and "auto", which is the whole picture here) need no pixels.
        needs_pixels = {
            "crop_to_mask": bool(self.crop_to_mask),
            "prefill": self.prefill != "original",
        }
        for option, needed in needs_pixels.items():
            if self.transport == "url" and needed:
                raise ParameterError(
                    f'{option} needs the image itself: use transport "upload" or "base64"',
                    field=option,
                )

    # -- building -------------------------------------------------------------
    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> InpaintRequest:
        """A request from a mapping of field names (or library aliases) to values.

        ``None`` values mean "the default". Unknown names are refused: a typo
        must not silently fall back to a default.
        """
        known = {f.name for f in fields(cls)}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            name = FROM_KWARG.get(name, name)
            if name not in known:
                raise ParameterError(f"unknown parameter: {name}", field=name)
            if value is not None or spec(name).nullable:
                clean[name] = value
        if "prompt" not in clean:
            raise ParameterError("prompt is required", field="prompt")
        return cls(**clean)

    @classmethod
    def from_recorded(
        cls, recorded: Mapping[str, Any], base: InpaintRequest | None = None
    ) -> InpaintRequest:
        """A request refilled from what a saved PNG records (``recorded()``'s keys).

        Fields the record lacks keep ``base``'s values. A region's size says
        nothing about the size to ask for, so it is only restored for
        whole-picture edits.
        """
        changes: dict[str, Any] = {}
        for field in fields(cls):
            if field.name in ("width", "height") and recorded.get("mode") != "whole":
                continue
            if recorded.get(field.name) is not None:
                changes[field.name] = recorded[field.name]
        if recorded.get("mode") in ("masked", "whole", "auto"):
            changes["crop_to_mask"] = (
                None if recorded["mode"] == "auto" else recorded["mode"] == "masked"
            )
        extend = recorded.get("extend")
        if isinstance(extend, list) and len(extend) == 4:
            changes.update(
                zip(
                    ("extend_left", "extend_top", "extend_right", "extend_bottom"),
                    extend,
                    strict=True,
                )
            )
        if recorded.get("mode") == "outpaint":
            changes.pop("width", None)
            changes.pop("height", None)
        if base is None:
            return (
                cls.from_values({"prompt": "", **changes})
                if "prompt" not in changes
                else cls.from_values(changes)
            )
        return base.replace(**changes)

    def replace(self, **changes: Any) -> InpaintRequest:
        """A copy with ``changes`` applied (validated like the constructor)."""
        renamed = {FROM_KWARG.get(k, k): v for k, v in changes.items()}
        return dataclasses.replace(self, **renamed)

    # -- the forms it travels in -----------------------------------------------
    def payload(self) -> dict[str, Any]:
        """The API's JSON fields (without key and images), documented types, nulls left out.

        Inline images (transport ``"base64"``) require ``base64: "true"``, so the
        transport switches it on.
        """
        values = {p.name: getattr(self, p.name) for p in PARAMS}
        values["base64"] = self.base64 or self.transport == "base64"
        return build_payload(values)

    def recorded(self) -> dict[str, Any]:
        """What a result records so the edit can be repeated (never the key).

        The API's fields in their wire spellings where those are words, and the
        library's options; ``mode`` says "masked" or "whole".
        """
        out: dict[str, Any] = {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "num_inference_steps": self.num_inference_steps,
            "guidance_scale": self.guidance_scale,
            "strength": self.strength,
            "samples": self.samples,
            "safety_checker": _wire(spec("safety_checker"), self.safety_checker),
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "extend": list(self.extension.as_tuple()) if self.extension.any else None,
            "overlap": self.overlap if self.extension.any else None,
            "mask_padding": self.mask_padding if self.crop_to_mask else None,
            "feather": self.feather if self.paste_back and not self.extension.any else None,
            "paste_back": self.paste_back,
            "prefill": self.prefill,
            "match_colours": self.match_colours,
        }
        return out

    def kwargs(self, *, changed_only: bool = False) -> dict[str, Any]:
        """``ModelsLabClient.inpaint`` keywords; ``changed_only`` drops the defaults.

        ``prompt`` is always included (it has no default).
        """
        out: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if changed_only and field.name != "prompt" and value == _default(field.name):
                continue
            out[KWARG_ALIASES.get(field.name, field.name)] = value
        return out

    def cli_args(self) -> list[str]:
        """The ``python -m inpaint`` flags that repeat this request (defaults left out).

        ``--flag=value`` throughout, so a value starting with "-" (a negative
        prompt such as "-blurry") cannot be read as an option.
        """
        words = []
        for param in (*PARAMS, *OPTIONS):
            value = getattr(self, param.name)
            if param.name != "prompt" and value == _default(param.name):
                continue
            flag = flag_name(param)
            if param.kind == "bool":
                words.append(flag if value else "--no-" + flag[2:])
            else:
                words.append(f"{flag}={_wire(param, value)}")
        return words

    @property
    def mode(self) -> str:
        """ "outpaint", "masked", "whole", or "auto" while the area is not yet chosen."""
        if self.extension.any:
            return "outpaint"
        if self.crop_to_mask is None:
            return "auto"
        return "masked" if self.crop_to_mask else "whole"

    @property
    def extension(self) -> Extension:
        """The outpainting amounts (all 0: an ordinary edit inside the photo)."""
        from .outpaint import Extension

        return Extension(self.extend_left, self.extend_top, self.extend_right, self.extend_bottom)

    def overlap_for(self, size: tuple[int, int]) -> int:
        """The outpainting overlap for a photo of ``size``: as given, or scaled."""
        return _scaled("overlap", self.overlap, size)

    def padding_for(self, size: tuple[int, int]) -> int:
        """The padding for a photo of ``size``: as given, or scaled to the photo."""
        return _scaled("mask_padding", self.mask_padding, size)

    def feather_for(self, size: tuple[int, int]) -> int:
        """The blend width for a photo of ``size``: as given, or scaled to the photo."""
        return _scaled("feather", self.feather, size)

    def resolved(self, size: tuple[int, int]) -> InpaintRequest:
        """This request with the photo-scaled options made explicit (what is recorded)."""
        return self.replace(
            mask_padding=self.padding_for(size),
            feather=self.feather_for(size),
            overlap=self.overlap_for(size),
        )

    def is_default(self, name: str) -> bool:
        return bool(getattr(self, name) == _default(name))


# -- normalising by the specification ----------------------------------------------
def normalise(param: Param, value: Any) -> Any:
    """A value checked against ``param`` and turned into its Python type.

    Accepts what a person or a widget hands over: whole floats for integers,
    "yes"/"true" or booleans for yes/no fields, -1 or blank for a random seed.
    """
    if is_random(param, value):
        value = None
    if (
        param.name in ("negative_prompt", "webhook")
        and isinstance(value, str)
        and not value.strip()
    ):
        value = None
    if param.kind == "int" and isinstance(value, str) and value.strip():
        try:
            value = int(value.strip())
        except ValueError:
            pass  # refused below with the field's own message
    wire = param.to_wire(value)
    if wire is None:
        return None
    if param.kind == "flag":
        return wire == param.choices[0]
    return wire


def _scaled(name: str, value: int | None, size: tuple[int, int]) -> int:
    return int(value) if value is not None else spec(name).scaled(size)


def _wire(param: Param, value: Any) -> Any:
    """The API's spelling of a Python value (``True`` -> ``"yes"`` for a yes/no field)."""
    if param.kind == "flag" and isinstance(value, bool):
        return param.choices[0] if value else param.choices[1]
    return value


def _default(name: str) -> Any:
    return _DEFAULTS[name]


_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(InpaintRequest) if f.default is not dataclasses.MISSING
}
_DEFAULTS["prompt"] = None
