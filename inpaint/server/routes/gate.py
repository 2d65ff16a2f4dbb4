"""``/test/gate``: a gated server's test handle (``ServerConfig(gate_jobs=True)``).

Only a gated server has these routes (``create_app`` adds them), so an
ordinary server answers 404 and nobody can hold or release its jobs. They
exist for tests that drive a server in another process (the studio's offline
server behind ``python app.py``): in the same process a test calls
``server.app.state.jobs.release`` itself.

* ``GET /test/gate``: ``{"waiting": [ids], "unfinished": n}``: the jobs waiting
  at the gate, and how many jobs have not ended (queued, waiting or running);
* ``POST /test/gate/wait`` ``{"count": n, "timeout": s}``: answers once ``n``
  jobs wait (408 if they do not within ``timeout``);
* ``POST /test/gate/release`` ``{"ids": [..]}`` (or ``{}``: every job waiting):
  ``{"released": [ids]}``;
* ``POST /test/gate/open``: every job waiting is let through and later ones do
  not wait (``{"released": [ids]}``); ``POST /test/gate/close`` gates again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..responses import ApiError
from ..state import StateDep
from .deps import JsonBody

router = APIRouter(prefix="/test/gate")


@router.get("")
def waiting(state: StateDep) -> JSONResponse:
    return JSONResponse({"waiting": state.jobs.at_gate(), "unfinished": state.jobs.unfinished()})


@router.post("/wait")
def wait(body: JsonBody, state: StateDep) -> JSONResponse:
    count = _number(body, "count", 1)
    timeout = min(_number(body, "timeout", 30), 300)
    try:
        ids = state.jobs.wait_at_gate(int(count), timeout=timeout)
    except TimeoutError as exc:
        raise ApiError(408, str(exc)) from None
    return JSONResponse({"waiting": ids})


@router.post("/release")
def release(body: JsonBody, state: StateDep) -> JSONResponse:
    ids = body.get("ids")
    if ids is not None and not (
        isinstance(ids, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise ApiError(400, "ids must be a list of job ids (whole numbers).")
    return JSONResponse({"released": state.jobs.release(ids)})


def _number(body: dict[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ApiError(400, f"{name} must be a non-negative number.")
    return float(value)


@router.post("/open")
def open_gate(state: StateDep) -> JSONResponse:
    return JSONResponse({"released": state.jobs.open_gate()})


@router.post("/close")
def close_gate(state: StateDep) -> JSONResponse:
    state.jobs.close_gate()
    return JSONResponse({"waiting": state.jobs.at_gate()})
