"""Sending one request: its images encoded or uploaded, the job submitted in its slot.

``Submitter`` is what the edit pipeline calls once per region (or once for the
whole picture). A job slot is held from submit until the job is collected, so
preparing and uploading never count against the API's queue limit, and clients
sharing one key's ``SlotPool`` never exceed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import images as imgs
from .errors import JobCancelledError
from .job import DOWNLOAD_LIMIT_BYTES, Job, JobOutput
from .pipeline import Send
from .progress import CancelHook, ProgressCallback, notifier
from .request import InpaintRequest
from .slots import SlotPool
from .transport import ApiTransport, shorten_data_uris


class Submitter:
    """Turns a ``Send`` and a request into a finished ``JobOutput``."""

    def __init__(
        self,
        transport: ApiTransport,
        *,
        job_slots: SlotPool | None = None,
        max_wait: float = 600,
        download_limit: int = DOWNLOAD_LIMIT_BYTES,
    ) -> None:
        self.transport = transport
        self.job_slots = job_slots
        self.max_wait = max_wait
        self.download_limit = download_limit

    def run(
        self,
        send: Send,
        request: InpaintRequest,
        progress: ProgressCallback | None,
        cancel: CancelHook | None,
    ) -> JobOutput:
        """Encode, send, wait for and download one request (one region)."""
        notify = notifier(progress)
        init_ref, mask_ref, request = self._references(send, request, notify, cancel)
        payload = {**request.payload(), "init_image": init_ref, "mask_image": mask_ref}
        if cancel is not None and cancel():
            raise JobCancelledError("Cancelled before the job was sent: nothing was charged.")
        with self._job_slot(notify, cancel):
            notify("submitting", "Sending the job")
            job = self.job(
                self.transport.submit(payload, cancel=cancel), sent=shorten_data_uris(payload)
            )
            job.wait(progress=progress, cancel=cancel)
        return job.output(cancel=cancel, progress=progress)

    def _references(
        self, send: Send, request: InpaintRequest, notify: Any, cancel: CancelHook | None
    ) -> tuple[str, str, InpaintRequest]:
        """The strings that name the images in the payload, and the request sized to them."""
        if request.transport == "url":
            return send.image, send.mask, request
        request = request.replace(width=send.image.width, height=send.image.height)
        img_bytes, img_mime = imgs.encode_for_upload(send.image)
        mask_bytes = imgs.encode_mask(send.mask)
        if request.transport == "base64":
            return (
                imgs.to_data_uri(img_bytes, img_mime),
                imgs.to_data_uri(mask_bytes, "image/png"),
                request,
            )
        if cancel is not None and cancel():
            raise JobCancelledError("Cancelled before anything was sent.")
        notify("uploading", "Uploading the image and mask")
        return (
            self.transport.upload(img_bytes, img_mime, cancel=cancel),
            self.transport.upload(mask_bytes, "image/png", cancel=cancel),
            request,
        )

    def job(self, answer: dict[str, Any], sent: dict[str, Any] | None = None) -> Job:
        return Job(
            self.transport,
            answer,
            sent=sent,
            max_wait=self.max_wait,
            download_limit=self.download_limit,
        )

    @contextmanager
    def _job_slot(self, notify: Any, cancel: CancelHook | None) -> Iterator[None]:
        slots = self.job_slots
        if slots is None:
            yield
            return
        hold = slots.try_acquire()
        if hold is None:
            notify("submitting", "Waiting for a free place in the API queue")
            hold = slots.acquire(cancel)
            if hold is None:
                raise JobCancelledError("Cancelled before the job was sent: nothing was charged.")
        try:
            yield
        finally:
            slots.release(hold)
