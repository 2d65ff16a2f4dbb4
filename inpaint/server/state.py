"""Everything one server instance shares between its requests, in one object.

The routes are module-level functions, so what used to be closed over inside
``create_app`` (the settings, the file store, the job pool, the upload ids)
lives here, on ``app.state.server``, and a handler asks for it with
``state: StateDep``. Two apps in one process (the tests start many) therefore
never share a pool, a folder or a counter.
"""

from __future__ import annotations

import itertools
import threading
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from .config import ServerConfig
from .jobs import JobManager
from .storage import Storage


class ServerState:
    """The settings, file store, job pool and upload counter of one server."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.storage = Storage(config.storage_dir, ttl=config.file_ttl)
        self.jobs = JobManager(
            workers=config.workers,
            queue_limit=config.queue_limit,
            latency=config.latency,
            webhook_timeout=config.webhook_timeout,
            allow_private=config.allow_private_fetch,
            retention=config.file_ttl,
            eta_factor=config.eta_factor,
            gated=config.gate_jobs,
        )
        self._upload_ids = itertools.count(1)
        self._upload_lock = threading.Lock()

    def next_upload_id(self) -> int:
        """The ``id`` a ``base64_to_url`` answer carries: 1, 2, 3, ... per server."""
        with self._upload_lock:
            return next(self._upload_ids)

    def close(self) -> None:
        """Stop the job pool and remove a temporary file store (at shutdown)."""
        self.jobs.shutdown()
        self.storage.close()


def attach(app: FastAPI, state: ServerState) -> None:
    """Make ``state`` the one ``state_of(app)`` returns.

    ``config``, ``jobs`` and ``storage`` are also set on ``app.state`` itself:
    tests and benchmarks reach a running server's pool and folder that way
    (``server.app.state.jobs``).
    """
    app.state.server = state
    app.state.config = state.config
    app.state.jobs = state.jobs
    app.state.storage = state.storage


def state_of(app: FastAPI) -> ServerState:
    state = app.state.server
    if not isinstance(state, ServerState):
        raise RuntimeError("the app was not built by create_app")
    return state


async def _request_state(request: Request) -> ServerState:
    # async, so FastAPI calls it on the event loop instead of a threadpool hop.
    return state_of(request.app)


StateDep = Annotated[ServerState, Depends(_request_state)]
