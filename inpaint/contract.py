"""The fixed facts of ModelsLab's v6 inpainting contract that both sides share.

The client builds its URLs from these and the local server mounts its routes on
them, so the two can never disagree about where an endpoint lives or how large
an image may be. (The fields of a request are in ``params``.)
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://modelslab.com/api"
# Everything after the base URL: ``{base}/v6/image_editing/{endpoint}``.
ROUTE_PREFIX = "/v6/image_editing"
# The base URL's own path on ModelsLab's host (and on the local server).
API_ROOT = "/api"

INPAINT = "inpaint"
FETCH = "fetch"
UPLOAD = "base64_to_url"

# Largest width or height a job may ask for, and the largest upload (base64 text).
MAX_SIDE = 1024
UPLOAD_LIMIT_BYTES = 5 * 1024 * 1024

# Statuses a job answer may carry. ``failed`` is not documented for v6 but
# community helpers see it; it is treated as a terminal error.
SUCCESS, PROCESSING, ERROR, FAILED = "success", "processing", "error", "failed"
TERMINAL_ERRORS = (ERROR, FAILED)


# A job id is what the API hands out: digits. Anything else (``../health``)
# would steer the key-carrying POST of ``fetch/{id}`` to another endpoint.
JOB_ID_PATTERN = re.compile(r"[0-9]{1,18}", re.ASCII)


def job_id(value: object) -> str:
    """``value`` as a job id (1 to 18 digits), or a ``ParameterError`` saying so.

    Every id that comes from outside (a person, a history row, an API answer)
    passes here before a URL is built from it.
    """
    from .errors import ParameterError

    text = (
        str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    )
    if not JOB_ID_PATTERN.fullmatch(text):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ParameterError(
            f"A job id is 1 to 18 digits, such as 1234 (got {shown}).", field="job_id"
        )
    return text


def normalise_base_url(url: str) -> str:
    """``.../api``, ``.../api/`` and a bare host all become ``.../api``."""
    url = url.strip().rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url += API_ROOT
    return url


def endpoint(base_url: str, name: str) -> str:
    """The URL of endpoint ``name`` (``inpaint``, ``fetch/12``, ...) under ``base_url``."""
    return f"{normalise_base_url(base_url)}{ROUTE_PREFIX}/{name}"


def server_path(name: str) -> str:
    """The path a server mounts endpoint ``name`` on (``/api/v6/image_editing/...``)."""
    return f"{API_ROOT}{ROUTE_PREFIX}/{name}"
