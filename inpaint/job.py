"""One accepted (and so possibly paid) job: waiting for it and collecting its images.

A ``Job`` exists from the moment the API answers with an id. Everything that
can go wrong afterwards raises a ``JobError`` (or ``DownloadError``) that
carries the job, so whoever catches it can still fetch the result later: a
paid job is never lost because a wait ran out, a tab closed or a download
failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from . import contract
from . import images as imgs
from .errors import (
    APIConnectionError,
    DownloadError,
    InputImageError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ServerError,
)
from .polling import PollSchedule
from .progress import CancelHook, ProgressCallback, notifier
from .transport import ApiTransport

DOWNLOAD_LIMIT_BYTES = 40 * 1024 * 1024
# Future links may answer 404 for a while after the job ends; this long at most
# (``max_wait``, within these bounds: the job is done and paid, so its files are
# worth a few seconds even when the caller's wait limit is tiny).
FUTURE_LINK_PATIENCE = 120.0
FUTURE_LINK_PATIENCE_MIN = 4.0


@dataclass(frozen=True)
class JobOutput:
    """What one finished job delivered, decoded. ``sent`` is its request, key removed."""

    id: int | str | None
    images: list[Image.Image]
    seed: int | None
    generation_time: float | None
    meta: dict[str, Any]
    output_urls: list[str]
    sent: dict[str, Any] = field(default_factory=dict)
    nsfw_content_detected: bool | None = None


class Job:
    """A job the API accepted: its id, where to poll it, and where its files will be.

    ``clock`` and ``sleep`` are injectable so the waiting logic can be tested
    without real time passing.
    """

    def __init__(
        self,
        transport: ApiTransport,
        answer: dict[str, Any],
        *,
        sent: dict[str, Any] | None = None,
        max_wait: float = 600,
        download_limit: int = DOWNLOAD_LIMIT_BYTES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.answer = answer
        self.id: int | str | None = answer.get("id")
        if self.id is not None and not contract.JOB_ID_PATTERN.fullmatch(str(self.id)):
            raise MalformedResponseError(
                f"The API answered with a job id that is not a number: {str(self.id)[:40]!r}.",
                body=answer,
                may_have_started=True,
            )
        self.fetch_url: str | None = answer.get("fetch_result") or (
            transport.fetch_url(self.id) if self.id is not None else None
        )
        self.future_links = [u for u in answer.get("future_links") or [] if isinstance(u, str)]
        self.eta = _as_seconds(answer.get("eta"))
        self.sent = dict(sent or {})
        self.max_wait = float(max_wait)
        self.download_limit = download_limit
        self._clock = clock
        self._sleep = sleep
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, status={self.answer.get('status')!r})"

    @property
    def done(self) -> bool:
        return self.answer.get("status") == contract.SUCCESS

    def cancel(self) -> None:
        """Stop waiting (the API has no cancel call: the job itself runs on)."""
        self._stop.set()

    def _cancelled(self, cancel: CancelHook | None) -> bool:
        return self._stop.is_set() or (cancel is not None and cancel())

    def _lost(self, cls: type[Any], message: str, **kw: Any) -> Any:
        return cls(message, job=self, **kw)

    # -- waiting ------------------------------------------------------------------
    def wait(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelHook | None = None,
        max_wait: float | None = None,
    ) -> dict[str, Any]:
        """Poll until the job succeeds; returns the success answer.

        Polls follow ``polling.PollSchedule`` (just before the eta, twice a
        second around it, then every 7 % of the time waited). When ``max_wait``
        runs out, or ``cancel`` says so, the ``JobError`` raised carries the job.
        """
        if self.done:
            return self.answer
        if self.id is None:
            raise MalformedResponseError("A queued job came back without an id.", body=self.answer)
        limit = self.max_wait if max_wait is None else float(max_wait)
        started = self._clock()
        deadline = started + limit
        schedule = PollSchedule(self.eta)
        delay = min(schedule.first_delay(), limit)
        expected = started + (self.eta or 0)
        notify = notifier(progress)
        while True:
            self._pause(min(self._clock() + delay, deadline), started, expected, notify, cancel)
            answer = self._poll(deadline, cancel)
            status = answer.get("status")
            if status == contract.SUCCESS:
                self.answer = {
                    "id": self.id,
                    **answer,
                    "future_links": answer.get("future_links") or self.future_links,
                }
                return self.answer
            if status != contract.PROCESSING:
                raise self._lost(
                    MalformedResponseError if status else JobFailedError,
                    f"Job {self.id} answered an unknown status {status!r}.",
                )
            new_eta = _as_seconds(answer.get("eta"))
            if new_eta is not None:
                expected = self._clock() + new_eta
            if self._clock() >= deadline:
                raise self._lost(
                    JobTimeoutError,
                    f"Job {self.id} is still running after {limit:g} s. It may "
                    "still finish: fetch it later with its id.",
                )
            delay = schedule.next_delay(self._clock() - started)

    def _pause(
        self,
        wake: float,
        started: float,
        expected: float,
        notify: Callable[..., None],
        cancel: CancelHook | None,
    ) -> None:
        """Wait until ``wake``, reporting the countdown and listening for cancel."""
        while (now := self._clock()) < wake:
            if self._cancelled(cancel):
                raise self._stopped()
            notify(
                "queued",
                f"Queued as job {self.id}",
                eta=max(0.0, expected - now),
                job_id=self.id,
                fraction=_fraction(started, expected, now),
            )
            self._sleep(min(0.5, wake - now))

    def _poll(self, deadline: float, cancel: CancelHook | None) -> dict[str, Any]:
        assert self.id is not None
        try:
            return self.transport.fetch(
                self.id, url=self.fetch_url, cancel=lambda: self._cancelled(cancel)
            )
        except JobCancelledError:
            raise self._stopped() from None
        except JobFailedError as exc:
            raise self._lost(JobFailedError, exc.message, body=exc.body) from None
        except (ServerError, APIConnectionError) as exc:
            if self._clock() >= deadline:
                raise self._lost(
                    JobTimeoutError,
                    f"Job {self.id} could not be checked before the wait limit "
                    f"({exc}). Fetch it later with its id.",
                ) from None
            return {"status": contract.PROCESSING}

    def _stopped(self) -> JobCancelledError:
        return self._lost(
            JobCancelledError,
            f"Stopped waiting for job {self.id}. It may still finish: fetch it later with its id.",
        )

    # -- collecting -----------------------------------------------------------------
    def download(self, *, cancel: CancelHook | None = None) -> list[Image.Image]:
        """Decode every output concurrently, whatever shape it arrives in.

        URLs are downloaded (404 retried for a while: a future link exists
        before its file); data URIs and bare base64 are decoded, and so is a
        URL whose body is base64 text. A failure keeps the job on the error.
        """
        outputs = output_list(self.answer) or list(self.future_links)
        if not outputs:
            raise MalformedResponseError("The job finished but returned no images.")
        until = self._clock() + max(
            FUTURE_LINK_PATIENCE_MIN, min(self.max_wait, FUTURE_LINK_PATIENCE)
        )
        try:
            if len(outputs) == 1:
                return [self._one(outputs[0], until, cancel)]
            with ThreadPoolExecutor(max_workers=min(4, len(outputs))) as pool:
                return list(pool.map(lambda item: self._one(item, until, cancel), outputs))
        except DownloadError as exc:
            raise (
                exc if exc.job_id is not None else exc.evolve(job=self, job_id=self.id)
            ) from None

    def _one(self, item: str, until: float, cancel: CancelHook | None) -> Image.Image:
        if imgs.is_url(item):
            data = self.transport.get_bytes(
                item, limit=self.download_limit, retry_404_until=until, cancel=cancel
            )
        else:
            data = imgs.decode_base64_payload(item)
        if imgs.looks_like_base64_text(data) and not _is_image_magic(data):
            data = imgs.decode_base64_payload(data)
        try:
            img = imgs.open_image_bytes(data, what="result image")
        except InputImageError as exc:
            raise DownloadError(f"A result could not be decoded: {exc}") from None
        return img.convert("RGB") if img.mode not in ("RGB", "RGBA", "L") else img

    def output(
        self, *, cancel: CancelHook | None = None, progress: ProgressCallback | None = None
    ) -> JobOutput:
        """The finished job's images and what the API said about them."""
        count = len(output_list(self.answer) or self.future_links)
        notifier(progress)(
            "downloading", f"Downloading {count} image{'s' if count != 1 else ''}", job_id=self.id
        )
        images = self.download(cancel=cancel)
        meta = self.transport.scrub(self.answer.get("meta") or {})
        if not isinstance(meta, dict):
            meta = {}
        gen = self.answer.get("generationTime")
        outputs = output_list(self.answer)
        return JobOutput(
            id=self.answer.get("id", self.id),
            images=images,
            seed=_seed_of(meta),
            generation_time=float(gen) if isinstance(gen, (int, float)) else None,
            meta=meta,
            output_urls=[o if imgs.is_url(o) else "" for o in outputs] or list(self.future_links),
            sent=self.sent,
            nsfw_content_detected=self.answer.get("nsfw_content_detected"),
        )


def output_list(answer: dict[str, Any]) -> list[str]:
    """``output`` as a list of strings: fetch's processing answer spells it ``""``."""
    outputs = answer.get("output") or []
    if isinstance(outputs, str):
        outputs = [outputs]
    return [o for o in outputs if isinstance(o, str) and o]


def _seed_of(meta: dict[str, Any]) -> int | None:
    seed = meta.get("seed")
    if isinstance(seed, list):
        seed = seed[0] if seed else None
    try:
        return int(seed) if seed is not None else None
    except (TypeError, ValueError):
        return None


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


def _is_image_magic(data: bytes) -> bool:
    return data[:8].startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"RIFF", b"BM", b"II*", b"MM*"))
