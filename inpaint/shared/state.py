"""``open_state(url)``: the one place a store is chosen from a URL.

``None`` or "" keeps everything in this process's memory; ``sqlite:///file``
is a file shared by the processes of one machine (relative paths are under
``data_dir``, four slashes make an absolute path, as SQLAlchemy writes them);
``redis://`` / ``rediss://`` share it across machines. A URL that cannot be
used is one sentence naming it, with any password removed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .ledger import Clock, Ledger, utc_now
from .memory_store import MemoryStore
from .slots import SharedSlots
from .store import SharedStateError, Store

DEFAULT_FILE = "shared-state.db"


def redact(url: str) -> str:
    """The URL without user and password (it goes into messages)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "(an unreadable URL)"
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class SharedState:
    """A store with its ledger and its job slots; ``kind`` is memory, sqlite or redis."""

    def __init__(self, store: Store, kind: str, where: str, clock: Clock = utc_now) -> None:
        self.store, self.kind, self.where = store, kind, where
        self.ledger = Ledger(store, clock)
        self._pools: dict[tuple[str, int, float], SharedSlots] = {}
        self._lock = threading.Lock()

    def slots(self, name: str, size: int, *, lease: float = 60.0) -> SharedSlots:
        """The slots called ``name`` (never the API key itself: see ``key_id``).

        One object per name and size in a process, so its waiters keep their order.
        """
        with self._lock:
            pool = self._pools.get((name, size, lease))
            if pool is None:
                pool = self._pools[(name, size, lease)] = SharedSlots(
                    self.store, name, size, lease=lease
                )
            return pool

    def put(self, key: str, value: str, *, ttl: float) -> None:
        """A small record shared like the counts (e.g. who sent a job), kept ``ttl`` s."""
        self.store.put(key, value, ttl)

    def get(self, key: str) -> str | None:
        return self.store.get(key)

    def describe(self) -> str:
        return {"memory": "this process's memory"}.get(self.kind, self.where)

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"SharedState({self.kind}: {self.describe()})"


def open_state(
    url: str | None,
    *,
    data_dir: Path | None = None,
    clock: Clock = utc_now,
    setting: str | None = None,
) -> SharedState:
    """The shared state at ``url``; see the module's docstring for the forms.

    ``setting`` names where the URL came from (``"STUDIO_STATE_URL"``): a
    refusal then starts with it, so the reader knows what to change.
    """
    try:
        return _open(url, data_dir, clock)
    except SharedStateError as exc:
        if not setting:
            raise
        raise exc.evolve(f"{setting}: {exc.message[0].lower()}{exc.message[1:]}") from None


def _open(url: str | None, data_dir: Path | None, clock: Clock) -> SharedState:
    text = (url or "").strip()
    if not text or text == "memory://":
        return SharedState(MemoryStore(), "memory", "memory", clock)
    shown = redact(text)
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "sqlite":
        from .sqlite_store import SqliteStore

        path = _sqlite_path(text, shown, data_dir)
        return SharedState(SqliteStore(path), "sqlite", f"sqlite:///{path}", clock)
    if scheme in ("redis", "rediss"):
        from .redis_store import RedisStore

        return SharedState(RedisStore(text, shown), "redis", shown, clock)
    raise SharedStateError(
        f"The shared state URL {shown!r} is not one inpaint can use: "
        "leave it empty (this process's memory), or use sqlite:///file.db or "
        "redis://host:port/0."
    )


def _sqlite_path(text: str, shown: str, data_dir: Path | None) -> Path:
    if not text.lower().startswith("sqlite://"):
        raise SharedStateError(
            f"The shared state URL {shown!r} should start with sqlite:/// followed by a file name."
        )
    rest = text[len("sqlite://") :]
    if rest in ("", "/"):
        if data_dir is None:
            raise SharedStateError(
                f"The shared state URL {shown!r} names no file: use sqlite:///name.db."
            )
        return Path(data_dir) / DEFAULT_FILE
    if not rest.startswith("/"):
        raise SharedStateError(
            f"The shared state URL {shown!r} should have three slashes: sqlite:///{rest}."
        )
    name = rest[1:]
    path = Path(name)
    if not path.is_absolute():
        path = (Path(data_dir) if data_dir is not None else Path.cwd()) / path
    return path
