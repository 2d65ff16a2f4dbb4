"""The HTTP face of the local server: ModelsLab's v6 inpainting routes.

Routes (the API's paths, so a real ModelsLab client works by changing the host):

* ``POST /api/v6/image_editing/inpaint``: start a job; ``success`` when it ends
  within ``sync_threshold`` seconds, else (or with ``instant_response: "true"``)
  ``processing`` with ``fetch_result`` and ``future_links``.
* ``POST /api/v6/image_editing/fetch/{id}``: the job's state. ``fetch`` with
  the id in the body (``id`` or ``request_id``) works too.
* ``POST /api/v6/image_editing/base64_to_url``: store a data-URI image and
  return its URL.
* ``GET /files/{generations|uploads}/{name}``: the stored images (404 until a
  future link's file exists). ``GET /`` and ``GET /health``: liveness.

Choices where the contract is silent:

* A fetch for an unknown id, or for another key's job, is **HTTP 400**
  ``{"status": "error", "message": "Request not found ..."}``: the contract's
  error table has no 404, and a wrong id is a malformed parameter.
* A job that fails answers HTTP 200 with ``status: "error"`` (from inpaint when
  it failed within the sync threshold, and from fetch), like the other two job
  outcomes; HTTP 500 is kept for the server's own faults.
* Every error, FastAPI's own 404/405/422/500 included, is
  ``{"status": "error", "message": ...}``; no stack trace reaches the client.

Handlers that may block (image downloads, waiting for a job) are plain ``def``,
so they run on the threadpool and the server can download its own URLs.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
import re
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from PIL import Image
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import InputImageError, ParameterError
from ..images import (
    check_image_bytes,
    decode_base64_payload,
    encode_png,
    is_url,
    open_image_bytes,
    to_rgb,
)
from ..params import UPLOAD_LIMIT_BYTES, parse_request
from .config import ServerConfig
from .engine import ENGINE_NAME, inpaint_image, methods_for
from .inputs import describe_image_field, mask_for_engine, output_size, read_image_field
from .jobs import Job, JobFailure, JobManager, QueueFullError, owner_of
from .responses import (
    ApiError,
    error_response,
    failure_body,
    fetch_processing_body,
    processing_body,
    success_body,
    webhook_body,
)
from .storage import GENERATIONS, UPLOADS, Storage

log = logging.getLogger("inpaint.server")

PREFIX = "/api/v6/image_editing"
MAX_BODY_BYTES = 64 * 1024 * 1024
SEED_LIMIT = 2**32
UPLOAD_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif"}
ENGINE_NOTE = "classical OpenCV inpainting; the prompt does not steer the fill"


class _NormalisePath:
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


async def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 saying what is wrong with it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(400, "The request body is too large.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(400, "The request body is too large.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ApiError(400, "The request body is empty: send a JSON object.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


JsonBody = Annotated[dict[str, Any], Depends(_json_object)]


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """A new server application with its own job pool and file storage."""
    config = config or ServerConfig()
    storage = Storage(config.storage_dir, ttl=config.file_ttl)
    jobs = JobManager(workers=config.workers, queue_limit=config.queue_limit,
                      latency=config.latency, webhook_timeout=config.webhook_timeout,
                      retention=config.file_ttl, eta_factor=config.eta_factor)
    upload_ids = itertools.count(1)
    upload_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()
        storage.close()

    app = FastAPI(title="Local ModelsLab-compatible inpainting server", docs_url=None,
                  redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.config = config
    app.state.jobs = jobs
    app.state.storage = storage
    app.add_middleware(_NormalisePath)

    # -- errors ---------------------------------------------------------------
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.message, extra=exc.extra, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            # The path is not echoed: whatever a confused client put in it
            # (a key, say) stays out of the answer.
            message = (f"Not found. The API's routes are POST {PREFIX}/inpaint, "
                       "/fetch/{id} and /base64_to_url.")
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed here."
        else:
            message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, _exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "Malformed request.")

    @app.exception_handler(Exception)
    async def _crash(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(500, "Internal server error. Retry in a moment.")

    # -- helpers --------------------------------------------------------------
    def authorise(body: dict[str, Any]) -> str:
        key = body.get("key")
        if not isinstance(key, str) or not key.strip():
            raise ApiError(401, 'Missing API key: send it in the JSON body as "key".')
        key = key.strip()
        if config.keys and not any(
            hmac.compare_digest(key.encode("utf-8"), known.encode("utf-8"))
            for known in config.keys
        ):
            raise ApiError(401, "Invalid API key.")
        return owner_of(key)

    def root_of(request: Request) -> str:
        return str(request.base_url)

    def finished_body(job: Job, root: str) -> dict[str, Any]:
        return success_body(job, storage, root) if job.status == "success" else failure_body(job)

    # -- routes ---------------------------------------------------------------
    @app.post(f"{PREFIX}/inpaint")
    def inpaint(request: Request, body: JsonBody) -> JSONResponse:
        owner = authorise(body)
        try:
            params = parse_request(body)
        except ParameterError as exc:
            raise ApiError(400, exc.message) from None
        for field in ("init_image", "mask_image"):
            value = body.get(field)
            if not isinstance(value, str) or not value.strip():
                raise ApiError(400, f"{field} is required")
        try:
            reservation = jobs.reserve(owner)
        except QueueFullError as exc:
            raise ApiError(
                429,
                f"Queue limit reached: at most {exc.limit} requests per API key may be queued "
                f"or processing. Retry after {exc.retry_after} seconds.",
                extra={"retry_after": exc.retry_after},
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        with reservation:
            job = _start_job(request, body, params, owner, reservation)
        root = root_of(request)
        if params["instant_response"] == "true" or not job.done.wait(config.sync_threshold):
            return JSONResponse(processing_body(job, root, jobs.eta(job)))
        return JSONResponse(finished_body(job, root))

    def _start_job(request: Request, body: dict[str, Any], params: dict[str, Any], owner: str,
                   reservation: Any) -> Job:
        inline_ok = params["base64"] == "true"
        limits = {"timeout": config.fetch_timeout, "max_bytes": config.max_fetch_bytes}
        init = to_rgb(read_image_field(body, "init_image", base64_enabled=inline_ok, **limits))
        mask = mask_for_engine(
            read_image_field(body, "mask_image", base64_enabled=inline_ok, **limits))
        width, height = output_size(params["width"], params["height"], init.size)
        seed = params["seed"] if params["seed"] is not None else secrets.randbelow(SEED_LIMIT)
        samples = params["samples"]
        job_id = jobs.next_id()
        token = Storage.new_token()
        meta = {
            "prompt": params["prompt"],
            "negative_prompt": params["negative_prompt"],
            "init_image": describe_image_field(body.get("init_image")),
            "mask_image": describe_image_field(body.get("mask_image")),
            "width": width,
            "height": height,
            "W": width,
            "H": height,
            "samples": samples,
            "num_inference_steps": params["num_inference_steps"],
            "guidance_scale": params["guidance_scale"],
            "strength": params["strength"],
            "safety_checker": params["safety_checker"],
            "seed": seed,
            "base64": params["base64"],
            "instant_response": params["instant_response"],
            "webhook": params["webhook"],
            "track_id": params["track_id"],
            "engine": ENGINE_NAME,
            "engine_methods": methods_for(seed, samples),
            "engine_note": ENGINE_NOTE,
        }
        job = Job(
            id=job_id,
            owner=owner,
            meta=meta,
            output_names=[Storage.output_name(job_id, i, token) for i in range(samples)],
            base64=params["base64"] == "true",
            root_url=root_of(request),
            megapixels=width * height * samples / 1e6,
            expected_seconds=jobs.expected_seconds(width * height * samples / 1e6),
            webhook=params["webhook"],
            track_id=params["track_id"],
        )
        prompt, strength = params["prompt"], params["strength"]

        def work(job: Job) -> None:
            if config.fail_marker and config.fail_marker in prompt:
                raise JobFailure("Simulated failure: the prompt contains the server's "
                                 "configured fail marker.")
            images = inpaint_image(init, mask, width, height, samples, seed, strength)
            for name, image in zip(job.output_names, images, strict=True):
                storage.write(GENERATIONS, name, encode_output(image))

        return jobs.submit(reservation, job, work, lambda j: webhook_body(j, storage))

    def fetch_job(request: Request, owner: str, raw_id: Any) -> JSONResponse:
        text = str(raw_id).strip() if isinstance(raw_id, (str, int)) else ""
        if not re.fullmatch(r"\d{1,18}", text):
            raise ApiError(400, "Invalid request id: it must be the whole number an "
                                "inpaint request answered with.")
        job = jobs.get(int(text), owner)
        if job is None:
            raise ApiError(400, f"Request not found: no job with id {int(text)} for this "
                                "API key.")
        root = root_of(request)
        if job.status == "processing":
            return JSONResponse(fetch_processing_body(job, root, jobs.eta(job)))
        return JSONResponse(finished_body(job, root))

    @app.post(PREFIX + "/fetch/{job_id}")
    def fetch(job_id: str, request: Request,
              body: JsonBody) -> JSONResponse:
        return fetch_job(request, authorise(body), job_id)

    @app.post(PREFIX + "/fetch")
    def fetch_by_body(request: Request,
                      body: JsonBody) -> JSONResponse:
        owner = authorise(body)
        return fetch_job(request, owner, body.get("id", body.get("request_id")))

    @app.post(PREFIX + "/base64_to_url")
    def base64_to_url(request: Request,
                      body: JsonBody) -> JSONResponse:
        authorise(body)
        value = body.get("init_image")
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, 'init_image is required: a data URI such as '
                                '"data:image/png;base64,..."')
        if len(value) > UPLOAD_LIMIT_BYTES:
            raise ApiError(400, f"The image is larger than the upload limit of "
                                f"{UPLOAD_LIMIT_BYTES // 2**20} MB (as base64 text).")
        if is_url(value.strip()):
            raise ApiError(400, "init_image must be base64 image data, not a URL.")
        try:
            data = decode_base64_payload(value)
            image = check_image_bytes(data, what="init_image")
            extension = UPLOAD_EXTENSIONS.get(image.format or "")
            if extension is None:  # rarer formats are stored as PNG, so decoded here
                image = open_image_bytes(data, what="init_image")
                data, extension = encode_png(_plain(image)), ".png"
        except InputImageError as exc:
            message = exc.message[:1].upper() + exc.message[1:]
            raise ApiError(400, message) from None
        name = storage.save_upload(data, extension)
        with upload_lock:
            upload_id = next(upload_ids)
        url = Storage.url(root_of(request), UPLOADS, name)
        return JSONResponse({"status": "success", "id": upload_id, "output": [url],
                             "proxy_links": [url]})

    @app.api_route("/files/{folder}/{name}", methods=["GET", "HEAD"])
    def serve_file(folder: str, name: str) -> Response:
        path = storage.find(folder, name)
        if path is None:
            raise ApiError(404, "File not found: it is not ready yet, or it has expired.",
                           headers={"Cache-Control": "no-store"})
        return _WholeFileResponse(path, media_type=storage.media_type(name),
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.api_route("/", methods=["GET", "HEAD"])
    @app.api_route("/health", methods=["GET", "HEAD"])
    @app.api_route("/api", methods=["GET", "HEAD"])
    def health(request: Request) -> JSONResponse:
        return JSONResponse({
            "status": "success",
            "message": "Local ModelsLab-compatible inpainting server.",
            "api_base": root_of(request) + "api",
            "engine": ENGINE_NAME,
        })

    return app


class _WholeFileResponse(FileResponse):
    """Files sent in 4 MB chunks rather than Starlette's 64 KB: every chunk is a
    thread hop: a 1.3 MB result took 45 ms to serve on loopback, now 3 ms."""

    chunk_size = 4 * 1024 * 1024


def encode_output(image: Image.Image) -> bytes:
    """PNG at zlib level 1: on a local server speed matters more than size.

    Measured on a 1024 x 1024 result: 0.12 s instead of 0.5 s at level 6, for
    a file about 15 % larger; with four samples that keeps a job well within
    the sync threshold.
    """
    return encode_png(image, level=1)


def _plain(image: Image.Image) -> Image.Image:
    """An image PNG can hold, for uploads in formats served less widely (BMP, TIFF)."""
    return to_rgb(image) if image.mode not in ("RGB", "RGBA", "L", "LA") else image
