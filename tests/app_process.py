"""``python app.py`` as a subprocess on a free port, as a person starts it.

Shared by the browser tests, the API-endpoint tests and the security tests
(through fixtures in ``conftest.py``), so each kind of app is started once, and
by the studio benchmarks (``benchmarks/appproc.py``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Under pytest-xdist each worker starts its own apps: their logs must not share a file.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def artifact_name(name: str) -> str:
    """``name``, suffixed with the xdist worker (``app-gw1``) when there is one."""
    return f"{name}-{WORKER}" if WORKER else name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class App:
    """``python app.py`` on a free port; offline unless ``MODELSLAB_API_KEY`` is given.

    Its stdout and stderr (Python logging included) go to
    ``test-artifacts/<name>.log``.
    """

    def __init__(self, name: str, *, prefix: tuple[str, ...] = (), **extra_env: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSLAB_", "STUDIO_"))}
        # Empty, not absent: a developer's .env must not switch the tests to the paid API.
        env.update(
            {
                "MODELSLAB_API_KEY": "",
                "GRADIO_SERVER_NAME": "127.0.0.1",
                "GRADIO_SERVER_PORT": str(port),
                "GRADIO_ANALYTICS_ENABLED": "False",
                **extra_env,
            }
        )
        # Its own quotas and queue places: nothing counted by another test's app.
        self.data_dir = tempfile.mkdtemp(prefix=f"studio-data-{name}-")
        env.setdefault("STUDIO_DATA_DIR", self.data_dir)
        self.log_path = ARTIFACTS / f"{artifact_name(name)}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        # ``prefix`` wraps the command, e.g. in a profiler (py-spy record ... --).
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}/"

    def wait_until_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"app.py exited with {self.proc.returncode}; see {self.log.name}"
                )
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return self.url
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not answer within {timeout} s")
            time.sleep(0.2)  # polling interval, not synchronisation

    def output(self) -> str:
        """Everything the app has printed so far (stdout, stderr, logging)."""
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)
