"""Every failure as one plain sentence for the page."""

from __future__ import annotations

import html
import math

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
from ..params import BY_NAME

NO_PHOTO_CAPTION = "Upload a photo, then paint the area to repaint."
ALL_BLACK_MESSAGE = "The mask is all black: nothing would be repainted (white = repaint)."
EMPTY_PROMPT_MESSAGE = "Empty prompt: describe what should appear in the painted area."


# -- messages -----------------------------------------------------------------
def describe_error(exc: BaseException) -> str:
    """One plain sentence (or two) for the page; never a traceback, never the key."""
    msg = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, InputImageError):
        return msg[:1].upper() + msg[1:]
    if isinstance(exc, ParameterError):
        field_name = getattr(exc, "field", None)
        label = BY_NAME[field_name].label if field_name in BY_NAME else None
        if label and field_name and msg.startswith(f"{field_name} "):
            return label + msg[len(field_name):]  # "seed must be…" -> "Seed must be…"
        if label and label.lower() not in msg.lower():
            return f"{label}: {msg}"
        return msg[:1].upper() + msg[1:]
    if isinstance(exc, AuthenticationError):
        return (f"Wrong API key: {msg} Paste a valid ModelsLab key in the key field (or set "
                "MODELSLAB_API_KEY on the server).")
    if isinstance(exc, InsufficientCreditsError):
        return f"No credits left: {msg} Top up your ModelsLab account, then try again."
    if isinstance(exc, PermissionDeniedError):
        return f"Not allowed on this plan: {msg}"
    if isinstance(exc, RateLimitError):
        when = (f"in about {math.ceil(exc.retry_after)} s" if exc.retry_after is not None
                else "in a minute")
        return (f"Rate limited: the account's queue is full. Try again {when}. ({msg})")
    if isinstance(exc, ModelsLabError) and exc.may_have_started:
        # The request arrived but its answer was lost: no job id, so no "Fetch result".
        return (f"The answer to the request was lost: {exc.message} "
                "The job may still have started, but no job id came back, so it cannot be "
                "fetched from here: look for it in your ModelsLab account's request history "
                "before generating again.")
    if isinstance(exc, APITimeoutError):
        return f"The API did not answer in time: {msg} Try again in a moment."
    if isinstance(exc, APIConnectionError):
        return f"Server unreachable: {msg} Check your connection, or try again later."
    if isinstance(exc, ServerError):
        return f"The API failed on its side: {msg} Try again in a moment."
    if isinstance(exc, JobFailedError):
        return f"The job failed: {msg}"
    if isinstance(exc, JobTimeoutError):
        return (f"Still running after the wait limit: job {exc.job_id} is not finished yet. "
                "It is kept in your history: press “Fetch result” to collect it later.")
    if isinstance(exc, JobCancelledError):
        if exc.job_id is None:
            return "Cancelled before the job was sent: nothing was charged."
        return (f"Stopped waiting for job {exc.job_id}. It keeps running on the server and is "
                "kept in your history: press “Fetch result” to collect it later.")
    if isinstance(exc, DownloadError):
        return f"The result could not be downloaded: {msg}"
    if isinstance(exc, MalformedResponseError):
        return f"The API answered something unexpected: {msg}"
    if isinstance(exc, BadRequestError):
        return f"The API refused the request: {msg}"
    if isinstance(exc, ModelsLabError):
        return msg
    return (f"Something unexpected went wrong ({type(exc).__name__}). The details are in the "
            "server log; please try again.")


def _error(message: str) -> gr.Error:
    # gr.Error renders HTML: escape so an API message cannot inject markup.
    return gr.Error(html.escape(message, quote=False), print_exception=False)


