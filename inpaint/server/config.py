"""The local server's settings, in one immutable object.

One object rather than keyword arguments scattered over the app, the job pool
and the runner, so a test can start a server that differs in exactly one way
(``ServerConfig(latency=1.0)``) and read back what it is talking to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..images import MAX_INPUT_BYTES

# The offline engines: ``patchmatch`` (the default: PatchMatch, coarse to fine,
# 0.5-5 s a job) and ``quick`` (OpenCV Telea, tens of milliseconds: a smooth
# fill without texture and without seeds, for tests and CI that exercise the
# plumbing rather than the picture). Both ignore the prompt.
ENGINES = ("patchmatch", "quick")
DEFAULT_ENGINE = "patchmatch"


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one local ModelsLab-compatible server.

    keys: accepted API keys; empty means any non-empty key is accepted.
    latency: simulated model time (seconds) added to every job.
    queue_limit: jobs one key may have queued or running before 429.
    sync_threshold: seconds an inpaint request waits for its job before it
        answers ``processing`` instead of ``success``.
    storage_dir: where outputs and uploads are kept (a temporary directory,
        removed on shutdown, when None).
    workers: jobs generated at the same time.
    fetch_timeout: seconds allowed to download an ``init_image``/``mask_image`` URL.
    max_fetch_bytes: largest image accepted from a URL.
    webhook_timeout: seconds allowed for one webhook POST.
    file_ttl: seconds before produced and uploaded files expire (0 = never).
    eta_factor: a benchmark aid; every reported ``eta`` is the server's honest
        estimate times this factor (0.5 = the eta underestimates the real time
        by half), so clients can be measured against a wrong estimate.
    fail_marker: a test aid; jobs whose prompt contains it fail with a simulated
        error (so clients can exercise their failure paths). None disables it.
    colour_shift: a test aid; (r, g, b) levels added to every output pixel, as a
        diffusion model's round trip shifts colours everywhere, so that colour
        matching can be tested against a drifting server. None disables it.
    max_hole_megapixels: refuse (400, a sentence) a job whose painted area times
        its samples exceeds this many megapixels; None = no limit. The studio's
        offline mode sets it so a free Space stays responsive.
    allow_private_fetch: a test aid; lets ``init_image``/``mask_image`` URLs and
        webhooks reach loopback, private and link-local addresses (refused by
        default, so a visitor's URL cannot probe what sits behind the server).
        The server's own file URLs work either way: it reads them from storage.
    gate_jobs: a test aid; every job, once it has a worker, waits until the test
        lets it through (``jobs.release`` in this process, or ``POST
        /test/gate/release``, a route that exists only on a gated server), so a
        test holds a job "running" exactly as long as it needs, without sleeping.
    engine: which classical fill makes the pictures (``ENGINES``): ``patchmatch``
        (default) or ``quick`` (OpenCV Telea, a test/CI speed option; the
        response's ``meta`` says which one ran).
    """

    keys: frozenset[str] = field(default_factory=frozenset)
    latency: float = 0.0
    queue_limit: int = 5
    sync_threshold: float = 3.0
    storage_dir: str | os.PathLike[str] | None = None
    workers: int = 2
    fetch_timeout: float = 15.0
    max_fetch_bytes: int = MAX_INPUT_BYTES
    webhook_timeout: float = 5.0
    file_ttl: float = 24 * 3600.0
    fail_marker: str | None = None
    eta_factor: float = 1.0
    colour_shift: tuple[int, int, int] | None = None
    engine: str = DEFAULT_ENGINE
    allow_private_fetch: bool = False
    max_hole_megapixels: float | None = None
    gate_jobs: bool = False

    def __post_init__(self) -> None:
        keys = self.keys
        if isinstance(keys, str):
            keys = [keys]
        object.__setattr__(self, "keys", frozenset(_clean_keys(keys)))
        if self.storage_dir is not None:
            object.__setattr__(self, "storage_dir", Path(self.storage_dir))
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if self.queue_limit < 1:
            raise ValueError("queue_limit must be at least 1")
        if self.sync_threshold < 0:
            raise ValueError("sync_threshold must not be negative")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.fetch_timeout <= 0 or self.webhook_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if not self.eta_factor > 0:
            raise ValueError("eta_factor must be positive")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.fail_marker == "":
            object.__setattr__(self, "fail_marker", None)

    def __repr__(self) -> str:
        # Keys stay out of reprs, logs and test failure messages.
        shown = f"<{len(self.keys)} key(s)>" if self.keys else "<any key>"
        return (
            f"ServerConfig(keys={shown}, latency={self.latency}, queue_limit={self.queue_limit}, "
            f"sync_threshold={self.sync_threshold}, workers={self.workers}, "
            f"engine={self.engine!r}, storage_dir={self.storage_dir!r}"
            + (", gate_jobs=True)" if self.gate_jobs else ")")
        )


def _clean_keys(keys: Iterable[str]) -> list[str]:
    cleaned = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError("keys must be strings")
        key = key.strip()
        if key:
            cleaned.append(key)
    return cleaned
