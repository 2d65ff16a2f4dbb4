"""The local server and the studio as subprocesses, for the studio benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.common import ROOT
from tests.app_process import App


class ServerProcess:
    """``python -m inpaint.server`` in its own process (its own GIL, like a remote API)."""

    def __init__(self, *args: str, keys: str = "") -> None:
        env = dict(os.environ, INPAINT_SERVER_KEYS=keys)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inpaint.server", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
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


class AppProcess(App):
    """The studio as the tests start it (a clean environment, no .env keys), plus the
    figures a benchmark reads; its log is ``test-artifacts/<name>.log``."""

    def __init__(
        self, *, prefix: tuple[str, ...] = (), name: str = "bench-app", **env_extra: str
    ) -> None:
        super().__init__(name, prefix=prefix, **env_extra)

    def wait_until_ready(self, timeout: float = 120) -> str:
        return super().wait_until_ready(timeout)

    def peak_rss_mb(self) -> float:
        """The process's high-water resident memory (VmHWM), from /proc."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
