"""Exceptions raised by the library, one class per cause.

Callers (the UI, scripts) branch on the class rather than on message text, so
every failure the API documents maps to exactly one class here. Messages are
written for people: they say what happened and what to do next, and they never
contain the API key.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .job import Job

# Said when a request that may have created a paid job got no usable answer:
# the job has no id here, so only the account's own records can tell.
MAY_HAVE_STARTED = (
    "The job may still have started: look for it in your ModelsLab "
    "account's request history before sending it again."
)


class ModelsLabError(Exception):
    """Base of everything this library raises on purpose.

    ``status_code`` is the HTTP status when one was involved, ``body`` the
    decoded JSON answer (key removed) when there was one. ``may_have_started``
    is True when a request that creates a paid job reached the API but its
    answer was lost: the job may exist although no id came back, so the
    caller must not simply send it again. ``str()`` then adds that advice to
    ``message``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        may_have_started: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.may_have_started = may_have_started

    def __str__(self) -> str:
        if self.may_have_started:
            return f"{self.message} {MAY_HAVE_STARTED}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r})"

    def evolve(self, message: str | None = None, **attributes: Any) -> Any:
        """A copy with a new message or attributes, to raise in this one's place.

        Errors are complete when raised: a layer that knows more (which region
        of an edit failed, which jobs were already done) raises an evolved copy
        ``from`` the original instead of editing an exception in flight.
        """
        new = copy.copy(self)
        if message is not None:
            new.message = message
            new.args = (message,)
        for name, value in attributes.items():
            if not hasattr(new, name):
                raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
            setattr(new, name, value)
        return new


class BadRequestError(ModelsLabError):
    """The request was refused as malformed (HTTP 400 or an ``error`` status)."""


class ParameterError(BadRequestError, ValueError):
    """A value was refused locally, before anything was sent (nothing was paid)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InputImageError(ParameterError):
    """The image or mask could not be used: not an image, too large, empty mask."""


class AuthenticationError(ModelsLabError):
    """HTTP 401: the key is missing or wrong."""


class InsufficientCreditsError(ModelsLabError):
    """HTTP 402: the account has run out of credits."""


class PermissionDeniedError(ModelsLabError):
    """HTTP 403: the plan does not include this feature."""


class RateLimitError(ModelsLabError):
    """HTTP 429: the account's queue is full. ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(ModelsLabError):
    """HTTP 5xx that persisted through the retries."""


class APIConnectionError(ModelsLabError):
    """The server could not be reached, or the connection broke mid-answer."""


class APITimeoutError(APIConnectionError):
    """One HTTP request took longer than the client's ``timeout``."""


class MalformedResponseError(ModelsLabError):
    """The answer was not the JSON the contract describes (HTML page, garbage)."""


class JobError(ModelsLabError):
    """Base for failures of a job that was accepted and so may have been paid for.

    The id and fetch URL are kept so the result can still be fetched later.
    """

    def __init__(
        self,
        message: str,
        *,
        job: Job | None = None,
        job_id: int | str | None = None,
        fetch_url: str | None = None,
        future_links: list[str] | None = None,
        region: tuple[int, int, int, int] | None = None,
        completed_jobs: tuple[int | str, ...] = (),
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.job = job
        self.job_id = job.id if job is not None and job_id is None else job_id
        self.fetch_url = job.fetch_url if job is not None and fetch_url is None else fetch_url
        links = job.future_links if job is not None and future_links is None else future_links
        self.future_links = list(links or [])
        # In "only masked" mode: the box of the photo this job was cut from, so
        # that ``fetch_result(..., box=...)`` can put its result back.
        self.region = region
        # Earlier regions of the same edit that did finish (and were paid for).
        self.completed_jobs = tuple(completed_jobs)


class JobFailedError(JobError):
    """``fetch`` reported the job as ``failed`` or ``error``."""


class JobTimeoutError(JobError):
    """The job was still processing when ``max_wait`` ran out. It may still finish."""


class JobCancelledError(JobError):
    """The caller's cancel hook stopped the wait. The job itself may still finish."""


class DownloadError(ModelsLabError):
    """An output image could not be downloaded or decoded.

    The job itself finished, so ``job_id`` (when known) lets the result be
    fetched again later, e.g. once a future link exists.
    """

    def __init__(
        self, message: str, *, job_id: int | str | None = None, job: Job | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.job = job
        self.job_id = job.id if job is not None and job_id is None else job_id


__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "InputImageError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "MalformedResponseError",
    "ModelsLabError",
    "ParameterError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
]
