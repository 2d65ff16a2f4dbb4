"""One inpainting request, typed and validated once, in every form it travels in.

``InpaintRequest`` is the parameter declaration (``params.Parameters``: the
API's documented fields and this library's options) with its forms, each
derived from the declaration rather than listed again:

* ``payload()``: the JSON fields sent to the API, in the documented types;
* ``recorded()``: what a saved PNG, the history and reproduction record, and
  ``from_recorded()``, the one reader of such a record;
* ``kwargs()``: the keyword arguments of ``ModelsLabClient.inpaint``, whose
  signature ``with_parameters`` generates;
* ``cli_args()``: the flags of ``python -m inpaint``.

Values are held as Python types (a yes/no field is a bool, a random seed None);
the wire strings ``"yes"``/``"true"`` exist only in ``payload()``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

from .errors import ParameterError
from .params import DECLARED, PARAMS, Param, Parameters, Transport, build_payload, spec

if TYPE_CHECKING:
    from .outpaint import Extension

__all__ = ["InpaintRequest", "Transport", "flag_name", "spec", "with_parameters"]

# The four outpainting amounts, in the order ``Extension`` and a record's ``extend`` use.
EXTEND_NAMES = tuple(p.name for p in DECLARED if p.name.startswith("extend_"))


def flag_name(param: Param) -> str:
    """The command-line flag of a field, e.g. ``--num-inference-steps``."""
    return param.flag


@dataclass(frozen=True)
class InpaintRequest(Parameters):
    """The parameters of one edit: the API's documented fields and the library's options.

    Construct it with keywords (wire spellings such as ``safety_checker="yes"``
    are accepted too); every value is validated against the declaration and
    normalised, so an instance is always sendable. ``width``/``height`` None
    means "the image's own size, fitted within 1024 x 1024".
    """

    def __post_init__(self) -> None:
        for param in DECLARED:
            object.__setattr__(self, param.name, param.coerce(getattr(self, param.name)))
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
        """A request from a mapping of field names (or library keywords) to values.

        ``None`` values mean "the default". Unknown names are refused: a typo
        must not silently fall back to a default.
        """
        clean: dict[str, Any] = {}
        for name, value in values.items():
            try:
                param = spec(name)
            except KeyError:
                raise ParameterError(f"unknown parameter: {name}", field=name) from None
            if value is not None or param.nullable:
                clean[param.name] = value
        if "prompt" not in clean:
            raise ParameterError("prompt is required", field="prompt")
        return cls(**clean)

    @classmethod
    def from_recorded(
        cls, recorded: Mapping[str, Any], base: InpaintRequest | None = None
    ) -> InpaintRequest:
        """A request refilled from what a saved PNG records (``recorded()``'s keys).

        The one reader of a record: the command line's replay, the studio's
        history and "Reproduce" all come through here. Fields the record lacks
        keep ``base``'s values; values are read leniently (a record is JSON).
        A region's size says nothing about the size to ask for, so it is only
        restored for whole-picture edits.
        """
        mode = recorded.get("mode")
        changes: dict[str, Any] = {}
        for param in DECLARED:
            value = recorded.get(param.name)
            if value is None or (param.sized and mode != "whole"):
                continue
            changes[param.name] = param.coerce(value, lenient=True)
        if mode in ("masked", "whole", "auto"):
            changes["crop_to_mask"] = None if mode == "auto" else mode == "masked"
        extend = recorded.get("extend")
        if isinstance(extend, list) and len(extend) == len(EXTEND_NAMES):
            changes.update(zip(EXTEND_NAMES, extend, strict=True))
        if base is None:
            return cls.from_values({"prompt": "", **changes})
        return base.replace(**changes)

    def replace(self, **changes: Any) -> InpaintRequest:
        """A copy with ``changes`` applied (validated like the constructor)."""
        return dataclasses.replace(self, **{spec(k).name: v for k, v in changes.items()})

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

        The recorded fields (``Param.recorded``) in their wire spellings;
        ``mode`` says "masked", "whole", "auto" or "outpaint", ``extend`` the
        four amounts. Options that did nothing in this mode are left out.
        """
        out = {p.name: p.wire(getattr(self, p.name)) for p in DECLARED if p.recorded}
        extension = self.extension.any
        out.update(
            mode=self.mode,
            extend=list(self.extension.as_tuple()) if extension else None,
            overlap=self.overlap if extension else None,
            mask_padding=self.mask_padding if self.crop_to_mask else None,
            feather=self.feather if self.paste_back and not extension else None,
        )
        return out

    def kwargs(self, *, changed_only: bool = False) -> dict[str, Any]:
        """``ModelsLabClient.inpaint`` keywords; ``changed_only`` drops the defaults.

        ``prompt`` is always included (it has no default).
        """
        return {
            p.keyword: getattr(self, p.name)
            for p in DECLARED
            if not (changed_only and p.name != "prompt" and self.is_default(p.name))
        }

    def cli_args(self) -> list[str]:
        """The ``python -m inpaint`` flags that repeat this request (defaults left out).

        ``--flag=value`` throughout, so a value starting with "-" (a negative
        prompt such as "-blurry") cannot be read as an option.
        """
        words = []
        for param in DECLARED:
            value = getattr(self, param.name)
            if param.name != "prompt" and self.is_default(param.name):
                continue
            if param.kind == "bool":
                words.append(param.flag if value else "--no-" + param.flag[2:])
            else:
                words.append(f"{param.flag}={param.wire(value)}")
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

        return Extension(*(int(getattr(self, name)) for name in EXTEND_NAMES))

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
        param = spec(name)
        return bool(getattr(self, param.name) == param.default)


def _scaled(name: str, value: int | None, size: tuple[int, int]) -> int:
    return int(value) if value is not None else spec(name).scaled(size)


F = TypeVar("F", bound=Callable[..., Any])


def with_parameters(func: F) -> F:
    """Publish every declared field as a keyword-only argument of ``func``.

    ``func`` takes them as ``**params``; its published signature (what
    ``help()``, editors and gradio read through ``inspect.signature``) lists
    each by its library keyword with its type and default, generated from the
    declaration so it cannot drift. Parameters ``func`` names itself (such as
    a positional ``prompt``) keep their own place.
    """
    own = inspect.signature(func)
    try:  # the function's own annotations as types, like the generated ones
        resolved = get_type_hints(func)
        own = own.replace(
            parameters=[
                p.replace(annotation=resolved.get(p.name, p.annotation))
                for p in own.parameters.values()
            ],
            return_annotation=resolved.get("return", own.return_annotation),
        )
    except NameError:  # a name imported only for type checking: keep the text
        pass
    mine = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    named = {p.name for p in mine}
    hints = get_type_hints(Parameters)
    declared = [
        inspect.Parameter(
            p.keyword, inspect.Parameter.KEYWORD_ONLY, default=p.default, annotation=hints[p.name]
        )
        for p in DECLARED
        if p.keyword not in named
    ]
    positional = [p for p in mine if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in mine if p.kind is inspect.Parameter.KEYWORD_ONLY]
    func.__signature__ = own.replace(parameters=[*positional, *declared, *keyword])  # type: ignore[attr-defined]
    return func
