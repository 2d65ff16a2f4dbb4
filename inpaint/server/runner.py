"""Running the server in a background thread, for the app's offline mode and the tests.

The socket is bound here, before uvicorn starts, so port 0 gives a free
ephemeral port that is known at once and cannot be taken by someone else in
between. ``serve_in_background`` returns only when the server accepts
connections: callers never sleep and hope.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import create_app
from .config import ServerConfig

log = logging.getLogger("inpaint.server")


class RunningServer:
    """A started server. ``base_url`` is what a client uses (no trailing slash)."""

    def __init__(
        self,
        config: ServerConfig,
        server: uvicorn.Server,
        thread: threading.Thread,
        host: str,
        port: int,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self._server = server
        self._thread = thread
        self.app = server.config.app
        self.root_url = f"http://{_url_host(host)}:{port}"
        self.base_url = f"{self.root_url}/api"

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._server.should_exit

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread; running jobs are abandoned."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            # Connections that refuse to close: stop waiting for them.
            self._server.force_exit = True
            self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer(base_url={self.base_url!r}, config={self.config!r})"


def serve_in_background(
    config: ServerConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    startup_timeout: float = 20.0,
) -> RunningServer:
    """Start a server on a daemon thread and return once it accepts connections."""
    config = config or ServerConfig()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP; with proto 0 every reused keep-alive request waited ~40 ms
    # (Nagle against delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this. Without it a JSON answer (headers
        # and body written separately) waited out the client's delayed ACK:
        # 40 ms on every API call (benchmarks/RESULTS.md, "profiling").
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    uv_config = uvicorn.Config(
        create_app(config),
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(uv_config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        daemon=True,
        name=f"inpaint-server-{bound_port}",
    )
    thread.start()
    running = RunningServer(config, server, thread, host, bound_port)

    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError("the local server failed to start (see the log above)")
        if time.monotonic() > deadline:
            running.stop()
            sock.close()
            raise RuntimeError(f"the local server did not start within {startup_timeout} s")
        time.sleep(0.005)
    _wait_accepting(_connect_host(host), bound_port, deadline)
    log.info("local server listening on %s", running.base_url)
    return running


def _wait_accepting(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the local server does not accept connections") from None
            time.sleep(0.01)


def _connect_host(host: str) -> str:
    """Where to connect to reach a server bound to ``host`` (wildcards -> loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _url_host(host: str) -> str:
    connect = _connect_host(host)
    return f"[{connect}]" if ":" in connect else connect
