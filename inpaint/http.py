"""One pooled HTTP session with retries, error mapping and key scrubbing.

Everything the client sends goes through ``HttpSession``, so there is a single
place that decides what is retried, how long to wait, which exception a
failure becomes, and that the API key never leaks into a message or log.

Retry policy, by cause:

* connection refused / reset before an answer: retried (nothing reached the API);
* a connection broken *while* the answer arrives: retried only when idempotent
  (the request arrived, so an ``inpaint`` job may exist);
* HTTP 5xx and 429: retried with jittered exponential backoff, honouring
  ``retry_after`` in the body and the ``Retry-After`` header;
* a read timeout on a request that may have started a paid job (``inpaint``)
  is *not* retried, to avoid paying twice; idempotent calls (fetch, downloads)
  are retried. A *connect* timeout is retried on every call: nothing reached
  the API. The two have separate limits (``connect_timeout``, ``timeout``).

The decision is carried by the error itself (``may_have_started``), so the
caller reads a field instead of guessing from the class or the words.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InsufficientCreditsError,
    JobCancelledError,
    MalformedResponseError,
    ModelsLabError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)

log = logging.getLogger("inpaint.http")
# Said after "Cannot reach the server": right for a local server, not for ModelsLab's
# visitors (the studio drops it for them).
SERVER_HINT = " Is it running, and is the address right?"

MAX_BACKOFF = 30.0
MB = 1024 * 1024  # sizes in messages are in the units the limits are set in
# Beyond this a 429 is reported to the caller instead of waited out silently.
MAX_RATE_LIMIT_WAIT = 60.0
# A future link is tried at least this often before its 404 is believed, however
# long each try took: on a starved machine the patience can pass in one or two.
MIN_404_TRIES = 4


# ``scheme://user:password@host``: the credentials part of any URL in a text.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")
# Query parameters that carry a secret (``?key=...``, ``&token=...``). Signed
# download links (``X-Amz-Signature``) are left whole: they are the product's
# address, useless without the path, and a broken link helps nobody.
SECRET_QUERY_NAMES = (
    "key",
    "api_key",
    "apikey",
    "token",
    "access_token",
    "auth",
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
)
_QUERY_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_QUERY_NAMES) + r")=)[^&#\s\"'<>`]+")


def redact_url(url: str) -> str:
    """``url`` fit to be shown or logged: no ``user:password@``, no secret query values."""
    text = _URL_USERINFO.sub(r"\1***@", url)
    return _QUERY_SECRET.sub(r"\1***", text)


def shown_host(url: str) -> str:
    """``host[:port]/path`` of ``url`` for a sentence: never its credentials or query."""
    parts = urlsplit(url)
    if not parts.hostname:
        return redact_url(url[:40])
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname}{port}{parts.path}"


class Scrubber:
    """Removes secrets from any text before it leaves the library.

    Besides the keys it is given, it strips credentials written into any URL
    (``user:password@`` and secret query values, ``redact_url``), so a base URL
    such as ``http://user:pw@host/api`` never reaches a message or a log.
    """

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = [s for s in secrets if s]

    def __call__(self, text: Any) -> Any:
        if isinstance(text, str):
            if _is_image_data(text):  # base64 images are data, and a short key could match
                return text
            for secret in self._secrets:
                text = text.replace(secret, "***")
            return redact_url(text) if "://" in text else text
        if isinstance(text, dict):
            return {k: ("***" if k == "key" else self(v)) for k, v in text.items()}
        if isinstance(text, list):
            return [self(v) for v in text]
        return text


def _is_image_data(text: str) -> bool:
    """A data URI, or a long run of base64 with no spaces: an image, not a message."""
    if text[:5].lower() == "data:":
        return True
    return len(text) > 4096 and " " not in text[:4096]


def parse_retry_after(value: Any) -> float | None:
    """Seconds from a ``retry_after`` body field or a ``Retry-After`` header (delta or date)."""
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def error_message(body: Any) -> str | None:
    """The human message of an error body; some endpoints spell it ``messege``."""
    if not isinstance(body, dict):
        return None
    for field in ("message", "messege", "error", "detail"):
        value = body.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (dict, list)) and value:
            return json.dumps(value)[:300]
    return None


def classify_error_status(message: str, status_code: int | None, body: Any) -> ModelsLabError:
    """An ``error`` status with HTTP 200 is classified by its words, as the API
    often answers auth and credit failures that way."""
    low = message.lower()
    if (
        "key" in low and any(w in low for w in ("invalid", "missing", "wrong", "not valid"))
    ) or "unauthori" in low:
        return AuthenticationError(
            f"The API key was refused: {message}", status_code=status_code, body=body
        )
    if "credit" in low or "balance" in low or "subscription" in low:
        return InsufficientCreditsError(
            f"Not enough credits: {message}", status_code=status_code, body=body
        )
    if "queue" in low or "rate limit" in low or "too many" in low:
        retry = parse_retry_after(body.get("retry_after")) if isinstance(body, dict) else None
        return RateLimitError(message, retry_after=retry, status_code=status_code, body=body)
    return BadRequestError(message, status_code=status_code, body=body)


def error_for_status(status: int, body: Any, headers: Any) -> ModelsLabError:
    message = error_message(body) or f"HTTP {status}"
    if status == 400 or status == 422:
        return BadRequestError(f"The request was refused: {message}", status_code=status, body=body)
    if status == 401:
        return AuthenticationError(
            f"The API key was refused (HTTP 401): {message.rstrip('.')}. Check MODELSLAB_API_KEY.",
            status_code=status,
            body=body,
        )
    if status == 402:
        return InsufficientCreditsError(
            f"Not enough credits on this account (HTTP 402): {message}",
            status_code=status,
            body=body,
        )
    if status == 403:
        return PermissionDeniedError(
            f"This plan does not allow that (HTTP 403): {message}", status_code=status, body=body
        )
    if status == 429:
        retry = None
        if isinstance(body, dict):
            retry = parse_retry_after(body.get("retry_after"))
        if retry is None:
            retry = parse_retry_after(headers.get("Retry-After"))
        when = f" Try again in {retry:.0f} s." if retry is not None else " Try again shortly."
        return RateLimitError(
            f"The queue is full (HTTP 429): {message}.{when}",
            retry_after=retry,
            status_code=status,
            body=body,
        )
    if status >= 500:
        return ServerError(
            f"The server failed (HTTP {status}): {message}", status_code=status, body=body
        )
    return BadRequestError(f"Unexpected HTTP {status}: {message}", status_code=status, body=body)


class HttpSession:
    """Pooled ``requests`` session that knows the API's failure modes."""

    def __init__(
        self,
        *,
        timeout: float = 30,
        connect_timeout: float = 10,
        max_retries: int = 3,
        scrub: Scrubber | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_retries = max_retries
        self.scrub = scrub or Scrubber()
        self._session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.setdefault("User-Agent", "inpaint-studio/1.0 (+python-requests)")
        self._sleep = sleep or time.sleep

    def close(self) -> None:
        self._session.close()

    # -- backoff ------------------------------------------------------------
    @staticmethod
    def backoff(attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter exponential backoff, or the server's own figure when it gave one."""
        if retry_after is not None:
            return min(retry_after, MAX_RATE_LIMIT_WAIT) + random.uniform(0, 0.25)
        return random.uniform(0, min(MAX_BACKOFF, 0.5 * 2**attempt))

    def _wait(self, seconds: float, cancel: Callable[[], bool] | None) -> None:
        if cancel is None:
            self._sleep(seconds)
            return
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if cancel():
                raise JobCancelledError("Cancelled while waiting to retry.")
            self._sleep(min(0.2, left))

    # -- JSON calls ---------------------------------------------------------
    def post_json(
        self,
        url: str,
        body: dict[str, Any],
        *,
        idempotent: bool = True,
        cancel: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """POST and return the decoded JSON object, raising a typed error otherwise."""
        last: ModelsLabError | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return self._post_once(url, body, idempotent=idempotent)
            except (ServerError, APIConnectionError, RateLimitError) as exc:
                retryable = idempotent or not exc.may_have_started  # never pay twice
                if isinstance(exc, RateLimitError) and (exc.retry_after or 0) > MAX_RATE_LIMIT_WAIT:
                    retryable = False
                if not retryable or attempt == self.max_retries:
                    raise
                last = exc
                delay = self.backoff(attempt, getattr(exc, "retry_after", None))
                log.info("retrying %s in %.1fs after: %s", _path(url), delay, exc)
                self._wait(delay, cancel)
        raise last or ServerError("retries exhausted")  # pragma: no cover

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) for ``requests``: reaching the host and waiting for its answer."""
        return self.connect_timeout, self.timeout

    def _post_once(self, url: str, body: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        try:
            resp = self._session.post(url, json=body, timeout=self.timeouts)
        except requests.ConnectTimeout:
            # Before ``Timeout``, which it subclasses: the connection never
            # opened, so nothing reached the API and sending again is safe.
            raise APITimeoutError(
                f"Could not connect to {_host(url)} within {self.connect_timeout:g} s."
            ) from None
        except requests.Timeout:
            # ``from None``: requests' own messages can quote the URL and body.
            raise APITimeoutError(
                f"No answer from {_host(url)} within {self.timeout:g} s.",
                may_have_started=not idempotent,
            ) from None
        except requests.ConnectionError:
            raise APIConnectionError(
                f"Cannot reach the server at {_host(url)}.{SERVER_HINT}"
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            # The answer had started, so the request arrived: a job may exist.
            raise APIConnectionError(
                f"The connection to {_host(url)} broke while it was answering.",
                may_have_started=not idempotent,
            ) from None
        except requests.RequestException:
            raise APIConnectionError(f"The request to {_host(url)} failed.") from None
        body_json = self._decode(resp)
        body_json = self.scrub(body_json)
        if resp.status_code != 200 and not (resp.status_code < 300 and isinstance(body_json, dict)):
            raise self._scrubbed(error_for_status(resp.status_code, body_json, resp.headers))
        if not isinstance(body_json, dict):
            raise MalformedResponseError(
                f"{_host(url)} answered JSON that is not an object.", status_code=resp.status_code
            )
        return body_json

    def _decode(self, resp: requests.Response) -> Any:
        text = resp.text
        try:
            return resp.json()
        except ValueError:
            pass
        if resp.status_code >= 500:
            raise ServerError(
                f"The server failed (HTTP {resp.status_code}).", status_code=resp.status_code
            )
        if resp.status_code in (401, 402, 403, 429):
            raise error_for_status(resp.status_code, None, resp.headers)
        kind = "an HTML page" if "<html" in text[:500].lower() else "something that is not JSON"
        raise MalformedResponseError(
            f"The server answered {kind} (HTTP {resp.status_code}) where JSON was expected. "
            "Is the base URL right?",
            status_code=resp.status_code,
        )

    def _scrubbed(self, exc: ModelsLabError) -> ModelsLabError:
        clean = self.scrub(exc.message)
        return exc if clean == exc.message else exc.evolve(clean)

    # -- downloads ----------------------------------------------------------
    def get_bytes(
        self,
        url: str,
        *,
        limit: int,
        retry_404_until: float | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> bytes:
        """Download ``url`` refusing bodies over ``limit`` without reading them whole.

        404 is retried until the monotonic deadline ``retry_404_until`` and at
        least ``MIN_404_TRIES`` times: a future link exists before its file does.
        """
        attempt = 0
        while True:
            try:
                return self._get_once(url, limit)
            except _NotYetThere:
                if retry_404_until is None or (
                    time.monotonic() >= retry_404_until and attempt + 1 >= MIN_404_TRIES
                ):
                    raise DownloadError(
                        f"The result file is not there (HTTP 404): {self.scrub(url)}"
                    ) from None
            except (ServerError, APIConnectionError) as exc:
                if attempt >= self.max_retries:
                    raise DownloadError(f"Could not download a result: {exc}") from None
            delay = min(self.backoff(attempt) + 0.5, 5.0)
            attempt += 1
            self._wait(delay, cancel)

    def _get_once(self, url: str, limit: int) -> bytes:
        try:
            with self._session.get(url, timeout=self.timeouts, stream=True) as resp:
                if resp.status_code == 404:
                    raise _NotYetThere()
                if resp.status_code >= 500:
                    raise ServerError(f"HTTP {resp.status_code}", status_code=resp.status_code)
                if resp.status_code != 200:
                    raise DownloadError(
                        f"Downloading a result failed (HTTP {resp.status_code}).",
                        status_code=resp.status_code,
                    )
                try:
                    return read_capped(resp, limit)
                except TooLarge as exc:
                    raise DownloadError(
                        f"A result file is too large ({exc.declared / MB:.0f} MB; "
                        f"limit {limit / MB:.0f} MB)."
                        if exc.declared
                        else f"A result file is larger than the {limit / MB:.0f} MB limit."
                    ) from None
        except requests.ConnectTimeout:
            raise APITimeoutError(f"Could not connect to {_host(url)} to download.") from None
        except requests.Timeout:
            raise APITimeoutError(f"Downloading from {_host(url)} timed out.") from None
        except requests.ConnectionError:
            raise APIConnectionError(f"Cannot reach {_host(url)} to download.") from None


class _NotYetThere(Exception):
    pass


class TooLarge(Exception):
    """A body over its size limit; ``declared`` is the announced size, 0 when unannounced."""

    def __init__(self, declared: int = 0) -> None:
        super().__init__(f"larger than allowed (declared {declared})")
        self.declared = declared


def read_capped(response: requests.Response, limit: int) -> bytes:
    """A streamed body, refused (``TooLarge``) past ``limit`` bytes without reading it whole.

    The announced length is checked first; the count while reading catches a
    server that announces nothing or lies. Both the client's downloads and the
    local server's image fetches read bodies this way.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _host(url: str) -> str:
    parts = urlsplit(url)
    if not parts.hostname:
        return redact_url(url[:40])
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def _path(url: str) -> str:
    return urlsplit(url).path
