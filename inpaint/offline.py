"""Starting the bundled local server: the offline backend of the library, CLI and studio.

One function, so the command line, the studio and ``ModelsLabClient.offline()``
start it the same way: on a free loopback port, returning only once it accepts
connections. The server (FastAPI, uvicorn) is imported here, lazily, so that
``import inpaint`` stays light for people who only call the real API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import RunningServer

# The local server accepts any non-empty key; this one says what it is.
OFFLINE_KEY = "offline-demo"
OFFLINE_NOTE = (
    "the bundled local server: a classical fill that ignores the prompt (not a generative model)"
)


def start_local_server(
    *, latency: float = 0.0, queue_limit: int | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Start the local ModelsLab-compatible server in this process; ``.stop()`` ends it."""
    from .server import ServerConfig, serve_in_background

    config = (
        ServerConfig(latency=latency)
        if queue_limit is None
        else ServerConfig(latency=latency, queue_limit=queue_limit)
    )
    return serve_in_background(config, host=host, port=port)
