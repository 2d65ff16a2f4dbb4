"""The ModelsLab v6 inpainting client: one object from inputs to decoded images.

``ModelsLabClient.inpaint`` is the whole flow; the steps it is made of
(``prepare``, ``upload``, ``submit``, ``wait``, ``download``, ``fetch``) are
public too, for people who want to drive a job themselves, e.g. submit with
``instant_response`` and collect the result in another process with
``fetch_result(job_id)``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from PIL import Image

from . import images as imgs
from . import masks, metadata, region
from .contract import DEFAULT_BASE_URL, normalise_base_url
from .contract import endpoint as endpoint_url
from .errors import (
    APIConnectionError,
    DownloadError,
    InputImageError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabError,
    ParameterError,
    ServerError,
)
from .http import HttpSession, Scrubber, classify_error_status, error_message
from .params import BY_NAME, MAX_SIDE, build_payload, check_options
from .polling import PollSchedule
from .slots import JobSlots

log = logging.getLogger("inpaint.client")

DOWNLOAD_LIMIT_BYTES = 40 * 1024 * 1024
Transport = Literal["upload", "base64", "url"]


@dataclass(frozen=True)
class ProgressEvent:
    """What a progress callback receives. ``eta`` is seconds still expected."""

    stage: str
    message: str
    eta: float | None = None
    job_id: int | str | None = None
    fraction: float | None = None


@dataclass
class InpaintResult:
    """A finished job. ``request`` is what was sent, key removed, data URIs shortened."""

    images: list[Image.Image]
    id: int | str | None
    seed: int | None
    generation_time: float | None
    meta: dict[str, Any] = field(default_factory=dict)
    output_urls: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    status: str = "success"
    nsfw_content_detected: bool | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    job_ids: list[int | str] = field(default_factory=list)
    regions: list[tuple[int, int, int, int]] = field(default_factory=list)

    def save(self, path: str | os.PathLike) -> list[Path]:
        """Write every image as PNG with its parameters in text chunks.

        One image goes to ``path`` itself; several go to ``name-1.png``,
        ``name-2.png``, ... beside it. Returns the paths written.
        """
        target = Path(path)
        if target.suffix.lower() != ".png":
            target = target.with_suffix(".png")
        written = []
        for number, image in enumerate(self.images, 1):
            out = target if len(self.images) == 1 else target.with_name(
                f"{target.stem}-{number}.png")
            params = {**self.parameters, "sample": number if len(self.images) > 1 else None}
            written.append(metadata.save_png(image, out, params))
        return written


ProgressCallback = Callable[[ProgressEvent], None]
CancelHook = Callable[[], bool]


def shorten_data_uris(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy fit for logs and the UI: no key, no megabytes of base64."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name == "key":
            continue
        if isinstance(value, str) and imgs.is_data_uri(value):
            head = value.split(",", 1)[0]
            value = f"{head},<{len(value) * 3 // 4 // 1024} KB>"
        out[name] = value
    return out


class ModelsLabClient:
    """Client for ``/v6/image_editing/*``.

    ``api_key`` defaults to ``MODELSLAB_API_KEY``; ``base_url`` to
    ``MODELSLAB_BASE_URL`` or the public API, with or without a trailing
    slash. ``timeout`` bounds each HTTP request, ``max_wait`` the wait for a
    queued job.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30,
        max_wait: float = 600,
        *,
        max_retries: int = 3,
        download_limit: int = DOWNLOAD_LIMIT_BYTES,
        job_slots: JobSlots | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("MODELSLAB_API_KEY", "")
        self._key = (key or "").strip()
        self.base_url = normalise_base_url(
            base_url or os.environ.get("MODELSLAB_BASE_URL") or DEFAULT_BASE_URL)
        self.timeout = float(timeout)
        self.max_wait = float(max_wait)
        self.download_limit = download_limit
        # Shared by clients of one key: held from submit until the job is
        # collected, so preparing and downloading never count against the
        # API's queue limit (the studio passes one; see Backend).
        self.job_slots = job_slots
        self._scrub = Scrubber(self._key)
        self._http = HttpSession(timeout=self.timeout, max_retries=max_retries, scrub=self._scrub)

    def __repr__(self) -> str:
        shown = "set" if self._key else "missing"
        return f"ModelsLabClient(base_url={self.base_url!r}, api_key=<{shown}>)"

    def __enter__(self) -> ModelsLabClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def endpoint(self, name: str) -> str:
        return endpoint_url(self.base_url, name)

    # -- the whole flow -----------------------------------------------------
    def inpaint(
        self,
        image: Any,
        mask: Any,
        prompt: str = "",
        negative_prompt: str | None = None,
        width: int | None = None,
        height: int | None = None,
        samples: int = 1,
        num_inference_steps: int = 30,
        safety_checker: str | bool = "no",
        guidance_scale: int = 5,
        strength: float = 0.7,
        seed: int | None = None,
        transport: Transport = "upload",
        instant_response: bool = False,
        webhook: str | None = None,
        track_id: int | None = None,
        progress: ProgressCallback | None = None,
        *,
        base64_output: bool = False,
        cancel: CancelHook | None = None,
        mask_is_final: bool = False,
        crop_to_mask: bool = False,
        mask_padding: int = 32,
        paste_back: bool = True,
        feather: int = 8,
    ) -> InpaintResult:
        """Prepare, send, wait for and download one inpainting edit.

        Every parameter is validated before anything is sent. ``mask_is_final``
        sends a soft (e.g. feathered) mask as it is instead of binarising it.

        ``crop_to_mask`` sends only the area around the painted parts (widened
        by ``mask_padding`` px; far-apart parts become separate jobs, see
        ``inpaint.region``) and puts the results back into the full photo.
        ``paste_back`` (the default) returns images at the original's size in
        which every pixel farther than ``feather`` px from the mask is the
        original's own; without it, whole-picture results come back as the
        API made them.
        """
        notify = _notifier(progress)
        if transport not in ("upload", "base64", "url"):
            raise ParameterError(
                f'transport must be one of "upload", "base64", "url" (got {transport!r})',
                field="transport")
        options = check_options({"crop_to_mask": crop_to_mask, "mask_padding": mask_padding,
                                 "paste_back": paste_back, "feather": feather})
        self._require_key()
        values = {
            "prompt": prompt, "negative_prompt": negative_prompt or None,
            "samples": samples, "num_inference_steps": num_inference_steps,
            "safety_checker": safety_checker, "guidance_scale": guidance_scale,
            "strength": strength, "seed": seed, "webhook": webhook or None,
            "track_id": track_id, "instant_response": bool(instant_response),
            "base64": transport == "base64" or bool(base64_output),
            "width": width, "height": height,
        }
        build_payload(values)  # fail fast on parameters, before any image work
        if transport == "url" and options["crop_to_mask"]:
            raise ParameterError('crop_to_mask needs the image itself: use transport "upload" '
                                 'or "base64"', field="crop_to_mask")
        notify("preparing", "Preparing the image and mask")
        original = full_mask = None
        if options["crop_to_mask"]:
            original, full_mask = self._full_inputs(image, mask, mask_is_final)
            limit = (int(width or MAX_SIDE), int(height or MAX_SIDE))
            regions = region.plan_regions(full_mask, padding=options["mask_padding"],
                                          feather=options["feather"], limit=limit)
            sends: list[tuple[Any, Any, region.Region | None]] = [
                (*region.cut(original, full_mask, r, soft=mask_is_final), r) for r in regions]
        elif transport == "url":
            sends = [(*self._as_urls(image, mask), None)]
        else:
            img, msk, _, _ = self.prepare(image, mask, width, height,
                                          mask_is_final=mask_is_final)
            sends = [(img, msk, None)]

        # The whole picture was sent from a reduced decode; the full-size photo that
        # paste-back needs is read meanwhile, while the job is uploaded and queued.
        full_size: Future[tuple[Image.Image, Image.Image]] | None = None
        if options["paste_back"] and original is None:
            full_size = _in_background(self._full_inputs, image, mask, mask_is_final)

        parts: list[InpaintResult] = []
        for index, (img, msk, where) in enumerate(sends):
            if len(sends) > 1:
                notify("region", f"Region {index + 1} of {len(sends)}",
                       fraction=index / len(sends))
            if parts and values["seed"] is None and parts[0].seed is not None:
                values["seed"] = parts[0].seed  # one seed for every region: reproducible
            try:
                parts.append(self._one_job(img, msk, values, transport, notify, progress,
                                           cancel))
            except ModelsLabError as exc:
                if isinstance(exc, JobError) and where is not None:
                    exc.region = where.box.as_tuple()
                if parts:  # earlier regions were paid for: say where their results are
                    done = ", ".join(str(p.id) for p in parts)
                    exc.message += (f" (Region {index + 1} of {len(sends)}; the earlier "
                                    f"region{'s' if len(parts) > 1 else ''} finished as "
                                    f"job{'s' if len(parts) > 1 else ''} {done}.)")
                    exc.args = (exc.message,)
                raise

        if full_size is not None:
            original, full_mask = full_size.result()
        result = _combine(parts, [w for _, _, w in sends], original, full_mask, options)
        result.parameters = _parameters(values, options, result, parts, self.base_url)
        notify("done", "Done", fraction=1.0, job_id=result.id)
        return result

    def _one_job(self, img: Any, msk: Any, values: dict[str, Any], transport: Transport,
                 notify: Callable[..., None], progress: ProgressCallback | None,
                 cancel: CancelHook | None) -> InpaintResult:
        """Encode, send, wait for and download one request (one region)."""
        values = dict(values)
        if transport == "url":
            init_ref, mask_ref = img, msk
        else:
            values["width"], values["height"] = img.size
            img_bytes, img_mime = imgs.encode_for_upload(img)
            mask_bytes = imgs.encode_mask(msk)
            if transport == "upload":
                if cancel is not None and cancel():
                    raise JobCancelledError("Cancelled before anything was sent.")
                notify("uploading", "Uploading the image and mask")
                init_ref = self.upload(img_bytes, img_mime, cancel=cancel)
                mask_ref = self.upload(mask_bytes, "image/png", cancel=cancel)
            else:
                init_ref = imgs.to_data_uri(img_bytes, img_mime)
                mask_ref = imgs.to_data_uri(mask_bytes, "image/png")
        payload = build_payload(values)
        payload.update(init_image=init_ref, mask_image=mask_ref)
        if cancel is not None and cancel():
            raise JobCancelledError("Cancelled before the job was sent: nothing was charged.")
        with self._job_slot(notify, cancel):
            notify("submitting", "Sending the job")
            response = self.submit(payload, cancel=cancel)
            final = self.wait(response, progress=progress, cancel=cancel)
        return self._result_from(final, request=shorten_data_uris(payload),
                                 progress=progress, cancel=cancel)

    def _full_inputs(self, image: Any, mask: Any, soft: bool
                     ) -> tuple[Image.Image, Image.Image]:
        """The photo upright at its own full size, and the mask aligned to it."""
        original = imgs.to_rgb(imgs.load_image(image, what="image", fetch=self._fetch_input))
        raw_mask = imgs.load_image(mask, what="mask", fetch=self._fetch_input)
        raw_mask = imgs.upright(raw_mask)
        if soft:
            full = raw_mask.convert("L")
            if full.size != original.size:
                full = full.resize(original.size, Image.Resampling.BILINEAR)
        else:
            full = masks.to_binary_mask(raw_mask, original.size)
        masks.require_painted(full)
        return original, full

    def fetch_result(
        self,
        job_id: int | str,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        max_wait: float | None = None,
        image: Any = None,
        mask: Any = None,
        box: tuple[int, int, int, int] | None = None,
        paste_back: bool = True,
        feather: int = 8,
    ) -> InpaintResult:
        """Collect an existing job by id: wait while it runs, then download it.

        Without ``image`` and ``mask`` the images are the API's own. With them
        (the photo and mask the job was made from), the result is put back
        into the photo as ``inpaint`` would have: into ``box`` for a job of
        "only masked" mode (``JobError.region`` of the error that left it
        pending), with paste-back and ``feather`` as given.
        """
        self._require_key()
        options = check_options({"paste_back": paste_back, "feather": feather})
        if (image is None) != (mask is None):
            raise ParameterError("fetch_result needs both image and mask to put the result "
                                 "back, or neither", field="image" if image is None else "mask")
        response = self.fetch(job_id)
        response.setdefault("id", job_id)
        response.setdefault("fetch_result", self.endpoint(f"fetch/{job_id}"))
        final = self.wait(response, progress=progress, cancel=cancel, max_wait=max_wait)
        final.setdefault("id", job_id)
        result = self._result_from(final, request={}, progress=progress, cancel=cancel)
        # What the API echoes back is all that is known of a job fetched by id.
        result.parameters = {name: result.meta.get(name) for name in metadata.RECORDED
                             if name in result.meta}
        result.parameters.update(seed=result.seed, request_id=str(result.id),
                                 backend=urlsplit(self.base_url).netloc)
        result.job_ids = [result.id] if result.id is not None else []
        if image is not None:
            original, full_mask = self._full_inputs(image, mask, soft=False)
            where = region.Box(*(int(v) for v in box)) if box else None
            if where is not None and not (0 <= where.left < where.right <= original.width
                                          and 0 <= where.top < where.bottom <= original.height):
                raise ParameterError(f"box {tuple(box)} is not inside the "
                                     f"{original.width} x {original.height} photo", field="box")
            result.images = [region.place(original, img, full_mask, box=where,
                                          blend=options["paste_back"],
                                          feather=options["feather"])
                             for img in result.images]
            result.regions = [where.as_tuple()] if where else []
            result.parameters.update(paste_back=options["paste_back"],
                                     output_size=list(result.images[0].size))
        _notifier(progress)("done", "Done", fraction=1.0, job_id=result.id)
        return result

    # -- steps --------------------------------------------------------------
    def prepare(
        self,
        image: Any,
        mask: Any,
        width: int | None = None,
        height: int | None = None,
        *,
        mask_is_final: bool = False,
    ) -> tuple[Image.Image, Image.Image, int, int]:
        """The exact image and mask that would be sent, and their size.

        The size is the one asked for, or the image's own fitted within
        1024 x 1024 (aspect kept, multiples of 8). The mask is aligned to the
        image first, so a mask drawn at another resolution still lines up.
        """
        # The whole picture is sent downscaled, so a JPEG may be decoded at a
        # reduced DCT scale (never smaller than the size sent).
        img = imgs.to_rgb(imgs.load_image(
            image, what="image", fetch=self._fetch_input,
            reduce_for=lambda size: send_size(size, width, height)))
        raw_mask = imgs.upright(imgs.load_image(mask, what="mask", fetch=self._fetch_input))
        w, h = send_size(img.size, width, height)
        img = imgs.resize_to(img, (w, h))
        if mask_is_final:
            msk = raw_mask.convert("L")
            if msk.size != (w, h):
                msk = msk.resize((w, h), Image.Resampling.BILINEAR)
        else:
            msk = masks.to_binary_mask(raw_mask, (w, h))
        masks.require_painted(msk)
        return img, msk, w, h

    def upload(self, data: bytes, mime: str = "image/png", *,
               cancel: CancelHook | None = None) -> str:
        """POST one image to ``base64_to_url``; returns its temporary (24 h) URL."""
        self._require_key()
        body = {"key": self._key, "init_image": imgs.to_data_uri(data, mime)}
        answer = self._http.post_json(self.endpoint("base64_to_url"), body, cancel=cancel)
        self._raise_for_error_status(answer)
        output = answer.get("output")
        url = output[0] if isinstance(output, list) and output else output
        if not isinstance(url, str) or not imgs.is_url(url):
            raise MalformedResponseError("The upload answer carried no URL.", body=answer)
        return url

    def submit(
        self, payload: dict[str, Any], *, cancel: CancelHook | None = None
    ) -> dict[str, Any]:
        """POST a prepared payload to ``inpaint``; returns the raw success/processing answer."""
        self._require_key()
        body = {"key": self._key, **payload}
        log.info("submitting inpaint job (%s)", ", ".join(sorted(shorten_data_uris(payload))))
        answer = self._http.post_json(self.endpoint("inpaint"), body, idempotent=False,
                                      cancel=cancel)
        self._raise_for_error_status(answer)
        if answer.get("status") not in ("success", "processing"):
            raise MalformedResponseError(
                f"Unexpected job status {answer.get('status')!r}.", body=answer)
        return answer

    def fetch(self, job_id: int | str) -> dict[str, Any]:
        """One poll of ``fetch/{id}``; returns the raw answer (success or processing)."""
        self._require_key()
        answer = self._http.post_json(self.endpoint(f"fetch/{job_id}"), {"key": self._key})
        status = answer.get("status")
        if status in ("failed", "error"):
            raise JobFailedError(
                f"Job {job_id} failed: {error_message(answer) or status}",
                job_id=job_id, fetch_url=self.endpoint(f"fetch/{job_id}"), body=answer)
        return answer

    def wait(
        self,
        response: dict[str, Any],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        max_wait: float | None = None,
    ) -> dict[str, Any]:
        """Poll until a ``processing`` answer becomes ``success``.

        Polls follow ``polling.PollSchedule``: just before the announced
        ``eta``, twice a second around it, then every 7 % of the time waited
        (0.5 to 15 s apart). The wait is bounded by
        ``max_wait``; when it runs out, or ``cancel`` says so, the raised
        ``JobError`` carries the id and fetch URL so the paid job is not lost.
        """
        if response.get("status") == "success":
            return response
        notify = _notifier(progress)
        job_id = response.get("id")
        if job_id is None:
            raise MalformedResponseError("A queued job came back without an id.", body=response)
        fetch_url = response.get("fetch_result") or self.endpoint(f"fetch/{job_id}")
        future = [u for u in response.get("future_links") or [] if isinstance(u, str)]
        limit = self.max_wait if max_wait is None else float(max_wait)
        started = time.monotonic()
        deadline = started + limit
        eta = _as_seconds(response.get("eta"))
        schedule = PollSchedule(eta)
        delay = min(schedule.first_delay(), limit)
        expected_done = started + (eta or 0)

        def lost(cls: type, message: str) -> Exception:
            return cls(message, job_id=job_id, fetch_url=fetch_url, future_links=future)

        while True:
            wake = min(time.monotonic() + delay, deadline)
            while (now := time.monotonic()) < wake:
                if cancel is not None and cancel():
                    raise lost(JobCancelledError,
                               f"Stopped waiting for job {job_id}. It may still finish: "
                               f"fetch it later with its id.")
                remaining = max(0.0, expected_done - now)
                notify("queued", f"Queued as job {job_id}", eta=remaining, job_id=job_id,
                       fraction=_fraction(started, expected_done, now))
                time.sleep(min(0.5, wake - now))
            try:
                answer = self._http.post_json(fetch_url if _same_api(fetch_url, self.base_url)
                                              else self.endpoint(f"fetch/{job_id}"),
                                              {"key": self._key}, cancel=cancel)
            except JobCancelledError:
                raise lost(JobCancelledError,
                           f"Stopped waiting for job {job_id}. It may still finish: "
                           f"fetch it later with its id.") from None
            except (ServerError, APIConnectionError) as exc:
                if time.monotonic() >= deadline:
                    raise lost(JobTimeoutError,
                               f"Job {job_id} could not be checked before the wait limit "
                               f"({exc}). Fetch it later with its id.") from None
                answer = {"status": "processing"}
            status = answer.get("status")
            if status == "success":
                answer.setdefault("id", job_id)
                if not answer.get("future_links"):
                    answer["future_links"] = future
                return answer
            if status in ("failed", "error"):
                raise lost(JobFailedError,
                           f"Job {job_id} failed: {error_message(answer) or status}")
            if status != "processing":
                raise lost(MalformedResponseError if status else JobFailedError,
                           f"Job {job_id} answered an unknown status {status!r}.")
            new_eta = _as_seconds(answer.get("eta"))
            if new_eta is not None:
                expected_done = time.monotonic() + new_eta
            if time.monotonic() >= deadline:
                raise lost(JobTimeoutError,
                           f"Job {job_id} is still running after {limit:g} s. It may still "
                           f"finish: fetch it later with its id.")
            delay = schedule.next_delay(time.monotonic() - started)

    def download(
        self,
        outputs: list[str],
        *,
        future_links: list[str] | None = None,
        cancel: CancelHook | None = None,
    ) -> list[Image.Image]:
        """Decode every output concurrently, whatever shape it arrives in.

        URLs are downloaded (404 retried until the wait limit: a future link
        exists before its file); data URIs and bare base64 are decoded; a URL
        whose body is base64 text is decoded too.
        """
        if not outputs and future_links:
            outputs = list(future_links)
        if not outputs:
            raise MalformedResponseError("The job finished but returned no images.")
        until = time.monotonic() + min(self.max_wait, 120.0)

        def one(item: str) -> Image.Image:
            if imgs.is_url(item):
                data = self._http.get_bytes(item, limit=self.download_limit,
                                            retry_404_until=until, cancel=cancel)
            else:
                data = imgs.decode_base64_payload(item)
            if imgs.looks_like_base64_text(data) and not _is_image_magic(data):
                data = imgs.decode_base64_payload(data)
            try:
                img = imgs.open_image_bytes(data, what="result image")
            except InputImageError as exc:
                raise DownloadError(f"A result could not be decoded: {exc}") from None
            return img.convert("RGB") if img.mode not in ("RGB", "RGBA", "L") else img

        if len(outputs) == 1:
            return [one(outputs[0])]
        with ThreadPoolExecutor(max_workers=min(4, len(outputs))) as pool:
            return list(pool.map(one, outputs))

    # -- internals ----------------------------------------------------------
    @contextmanager
    def _job_slot(self, notify: Callable[..., None],
                  cancel: CancelHook | None) -> Iterator[None]:
        slots = self.job_slots
        if slots is None:
            yield
            return
        if not slots.try_acquire():
            notify("submitting", "Waiting for a free place in the API queue")
            if not slots.acquire(cancel):
                raise JobCancelledError("Cancelled before the job was sent: nothing was charged.")
        try:
            yield
        finally:
            slots.release()

    def _result_from(self, answer: dict[str, Any], *, request: dict[str, Any],
                     progress: ProgressCallback | None,
                     cancel: CancelHook | None) -> InpaintResult:
        outputs = answer.get("output") or []
        if isinstance(outputs, str):
            outputs = [outputs] if outputs else []
        outputs = [o for o in outputs if isinstance(o, str) and o]
        future = answer.get("future_links") or []
        n = len(outputs or future)
        _notifier(progress)("downloading", f"Downloading {n} image{'s' if n != 1 else ''}",
                            job_id=answer.get("id"))
        try:
            images = self.download(outputs, future_links=future, cancel=cancel)
        except DownloadError as exc:  # the job exists: keep its id for a later fetch
            exc.job_id = exc.job_id if exc.job_id is not None else answer.get("id")
            raise
        meta = self._scrub(answer.get("meta") or {})
        if not isinstance(meta, dict):
            meta = {}
        seed = meta.get("seed")
        if isinstance(seed, list):
            seed = seed[0] if seed else None
        try:
            seed = int(seed) if seed is not None else None
        except (TypeError, ValueError):
            seed = None
        gen = answer.get("generationTime")
        shown_urls = [o if imgs.is_url(o) else "" for o in outputs] or list(future)
        return InpaintResult(
            images=images, id=answer.get("id"), seed=seed,
            generation_time=float(gen) if isinstance(gen, (int, float)) else None,
            meta=meta, output_urls=shown_urls, request=request,
            status="success", nsfw_content_detected=answer.get("nsfw_content_detected"),
        )

    def _raise_for_error_status(self, answer: dict[str, Any]) -> None:
        if answer.get("status") in ("error", "failed"):
            message = self._scrub(error_message(answer) or "the API reported an error")
            raise classify_error_status(message, 200, answer)

    def _require_key(self) -> None:
        if not self._key:
            raise ModelsLabError(
                "No API key: set MODELSLAB_API_KEY (or pass api_key=...).")

    def _fetch_input(self, url: str) -> bytes:
        try:
            return self._http.get_bytes(url, limit=imgs.MAX_INPUT_BYTES)
        except ModelsLabError as exc:
            raise InputImageError(f"Could not download the input image: {exc}") from None

    def _as_urls(self, image: Any, mask: Any) -> tuple[str, str]:
        for name, value in (("image", image), ("mask", mask)):
            if not imgs.is_url(value):
                raise ParameterError(
                    f'transport="url" needs the {name} as an http(s) URL '
                    f'(use "upload" or "base64" for files and images)', field=name)
        return image, mask


# -- helpers --------------------------------------------------------------
def _in_background(func: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run ``func`` on a daemon thread; its result (or exception) comes from the future."""
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # handed to whoever asks for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="inpaint-full-size", daemon=True).start()
    return future


def _combine(parts: list[InpaintResult], where: list[region.Region | None],
             original: Image.Image | None, full_mask: Image.Image | None,
             options: dict[str, Any]) -> InpaintResult:
    """One result from the jobs of an edit: pasted into the original where asked."""
    first = parts[0]
    count = max(len(p.images) for p in parts)
    images = []
    for i in range(count):
        if original is None:  # whole picture, no paste-back: the API's own image
            images.append(first.images[min(i, len(first.images) - 1)])
            continue
        canvas = original
        for part, spot in zip(parts, where, strict=True):
            sample = part.images[min(i, len(part.images) - 1)]
            canvas = region.place(canvas, sample, full_mask,
                                  box=spot.box if spot is not None else None,
                                  blend=options["paste_back"], feather=options["feather"])
        images.append(canvas)
    gen = [p.generation_time for p in parts if p.generation_time is not None]
    return InpaintResult(
        images=images, id=first.id, seed=first.seed,
        generation_time=sum(gen) if gen else None, meta=first.meta,
        output_urls=[u for p in parts for u in p.output_urls], request=first.request,
        nsfw_content_detected=any(bool(p.nsfw_content_detected) for p in parts) or None,
        job_ids=[p.id for p in parts if p.id is not None],
        regions=[w.box.as_tuple() for w in where if w is not None],
    )


def _parameters(values: dict[str, Any], options: dict[str, Any], result: InpaintResult,
                parts: list[InpaintResult], base_url: str) -> dict[str, Any]:
    """What a saved image records so that the edit can be repeated."""
    sent = parts[0].request
    masked = options["crop_to_mask"]
    size = result.images[0].size if result.images else None
    return {
        "prompt": values["prompt"], "negative_prompt": values["negative_prompt"],
        "seed": result.seed if result.seed is not None else values["seed"],
        "num_inference_steps": values["num_inference_steps"],
        "guidance_scale": values["guidance_scale"], "strength": values["strength"],
        "samples": values["samples"], "safety_checker": BY_NAME["safety_checker"].to_wire(
            values["safety_checker"]),
        "width": sent.get("width", values["width"]), "height": sent.get("height",
                                                                        values["height"]),
        "mode": "masked" if masked else "whole",
        "mask_padding": options["mask_padding"] if masked else None,
        "feather": options["feather"] if options["paste_back"] else None,
        "paste_back": options["paste_back"],
        "output_size": list(size) if size else None,
        "regions": [list(b) for b in result.regions] or None,
        "request_id": ",".join(str(i) for i in result.job_ids) or None,
        "backend": urlsplit(base_url).netloc,
    }


def send_size(size: tuple[int, int], width: int | None = None, height: int | None = None
              ) -> tuple[int, int]:
    """The size a whole picture of ``size`` is sent at: the one asked for, or fitted.

    Both given: exactly that. One given: the other follows the photo's aspect
    (multiples of 8, within the API's maximum). Neither: the photo fitted
    within 1024 x 1024 in multiples of 8.
    """
    if width and height:
        return int(width), int(height)
    fw, fh = imgs.fit_size(*size)
    if width:
        h = max(8, round(int(width) * size[1] / size[0] / 8) * 8)
        return int(width), min(h, BY_NAME["height"].maximum or h)
    if height:
        w = max(8, round(int(height) * size[0] / size[1] / 8) * 8)
        return min(w, BY_NAME["width"].maximum or w), int(height)
    return fw, fh


def _as_seconds(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _fraction(start: float, end: float, now: float) -> float | None:
    if end <= start:
        return None
    return max(0.0, min(0.99, (now - start) / (end - start)))


def _same_api(url: str, base: str) -> bool:
    """Only follow a fetch URL on the host we were configured for: the key goes with it."""
    return urlsplit(url).netloc == urlsplit(base).netloc


def _is_image_magic(data: bytes) -> bool:
    return data[:8].startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"RIFF", b"BM", b"II*", b"MM*"))


def _notifier(progress: ProgressCallback | None) -> Callable[..., None]:
    lock = threading.Lock()

    def notify(stage: str, message: str, **kw: Any) -> None:
        if progress is None:
            return
        with lock:
            try:
                progress(ProgressEvent(stage, message, **kw))
            except (JobCancelledError, KeyboardInterrupt):
                raise
            except Exception:  # a broken UI callback must not lose a paid job
                log.exception("progress callback failed")

    return notify
