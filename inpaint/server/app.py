"""The HTTP face of the local server: ModelsLab's v6 inpainting routes, assembled.

``create_app`` only puts the parts together; each part says why it is the way
it is where it is decided:

* ``routes.jobs``: ``POST /api/v6/image_editing/inpaint`` and ``fetch`` (why
  an unknown id is a 400 and a failed job a 200);
* ``routes.uploads``: ``base64_to_url``;
* ``routes.files``: ``GET /files/...`` and the liveness answers;
* ``inpaint_job``: what a job is made of (size, seed, ``meta``, the work);
* ``errors``: the one error shape, FastAPI's own errors included;
* ``middleware``: sloppy paths (``//``, a trailing ``/``) still route;
* ``routes.gate``: a gated server's test handle (only when ``gate_jobs``);
* ``state``: the config, files, job pool and counters the routes share.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import ServerConfig
from .errors import EXCEPTION_HANDLERS
from .middleware import NormalisePath
from .routes import ROUTERS, gate
from .state import ServerState, attach, state_of


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    state_of(app).close()


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """A new server application with its own job pool and file storage."""
    app = FastAPI(
        title="Local ModelsLab-compatible inpainting server",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    attach(app, ServerState(config or ServerConfig()))
    app.add_middleware(NormalisePath)
    for router in ROUTERS:
        app.include_router(router)
    if state_of(app).config.gate_jobs:  # a test aid: the routes exist only when asked for
        app.include_router(gate.router)
    return app
