"""Start-up settings read from the environment, checked once."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from ..offline import OFFLINE_KEY as OFFLINE_KEY  # the one offline key, re-exported

# -- configuration ------------------------------------------------------------
ENV_API_KEY = "MODELSLAB_API_KEY"
ENV_BASE_URL = "MODELSLAB_BASE_URL"
ENV_CONCURRENCY = "STUDIO_CONCURRENCY_LIMIT"
ENV_MAX_WAIT = "STUDIO_MAX_WAIT"
ENV_OFFLINE_LATENCY = "STUDIO_OFFLINE_LATENCY"
ENV_TEMP_DIR = "STUDIO_TEMP_DIR"
ENV_KEEP_JOBS = "STUDIO_KEEP_JOBS"
ENV_KEEP_MB = "STUDIO_KEEP_MB"
ENV_GRADIO_TEMP_DIR = "GRADIO_TEMP_DIR"
ENV_SERVER_NAME = "GRADIO_SERVER_NAME"
ENV_SERVER_PORT = "GRADIO_SERVER_PORT"

DEFAULT_CONCURRENCY = 5  # the smallest ModelsLab plan's queue limit
DEFAULT_MAX_WAIT = 600.0
DEFAULT_KEEP_JOBS = 50  # jobs whose photo and mask are kept for "Fetch result"
DEFAULT_KEEP_MB = 500.0  # ... and at most this many megabytes of them


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
    temp_dir: str | None = None  # parent of the per-process folders (None: the system's)
    keep_jobs: int = DEFAULT_KEEP_JOBS
    keep_mb: float = DEFAULT_KEEP_MB

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the variables listed in ``.env.example``; bad values stop start-up plainly."""
        env = dict(os.environ if env is None else env)
        return cls(
            api_key=(env.get(ENV_API_KEY) or "").strip(),
            base_url=(env.get(ENV_BASE_URL) or "").strip() or None,
            concurrency_limit=int(
                _env_number(env, ENV_CONCURRENCY, DEFAULT_CONCURRENCY, minimum=1, whole=True)
            ),
            max_wait=_env_number(env, ENV_MAX_WAIT, DEFAULT_MAX_WAIT, minimum=1),
            offline_latency=_env_number(env, ENV_OFFLINE_LATENCY, 0.0, minimum=0),
            # Gradio reads these two when it is imported, before .env is loaded,
            # so the studio passes them to launch() itself.
            server_name=(env.get(ENV_SERVER_NAME) or "").strip() or None,
            server_port=_port(env),
            # The studio puts gradio's cache inside its own folder; a GRADIO_TEMP_DIR
            # set on purpose says where temporary files belong, so that folder goes there.
            temp_dir=(env.get(ENV_TEMP_DIR) or env.get(ENV_GRADIO_TEMP_DIR) or "").strip() or None,
            keep_jobs=int(
                _env_number(env, ENV_KEEP_JOBS, DEFAULT_KEEP_JOBS, minimum=1, whole=True)
            ),
            keep_mb=_env_number(env, ENV_KEEP_MB, DEFAULT_KEEP_MB, minimum=0),
        )

    @property
    def event_limit(self) -> int:
        """Generations the page runs at once: twice the API's queue limit, so that
        as many are prepared (or finished) while the others' jobs run, and the
        API's queue never idles while the studio does its own work. Jobs
        themselves stay within the limit (``Backend.job_slots``)."""
        return 2 * self.concurrency_limit

    @property
    def keep_bytes(self) -> int:
        return int(self.keep_mb * 1000 * 1000)

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


def _env_number(
    env: dict[str, str], name: str, default: float, *, minimum: float, whole: bool = False
) -> float:
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
