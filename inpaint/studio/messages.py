"""Every failure as one plain sentence for the page, looked up by its class.

The library raises one class per cause (``inpaint.errors``), so the page never
reads an error's text to decide what to say: ``MESSAGES`` maps each class to a
template, and ``describe_error`` walks the exception's class hierarchy, most
specific first, to the first class the table knows. A new error class gets
its parent's wording until it is given its own row.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import gradio as gr

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InputImageError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ..http import SERVER_HINT
from ..params import BY_NAME

NO_PHOTO_CAPTION = "Upload a photo, then paint the area to repaint."
ALL_BLACK_MESSAGE = "The mask is all black: nothing would be repainted (white = repaint)."
EMPTY_PROMPT_MESSAGE = "Empty prompt: describe what should appear in the painted area."

# A template is a format string ({msg} is the error's own message, {exc} the
# exception) or, where the wording depends on a field, a function of both.
Template = str | Callable[[Any, str], str]

# The answer to a request that may have started a paid job was lost: whatever
# the class, what matters is that no job id came back to fetch it with.
LOST_ANSWER = (
    "The answer to the request was lost: {msg} The job may still have started, but "
    "no job id came back, so it cannot be fetched from here: look for it in your "
    "ModelsLab account's request history before generating again."
)
UNEXPECTED = (
    "Something unexpected went wrong ({name}). The details are in the server log; please try again."
)


def _capitalised(_exc: Any, msg: str) -> str:
    return msg[:1].upper() + msg[1:]


def _parameter(exc: ParameterError, msg: str) -> str:
    """Name the field the way the page labels it ("seed must…" -> "Seed must…")."""
    field_name = exc.field
    label = BY_NAME[field_name].label if field_name in BY_NAME else None
    if label and field_name and msg.startswith(f"{field_name} "):
        return label + msg[len(field_name) :]
    if label and label.lower() not in msg.lower():
        return f"{label}: {msg}"
    return _capitalised(exc, msg)


def _rate_limited(exc: RateLimitError, msg: str) -> str:
    when = (
        f"in about {math.ceil(exc.retry_after)} s" if exc.retry_after is not None else "in a minute"
    )
    return f"Rate limited: the account's queue is full. Try again {when}. ({msg})"


def _cancelled(exc: JobCancelledError, _msg: str) -> str:
    if exc.job_id is None:
        return "Cancelled before the job was sent: nothing was charged."
    return (
        f"Stopped waiting for job {exc.job_id}. It keeps running on the server and is "
        "kept in your history: press “Fetch result” to collect it later."
    )


MESSAGES: dict[type[BaseException], Template] = {
    InputImageError: _capitalised,
    ParameterError: _parameter,
    AuthenticationError: (
        "Wrong API key: {msg} Check the key in the key field: paste a valid ModelsLab key."
    ),
    InsufficientCreditsError: "No credits left: {msg} Top up your ModelsLab account, then try "
    "again.",
    PermissionDeniedError: "Not allowed on this plan: {msg}",
    RateLimitError: _rate_limited,
    APITimeoutError: "The API did not answer in time: {msg} Try again in a moment.",
    APIConnectionError: "Server unreachable: {msg} Check your connection, or try again later.",
    ServerError: "The API failed on its side: {msg} Try again in a moment.",
    JobFailedError: "The job failed: {msg}",
    JobTimeoutError: (
        "Still running after the wait limit: job {exc.job_id} is not finished yet. "
        "It is kept in your history: press “Fetch result” to collect it later."
    ),
    JobCancelledError: _cancelled,
    DownloadError: "The result could not be downloaded: {msg}",
    MalformedResponseError: "The API answered something unexpected: {msg}",
    BadRequestError: "The API refused the request: {msg}",
    ModelsLabError: "{msg}",
}


def template_for(exc: BaseException) -> Template:
    """The row for ``exc``: its own class's, else its nearest ancestor's."""
    if isinstance(exc, ModelsLabError) and getattr(exc, "may_have_started", False):
        return LOST_ANSWER
    for cls in type(exc).__mro__:
        if cls in MESSAGES:
            return MESSAGES[cls]
    return UNEXPECTED


# Whose key or server a failure is about changes what the visitor can do about it.
OWNER_KEY_REFUSED = (
    "This Space's ModelsLab key was refused: {msg} Paste your own key in the key field to "
    "go on, and let the Space's owner know."
)
MODELSLAB_UNREACHABLE = (
    "Cannot reach ModelsLab right now: {msg} Check your internet connection, or try again "
    "in a moment."
)
LOCAL_UNREACHABLE = (
    "The studio's local server is not answering: {msg} Restart the studio if this lasts."
)


def describe_error(exc: BaseException, mode: str | None = None) -> str:
    """One plain sentence (or two) for the page; never a traceback, never the key.

    Exceptions from outside the library say only their class name: their text
    may hold internals (paths, values) that do not belong on the page.
    ``mode`` (``"modelslab"``, ``"own-key"``, ``"offline"``) says whose key and
    which server the request used, so the sentence says what this visitor can do.
    """
    msg = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, AuthenticationError):
        # The library's hint names the environment variable: the owner's business.
        msg = msg.replace(" Check MODELSLAB_API_KEY.", "")
        if mode == "modelslab":
            return OWNER_KEY_REFUSED.format(msg=msg)
        return MESSAGES[AuthenticationError].format(msg=msg)  # type: ignore[union-attr]
    connection = isinstance(exc, APIConnectionError) and not isinstance(exc, APITimeoutError)
    if connection and not getattr(exc, "may_have_started", False):
        if mode in ("modelslab", "own-key"):
            return MODELSLAB_UNREACHABLE.format(msg=msg.replace(SERVER_HINT, ""))
        if mode == "offline":
            return LOCAL_UNREACHABLE.format(msg=msg)
    template = template_for(exc)
    if template is UNEXPECTED:
        return UNEXPECTED.format(name=type(exc).__name__)
    if callable(template):
        return template(exc, msg)
    return template.format(msg=msg, exc=exc)


def page_error(message: str) -> gr.Error:
    """The ``gr.Error`` that ends an event with ``message``.

    gr.Error renders HTML: escape, so an API message cannot inject markup.
    """
    return gr.Error(html.escape(message, quote=False), print_exception=False)
