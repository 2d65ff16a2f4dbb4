"""Start ``python app.py`` as a person would, on a free port, for the studio benchmarks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.common import ROOT


class ServerProcess:
    """``python -m inpaint.server`` in its own process (its own GIL, like a remote API)."""

    def __init__(self, *args: str, keys: str = "") -> None:
        env = dict(os.environ, INPAINT_SERVER_KEYS=keys)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inpaint.server", "--port", "0", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server prints its URL once it listens
        found = re.search(r"(http://\S+/api)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the local server did not start: {line.strip()!r}")
        self.base_url = found.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    """The studio in a subprocess; ``env`` adds to a clean environment (no .env keys)."""

    def __init__(self, *, prefix: tuple[str, ...] = (), **env_extra: str) -> None:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSLAB_", "STUDIO_"))}
        # An empty key, not an absent one: a developer's .env must not switch to the paid API.
        env.update({"MODELSLAB_API_KEY": "", "GRADIO_SERVER_NAME": "127.0.0.1",
                    "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
                    **env_extra})
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-app-", suffix=".log",  # noqa: SIM115
                                               delete=False)
        # ``prefix`` wraps the command, e.g. in a profiler (py-spy record ... --).
        self.proc = subprocess.Popen([*prefix, sys.executable, "app.py"], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/"

    def wait_until_ready(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited ({self.proc.returncode}); see {self.log.name}")
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return self.url
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"app.py did not answer within {timeout} s")
            time.sleep(0.2)  # polling for readiness; there is no event to wait on

    def peak_rss_mb(self) -> float:
        """The process's high-water resident memory (VmHWM), from /proc."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
