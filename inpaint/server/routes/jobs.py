"""``inpaint`` and ``fetch``: starting a job and asking about it.

* ``POST .../inpaint`` answers ``success`` when the job ends within
  ``sync_threshold`` seconds, else (or with ``instant_response: "true"``)
  ``processing`` with ``fetch_result`` and ``future_links``.
* ``POST .../fetch/{id}``: the job's state. ``POST .../fetch`` with the id in
  the body (``id`` or ``request_id``) works too, since clients send both.

Choices where the contract is silent:

* A fetch for an unknown id, or for another key's job, is **HTTP 400**
  ``{"status": "error", "message": "Request not found ..."}``: the contract's
  error table has no 404, and a wrong id is a malformed parameter. Another
  key's job is indistinguishable from a missing one, so ids reveal nothing.
* A job that fails answers HTTP 200 with ``status: "error"`` (from inpaint when
  it failed within the sync threshold, and from fetch), like the other two job
  outcomes; HTTP 500 is kept for the server's own faults.
* The queue slot is reserved *before* the images are downloaded, so two racing
  requests cannot both take a key's last slot; 429 carries ``retry_after`` in
  the body and a ``Retry-After`` header.

Both handlers are plain ``def``: they download images and wait for jobs, so
they run on the threadpool (and the server can download its own URLs).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ... import contract
from ...errors import ParameterError
from ...params import parse_request
from ..inpaint_job import start_inpaint_job
from ..jobs import JobManager, QueueFullError, Reservation
from ..responses import ApiError, fetch_processing_body, finished_body, processing_body
from ..state import ServerState, StateDep
from .deps import JsonBody, Owner, root_of

router = APIRouter()


@router.post(contract.server_path(contract.INPAINT))
def inpaint(request: Request, body: JsonBody, owner: Owner, state: StateDep) -> JSONResponse:
    params = _parse(body)
    root = root_of(request)
    with _reserve(state.jobs, owner) as reservation:
        job = start_inpaint_job(state, reservation, body, params, owner, root)
    if params["instant_response"] == "true" or not job.done.wait(state.config.sync_threshold):
        return JSONResponse(processing_body(job, root, state.jobs.eta(job)))
    return JSONResponse(finished_body(job, state.storage, root))


@router.post(contract.server_path(contract.FETCH) + "/{job_id}")
def fetch(job_id: str, request: Request, owner: Owner, state: StateDep) -> JSONResponse:
    return _fetch_job(state, root_of(request), owner, job_id)


@router.post(contract.server_path(contract.FETCH))
def fetch_by_body(request: Request, body: JsonBody, owner: Owner, state: StateDep) -> JSONResponse:
    return _fetch_job(state, root_of(request), owner, body.get("id", body.get("request_id")))


def _parse(body: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters, checked; the images are only required to be there yet."""
    try:
        params = parse_request(body)
    except ParameterError as exc:
        raise ApiError(400, exc.message) from None
    for field in ("init_image", "mask_image"):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, f"{field} is required")
    return params


def _reserve(jobs: JobManager, owner: str) -> Reservation:
    try:
        return jobs.reserve(owner)
    except QueueFullError as exc:
        raise ApiError(
            429,
            f"Queue limit reached: at most {exc.limit} requests per API key may be queued "
            f"or processing. Retry after {exc.retry_after} seconds.",
            extra={"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        ) from None


def _fetch_job(state: ServerState, root: str, owner: str, raw_id: Any) -> JSONResponse:
    text = str(raw_id).strip() if isinstance(raw_id, (str, int)) else ""
    if not contract.JOB_ID_PATTERN.fullmatch(text):
        raise ApiError(
            400, "Invalid request id: it must be the whole number an inpaint request answered with."
        )
    job = state.jobs.get(int(text), owner)
    if job is None:
        raise ApiError(400, f"Request not found: no job with id {int(text)} for this API key.")
    if job.status == "processing":
        return JSONResponse(fetch_processing_body(job, root, state.jobs.eta(job)))
    return JSONResponse(finished_body(job, state.storage, root))
