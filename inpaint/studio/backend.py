"""Where a session's requests go: ModelsLab, a visitor's own key, or the local server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .. import netguard
from ..client import ModelsLabClient
from ..contract import DEFAULT_BASE_URL
from ..errors import ParameterError
from ..http import Scrubber, shown_host
from ..offline import OFFLINE_KEY, start_local_server
from ..shared import SharedState, key_id, open_state
from ..slots import OwnedSlots
from .limits import OFFLINE_MAX_HOLE_MEGAPIXELS
from .settings import Settings
from .visitors import Visitor

log = logging.getLogger("inpaint.studio")

# -- backends -----------------------------------------------------------------
MODE_OFFLINE = "offline"
MODE_MODELSLAB = "modelslab"
MODE_OWN_KEY = "own-key"
# How a saved PNG names where it was made (never with a key).
BACKEND_LABELS = {
    MODE_OFFLINE: "offline (local classical fill, prompt ignored)",
    MODE_MODELSLAB: "ModelsLab",
    MODE_OWN_KEY: "ModelsLab",
}


class Backend:
    """Where a session's requests go, and the local server when there is no key.

    Without ``MODELSLAB_API_KEY`` the project's own ModelsLab-compatible server
    is started once, on a free loopback port, so the whole flow works at once.
    A visitor's own key (kept by the page in per-session state and passed in
    per call) always goes to ModelsLab, for that call only.
    """

    def __init__(
        self,
        settings: Settings,
        server_factory: Callable[[], Any] | None = None,
        state: SharedState | None = None,
    ) -> None:
        self.settings = settings
        self._server_factory = server_factory or self._default_server
        self._server: Any = None
        self._lock = threading.Lock()
        # Queue places, per key, shared with every process on the same state:
        # ModelsLab's queue limit is per account, so a visitor's own key has
        # places of its own and never waits behind the owner's.
        self.state = state if state is not None else open_state(None)

    def slots_for(self, key: str, base_url: str | None = None) -> Any:
        """The queue places of one key on one server (named by a hash, never the key).

        ModelsLab's queue is per account; each local server has its own queue,
        so the offline key of two studios never shares places.
        """
        url = base_url or self.base_url_for(None)
        return self.state.slots(
            key_id(f"{url}|{key}"),
            self.settings.concurrency_limit,
            lease=self.settings.slot_lease,
        )

    def scope(self, session_key: str | None = None) -> str:
        """The key and server a session's jobs are sent to, as a hash (never the key)."""
        own = (session_key or "").strip()
        key = own or self.settings.api_key or OFFLINE_KEY
        return key_id(f"{self.base_url_for(session_key)}|{key}")

    @property
    def job_slots(self) -> Any:
        """The places of the key this studio spends by default (the owner's, or offline)."""
        return self.slots_for(self.settings.api_key or OFFLINE_KEY)  # starts a local server

    @property
    def mode(self) -> str:
        return MODE_MODELSLAB if self.settings.api_key else MODE_OFFLINE

    @property
    def modelslab_url(self) -> str:
        return self.settings.base_url or DEFAULT_BASE_URL

    def _default_server(self) -> Any:
        # A public Space's CPU is shared: the offline fill has a budget (limits).
        return start_local_server(
            latency=self.settings.offline_latency,
            max_hole_megapixels=OFFLINE_MAX_HOLE_MEGAPIXELS,
        )

    def start(self) -> str | None:
        """Start the local server if this is offline mode; returns its base URL."""
        if self.mode != MODE_OFFLINE:
            return None
        with self._lock:
            if self._server is None:
                self._server = self._server_factory()
                log.info(
                    "offline mode: local ModelsLab-compatible server at %s", self._server.base_url
                )
            return str(self._server.base_url)

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    def mode_for(self, session_key: str | None) -> str:
        return MODE_OWN_KEY if (session_key or "").strip() else self.mode

    def client(
        self, session_key: str | None = None, visitor: Visitor | None = None
    ) -> ModelsLabClient:
        """A client for one call: the visitor's key, else the server's, else offline.

        On a shared key (the owner's, or the offline server's) a ``visitor``
        holds at most ``visitor_concurrency`` of its places at once.
        """
        own = (session_key or "").strip()
        if own:
            key, base_url = own, self.modelslab_url
        elif self.mode == MODE_MODELSLAB:
            key, base_url = self.settings.api_key, self.modelslab_url
        else:
            key, base_url = OFFLINE_KEY, str(self.start())
        slots = self.slots_for(key, base_url)
        if visitor is not None and not own:
            slots = OwnedSlots(slots, visitor.id, self.settings.visitor_concurrency)
        return ModelsLabClient(
            api_key=key,
            base_url=base_url,
            timeout=60.0,
            max_wait=self.settings.max_wait,
            job_slots=slots,
        )

    def check_webhook(self, url: str | None, session_key: str | None = None) -> None:
        """Refuse a webhook the owner's key (or the offline server) would carry inward.

        With a visitor's own key the webhook is between them and ModelsLab. On
        the owner's key, or offline, it must resolve to public addresses only
        (``netguard``): a visitor must not make this Space's jobs POST to its
        loopback, its private network or a cloud metadata address.
        """
        if not url or (session_key or "").strip() or not url.startswith(("http://", "https://")):
            return  # nothing to send, the visitor's own key, or refused by the form's own check
        try:
            netguard.resolve(url)
        except netguard.BlockedURL as exc:
            raise ParameterError(
                f"The webhook must be a public http(s) address ({exc}): on this studio's "
                "key, local and private network addresses are refused.",
                field="webhook",
            ) from None

    def base_url_for(self, session_key: str | None = None) -> str:
        """The API base URL a session's requests go to (starts the local server if needed)."""
        if (session_key or "").strip() or self.mode == MODE_MODELSLAB:
            return self.modelslab_url
        return str(self.start())

    def scrubber(self, session_key: str | None = None) -> Scrubber:
        """Removes both keys a message could conceivably contain."""
        return Scrubber(self.settings.api_key, (session_key or "").strip())

    def policy_words(self) -> str:
        """Who may use the owner's key, and how much, in words (the banner's middle)."""
        access = self.settings.owner_key_access
        if access == "nobody":
            return (
                "**The owner's key is not offered to visitors:** paste your own ModelsLab key "
                "below to generate."
            )
        who = (
            "**Visitors signed in with Hugging Face may use it**; if you are not signed in, "
            "sign in or paste your own key. Each generation uses the owner's credits."
            if access == "signed-in"
            else "**Anyone visiting may use it**: each generation uses the owner's credits."
        )
        return f"{who} {_limits_words(self.settings)}"

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
                f"this server. {self.policy_words()} You can paste your own key "
                "below to use your account instead, for this tab only."
            )
        return (
            "**Offline demo mode.** No `MODELSLAB_API_KEY` is set, so this studio uses the "
            "project's local ModelsLab-compatible server. Its fill is **classical** (PatchMatch "
            "inpainting from the surrounding pixels): it **ignores the prompt** and cannot "
            "draw new objects. To use ModelsLab's models, set `MODELSLAB_API_KEY` in the "
            "environment or a `.env` file (on a Hugging Face Space: a secret) and restart, "
            "or paste your own key below for this tab only."
        )


def _limits_words(settings: Settings) -> str:
    parts = []
    if settings.visitor_quota is not None:
        quota = settings.visitor_quota
        parts.append(f"each visitor may send {quota.limit} jobs {quota.period.this}")
    if settings.daily_budget is not None:
        parts.append(f"all visitors together {settings.daily_budget} jobs per UTC day")
    parts.append(f"at most {settings.visitor_concurrency} of each visitor's jobs run at once")
    return "On this key " + ", ".join(parts) + "."


def _host(url: str) -> str:
    """Shown in the public banner (and gradio's /config): never the URL's credentials."""
    return shown_host(url)
