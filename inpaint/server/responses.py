"""The JSON shapes the local server answers with, in one place.

The contract tells responses apart by ``status`` (``success``, ``processing``,
``error``) and a client written against ModelsLab reads them field by field, so
every shape is built here and nowhere else, from a ``Job``.

Base64 output: when a request says ``base64: "true"``, ``output`` holds PNG
**data URIs** (``data:image/png;base64,...``). Of the forms a client must accept
(data URI, bare base64, a URL whose body is base64 text) it is the only one that
says what it contains, and it decodes with any base64 reader after the comma.
``proxy_links`` and ``future_links`` stay ordinary PNG URLs in both modes.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from .. import contract
from ..images import to_data_uri
from .jobs import Job
from .storage import GENERATIONS, Storage

TIP = (
    "Local ModelsLab-compatible server: the masked area is filled from its surroundings "
    "with a classical PatchMatch fill. The prompt does not steer the result."
)
PROCESSING_MESSAGE = "Request processing in the background, you can fetch the result later."
FETCH_PROCESSING_MESSAGE = "Your request is still processing. Fetch it again in a few seconds."


class ApiError(Exception):
    """An error answer: HTTP ``status_code`` and ``{"status": "error", "message": ...}``."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.extra = extra or {}
        self.headers = headers


def error_response(
    status_code: int,
    message: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"status": "error", "message": message}
    body.update(extra or {})
    return JSONResponse(body, status_code=status_code, headers=headers)


def fetch_url(root_url: str, job_id: int) -> str:
    return root_url.rstrip("/") + contract.server_path(f"{contract.FETCH}/{job_id}")


def output_urls(job: Job, root_url: str) -> list[str]:
    return [Storage.url(root_url, GENERATIONS, name) for name in job.output_names]


def outputs(job: Job, storage: Storage, root_url: str) -> list[str]:
    """What goes in ``output``: URLs, or PNG data URIs for base64 jobs."""
    if not job.base64:
        return output_urls(job, root_url)
    inline = []
    for name in job.output_names:
        data = storage.read(GENERATIONS, name)
        if data is None:
            raise ApiError(400, "The output of this job has expired (files are kept 24 hours).")
        inline.append(to_data_uri(data, "image/png"))
    return inline


def success_body(job: Job, storage: Storage, root_url: str) -> dict[str, Any]:
    return {
        "status": "success",
        "generationTime": round(job.generation_time or 0.0, 4),
        "id": job.id,
        "output": outputs(job, storage, root_url),
        "proxy_links": output_urls(job, root_url),
        "nsfw_content_detected": False,
        "webhook_status": job.webhook_status,
        "tip": TIP,
        "meta": job.meta,
    }


def finished_body(job: Job, storage: Storage, root_url: str) -> dict[str, Any]:
    """A job that has ended, as inpaint and fetch both answer it."""
    return success_body(job, storage, root_url) if job.status == "success" else failure_body(job)


def processing_body(job: Job, root_url: str, eta: int) -> dict[str, Any]:
    """The inpaint endpoint's queued answer."""
    links = output_urls(job, root_url)
    return {
        "status": "processing",
        "tip": TIP,
        "eta": eta,
        "message": PROCESSING_MESSAGE,
        "fetch_result": fetch_url(root_url, job.id),
        "id": job.id,
        "output": [],
        "future_links": links,
        "proxy_links": links,
        "meta": job.meta,
    }


def fetch_processing_body(job: Job, root_url: str, eta: int) -> dict[str, Any]:
    """Fetch's still-working answer: ``output`` is an empty *string*, as documented."""
    return {
        "status": "processing",
        "message": FETCH_PROCESSING_MESSAGE,
        "output": "",
        "tip": TIP,
        "eta": eta,
        "id": job.id,
        "fetch_result": fetch_url(root_url, job.id),
        "future_links": output_urls(job, root_url),
    }


def failure_body(job: Job) -> dict[str, Any]:
    return {
        "status": "error",
        "message": job.message or "Generation failed.",
        "id": job.id,
    }


def webhook_body(job: Job, storage: Storage) -> dict[str, Any]:
    """The documented webhook payload, URLs built from the submitting request's root."""
    if job.status == "success":
        return {
            "status": "success",
            "id": job.id,
            "output": outputs(job, storage, job.root_url),
            "proxy_links": output_urls(job, job.root_url),
            "generationTime": round(job.generation_time or 0.0, 4),
            "track_id": job.meta.get("track_id"),
            "meta": job.meta,
        }
    return {
        "status": "error",
        "id": job.id,
        "message": job.message or "Generation failed.",
        "track_id": job.meta.get("track_id"),
        "meta": job.meta,
    }
