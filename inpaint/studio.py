"""What the studio's buttons do, kept apart from the page that shows them.

``app.py`` only builds components and connects them to the methods of
``Studio``; everything that decides something lives here, where it can be
tested without a browser: which backend a session talks to, how the editor's
value becomes the exact image and mask that are sent, how progress is
reported, how every failure becomes one plain sentence, and what a history
entry records (never the key).

The event handlers take and return plain values in the order named by
``GENERATE_INPUTS`` / ``GENERATE_OUTPUTS`` etc., so the page and this module
agree on wiring by name rather than by position.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from . import editor, masks
from . import images as imgs
from .client import DEFAULT_BASE_URL, InpaintResult, ModelsLabClient, ProgressEvent
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DownloadError,
    InputImageError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .http import Scrubber
from .params import BY_NAME, normalise_seed
from .slots import JobSlots
from .ui_spec import RANDOM_SEED

log = logging.getLogger("inpaint.studio")

# -- configuration ------------------------------------------------------------
ENV_API_KEY = "MODELSLAB_API_KEY"
ENV_BASE_URL = "MODELSLAB_BASE_URL"
ENV_CONCURRENCY = "STUDIO_CONCURRENCY_LIMIT"
ENV_MAX_WAIT = "STUDIO_MAX_WAIT"
ENV_OFFLINE_LATENCY = "STUDIO_OFFLINE_LATENCY"
ENV_SERVER_NAME = "GRADIO_SERVER_NAME"
ENV_SERVER_PORT = "GRADIO_SERVER_PORT"

DEFAULT_CONCURRENCY = 5  # the smallest ModelsLab plan's queue limit
DEFAULT_MAX_WAIT = 600.0
OFFLINE_KEY = "offline-demo"  # the local server accepts any non-empty key
HISTORY_LIMIT = 50
TRANSPORTS = ("upload", "base64")
MASK_TOOL_LIMIT = 64  # grow/shrink/feather sliders, in pixels of the image sent


class SettingsError(ValueError):
    """A start-up setting is unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the studio reads from the environment, read once at start-up."""

    api_key: str = field(default="", repr=False)
    base_url: str | None = None
    concurrency_limit: int = DEFAULT_CONCURRENCY
    max_wait: float = DEFAULT_MAX_WAIT
    offline_latency: float = 0.0
    server_name: str | None = None
    server_port: int | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the variables listed in ``.env.example``; bad values stop start-up plainly."""
        env = dict(os.environ if env is None else env)
        return cls(
            api_key=(env.get(ENV_API_KEY) or "").strip(),
            base_url=(env.get(ENV_BASE_URL) or "").strip() or None,
            concurrency_limit=int(_env_number(env, ENV_CONCURRENCY, DEFAULT_CONCURRENCY,
                                              minimum=1, whole=True)),
            max_wait=_env_number(env, ENV_MAX_WAIT, DEFAULT_MAX_WAIT, minimum=1),
            offline_latency=_env_number(env, ENV_OFFLINE_LATENCY, 0.0, minimum=0),
            # Gradio reads these two when it is imported, before .env is loaded,
            # so the studio passes them to launch() itself.
            server_name=(env.get(ENV_SERVER_NAME) or "").strip() or None,
            server_port=_port(env),
        )

    @property
    def event_limit(self) -> int:
        """Generations the page runs at once: twice the API's queue limit, so that
        as many are prepared (or finished) while the others' jobs run, and the
        API's queue never idles while the studio does its own work. Jobs
        themselves stay within the limit (``Backend.job_slots``)."""
        return 2 * self.concurrency_limit

    def launch_options(self) -> dict[str, Any]:
        """``server_name``/``server_port`` for ``launch()``; None keeps gradio's default."""
        return {"server_name": self.server_name, "server_port": self.server_port}


def _port(env: dict[str, str]) -> int | None:
    raw = (env.get(ENV_SERVER_PORT) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"{ENV_SERVER_PORT} must be a port number (got {raw!r})")
    return int(raw)


def _env_number(env: dict[str, str], name: str, default: float, *, minimum: float,
                whole: bool = False) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    if math.isnan(value) or value < minimum or (whole and not value.is_integer()):
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{name} must be {kind} of at least {minimum:g} (got {raw!r})")
    return value


# -- backends -----------------------------------------------------------------
MODE_OFFLINE = "offline"
MODE_MODELSLAB = "modelslab"
MODE_OWN_KEY = "own-key"


class Backend:
    """Where a session's requests go, and the local server when there is no key.

    Without ``MODELSLAB_API_KEY`` the project's own ModelsLab-compatible server
    is started once, on a free loopback port, so the whole flow works at once.
    A visitor's own key (kept by the page in per-session state and passed in
    per call) always goes to ModelsLab, for that call only.
    """

    def __init__(self, settings: Settings,
                 server_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._server_factory = server_factory or self._default_server
        self._server: Any = None
        self._lock = threading.Lock()
        # At most ``concurrency_limit`` jobs submitted and not yet collected,
        # across every visitor: the API's queue limit is never exceeded.
        self.job_slots = JobSlots(settings.concurrency_limit)

    @property
    def mode(self) -> str:
        return MODE_MODELSLAB if self.settings.api_key else MODE_OFFLINE

    @property
    def modelslab_url(self) -> str:
        return self.settings.base_url or DEFAULT_BASE_URL

    def _default_server(self) -> Any:
        from .server import ServerConfig, serve_in_background

        config = ServerConfig(latency=self.settings.offline_latency)
        return serve_in_background(config=config, host="127.0.0.1", port=0)

    def start(self) -> str | None:
        """Start the local server if this is offline mode; returns its base URL."""
        if self.mode != MODE_OFFLINE:
            return None
        with self._lock:
            if self._server is None:
                self._server = self._server_factory()
                log.info("offline mode: local ModelsLab-compatible server at %s",
                         self._server.base_url)
            return str(self._server.base_url)

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    def mode_for(self, session_key: str | None) -> str:
        return MODE_OWN_KEY if (session_key or "").strip() else self.mode

    def client(self, session_key: str | None = None) -> ModelsLabClient:
        """A client for one call: the visitor's key, else the server's, else offline."""
        own = (session_key or "").strip()
        timeout = 60.0
        if own:
            return ModelsLabClient(api_key=own, base_url=self.modelslab_url, timeout=timeout,
                                   max_wait=self.settings.max_wait,
                                   job_slots=self.job_slots)
        if self.mode == MODE_MODELSLAB:
            return ModelsLabClient(api_key=self.settings.api_key, base_url=self.modelslab_url,
                                   timeout=timeout, max_wait=self.settings.max_wait,
                                   job_slots=self.job_slots)
        return ModelsLabClient(api_key=OFFLINE_KEY, base_url=self.start(), timeout=timeout,
                               max_wait=self.settings.max_wait, job_slots=self.job_slots)

    def scrubber(self, session_key: str | None = None) -> Scrubber:
        """Removes both keys a message could conceivably contain."""
        return Scrubber(self.settings.api_key, (session_key or "").strip())

    def banner(self, session_key: str | None = None) -> str:
        """The notice at the top of the page: which backend, and what that means."""
        mode = self.mode_for(session_key)
        if mode == MODE_OWN_KEY:
            return (
                "**ModelsLab, with your own key.** Requests go to "
                f"`{_host(self.modelslab_url)}` and use your account's credits. The key is kept "
                "for this browser tab only: it is not stored, logged or shared, and it is "
                "forgotten when you close or reload the page. Clear the field to switch back."
            )
        if mode == MODE_MODELSLAB:
            return (
                f"**ModelsLab** (`{_host(self.modelslab_url)}`), with the key configured on "
                "this server. Each generation uses credits. You can paste your own key "
                "below to use your account instead, for this tab only."
            )
        return (
            "**Offline demo mode.** No `MODELSLAB_API_KEY` is set, so this studio uses the "
            "project's local ModelsLab-compatible server. Its fill is **classical** (OpenCV "
            "inpainting from the surrounding pixels): it **ignores the prompt** and cannot "
            "draw new objects. To use ModelsLab's models, set `MODELSLAB_API_KEY` in the "
            "environment or a `.env` file (on a Hugging Face Space: a secret) and restart, "
            "or paste your own key below for this tab only."
        )


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.netloc + parts.path


# -- form values --------------------------------------------------------------
# The generation form, in the order the page passes it. History entries store
# exactly these (so "restore" refills exactly these); the key is not one.
FORM_FIELDS = (
    "prompt", "negative_prompt", "auto_size", "width", "height", "samples",
    "num_inference_steps", "guidance_scale", "strength", "safety_checker", "seed",
    "transport", "base64_output", "instant_response", "webhook", "track_id",
    "invert_mask", "grow_px", "feather_px",
)
# The mask preview reads the editor through a hidden copy (app.py explains
# why); these are the settings whose changes refresh it.
PREVIEW_SETTINGS = ("mask_file", "auto_size", "width", "height", "invert_mask", "grow_px",
                    "feather_px")
PREVIEW_INPUTS = ("preview_snapshot", *PREVIEW_SETTINGS)
PREVIEW_OUTPUTS = ("mask_preview", "mask_caption")
CAPTURE_INPUTS = ("generate_snapshot", "mask_file", "invert_mask", "prompt")
CAPTURE_OUTPUTS = ("input_image", "input_mask", "status", "right_tabs")
GENERATE_INPUTS = ("input_image", "input_mask", *FORM_FIELDS, "session_key")
FETCH_INPUTS = ("fetch_job_id", "session_key")
GENERATE_OUTPUTS = (
    "gallery", "before_after", "downloads", "run_info", "info", "status",
    "fetch_job_id", "fetch_row", "last_run", "last_seed", "new_entry", "right_tabs",
)
RESULT_TAB = "result"
MASK_TAB = "mask"


@dataclass
class Form:
    """The generation form's values, checked and normalised for the client."""

    prompt: str = ""
    negative_prompt: str = ""
    auto_size: bool = True
    width: int = int(BY_NAME["width"].default)
    height: int = int(BY_NAME["height"].default)
    samples: int = int(BY_NAME["samples"].default)
    num_inference_steps: int = int(BY_NAME["num_inference_steps"].default)
    guidance_scale: int = int(BY_NAME["guidance_scale"].default)
    strength: float = float(BY_NAME["strength"].default)
    safety_checker: bool = BY_NAME["safety_checker"].default == "yes"
    seed: int | None = None
    transport: str = "upload"
    base64_output: bool = False
    instant_response: bool = False
    webhook: str = ""
    track_id: int | None = None
    invert_mask: bool = False
    grow_px: int = 0
    feather_px: int = 0

    @classmethod
    def from_ui(cls, values: dict[str, Any]) -> Form:
        """Coerce what the widgets hand over (floats from sliders, None from blanks)."""
        d = {name: values.get(name) for name in FORM_FIELDS}
        form = cls()
        form.prompt = str(d["prompt"] or "")
        form.negative_prompt = str(d["negative_prompt"] or "")
        form.auto_size = bool(d["auto_size"]) if d["auto_size"] is not None else True
        for name in ("width", "height", "samples", "num_inference_steps", "guidance_scale"):
            setattr(form, name, _whole(d[name], name, getattr(form, name)))
        form.strength = float(d["strength"]) if d["strength"] is not None else form.strength
        form.safety_checker = _flag(d["safety_checker"], form.safety_checker)
        form.seed = normalise_seed(_whole_or_none(d["seed"], "seed"))
        form.transport = str(d["transport"] or "upload")
        if form.transport not in TRANSPORTS:
            raise ParameterError(f"Transport must be one of {', '.join(TRANSPORTS)}",
                                 field="transport")
        form.base64_output = _flag(d["base64_output"], False)
        form.instant_response = _flag(d["instant_response"], False)
        form.webhook = str(d["webhook"] or "").strip()
        form.track_id = _whole_or_none(d["track_id"], "track_id")
        form.invert_mask = _flag(d["invert_mask"], False)
        form.grow_px = _whole(d["grow_px"], "grow_px", 0)
        form.feather_px = _whole(d["feather_px"], "feather_px", 0)
        return form

    def size(self) -> tuple[int | None, int | None]:
        return (None, None) if self.auto_size else (self.width, self.height)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ModelsLabClient.inpaint`` (images and hooks aside)."""
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt or None,
            "samples": self.samples,
            "num_inference_steps": self.num_inference_steps,
            "safety_checker": "yes" if self.safety_checker else "no",
            "guidance_scale": self.guidance_scale,
            "strength": self.strength,
            "seed": self.seed,
            "transport": self.transport,
            "base64_output": self.base64_output,
            "instant_response": self.instant_response,
            "webhook": self.webhook or None,
            "track_id": self.track_id,
        }

    def as_ui(self) -> dict[str, Any]:
        """Values to put back into the widgets (seed -1 for random)."""
        out = asdict(self)
        out["seed"] = RANDOM_SEED if self.seed is None else self.seed
        return out


def _whole(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _field_error(name, value) from None
    if not number.is_integer():
        raise _field_error(name, value)
    return int(number)


def _whole_or_none(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _whole(value, name, 0)


def _field_error(name: str, value: Any) -> ParameterError:
    label = BY_NAME[name].label if name in BY_NAME else name.replace("_", " ")
    return ParameterError(f"{label} must be a whole number (got {value!r})", field=name)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "on")
    return bool(value)


NO_PHOTO_CAPTION = "Upload a photo, then paint the area to repaint."
ALL_BLACK_MESSAGE = "The mask is all black: nothing would be repainted (white = repaint)."
EMPTY_PROMPT_MESSAGE = "Empty prompt: describe what should appear in the painted area."


# -- the exact inputs ---------------------------------------------------------
@dataclass
class Prepared:
    """The image and mask exactly as they will be sent, and how they came about."""

    image: Image.Image
    mask: Image.Image
    width: int
    height: int
    soft: bool
    notes: list[str]
    source: str

    @property
    def coverage(self) -> float:
        return masks.coverage(self.mask)


def prepare_inputs(image: Any, mask: Any, form: Form, *, source: str = "uploaded",
                   notes: list[str] | None = None,
                   preparer: ModelsLabClient | None = None) -> Prepared:
    """Image + mask + mask tools -> the image and mask the client will send.

    ``image`` and ``mask`` are anything ``inpaint.images`` reads (a path from
    the API, PIL images from the editor). The mask tools work in pixels of the
    image that is sent, in a fixed order (invert, grow or shrink, feather), so
    the preview and the request match exactly. Sizing is the client's own
    (``prepare``), not a second copy of it.
    """
    if image is None:
        raise InputImageError(editor.NO_IMAGE_MESSAGE, field="init_image")
    picture = imgs.to_rgb(imgs.load_image(image, what="image"))
    if mask is None:
        raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
    mask, mask_notes = editor.uploaded_mask(mask, picture.size)
    notes = [*(notes or []), *mask_notes]
    if masks.is_empty(mask) and not form.invert_mask:
        if source == "uploaded":
            raise InputImageError(ALL_BLACK_MESSAGE, field="mask_image")
        raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
    if form.invert_mask:
        mask = masks.invert(mask)
        if masks.is_empty(mask):
            raise InputImageError("The inverted mask is empty: everything was painted, so "
                                  "inverting leaves nothing to repaint.", field="mask_image")
    width, height = form.size()
    own = preparer is None
    preparer = preparer or ModelsLabClient(api_key="", base_url=DEFAULT_BASE_URL)
    try:
        picture, mask, w, h = preparer.prepare(picture, mask, width, height)
    finally:
        if own:
            preparer.close()
    if form.grow_px:
        mask = masks.grow(mask, form.grow_px)
        if masks.is_empty(mask):
            raise InputImageError(f"After shrinking by {-form.grow_px} px nothing is left to "
                                  "repaint: shrink less or paint a larger area.",
                                  field="mask_image")
    soft = form.feather_px > 0
    if soft:
        mask = masks.feather(mask, form.feather_px)
    return Prepared(picture, mask, w, h, soft, notes, source)


def preview_caption(prepared: Prepared) -> str:
    """One line under the preview: what is sent, how much of it is repainted."""
    source = "uploaded mask file" if prepared.source == "uploaded" else "painted strokes"
    soft = ", feathered edge" if prepared.soft else ""
    text = (f"Sent at **{prepared.width} × {prepared.height}** px · "
            f"**{prepared.coverage:.1%}** repainted (from the {source}{soft}).")
    for note in prepared.notes:
        text += f"\n\n⚠ {note}"
    return text


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


# -- history ------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def history_entry(form: Form, *, status: str, backend: str, job_id: Any = None,
                  seed: int | None = None, generation_time: float | None = None,
                  size: tuple[int, int] | None = None, message: str = "",
                  fetch_url: str | None = None, entry_id: str | None = None) -> dict[str, Any]:
    """A JSON-ready record of one generation, for the browser-side history.

    It holds the form (to restore it), the outcome and the job id (to fetch a
    pending job after a reload) and nothing secret: the key is not a form field.
    """
    return {
        "id": entry_id or uuid.uuid4().hex[:12],
        "when": _now(),
        "status": status,
        "backend": backend,
        "job_id": job_id,
        "seed": seed,
        "generation_time": generation_time,
        "size": list(size) if size else None,
        "message": message,
        "fetch_url": fetch_url,
        "params": asdict(form),
    }


def record_history(history: list[dict[str, Any]] | None,
                   entry: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Insert or update ``entry`` (newest first), keeping at most ``HISTORY_LIMIT``.

    An entry with the same ``id`` is replaced; an update that only knows a job
    id (a fetched result) completes the pending entry of that job, keeping its
    parameters.
    """
    items = [dict(e) for e in (history or []) if isinstance(e, dict)]
    if not entry:
        return items
    entry = dict(entry)
    for i, old in enumerate(items):
        same_id = old.get("id") == entry.get("id")
        same_job = (entry.get("update_job") and old.get("job_id") is not None
                    and str(old.get("job_id")) == str(entry.get("job_id")))
        if same_id or same_job:
            update = {k: v for k, v in entry.items() if v is not None}
            if entry.get("update_job"):
                update.pop("when", None)  # a fetched result keeps its original time
            merged = {**old, **update}
            merged.pop("update_job", None)
            if not entry.get("params"):
                merged["params"] = old.get("params")
            merged["id"] = old.get("id")
            items[i] = merged
            return items[:HISTORY_LIMIT]
    entry.pop("update_job", None)
    return [entry, *items][:HISTORY_LIMIT]


STATUS_ICONS = {"done": "✓ done", "pending": "… pending", "failed": "✗ failed"}
HISTORY_HEADERS = ["When", "Status", "Prompt", "Seed", "Job id", "Size"]


def history_rows(history: list[dict[str, Any]] | None) -> list[list[Any]]:
    """The table the page shows: one short row per entry, newest first."""
    rows = []
    for e in history or []:
        params = e.get("params") or {}
        prompt = str(params.get("prompt") or "")
        size = e.get("size")
        rows.append([
            e.get("when", ""),
            STATUS_ICONS.get(e.get("status", ""), e.get("status", "")),
            prompt if len(prompt) <= 48 else prompt[:47] + "…",
            "" if e.get("seed") is None else str(e.get("seed")),
            "" if e.get("job_id") is None else str(e.get("job_id")),
            f"{size[0]} × {size[1]}" if size else "",
        ])
    return rows or [["", "", "No generations yet", "", "", ""]]


# -- progress and cancelling ----------------------------------------------------
STAGE_SPAN = {  # where each stage sits on the bar
    "preparing": (0.0, 0.05), "uploading": (0.05, 0.15), "submitting": (0.15, 0.2),
    "queued": (0.2, 0.9), "downloading": (0.9, 0.98), "done": (1.0, 1.0),
}


def progress_text(event: ProgressEvent) -> tuple[float, str]:
    """(bar fraction, plain description) for one client progress event."""
    low, high = STAGE_SPAN.get(event.stage, (0.0, 1.0))
    fraction = low if event.fraction is None else low + (high - low) * event.fraction
    text = event.message
    if event.stage == "queued":
        if event.eta is not None and event.eta >= 1:
            text = f"{event.message} · about {math.ceil(event.eta)} s left"
        else:
            text = f"{event.message} · finishing…"
    return min(1.0, max(0.0, fraction)), text


class CancelBoard:
    """Per-session "stop" flags, shared between the Generate and Cancel events.

    The flag is keyed by the page's session hash, so one visitor's Cancel never
    stops another's wait. It exists from the moment Generate is pressed
    (``arm``), so a Cancel while the request still waits in gradio's queue
    stops it before anything is sent. A running job itself cannot be
    cancelled (the API has no such call): the client stops waiting and the
    job id is kept.
    """

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def arm(self, session: str) -> threading.Event:
        """A new flag for a request that is about to be queued."""
        with self._lock:
            event = threading.Event()
            self._events[session] = event
            return event

    def begin(self, session: str, *, fresh: bool = False) -> threading.Event:
        """The flag for a request that starts now: the armed one unless ``fresh``."""
        with self._lock:
            event = None if fresh else self._events.get(session)
            if event is None:
                event = threading.Event()
                self._events[session] = event
            return event

    def end(self, session: str, event: threading.Event) -> None:
        with self._lock:
            if self._events.get(session) is event:
                del self._events[session]

    def cancel(self, session: str) -> bool:
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True


# -- results on disk ------------------------------------------------------------
class OutputStore:
    """Full-resolution PNGs of recent results, for the gallery and the downloads.

    Files older than ``max_age`` are removed as new runs arrive, so a public
    Space does not fill its disk.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_age: float = 6 * 3600) -> None:
        self.root = Path(root or Path(tempfile.gettempdir()) / "inpaint-studio")
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_age = max_age
        self._inputs: dict[str, str] = {}
        self._lock = threading.Lock()

    def save_run(self, before: Image.Image | None, images: list[Image.Image], job_id: Any,
                 seed: int | None) -> tuple[str | None, list[str]]:
        self.prune()
        run = self.root / uuid.uuid4().hex[:10]
        run.mkdir()
        stem = "inpaint" + (f"-job{job_id}" if job_id is not None else "")
        stem += f"-seed{seed}" if seed is not None else ""
        paths = []
        for i, img in enumerate(images, 1):
            path = run / f"{stem}-{i}.png"
            imgs.save_png(img, path)
            paths.append(str(path))
        before_path = None
        if before is not None:
            before_path = str(run / "input.png")
            imgs.save_png(before, before_path)
        return before_path, paths

    def remember_input(self, job_id: Any, image: Image.Image) -> None:
        """Keep the image a job was sent, so a result fetched later can be compared."""
        path = self.root / f"job-input-{_safe_name(job_id)}.png"
        imgs.save_png(image, path)
        with self._lock:
            self._inputs[str(job_id)] = str(path)
            while len(self._inputs) > 256:
                self._inputs.pop(next(iter(self._inputs)))

    def input_for(self, job_id: Any) -> str | None:
        with self._lock:
            path = self._inputs.get(str(job_id))
        return path if path and Path(path).is_file() else None

    def save_inputs(self, image: Image.Image, mask: Image.Image) -> tuple[str, str]:
        """The editor's photo and mask as lossless PNG files."""
        self.prune()
        run = self.root / ("in-" + uuid.uuid4().hex[:10])
        run.mkdir()
        imgs.save_png(image, run / "image.png")
        imgs.save_png(mask, run / "mask.png")
        return str(run / "image.png"), str(run / "mask.png")

    def prune(self) -> None:
        cutoff = time.time() - self.max_age
        for item in self.root.iterdir():
            try:
                if item.stat().st_mtime >= cutoff:
                    continue
                if item.is_dir():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    item.unlink(missing_ok=True)
            except OSError:
                continue


# -- the handlers -------------------------------------------------------------------
_SKIP = object()  # placeholder: "leave this output as it is"
# gradio finds the progress tracker by the parameter's default being a Progress;
# the tracker itself is per event (a context variable), so one default is shared.
_PROGRESS = gr.Progress()


class Studio:
    """The page's event handlers, bound to one backend and one output folder."""

    def __init__(self, settings: Settings | None = None, *, backend: Backend | None = None,
                 store: OutputStore | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.backend = backend or Backend(self.settings)
        self.store = store or OutputStore()
        self.board = CancelBoard()

    # -- session key ----------------------------------------------------------
    def set_session_key(self, key: str | None) -> tuple[str, str]:
        """Keep the visitor's key in their session state and update the banner."""
        key = (key or "").strip()
        return key, self.backend.banner(key)

    def banner(self, session_key: str | None = None) -> str:
        return self.backend.banner(session_key)

    @staticmethod
    def size_controls(auto_size: bool) -> tuple[Any, Any]:
        """Width and height are only editable when the size is not automatic."""
        return gr.update(interactive=not auto_size), gr.update(interactive=not auto_size)

    # -- mask preview ---------------------------------------------------------
    def preview(self, image_editor: dict[str, Any] | None, mask_file: Any, auto_size: bool,
                width: float, height: float, invert_mask: bool, grow_px: float,
                feather_px: float) -> tuple[Image.Image | None, str]:
        """The exact mask that would be sent, tinted over the image that would be sent."""
        try:
            form = Form.from_ui({"auto_size": auto_size, "width": width, "height": height,
                                 "invert_mask": invert_mask, "grow_px": grow_px,
                                 "feather_px": feather_px})
            if editor.background_image(image_editor) is None:
                return None, NO_PHOTO_CAPTION
            inputs = editor.read_inputs(image_editor, mask_file)
            prepared = prepare_inputs(inputs.image, inputs.mask, form, source=inputs.source,
                                      notes=inputs.notes)
        except InputImageError as exc:  # e.g. nothing painted yet: show the plain photo
            return editor.background_image(image_editor), describe_error(exc)
        except ModelsLabError as exc:
            return None, describe_error(exc)
        except Exception:  # the preview must never break the page
            log.exception("mask preview failed")
            return None, describe_error(RuntimeError())
        return masks.overlay(prepared.image, prepared.mask), preview_caption(prepared)

    def refresh_preview(self, image_editor: dict[str, Any] | None, *settings: Any
                        ) -> tuple[Any, Any]:
        """``preview`` as the page uses it: silent while the editor reads empty.

        Right after an upload (or an example or a result put into the editor)
        the photo needs a moment to reach the canvas, and reading it earlier
        gives an empty editor, which must not replace the preview with "upload
        a photo". A cleared editor is handled by ``cleared``.
        """
        if editor.background_image(image_editor) is None:
            return gr.skip(), gr.skip()
        return self.preview(image_editor, *settings)

    @staticmethod
    def cleared() -> tuple[None, str]:
        """The editor was emptied: so is the preview."""
        return None, NO_PHOTO_CAPTION

    # -- generate -------------------------------------------------------------
    def capture(self, image_editor: dict[str, Any] | None, mask_file: Any,
                invert_mask: bool = False, prompt: str | None = "x",
                request: gr.Request = None) -> Iterator[tuple[Any, Any, str, Any]]:
        """Freeze the editor into an image file and a mask file for ``generate``.

        The page runs this quick step first and then ``generate`` on the two
        files, which is also exactly what an API caller sends. Saying "nothing
        is painted" belongs here, where it is still known whether the mask was
        painted or uploaded. Checking here also keeps these everyday slips out
        of the long-running event's error display. Yields (image file, mask
        file, status, tab to show).
        """
        try:
            inputs = editor.read_inputs(image_editor, mask_file)
            if masks.is_empty(inputs.mask) and not invert_mask:
                if inputs.source == "uploaded":
                    raise InputImageError(ALL_BLACK_MESSAGE, field="mask_image")
                raise InputImageError(masks.EMPTY_MASK_MESSAGE, field="mask_image")
            if not (prompt or "").strip():
                raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
        except ModelsLabError as exc:
            message = describe_error(exc)
            yield gr.skip(), gr.skip(), f"⚠ {message}", gr.skip()
            raise _error(message) from None
        image, mask = self.store.save_inputs(inputs.image, inputs.mask)
        self.board.arm(_session_of(request))  # Cancel works from now on, even while queued
        # The result area is where the progress of the generation is shown.
        yield image, mask, "Sending…", gr.Tabs(selected=RESULT_TAB)

    def generate(self, image: str | None, mask: str | None, prompt: str = "",
                 negative_prompt: str | None = None, auto_size: bool | None = None,
                 width: float | None = None, height: float | None = None,
                 samples: float | None = None, num_inference_steps: float | None = None,
                 guidance_scale: float | None = None, strength: float | None = None,
                 safety_checker: bool | None = None, seed: float | None = None,
                 transport: str | None = None, base64_output: bool | None = None,
                 instant_response: bool | None = None, webhook: str | None = None,
                 track_id: float | None = None, invert_mask: bool | None = None,
                 grow_px: float | None = None, feather_px: float | None = None,
                 session_key: str | None = None, progress: gr.Progress = _PROGRESS,
                 request: gr.Request = None) -> Iterator[tuple[Any, ...]]:
        """Inpaint the white area of ``mask`` in ``image``; yields the page's outputs.

        A job id is reported (and recorded in the history as pending) as soon
        as it exists, so a paid job survives a closed tab, a cancel or a
        timeout. Failures end with ``gr.Error`` carrying one plain sentence.
        """
        values = dict(locals())
        values.pop("self")
        scrub = self.backend.scrubber(session_key)
        session = _session_of(request)
        stop = self.board.begin(session)
        started = time.monotonic()
        try:
            try:
                form = Form.from_ui(values)
                progress(0.0, desc="Preparing the image and mask")
                prepared = prepare_inputs(image, mask, form)
                if not form.prompt.strip():  # after the image: the first thing missing first
                    raise ParameterError(EMPTY_PROMPT_MESSAGE, field="prompt")
                client = self.backend.client(session_key)
            except Exception as exc:  # plain words for everything, a log line for surprises
                if not isinstance(exc, ModelsLabError):
                    log.error("preparing a generation failed: %s", scrub(repr(exc)))
                message = scrub(describe_error(exc))
                yield self._status_only(f"⚠ {message}")
                raise _error(message) from None
            mode = self.backend.mode_for(session_key)

            def call(on_progress: Callable[[ProgressEvent], None],
                     cancel: Callable[[], bool]) -> InpaintResult:
                return client.inpaint(prepared.image, prepared.mask, width=prepared.width,
                                      height=prepared.height, mask_is_final=prepared.soft,
                                      progress=on_progress, cancel=cancel,
                                      **form.client_kwargs())

            yield from self._run_job(call, client, progress, stop, scrub, started, form=form,
                                     mode=mode, before=prepared.image,
                                     size=(prepared.width, prepared.height))
        finally:
            self.board.end(session, stop)

    def fetch(self, job_id: str | float | None, session_key: str | None = None,
              progress: gr.Progress = _PROGRESS,
              request: gr.Request = None) -> Iterator[tuple[Any, ...]]:
        """Collect a job that was still running (timed out, cancelled or from history)."""
        scrub = self.backend.scrubber(session_key)
        job_id = str(job_id if job_id is not None else "").strip()
        if job_id.endswith(".0") and job_id[:-2].isdigit():
            job_id = job_id[:-2]
        if not job_id:
            message = "No job id: enter the id of the job to fetch (shown in the history)."
            yield self._status_only(f"⚠ {message}")
            raise _error(message)
        session = _session_of(request)
        stop = self.board.begin(session, fresh=True)
        started = time.monotonic()
        try:
            try:
                client = self.backend.client(session_key)
            except Exception as exc:
                if not isinstance(exc, ModelsLabError):
                    log.error("starting a fetch failed: %s", scrub(repr(exc)))
                message = scrub(describe_error(exc))
                yield self._status_only(f"⚠ {message}")
                raise _error(message) from None
            progress(0.0, desc=f"Checking job {job_id}")

            def call(on_progress: Callable[[ProgressEvent], None],
                     cancel: Callable[[], bool]) -> InpaintResult:
                return client.fetch_result(job_id, progress=on_progress, cancel=cancel,
                                           max_wait=self.settings.max_wait)

            yield from self._run_job(call, client, progress, stop, scrub, started, form=None,
                                     mode=self.backend.mode_for(session_key), before=None,
                                     size=None, fetched_job=job_id)
        finally:
            self.board.end(session, stop)

    def cancel(self, request: gr.Request = None) -> str:
        """Stop waiting for this session's job (the job id is kept)."""
        if self.board.cancel(_session_of(request)):
            return ("Stopping… if the job was already sent, its id is kept so you can fetch "
                    "the result later.")
        return "Nothing is running."

    def _run_job(self, call: Callable[..., InpaintResult], client: ModelsLabClient,
                 progress: Any, stop: threading.Event, scrub: Scrubber, started: float, *,
                 form: Form | None, mode: str, before: Image.Image | None,
                 size: tuple[int, int] | None,
                 fetched_job: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Run the blocking client call in a worker, relaying progress from this thread.

        Progress is reported here (not from the worker) because gradio's
        progress and the generator's yields belong to the event's thread; the
        first time a job id appears, a pending history entry is yielded.
        """
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def worker() -> None:
            try:
                if stop.is_set():  # cancelled while waiting in gradio's queue
                    raise JobCancelledError("Cancelled before the job was sent.")
                events.put(("result", call(lambda e: events.put(("progress", e)), stop.is_set)))
            except BaseException as exc:  # handed over to the event thread
                events.put(("error", exc))

        entry_id = uuid.uuid4().hex[:12]
        job_seen: Any = fetched_job
        thread = threading.Thread(target=worker, name="inpaint-job", daemon=True)
        thread.start()
        try:
            while True:
                kind, payload = events.get()
                if kind == "progress":
                    fraction, text = progress_text(payload)
                    progress(fraction, desc=scrub(text))
                    if payload.job_id is not None and job_seen is None and form is not None:
                        job_seen = payload.job_id
                        if before is not None:
                            self.store.remember_input(f"{mode}-{job_seen}", before)
                        entry = history_entry(form, status="pending", backend=mode,
                                              job_id=job_seen, size=size, entry_id=entry_id,
                                              message="Waiting for the result")
                        yield self._pending(job_seen, entry, waiting=True)
                    continue
                break
        finally:
            client.close()
        elapsed = time.monotonic() - started

        if kind == "result":
            result: InpaintResult = payload
            yield self._success(result, form, mode, before, size, elapsed, entry_id,
                                fetched=fetched_job is not None, scrub=scrub)
            return
        exc = payload
        job_id = getattr(exc, "job_id", None)
        job_id = job_seen if job_id is None else job_id
        if not isinstance(exc, ModelsLabError):
            log.error("generation failed unexpectedly: %s", scrub(repr(exc)))
        message = scrub(describe_error(exc))
        if isinstance(exc, JobFailedError) and job_id is not None:
            entry = self._entry_for(form, status="failed", mode=mode, job_id=job_id,
                                    size=size, message=message, fetch_url=None,
                                    entry_id=entry_id, fetched=fetched_job is not None)
            yield self._failed(message, entry)
            raise _error(message)
        if job_id is None:
            if isinstance(exc, JobCancelledError):  # before a job existed: not a failure
                yield self._status_only(f"■ {message}")
                return
            yield self._status_only(f"⚠ {message}")
            raise _error(message)
        # The job exists (and may be paid for) but its result is not here: keep it.
        if not isinstance(exc, JobError):
            message += (f" Job {job_id} may still have finished: use “Fetch result” to "
                        "collect it.")
        entry = self._entry_for(form, status="pending", mode=mode, job_id=job_id, size=size,
                                message=message, fetch_url=getattr(exc, "fetch_url", None),
                                entry_id=entry_id, fetched=fetched_job is not None)
        yield self._pending(job_id, entry, waiting=False, message=message)
        if isinstance(exc, JobCancelledError):
            gr.Info(html.escape(message, quote=False))
            return
        if isinstance(exc, JobTimeoutError):  # not a failure: the job is alive and kept
            gr.Warning(html.escape(message, quote=False))
            return
        raise _error(message)

    # -- output tuples --------------------------------------------------------
    @staticmethod
    def _outputs(**values: Any) -> tuple[Any, ...]:
        return tuple(gr.skip() if values.get(name, _SKIP) is _SKIP else values[name]
                     for name in GENERATE_OUTPUTS)

    def _status_only(self, status: str) -> tuple[Any, ...]:
        return self._outputs(status=status)

    def _pending(self, job_id: Any, entry: dict[str, Any], *, waiting: bool,
                 message: str = "") -> tuple[Any, ...]:
        if waiting:
            status = (f"… Job **{job_id}** is running. It is in your history: if you leave, "
                      "fetch it later with “Fetch result”.")
        else:
            status = f"… {message}"
        return self._outputs(status=status, fetch_job_id=str(job_id),
                             fetch_row=_SKIP if waiting else gr.update(visible=True),
                             new_entry=entry)

    def _failed(self, message: str, entry: dict[str, Any]) -> tuple[Any, ...]:
        return self._outputs(status=f"⚠ {message}", new_entry=entry)

    def _entry_for(self, form: Form | None, *, status: str, mode: str, job_id: Any,
                   size: tuple[int, int] | None, message: str, fetch_url: str | None,
                   entry_id: str, fetched: bool) -> dict[str, Any]:
        entry = history_entry(form or Form(), status=status, backend=mode, job_id=job_id,
                              size=size, message=message, fetch_url=fetch_url,
                              entry_id=entry_id)
        if fetched:  # completes the entry that recorded this job, keeping its form
            entry.update(update_job=True, params=None)
        return entry

    def _success(self, result: InpaintResult, form: Form | None, mode: str,
                 before: Image.Image | None, size: tuple[int, int] | None, elapsed: float,
                 entry_id: str, *, fetched: bool, scrub: Scrubber) -> tuple[Any, ...]:
        before_path, paths = self.store.save_run(before, result.images, result.id, result.seed)
        if before_path is None:  # a fetched job: the image it was sent, if this server saw it
            before_path = self.store.input_for(f"{mode}-{result.id}")
        out_size = result.images[0].size if result.images else size
        captions = [f"Sample {i}" + (f" · {img.size[0]}×{img.size[1]}")
                    for i, img in enumerate(result.images, 1)]
        gallery = list(zip(paths, captions, strict=True))
        slider = _before_after(before_path, paths[0]) if paths else None
        entry = self._entry_for(form, status="done", mode=mode, job_id=result.id,
                                size=out_size, message="", fetch_url=None, entry_id=entry_id,
                                fetched=fetched)
        entry.update(seed=result.seed, generation_time=result.generation_time)
        info = {
            "job_id": result.id,
            "backend": mode,
            "request": scrub(result.request) if result.request else "(fetched by job id)",
            "response_meta": scrub(result.meta),
            "output_urls": scrub(result.output_urls),
        }
        if result.nsfw_content_detected:
            info["nsfw_content_detected"] = True
        last_run = {"before": before_path, "outputs": paths, "seed": result.seed,
                    "job_id": result.id, "selected": 0}
        note = " (the API flagged possibly unsafe content)" if result.nsfw_content_detected else ""
        status = (f"✓ Done: {len(paths)} image{'s' if len(paths) != 1 else ''}{note}. "
                  "Select one to compare it with the input.")
        return self._outputs(
            gallery=gallery, before_after=slider,
            downloads=gr.update(value=paths, visible=True),
            run_info=run_info_text(result, elapsed, fetched), info=info, status=status,
            fetch_job_id="", fetch_row=gr.update(visible=False), last_run=last_run,
            last_seed=result.seed, new_entry=entry, right_tabs=gr.Tabs(selected=RESULT_TAB),
        )

    # -- results --------------------------------------------------------------
    def select_result(self, last_run: dict[str, Any] | None,
                      evt: gr.SelectData) -> tuple[Any, dict[str, Any] | None]:
        """Show the chosen sample in the before/after slider."""
        if not last_run or not last_run.get("outputs"):
            return gr.skip(), last_run
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        index = max(0, min(int(index), len(last_run["outputs"]) - 1))
        last_run = {**last_run, "selected": index}
        return _before_after(last_run.get("before"), last_run["outputs"][index]), last_run

    def use_as_input(self, last_run: dict[str, Any] | None
                     ) -> tuple[str, Any, str, Any]:
        """Send the selected result back to the editor for another pass.

        Returns the image file (the page copies it into the editor in the
        browser), no mask file, a status line and the Mask tab.
        """
        if not last_run or not last_run.get("outputs"):
            raise _error("No result yet: generate one first, then use it as the input.")
        index = int(last_run.get("selected") or 0)
        path = last_run["outputs"][min(index, len(last_run["outputs"]) - 1)]
        status = (f"↩ Sample {index + 1} is now the input (its mask tools are reset): "
                  "paint the next area to change.")
        return path, None, status, gr.Tabs(selected=MASK_TAB)

    @staticmethod
    def reuse_seed(last_seed: int | None) -> Any:
        """Put the last result's seed in the seed field (for small, controlled changes)."""
        if last_seed is None:
            gr.Warning("No seed yet: generate once, then reuse its seed.")
            return gr.skip()
        return last_seed

    # -- history --------------------------------------------------------------
    @staticmethod
    def add_to_history(history: list[dict[str, Any]] | None,
                       entry: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list]:
        items = record_history(history, entry)
        return items, history_rows(items)

    @staticmethod
    def show_history(history: list[dict[str, Any]] | None) -> list[list[Any]]:
        return history_rows(history)

    @staticmethod
    def clear_history() -> tuple[list, list]:
        return [], history_rows([])

    @staticmethod
    def restore(history: list[dict[str, Any]] | None,
                evt: gr.SelectData) -> tuple[Any, ...]:
        """Refill the form from a history entry; a pending one also fills "Fetch result".

        The seed restored is the one the job used, so the result can be
        reproduced; outputs are ``FORM_FIELDS`` then fetch id, fetch row, status.
        """
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        items = history or []
        if row is None or not 0 <= int(row) < len(items):
            return tuple(gr.skip() for _ in FORM_FIELDS) + (gr.skip(), gr.skip(), gr.skip())
        entry = items[int(row)]
        form = Form()
        for name, value in (entry.get("params") or {}).items():
            if name in FORM_FIELDS:
                setattr(form, name, value)
        if entry.get("seed") is not None:
            form.seed = entry["seed"]
        ui = form.as_ui()
        pending = entry.get("status") == "pending" and entry.get("job_id") is not None
        job = entry.get("job_id")
        if pending:
            status = (f"↩ Restored the settings of pending job {job}. Press “Fetch result” "
                      "to collect it.")
        else:
            seed_note = f" (seed {entry['seed']}, the one it used)" if entry.get("seed") else ""
            status = f"↩ Restored the settings from {entry.get('when', '')}{seed_note}."
        return (
            *(ui[name] for name in FORM_FIELDS),
            str(job) if pending else gr.skip(),
            gr.update(visible=True) if pending else gr.skip(),
            status,
        )


def _safe_name(value: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(value))[:64]


def _session_of(request: Any) -> str:
    session = getattr(request, "session_hash", None)
    return session or f"anonymous-{uuid.uuid4().hex}"


def _before_after(before: str | None, after: str) -> tuple[Any, Any]:
    """The slider's pair; without a known input the result is shown on both sides."""
    return (before or after, after)


def run_info_text(result: InpaintResult, elapsed: float, fetched: bool = False) -> str:
    """Seed, time and job id, the three things people copy from a result."""
    seed = "unknown" if result.seed is None else f"`{result.seed}`"
    parts = []
    if result.generation_time is not None:
        parts.append(f"{result.generation_time:.1f} s generation")
    parts.append(f"fetched in {elapsed:.1f} s" if fetched else f"{elapsed:.1f} s total")
    job = "-" if result.id is None else f"`{result.id}`"
    return f"**Seed** {seed} · **Time** {', '.join(parts)} · **Job id** {job}"


# -- examples -------------------------------------------------------------------
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_INPUTS = ("example_image", "mask_file", "prompt", "negative_prompt")


def load_examples(folder: str | os.PathLike = EXAMPLES_DIR) -> list[list[str]]:
    """Rows for ``gr.Examples`` from ``examples.json``: photo, prepared mask, prompts.

    A missing file is a packaging mistake worth failing on at start-up, not a
    broken example discovered by a visitor.
    """
    folder = Path(folder)
    rows = []
    for item in json.loads((folder / "examples.json").read_text(encoding="utf-8")):
        image, mask = folder / item["image"], folder / item["mask"]
        for path in (image, mask):
            if not path.is_file():
                raise FileNotFoundError(f"example file missing: {path}")
        rows.append([str(image), str(mask), item["prompt"], item.get("negative_prompt", "")])
    return rows
