"""Jobs of the local server: the store, the worker pool, the queue limit, webhooks.

A job is accepted by a request handler, generated on a small thread pool and
afterwards answered by ``fetch``. What a job *does* is the caller's business
(a ``work`` callable); this module keeps the bookkeeping the contract needs:

* **States** ``processing`` -> ``success`` | ``error``, with an event a request
  can wait on so fast jobs answer synchronously.
* **Queue limit** per key: a slot is reserved before the (possibly slow) image
  downloads, so two racing requests cannot both take the last slot, and it is
  given back when the job ends or the request fails.
* **Estimates.** ``eta`` and ``retry_after`` come from replaying the queue on
  the pool's workers with each job's expected duration (the configured latency
  plus the engine's measured seconds per megapixel, a running average).
* **Webhooks** are POSTed on their own small pool after the job ends, so a
  slow receiver never holds a worker; the outcome is recorded, never raised.

Keys are never stored: jobs belong to an ``owner``, a one-way fingerprint of
the key, which is also all that log lines could ever show.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import netguard

log = logging.getLogger("inpaint.server")

State = Literal["processing", "success", "error"]

# Engine seconds per megapixel-sample before any job has been measured.
INITIAL_SECONDS_PER_MEGAPIXEL = 0.6
JOB_OVERHEAD_SECONDS = 0.1


def owner_of(key: str) -> str:
    """A stable, one-way stand-in for an API key."""
    return hashlib.sha256(("inpaint-local:" + key).encode("utf-8")).hexdigest()[:24]


class QueueFullError(Exception):
    """The owner already has ``queue_limit`` jobs queued or running."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"queue limit of {limit} reached")
        self.limit = limit
        self.retry_after = retry_after


class JobFailure(Exception):
    """A failure whose message may be shown to the client as it is."""


@dataclass
class Job:
    id: int
    owner: str
    meta: dict[str, Any]
    output_names: list[str]
    base64: bool
    root_url: str
    megapixels: float
    expected_seconds: float
    submitted: float = field(default_factory=time.monotonic)
    status: State = "processing"
    started: float | None = None
    finished: float | None = None
    finished_wall: float | None = None
    generation_time: float | None = None
    message: str | None = None
    webhook_status: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def webhook(self) -> str | None:
        """Where the job's end is POSTed: the request's own field, as ``meta`` echoes it."""
        return self.meta.get("webhook")


class Reservation:
    """A held queue slot. Use as a context manager: released unless submitted."""

    def __init__(self, manager: JobManager, owner: str) -> None:
        self.manager = manager
        self.owner = owner
        self.used = False

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.used:
            self.used = True
            self.manager._release(self.owner)


class JobManager:
    def __init__(
        self,
        *,
        workers: int,
        queue_limit: int,
        latency: float,
        webhook_timeout: float = 5.0,
        allow_private: bool = False,
        retention: float = 24 * 3600.0,
        eta_factor: float = 1.0,
    ) -> None:
        self.workers = workers
        self.queue_limit = queue_limit
        self.latency = latency
        self.webhook_timeout = webhook_timeout
        self.allow_private = allow_private
        self.retention = retention
        self.eta_factor = eta_factor
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._active: dict[str, int] = {}
        self._reserved: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._seconds_per_megapixel = INITIAL_SECONDS_PER_MEGAPIXEL
        self._stopping = threading.Event()
        self._counts = {"submitted": 0, "rejected": 0, "peak_queued": 0}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inpaint-job")
        self._hooks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inpaint-webhook")

    # -- queue slots ----------------------------------------------------------
    def reserve(self, owner: str) -> Reservation:
        """Take a queue slot for ``owner`` or raise ``QueueFullError``."""
        with self._lock:
            held = self._active.get(owner, 0) + self._reserved.get(owner, 0)
            if held >= self.queue_limit:
                self._counts["rejected"] += 1
                raise QueueFullError(self.queue_limit, self._retry_after_locked(owner))
            self._reserved[owner] = self._reserved.get(owner, 0) + 1
            self._counts["peak_queued"] = max(self._counts["peak_queued"], held + 1)
        return Reservation(self, owner)

    def held(self) -> list[Job]:
        """Every job the server still holds, oldest first (tests check what clients sent)."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.id)

    def counts(self) -> dict[str, int]:
        """What clients did to the queue: jobs submitted, 429s answered, and the most
        jobs one key ever had queued or running at once (tests check clients by it)."""
        with self._lock:
            return dict(self._counts)

    def _release(self, owner: str) -> None:
        with self._lock:
            self._reserved[owner] = max(0, self._reserved.get(owner, 0) - 1)

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def expected_seconds(self, megapixels: float) -> float:
        """How long a job of this size should take, simulated latency included."""
        return self.latency + JOB_OVERHEAD_SECONDS + megapixels * self._seconds_per_megapixel

    # -- submitting -----------------------------------------------------------
    def submit(
        self,
        reservation: Reservation,
        job: Job,
        work: Callable[[Job], None],
        webhook_payload: Callable[[Job], dict[str, Any]] | None = None,
    ) -> Job:
        """Queue ``job``; ``work`` produces its outputs (and raises on failure)."""
        if reservation.used or reservation.owner != job.owner:
            raise RuntimeError("the reservation is spent or belongs to another owner")
        if job.webhook and webhook_payload is not None:
            job.webhook_status = "pending"
        with self._lock:
            reservation.used = True
            self._reserved[job.owner] = max(0, self._reserved.get(job.owner, 0) - 1)
            self._active[job.owner] = self._active.get(job.owner, 0) + 1
            self._counts["submitted"] += 1
            self._jobs[job.id] = job
            self._forget_old_locked()
        log.info("job %s accepted", job.id)  # what an operator (and a test) counts
        try:
            self._pool.submit(self._run, job, work, webhook_payload)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._finish(job, "error", message="The server is shutting down.")
        return job

    def _run(
        self,
        job: Job,
        work: Callable[[Job], None],
        webhook_payload: Callable[[Job], dict[str, Any]] | None,
    ) -> None:
        job.started = time.monotonic()
        try:
            # The simulated model time comes first, so outputs (and future
            # links) appear only as the job ends. Interruptible by shutdown.
            self._stopping.wait(self.latency)
            engine_started = time.monotonic()
            work(job)
            engine_seconds = time.monotonic() - engine_started
        except JobFailure as exc:
            self._finish(job, "error", message=str(exc))
        except Exception:
            log.exception("job %s failed in the engine", job.id)
            self._finish(
                job,
                "error",
                message="Generation failed: the local engine hit an "
                "internal error. Try again or change the inputs.",
            )
        else:
            self._learn(engine_seconds, job.megapixels)
            self._finish(job, "success")
        url = job.webhook
        if url and webhook_payload is not None and not self._stopping.is_set():
            try:
                self._hooks.submit(self._deliver, job, url, webhook_payload)
            except RuntimeError:
                job.webhook_status = "failed (server stopping)"

    def _finish(self, job: Job, status: State, message: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            job.finished = now
            job.finished_wall = time.time()
            job.generation_time = now - (job.started if job.started is not None else now)
            job.message = message
            job.status = status
            self._active[job.owner] = max(0, self._active.get(job.owner, 0) - 1)
        job.done.set()

    def _learn(self, engine_seconds: float, megapixels: float) -> None:
        if megapixels <= 0:
            return
        rate = max(0.0, engine_seconds - JOB_OVERHEAD_SECONDS) / megapixels
        with self._lock:
            self._seconds_per_megapixel = 0.7 * self._seconds_per_megapixel + 0.3 * rate

    # -- webhooks -------------------------------------------------------------
    def _deliver(
        self, job: Job, url: str, webhook_payload: Callable[[Job], dict[str, Any]]
    ) -> None:
        """POST the job to its webhook under ``netguard``'s rules (public, no redirects).

        The job's ``webhook_status`` says only delivered or failed: its cause
        (refused address, closed port, HTTP status) goes to the log, so the
        answers cannot map the network behind the server.
        """
        cause = ""
        try:
            payload = json.dumps(webhook_payload(job)).encode()
            code, _ = netguard.request(
                "POST",
                url,
                timeout=self.webhook_timeout,
                max_bytes=64 * 1024,
                allow_private=self.allow_private,
                json_body=payload,
            )
        except (netguard.BlockedURL, netguard.FetchFailed) as exc:
            cause = str(exc) or type(exc).__name__
        except Exception:
            log.exception("building the webhook payload of job %s failed", job.id)
            cause = "internal error"
        else:
            cause = "" if 200 <= code < 300 else f"HTTP {code}"
        job.webhook_status = "failed" if cause else "delivered"
        log.info("webhook of job %s: %s", job.id, cause or "delivered")

    # -- reading --------------------------------------------------------------
    def get(self, job_id: int, owner: str) -> Job | None:
        """The job when it exists and belongs to ``owner`` (others see nothing)."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def eta(self, job: Job) -> int:
        """Whole seconds (at least 1) until ``job`` should be done (times ``eta_factor``)."""
        with self._lock:
            finish = self._schedule_locked().get(job.id)
        if finish is None:
            return 1
        return max(1, math.ceil((finish - time.monotonic()) * self.eta_factor))

    def active_count(self, owner: str) -> int:
        with self._lock:
            return self._active.get(owner, 0) + self._reserved.get(owner, 0)

    def _retry_after_locked(self, owner: str) -> int:
        """Seconds until the first of ``owner``'s jobs should end, freeing a slot."""
        schedule = self._schedule_locked()
        now = time.monotonic()
        ends = [finish for job_id, finish in schedule.items() if self._jobs[job_id].owner == owner]
        if not ends:
            # Only reservations (requests still downloading their images).
            return max(1, math.ceil(self.expected_seconds(0.26)))
        return max(1, math.ceil(min(ends) - now))

    def _schedule_locked(self) -> dict[int, float]:
        """Expected finish time (monotonic) of every unfinished job.

        Replays the FIFO pool: running jobs end at start + expected duration
        (or now, if overdue), queued ones take the earliest free worker.
        """
        now = time.monotonic()
        lanes: list[float] = []
        finishes: dict[int, float] = {}
        queued: list[Job] = []
        for job in self._jobs.values():
            if job.status != "processing":
                continue
            if job.started is not None:
                end = max(now, job.started + job.expected_seconds)
                lanes.append(end)
                finishes[job.id] = end
            else:
                queued.append(job)
        lanes.sort()
        lanes = lanes[: self.workers]
        lanes += [now] * (self.workers - len(lanes))
        for job in sorted(queued, key=lambda j: j.submitted):
            lanes.sort()
            start = lanes[0]
            lanes[0] = start + job.expected_seconds
            finishes[job.id] = lanes[0]
        return finishes

    def _forget_old_locked(self) -> None:
        if not self.retention:
            return
        cutoff = time.time() - self.retention
        stale = [
            job_id
            for job_id, job in self._jobs.items()
            if job.finished_wall is not None and job.finished_wall < cutoff
        ]
        for job_id in stale:
            del self._jobs[job_id]

    # -- lifecycle ------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop at once: running jobs end early, queued ones never start."""
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._hooks.shutdown(wait=False, cancel_futures=True)
