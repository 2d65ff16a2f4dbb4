"""How every failure reaches the client: ``{"status": "error", "message": ...}``.

The contract has one error shape, and a ModelsLab client reads ``status`` and
``message`` whatever went wrong, so FastAPI's own 404/405/422/500 answers are
rewritten into it too. No stack trace or exception text of the server's own
reaches the client; a path that matches no route is not echoed either (whatever
a confused client put in it, a key say, stays out of the answer). A request
FastAPI cannot validate is a 400, as the contract's error table has no 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import contract
from .responses import ApiError, error_response

NOT_FOUND = (
    f"Not found. The API's routes are POST {contract.server_path(contract.INPAINT)}, "
    f"/{contract.FETCH}/{{id}} and /{contract.UPLOAD}."
)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status_code, exc.message, extra=exc.extra, headers=exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = NOT_FOUND
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed here."
    else:
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_error(_request: Request, _exc: RequestValidationError) -> JSONResponse:
    return error_response(400, "Malformed request.")


async def _crash(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(500, "Internal server error. Retry in a moment.")


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

# For ``FastAPI(exception_handlers=...)``.
EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    ApiError: _api_error,
    StarletteHTTPException: _http_error,
    RequestValidationError: _validation_error,
    Exception: _crash,
}
