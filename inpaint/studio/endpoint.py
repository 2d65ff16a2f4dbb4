"""Public endpoints whose arguments are generated: the form's fields and the keys.

gradio names an endpoint's arguments after its function's signature
(``inspect.signature``, which honours ``__signature__``), passes the inputs
positionally in that order, and finds the request, the profile and the progress
among them by their annotations (``typing.get_type_hints``) and defaults.
``takes`` publishes a group of names (``FORM_FIELDS``, ``KEY_INPUTS``) in place
of one mapping parameter, so the endpoint's arguments follow the parameter
declaration instead of being written out again.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..params import Parameters
from .form import AREA_FIELD, FIELDS, KEY_INPUTS, PAGE_CONTROL_TYPES

_DECLARED_TYPES = typing.get_type_hints(Parameters)
Endpoint = Callable[..., Any]


def _annotation(name: str) -> Any:
    """The type of a published argument: a form field's declared one (the page also
    hands over floats for whole numbers and text for blanks; the form's coercion
    takes those), a page control's, the area radio's label, a key's text."""
    if name == AREA_FIELD:
        return str | bool | None
    if name in PAGE_CONTROL_TYPES:
        return PAGE_CONTROL_TYPES[name] | None
    if name in KEY_INPUTS:
        return str | None
    p = FIELDS.get(name)
    return _DECLARED_TYPES[p.name] | None if p is not None else Any


def takes(**groups: Sequence[str]) -> Callable[[Endpoint], Endpoint]:
    """Publish each group's names as arguments in place of the parameter named after it.

    ``@takes(fields=FORM_FIELDS)`` on ``f(self, image, fields, request=None)``
    publishes ``f(self, image, prompt=None, negative_prompt=None, ..., request=None)``;
    a call, positional as gradio makes it or by keyword as ``gradio_client``
    callers and tests make it, reaches ``f`` with those values gathered into
    the mapping ``fields`` (None for each one not given). For generator
    functions the published one is a generator function too: gradio streams only
    what is declared as one.
    """

    def wrap(func: Endpoint) -> Endpoint:
        own = inspect.signature(func)
        hints = typing.get_type_hints(func)
        published: list[inspect.Parameter] = []
        for param in own.parameters.values():
            if param.name in groups:
                published += [
                    inspect.Parameter(
                        name,
                        inspect.Parameter.POSITIONAL_OR_KEYWORD,
                        default=None,
                        annotation=_annotation(name),
                    )
                    for name in groups[param.name]
                ]
            else:
                known = param.name in hints
                published.append(param.replace(annotation=hints[param.name]) if known else param)
        signature = own.replace(
            parameters=published, return_annotation=hints.get("return", own.return_annotation)
        )

        def gathered(args: Any, kwargs: Any) -> dict[str, Any]:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            for group, names in groups.items():
                values[group] = {name: values.pop(name) for name in names}
            return values

        @functools.wraps(func)
        def streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            yield from func(**gathered(args, kwargs))

        @functools.wraps(func)
        def answered(*args: Any, **kwargs: Any) -> Any:
            return func(**gathered(args, kwargs))

        endpoint: Any = streamed if inspect.isgeneratorfunction(func) else answered
        endpoint.__signature__ = signature
        endpoint.__annotations__ = {
            p.name: p.annotation for p in published if p.annotation is not p.empty
        }
        return endpoint

    return wrap
