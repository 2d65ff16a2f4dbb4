"""Whose job is it: a paid job's result goes only to whoever sent it.

Job ids count up one by one and every anonymous visitor shares the owner's
key (or the one offline key), so without this anybody could fetch a
neighbour's result, pasted into their photo, by guessing the next id. Each
job the studio sends is recorded with its owner (``Visitor.owner``: the
signed-in user, else the browser's own token, else the page session) in the
shared state, so the rule holds across replicas and restarts. A visitor who
fetches with their own key is not checked here: ModelsLab decides whether
that key may see the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..contract import JOB_ID_PATTERN
from ..errors import ParameterError

KEPT_FOR = 7 * 24 * 3600  # seconds an ownership record is kept (a week)

NOT_YOURS = (
    "Job {job_id} was not sent from this browser or account, so it cannot be fetched "
    "here. If it is yours, fetch it from the browser or Hugging Face account that sent it, "
    "or paste the ModelsLab key it was sent with in the key field."
)


class NotYourJob(ParameterError):
    """The job id belongs to somebody else (or to no job this studio sent)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(NOT_YOURS.format(job_id=job_id), field="job_id")


def clean_job_id(raw: Any) -> str:
    """A job id as digits only (``\\d{1,18}``), or a plain refusal: it goes into a URL."""
    text = str(raw if raw is not None else "").strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a number field's float
        text = text[:-2]
    if not text:
        raise ParameterError(
            "No job id: enter the id of the job to fetch (shown in the history).", field="job_id"
        )
    if not JOB_ID_PATTERN.fullmatch(text):  # it becomes part of a URL and a folder name
        raise ParameterError(
            f"A job id is 1 to 18 digits, such as 1234 (got {text[:40]!r}).", field="job_id"
        )
    return text


class JobOwners:
    """Job id -> owner, in the shared state (``put``/``get`` with an expiry)."""

    def __init__(self, state: Any, scope: str) -> None:
        self.state = state
        self.scope = scope  # the key's id and server: ids of different keys never mix

    def _name(self, job_id: Any) -> str:
        return f"job-owner:{self.scope}:{job_id}"

    def record(self, job_id: Any, owner: str) -> None:
        self.state.put(self._name(job_id), owner, ttl=KEPT_FOR)

    def recorder(self, owner: str) -> Callable[[Any], None]:
        """``record`` for one owner: what the client calls as each job is accepted."""
        return lambda job_id: self.record(job_id, owner)

    def owner_of(self, job_id: Any) -> str | None:
        value = self.state.get(self._name(job_id))
        return None if value is None else str(value)

    def check(self, job_id: str, owner: str) -> None:
        """Refuse unless ``owner`` sent ``job_id`` from this studio."""
        if self.owner_of(job_id) != owner:
            raise NotYourJob(job_id)
