"""The API's three calls and its file downloads, with the key and the retry policy.

``ApiTransport`` is the only place that knows the key: it puts it in the body of
each call (the contract wants it there, not in a header) and scrubs it from
everything that comes back. Retries, timeouts and the mapping of failures to
exception classes are ``http.HttpSession``'s; this layer adds the meaning of
each answer (an ``error`` status inside an HTTP 200 is still an error).
"""

from __future__ import annotations

import logging
from typing import Any

from . import contract
from . import images as imgs
from .errors import JobFailedError, MalformedResponseError, ModelsLabError
from .http import HttpSession, Scrubber, classify_error_status, error_message
from .progress import CancelHook

log = logging.getLogger("inpaint.client")


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


class ApiTransport:
    """``base64_to_url``, ``inpaint`` and ``fetch/{id}`` of one account, and downloads."""

    def __init__(self, key: str, base_url: str, http: HttpSession, scrub: Scrubber) -> None:
        self._key = key
        self.base_url = contract.normalise_base_url(base_url)
        self.http = http
        self.scrub = scrub

    def endpoint(self, name: str) -> str:
        return contract.endpoint(self.base_url, name)

    def fetch_url(self, job_id: int | str) -> str:
        """``fetch/{id}``; an id that is not digits is refused before any URL exists."""
        return self.endpoint(f"{contract.FETCH}/{contract.job_id(job_id)}")

    def close(self) -> None:
        self.http.close()

    def require_key(self) -> None:
        if not self._key:
            raise ModelsLabError(
                "No API key: set MODELSLAB_API_KEY (or pass api_key=...), or use "
                "ModelsLabClient.offline() for the bundled local server."
            )

    # -- the calls --------------------------------------------------------------
    def upload(
        self, data: bytes, mime: str = "image/png", *, cancel: CancelHook | None = None
    ) -> str:
        """POST one image to ``base64_to_url``; returns its temporary (24 h) URL."""
        self.require_key()
        body = {"key": self._key, "init_image": imgs.to_data_uri(data, mime)}
        answer = self.http.post_json(self.endpoint(contract.UPLOAD), body, cancel=cancel)
        self._raise_for_error_status(answer)
        output = answer.get("output")
        url = output[0] if isinstance(output, list) and output else output
        if not isinstance(url, str) or not imgs.is_url(url):
            raise MalformedResponseError("The upload answer carried no URL.", body=answer)
        return url

    def submit(
        self, payload: dict[str, Any], *, cancel: CancelHook | None = None
    ) -> dict[str, Any]:
        """POST a complete payload to ``inpaint``: the raw success/processing answer.

        Not idempotent: a lost answer is never sent again (it may be a paid job).
        """
        self.require_key()
        body = {"key": self._key, **payload}
        log.info("submitting inpaint job (%s)", ", ".join(sorted(shorten_data_uris(payload))))
        answer = self.http.post_json(
            self.endpoint(contract.INPAINT), body, idempotent=False, cancel=cancel
        )
        self._raise_for_error_status(answer)
        if answer.get("status") not in (contract.SUCCESS, contract.PROCESSING):
            raise MalformedResponseError(
                f"Unexpected job status {answer.get('status')!r}.", body=answer
            )
        return answer

    def fetch(
        self, job_id: int | str, *, url: str | None = None, cancel: CancelHook | None = None
    ) -> dict[str, Any]:
        """One poll of ``fetch/{id}``: the raw answer (a failed job raises).

        ``url`` is the fetch URL the API announced; it is only followed on the
        configured host, since the key travels with it.
        """
        self.require_key()
        contract.job_id(job_id)
        target = url if url and _same_host(url, self.base_url) else self.fetch_url(job_id)
        answer = self.http.post_json(target, {"key": self._key}, cancel=cancel)
        status = answer.get("status")
        if status in contract.TERMINAL_ERRORS:
            raise JobFailedError(
                f"Job {job_id} failed: {error_message(answer) or status}",
                job_id=job_id,
                fetch_url=self.fetch_url(job_id),
                body=answer,
            )
        return answer

    def get_bytes(
        self,
        url: str,
        *,
        limit: int,
        retry_404_until: float | None = None,
        cancel: CancelHook | None = None,
    ) -> bytes:
        """Download a file (an output, or an input given by URL) under a size cap."""
        return self.http.get_bytes(url, limit=limit, retry_404_until=retry_404_until, cancel=cancel)

    def _raise_for_error_status(self, answer: dict[str, Any]) -> None:
        if answer.get("status") in contract.TERMINAL_ERRORS:
            message = self.scrub(error_message(answer) or "the API reported an error")
            raise classify_error_status(message, 200, answer)


def _same_host(url: str, base: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc == urlsplit(base).netloc
