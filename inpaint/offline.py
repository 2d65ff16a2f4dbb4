"""Starting the bundled local server: the offline backend of the library, CLI and studio.

One function, so the command line, the studio and ``ModelsLabClient.offline()``
start it the same way: on a free loopback port, returning only once it accepts
connections. The server (FastAPI, uvicorn) is imported here, lazily, so that
``import inpaint`` stays light for people who only call the real API.

``INPAINT_OFFLINE_ENGINE`` picks the server's engine for all three:
``patchmatch`` (the default) or ``quick`` (OpenCV Telea, a speed option for
tests and CI; see ``inpaint.server.config.ENGINES``). ``INPAINT_OFFLINE_GATE=1``
is a test aid: the server's jobs wait at a gate the test opens
(``ServerConfig.gate_jobs``), so a test of the studio holds a job as long as it
needs without a simulated latency.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import RunningServer

# The bundled server accepts this one key only: made afresh for each process
# (or taken from ``INPAINT_OFFLINE_KEY``, for a test that talks to another
# process's server), so nothing else on the machine can use it unasked.
OFFLINE_KEY = os.environ.get("INPAINT_OFFLINE_KEY", "").strip() or (
    "offline-" + secrets.token_hex(12)
)
OFFLINE_NOTE = (
    "the bundled local server: a classical fill that ignores the prompt (not a generative model)"
)
# Offline an extension needs no prompt (the fill ignores it and continues the photo);
# the request, which the API's contract requires a prompt for, and the PNG carry this one.
OFFLINE_EXTEND_PROMPT = "the rest of the scene, continuing the photo"
# The environment variable that picks the local server's engine.
ENGINE_VARIABLE = "INPAINT_OFFLINE_ENGINE"
# A test aid: "1" gates the local server's jobs (see the module docstring).
GATE_VARIABLE = "INPAINT_OFFLINE_GATE"


def offline_engine() -> str:
    """The engine ``INPAINT_OFFLINE_ENGINE`` asks for; ``patchmatch`` when unset or empty.

    An unknown name raises ``ValueError`` naming the choices: a typo must not
    quietly run another engine than the one asked for.
    """
    from .server.config import DEFAULT_ENGINE, ENGINES

    engine = os.environ.get(ENGINE_VARIABLE, "").strip().lower() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(
            f"{ENGINE_VARIABLE}={engine!r} is not an engine; choose {' or '.join(ENGINES)}"
        )
    return engine


def start_local_server(
    *,
    latency: float = 0.0,
    queue_limit: int | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    engine: str | None = None,
    max_hole_megapixels: float | None = None,
) -> RunningServer:
    """Start the local ModelsLab-compatible server in this process; ``.stop()`` ends it.

    ``engine`` None means :func:`offline_engine` (the environment's choice).
    """
    from .server import ServerConfig, serve_in_background

    config = ServerConfig(
        keys=frozenset({OFFLINE_KEY}),
        latency=latency,
        engine=engine or offline_engine(),
        max_hole_megapixels=max_hole_megapixels,
        gate_jobs=os.environ.get(GATE_VARIABLE, "").strip() == "1",
    )
    if queue_limit is not None:
        config = dataclasses.replace(config, queue_limit=queue_limit)
    return serve_in_background(config, host=host, port=port)
