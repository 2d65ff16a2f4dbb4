"""Path clean-up applied before routing."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send


class NormalisePath:
    """Collapse repeated slashes and drop a trailing one before routing.

    Clients that glue a base ending in ``/`` to a path starting with ``/``
    (``.../api//v6/...``) or add a trailing slash still reach the route,
    instead of a 404 or a redirect that some HTTP clients drop the body on.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = re.sub(r"/{2,}", "/", scope["path"])
            if len(path) > 1:
                path = path.rstrip("/")
            if path != scope["path"]:
                scope = dict(scope, path=path, raw_path=path.encode("utf-8"))
        await self.app(scope, receive, send)
