"""Start-up settings read from the environment, checked once."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..shared.quota import Quota, parse_quota
from .visitors import SPACE_PROXIES, Network, ProxyListError, parse_proxies

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
ENV_OWNER_KEY_ACCESS = "STUDIO_OWNER_KEY_ACCESS"
ENV_VISITOR_QUOTA = "STUDIO_VISITOR_QUOTA"
ENV_DAILY_BUDGET = "STUDIO_DAILY_BUDGET"
ENV_VISITOR_CONCURRENCY = "STUDIO_VISITOR_CONCURRENCY"
ENV_TRUSTED_PROXIES = "STUDIO_TRUSTED_PROXIES"
ENV_STATE_URL = "STUDIO_STATE_URL"
ENV_DATA_DIR = "STUDIO_DATA_DIR"
ENV_SLOT_LEASE = "STUDIO_SLOT_LEASE"
ENV_SPACE_ID = "SPACE_ID"  # set by Hugging Face on a Space
SPACE_DATA_DIR = "/data"  # a Space's persistent storage, when the owner enabled it

DEFAULT_CONCURRENCY = 5  # the smallest ModelsLab plan's queue limit
DEFAULT_MAX_WAIT = 600.0
DEFAULT_KEEP_JOBS = 50  # jobs whose photo and mask are kept for "Fetch result"
DEFAULT_KEEP_MB = 500.0  # ... and at most this many megabytes of them
DEFAULT_VISITOR_CONCURRENCY = 2  # of the owner's key's queue places, per visitor
DEFAULT_SLOT_LEASE = 60.0


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
    space_id: str | None = None
    owner_key_access: str = "everyone"
    visitor_quota: Quota | None = None
    daily_budget: int | None = None
    visitor_concurrency: int = DEFAULT_VISITOR_CONCURRENCY
    trusted_proxies: tuple[Network, ...] = ()
    state_url: str = ""  # "" -> an SQLite file in data_dir
    # Seconds before a queue place held by a process that died comes back.
    slot_lease: float = DEFAULT_SLOT_LEASE
    data_dir: str | None = None

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
            **_public_rules(env),
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

    def state_location(self) -> str:
        """Where quotas, the budget and queue places live (``STUDIO_STATE_URL``).

        Default: an SQLite file in the data folder, which outlives restarts
        (on a Space with persistent storage, ``/data``).
        """
        if self.state_url:
            return self.state_url
        folder = Path(self.data_dir) if self.data_dir else default_data_dir()
        return f"sqlite:///{folder / 'studio-state.db'}"

    def forwarded_allow_ips(self) -> str:
        """The trusted proxies as uvicorn's ``FORWARDED_ALLOW_IPS`` ("" trusts none)."""
        return ",".join(str(network) for network in self.trusted_proxies)

    @property
    def on_space(self) -> bool:
        return self.space_id is not None

    def launch_options(self) -> dict[str, Any]:
        """``server_name``/``server_port`` for ``launch()``; None keeps gradio's default."""
        return {"server_name": self.server_name, "server_port": self.server_port}


def default_data_dir() -> Path:
    """The user's data folder for the studio (``$XDG_DATA_HOME/inpaint-studio``)."""
    home = os.path.join(os.path.expanduser("~"), ".local", "share")
    base = os.environ.get("XDG_DATA_HOME") or home
    return Path(base) / "inpaint-studio"


def _public_rules(env: dict[str, str]) -> dict[str, Any]:
    """The public-Space variables: who may use the owner's key, how much, where counts live."""
    space_id = (env.get(ENV_SPACE_ID) or "").strip() or None
    has_key = bool((env.get(ENV_API_KEY) or "").strip())
    access = (env.get(ENV_OWNER_KEY_ACCESS) or "").strip().lower()
    if not access:
        # One person on their own machine: theirs. A public Space with a key: sign in.
        access = "signed-in" if space_id and has_key else "everyone"
    if access not in ("everyone", "signed-in", "nobody"):
        raise SettingsError(
            f"{ENV_OWNER_KEY_ACCESS} must be everyone, signed-in or nobody (got {access!r})"
        )
    try:
        quota = _quota(env.get(ENV_VISITOR_QUOTA))
    except ValueError as exc:
        raise SettingsError(f"{ENV_VISITOR_QUOTA}: {exc}") from None
    raw_budget = (env.get(ENV_DAILY_BUDGET) or "").strip()
    budget = (
        int(_env_number(env, ENV_DAILY_BUDGET, 0, minimum=0, whole=True)) if raw_budget else None
    )
    raw_proxies = env.get(ENV_TRUSTED_PROXIES)
    if raw_proxies is None and space_id:
        raw_proxies = ",".join(SPACE_PROXIES)
    try:
        trusted = parse_proxies(raw_proxies)
    except ProxyListError as exc:
        raise SettingsError(f"{ENV_TRUSTED_PROXIES}: {exc}") from None
    data_dir = (env.get(ENV_DATA_DIR) or "").strip() or None
    if data_dir is None and space_id and os.path.isdir(SPACE_DATA_DIR):
        data_dir = SPACE_DATA_DIR
    return {
        "space_id": space_id,
        "owner_key_access": access,
        "visitor_quota": quota,
        "daily_budget": budget,
        "visitor_concurrency": int(
            _env_number(
                env,
                ENV_VISITOR_CONCURRENCY,
                DEFAULT_VISITOR_CONCURRENCY,
                minimum=1,
                whole=True,
            )
        ),
        "trusted_proxies": trusted,
        "state_url": (env.get(ENV_STATE_URL) or "").strip(),
        "slot_lease": _env_number(env, ENV_SLOT_LEASE, DEFAULT_SLOT_LEASE, minimum=1),
        "data_dir": data_dir,
    }


def _quota(text: str | None) -> Quota | None:
    text = (text or "").strip()
    return parse_quota(text) if text else None


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
