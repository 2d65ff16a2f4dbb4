"""A deliberately misbehaving HTTP server for fault tests.

Each path is given a script of canned answers, played in order (the last one
repeats). Every request is recorded with its arrival time, so tests can check
what the client sent and when, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timed out, hit a size cap) is the point of these
        tests, not an error worth a traceback on stderr."""


@dataclass
class Canned:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0  # seconds before answering (to provoke client timeouts)
    # Send only this many bytes of the body, then drop the connection (the headers
    # promise the whole body): a connection broken mid-response.
    drop_after: int | None = None
    # Stream this many bytes (a PNG signature, then zeros) with no Content-Length:
    # an output "file" far larger than any image, whose size is not announced.
    stream: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    at: float


class FaultServer:
    def __init__(self) -> None:
        self.scripts: dict[str, list[Canned]] = {}
        self.seen: list[Seen] = []
        self.streamed: list[int] = []  # bytes written by each ``stream`` answer
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                canned = owner._next(self.command, self.path, body)
                if canned.delay:
                    time.sleep(canned.delay)
                if canned.stream is not None:
                    self._stream(canned)
                    return
                payload = canned.body
                ctype = canned.content_type
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                    ctype = ctype or "application/json"
                elif isinstance(payload, str):
                    payload = payload.encode()
                    ctype = ctype or "text/html"
                elif payload is None:
                    payload = b""
                self.send_response(canned.status)
                self.send_header("Content-Type", ctype or "application/octet-stream")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in canned.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if canned.drop_after is not None:
                    self.wfile.write(payload[: canned.drop_after])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            def _stream(self, canned: Canned) -> None:
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type or "image/png")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"\0" * (1 << 20)
                sent = 0
                try:
                    self.wfile.write(b"\x89PNG\r\n\x1a\n")
                    while sent < (canned.stream or 0):
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a size cap should do
                owner.streamed.append(sent)
                self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root + "/api"

    def script(self, path: str, *answers: Canned) -> None:
        """Answers for requests whose path starts with ``path`` (longest prefix wins)."""
        with self._lock:
            self.scripts[path] = list(answers)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(path)]

    def _next(self, method: str, path: str, body: Any) -> Canned:
        with self._lock:
            self.seen.append(Seen(method, path, body, time.monotonic()))
            matches = [p for p in self.scripts if path.startswith(p)]
            if not matches:
                return Canned(404, {"status": "error", "message": "no script for " + path})
            queue = self.scripts[max(matches, key=len)]
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
