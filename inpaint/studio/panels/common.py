"""What every panel shares: private events, and handlers that take their inputs by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # not part of the public API


def by_name(names: Sequence[str], handler: Callable[[dict[str, Any]], Any]
            ) -> Callable[..., Any]:
    """gradio passes inputs by position; ``handler`` gets them as a dict by ``names``."""
    def positional(*values: Any) -> Any:
        return handler(dict(zip(names, values, strict=True)))
    positional.__name__ = getattr(handler, "__name__", "handler")
    return positional
