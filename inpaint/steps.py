"""The client's lower-level steps, for people who drive a job themselves.

``ModelsLabClient.inpaint`` does all of this in order; these methods are the
same steps one at a time, e.g. submit with ``instant_response`` here and
collect the result in another process with ``fetch_result(job_id)``.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from . import contract, pipeline
from .job import Job
from .progress import CancelHook, ProgressCallback, notifier
from .result import InpaintResult
from .submission import Submitter
from .transport import ApiTransport


class ApiSteps:
    """``prepare``, ``upload``, ``submit``, ``fetch``, ``job``, ``wait``, ``download``."""

    transport: ApiTransport
    submitter: Submitter
    base_url: str

    def _fetch_input(self, url: str) -> bytes:
        raise NotImplementedError

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
            image, mask, width, height, soft=mask_is_final, fetch=self._fetch_input
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

    # -- collecting a job later ------------------------------------------------------------
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
        feather: int | None = None,
        match_colours: bool = True,
    ) -> InpaintResult:
        """Collect an existing job by id: wait while it runs, then download it.

        Without ``image`` and ``mask`` the images are the API's own. With them
        (the photo and mask the job was made from), the result is put back
        into the photo as ``inpaint`` would have: into ``box`` for a job of
        "only masked" mode (``JobError.region`` of the error that left it
        pending), with paste-back and ``feather`` as given.
        """
        contract.job_id(job_id)  # before anything else: an id is never part of a path
        self.transport.require_key()
        placing = pipeline.Placing.checked(
            image, mask, box, paste_back=paste_back, feather=feather, match_colours=match_colours
        )
        answer = {
            "id": job_id,
            "fetch_result": self.transport.fetch_url(job_id),
            **self.transport.fetch(job_id),
        }
        job = self.job(answer)
        job.wait(progress=progress, cancel=cancel, max_wait=max_wait)
        output = job.output(cancel=cancel, progress=progress)
        result = placing.result(output, self.base_url, fetch=self._fetch_input)
        notifier(progress)("done", "Done", fraction=1.0, job_id=result.id)
        return result
