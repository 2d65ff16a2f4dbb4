"""The client's lower-level steps, for people who drive a job themselves: ``client.jobs``.

``ModelsLabClient.inpaint`` does all of this in order; these are the same steps
one at a time, e.g. ``client.jobs.submit`` with ``instant_response`` here and
``client.fetch_result(job_id)`` in another process. A collaborator the client
holds (as replicate's ``client.predictions`` and openai's ``client.images``),
over the client's own transport and submitter, so its calls share the key,
the session, the limits and the job slots.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from . import images as imgs
from . import pipeline
from .errors import InputImageError, ModelsLabError
from .job import Job
from .progress import CancelHook, ProgressCallback
from .submission import Submitter
from .transport import ApiTransport


class Jobs:
    """``prepare``, ``upload``, ``submit``, ``fetch``, ``job``, ``wait``, ``download``."""

    def __init__(self, transport: ApiTransport, submitter: Submitter) -> None:
        self.transport = transport
        self.submitter = submitter

    def fetch_input(self, url: str) -> bytes:
        """An input image given as an http(s) URL, read within the input size limit."""
        try:
            return self.transport.get_bytes(url, limit=imgs.MAX_INPUT_BYTES)
        except ModelsLabError as exc:
            raise InputImageError(f"Could not download the input image: {exc}") from None

    def prepare(
        self,
        image: Any,
        mask: Any,
        width: int | None = None,
        height: int | None = None,
        *,
        mask_is_final: bool = False,
    ) -> tuple[Image.Image, Image.Image, int, int]:
        """The exact whole-picture image and mask that would be sent, and their size."""
        img, msk = pipeline.prepare_whole(
            image, mask, width, height, soft=mask_is_final, fetch=self.fetch_input
        )
        return img, msk, img.width, img.height

    def upload(
        self, data: bytes, mime: str = "image/png", *, cancel: CancelHook | None = None
    ) -> str:
        """POST one image to ``base64_to_url``; returns its temporary (24 h) URL."""
        return self.transport.upload(data, mime, cancel=cancel)

    def submit(
        self, payload: dict[str, Any], *, cancel: CancelHook | None = None
    ) -> dict[str, Any]:
        """POST a prepared payload to ``inpaint``; returns the raw success/processing answer."""
        return self.transport.submit(payload, cancel=cancel)

    def fetch(self, job_id: int | str) -> dict[str, Any]:
        """One poll of ``fetch/{id}``; returns the raw answer (success or processing)."""
        return self.transport.fetch(job_id)

    def job(self, answer: dict[str, Any]) -> Job:
        """The ``Job`` of an ``inpaint`` answer (success or processing): wait, download."""
        return self.submitter.job(answer)

    def wait(
        self,
        response: dict[str, Any],
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        max_wait: float | None = None,
    ) -> dict[str, Any]:
        """Poll a ``processing`` answer until it is ``success`` (see ``Job.wait``)."""
        return self.job(response).wait(progress=progress, cancel=cancel, max_wait=max_wait)

    def download(
        self,
        outputs: list[str],
        *,
        future_links: list[str] | None = None,
        cancel: CancelHook | None = None,
    ) -> list[Image.Image]:
        """Decode every output concurrently, whatever shape it arrives in (``Job.download``)."""
        answer = {"status": "success", "output": outputs, "future_links": future_links or []}
        return self.job(answer).download(cancel=cancel)
