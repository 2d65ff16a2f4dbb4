"""The stored images, and the liveness answers.

``GET /files/{generations|uploads}/{name}`` serves what jobs and uploads wrote.
A future link answers 404 (``Cache-Control: no-store``, so nothing caches the
miss) until its file exists, and again once it has expired; a file that exists
never changes, so it may be cached for a day. ``GET /``, ``/health`` and
``/api`` answer that the server is up and where its API is.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ... import contract
from ..engine import engine_name
from ..responses import ApiError
from ..state import StateDep
from ..storage import FILES_PATH
from .deps import root_of

router = APIRouter()


@router.api_route(FILES_PATH + "/{folder}/{name}", methods=["GET", "HEAD"])
def serve_file(folder: str, name: str, state: StateDep) -> Response:
    storage = state.storage
    path = storage.find(folder, name)
    if path is None:
        raise ApiError(
            404,
            "File not found: it is not ready yet, or it has expired.",
            headers={"Cache-Control": "no-store"},
        )
    return _WholeFileResponse(
        path,
        media_type=storage.media_type(name),
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.api_route("/", methods=["GET", "HEAD"])
@router.api_route("/health", methods=["GET", "HEAD"])
@router.api_route(contract.API_ROOT, methods=["GET", "HEAD"])
def health(request: Request, state: StateDep) -> JSONResponse:
    return JSONResponse(
        {
            "status": "success",
            "message": "Local ModelsLab-compatible inpainting server.",
            "api_base": root_of(request).rstrip("/") + contract.API_ROOT,
            "engine": engine_name(state.config.engine),
        }
    )


class _WholeFileResponse(FileResponse):
    """Files sent in 4 MB chunks rather than Starlette's 64 KB: every chunk is a
    thread hop: a 1.3 MB result took 45 ms to serve on loopback, now 3 ms."""

    chunk_size = 4 * 1024 * 1024
