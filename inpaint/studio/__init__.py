"""What the studio's buttons do, kept apart from the page that shows them.

The studio is organised by feature: ``generate`` (the editor column, the
parameters, the events that send jobs), ``mask`` (the preview of what is sent
and the mask tools), ``result``, ``extend`` (outpainting), ``compare``
(sweeps), ``history``, ``reproduce``, ``examples`` and ``session`` (banner,
sign-in, the visitor's key). Each keeps its page (``panel``: builds the
components, wires the events that stay inside it) beside what its buttons do
(``handler``); ``events.Studio`` binds the handlers to one backend and one
output folder, and ``app.py`` lays the panels out.

Everything that decides something lives outside the panels, where it can be
tested without a browser: which backend a session talks to, how the editor's
value becomes the exact image and mask that are sent, how progress is
reported, how every failure becomes one plain sentence, and what a history
entry records (never the key). The event handlers take and return plain
values in the order named by ``GENERATE_INPUTS`` / ``GENERATE_OUTPUTS`` etc.,
so the page and this package agree on wiring by name rather than by position.

Shared modules: ``settings`` (environment), ``backend`` (which API, the local
server), ``form`` (fields and their checks), ``editor`` (the editor's value to
photo and mask), ``ui_spec`` (widgets from the parameter spec),
``plain_inputs`` (plain refusals of values gradio rejects), ``prepare`` (the
exact inputs and their preview), ``messages`` (plain sentences), ``progress``
(and cancelling), ``jobs`` (running a client call), ``store`` (files on disk,
what is kept and for how long), ``workdir`` (the process's temporary folder),
``memory`` (the allocator), ``access``/``visitors``/``ownership``/``limits``
(who may spend what), ``common`` (what the features share) and ``browser``
(the page's few lines of JavaScript).
"""

from __future__ import annotations

from .backend import BACKEND_LABELS, MODE_MODELSLAB, MODE_OFFLINE, MODE_OWN_KEY, Backend
from .events import Studio, run_info_text
from .examples import EXAMPLES_DIR, load_examples
from .form import (
    AREA_AUTO,
    AREA_MASKED,
    AREA_WHOLE,
    AREAS,
    CAPTURE_INPUTS,
    CAPTURE_OUTPUTS,
    EXTEND_FIELDS,
    FETCH_INPUTS,
    FORM_FIELDS,
    GENERATE_INPUTS,
    GENERATE_OUTPUTS,
    MASK_TAB,
    MASK_TOOL_LIMIT,
    PREVIEW_SETTINGS,
    RESULT_TAB,
    TRANSPORTS,
    Form,
)
from .history import HISTORY_HEADERS, HISTORY_LIMIT, history_entry, history_rows, record_history
from .jobs import JobRunner, Outcome
from .memory import limit_arenas
from .messages import (
    ALL_BLACK_MESSAGE,
    EMPTY_PROMPT_MESSAGE,
    MESSAGES,
    NO_PHOTO_CAPTION,
    describe_error,
    page_error,
)
from .prepare import (
    PREVIEW_SIDE,
    Prepared,
    prepare_inputs,
    preview_caption,
    preview_image,
)
from .progress import CancelBoard, progress_text
from .settings import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_WAIT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_CONCURRENCY,
    ENV_MAX_WAIT,
    ENV_OFFLINE_LATENCY,
    Settings,
    SettingsError,
)
from .store import DELETE_CACHE, OutputStore
from .workdir import WorkDir, open_workdir

__all__ = [
    "ALL_BLACK_MESSAGE",
    "AREAS",
    "AREA_AUTO",
    "AREA_MASKED",
    "AREA_WHOLE",
    "BACKEND_LABELS",
    "Backend",
    "CAPTURE_INPUTS",
    "CAPTURE_OUTPUTS",
    "CancelBoard",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_WAIT",
    "DELETE_CACHE",
    "EMPTY_PROMPT_MESSAGE",
    "EXTEND_FIELDS",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_CONCURRENCY",
    "ENV_MAX_WAIT",
    "ENV_OFFLINE_LATENCY",
    "EXAMPLES_DIR",
    "FETCH_INPUTS",
    "FORM_FIELDS",
    "Form",
    "GENERATE_INPUTS",
    "GENERATE_OUTPUTS",
    "HISTORY_HEADERS",
    "HISTORY_LIMIT",
    "JobRunner",
    "MESSAGES",
    "MASK_TAB",
    "MASK_TOOL_LIMIT",
    "MODE_MODELSLAB",
    "MODE_OFFLINE",
    "MODE_OWN_KEY",
    "NO_PHOTO_CAPTION",
    "Outcome",
    "OutputStore",
    "PREVIEW_SETTINGS",
    "PREVIEW_SIDE",
    "Prepared",
    "RESULT_TAB",
    "Settings",
    "SettingsError",
    "Studio",
    "TRANSPORTS",
    "WorkDir",
    "describe_error",
    "history_entry",
    "history_rows",
    "limit_arenas",
    "load_examples",
    "open_workdir",
    "page_error",
    "prepare_inputs",
    "preview_caption",
    "preview_image",
    "progress_text",
    "record_history",
    "run_info_text",
]
