"""``Job.wait`` with a fake clock: the exact poll schedule, the countdown, the wait limit.

The transport is a fake (this is a unit test of the waiting logic); the same
behaviour over real HTTP is in tests/test_client_faults.py and
tests/test_fault_matrix.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from inpaint import JobCancelledError, JobFailedError, JobTimeoutError
from inpaint.job import Job
from inpaint.progress import ProgressEvent


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeTransport:
    """Answers ``fetch`` from a script and records when it was asked."""

    def __init__(self, clock: FakeClock, answers: list[dict[str, Any]]) -> None:
        self.clock = clock
        self.answers = answers
        self.polls: list[float] = []

    def fetch_url(self, job_id: Any) -> str:
        return f"http://api.test/api/v6/image_editing/fetch/{job_id}"

    def fetch(self, job_id: Any, *, url: str | None = None, cancel: Any = None) -> dict[str, Any]:
        self.polls.append(round(self.clock() - 100.0, 3))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer.get("status") == "failed":
            raise JobFailedError(f"Job {job_id} failed: boom", job_id=job_id)
        return answer


def job_for(
    answers: list[dict[str, Any]], eta: float | None = 3, max_wait: float = 600
) -> tuple[Job, FakeTransport, FakeClock]:
    clock = FakeClock()
    transport = FakeTransport(clock, answers)
    answer = {"status": "processing", "id": 7, **({"eta": eta} if eta is not None else {})}
    job = Job(
        transport,
        answer,
        max_wait=max_wait,
        clock=clock,  # type: ignore[arg-type]
        sleep=clock.sleep,
    )
    return job, transport, clock


def test_first_poll_just_before_the_eta_then_every_half_second() -> None:
    processing = {"status": "processing", "output": ""}
    job, transport, _ = job_for([processing, processing, {"status": "success", "output": []}])
    events: list[ProgressEvent] = []
    final = job.wait(progress=events.append)
    assert final["status"] == "success" and final["id"] == 7
    assert transport.polls == [2.4, 2.9, 3.4]
    etas = [e.eta for e in events if e.stage == "queued"]
    assert etas[0] == 3 and etas == sorted(etas, reverse=True)  # a countdown


def test_without_an_eta_the_first_poll_is_at_two_seconds() -> None:
    job, transport, _ = job_for([{"status": "success", "output": []}], eta=None)
    job.wait()
    assert transport.polls == [2.0]


def test_the_wait_limit_keeps_the_job_on_the_error() -> None:
    job, transport, clock = job_for([{"status": "processing", "output": ""}], max_wait=20)
    with pytest.raises(JobTimeoutError) as info:
        job.wait()
    assert info.value.job is job and info.value.job_id == 7
    assert info.value.fetch_url.endswith("/fetch/7")
    assert clock() - 100.0 == pytest.approx(20, abs=0.01)
    gaps = [b - a for a, b in zip(transport.polls, transport.polls[1:], strict=False)]
    assert max(gaps) <= 15  # never silent for long, even on a long wait


def test_cancel_and_failure_carry_the_job() -> None:
    job, _, _ = job_for([{"status": "processing", "output": ""}])
    job.cancel()
    with pytest.raises(JobCancelledError) as info:
        job.wait()
    assert info.value.job is job and "fetch it later" in str(info.value)
    failing, _, _ = job_for([{"status": "failed"}])
    with pytest.raises(JobFailedError) as failed:
        failing.wait()
    assert failed.value.job is failing and failed.value.job_id == 7
