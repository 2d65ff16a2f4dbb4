"""``python app.py`` as a subprocess on a free port, as a person starts it.

Shared by the browser tests, the API-endpoint tests and the security tests
(through fixtures in ``conftest.py``), so each kind of app is started once, and
by the studio benchmarks (``benchmarks/appproc.py``).

In the test session (``conftest.py`` sets ``FORK_APPS``) an app is forked from
a process that has already imported gradio and the other heavy libraries
(``tests/app_zygote.py``), which saves most of a start; the child then runs
``app.py`` as ``__main__`` with its own environment, as ``python app.py`` does.
``App(..., fork=False)`` (and every benchmark) starts a real interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# Under pytest-xdist each worker starts its own apps: their logs must not share a file.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def artifact_name(name: str) -> str:
    """``name``, suffixed with the xdist worker (``app-gw1``) when there is one."""
    return f"{name}-{WORKER}" if WORKER else name


# Forked apps in this test session (set by conftest.py; benchmarks start real processes).
FORK_APPS = False
# What the preloaded libraries read from the environment when imported: an app that
# sets one of these differently is started as a real subprocess.
IMPORT_SENSITIVE = ("TMPDIR", "TEMP", "TMP", "GRADIO_TEMP_DIR", "OAUTH_", "OPENID_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class App:
    """``python app.py`` on a free port; offline unless ``MODELSLAB_API_KEY`` is given.

    Its stdout and stderr (Python logging included) go to
    ``test-artifacts/<name>.log``.
    """

    def __init__(
        self,
        name: str,
        *,
        prefix: tuple[str, ...] = (),
        fork: bool | None = None,
        **extra_env: str,
    ) -> None:
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
        forked = (FORK_APPS if fork is None else fork) and not prefix
        if forked and not _import_sensitive(env, _zygote_env(env)):
            self.proc: Any = _zygote(env).start(env, self.log_path)
        else:
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


# -- the fork server ------------------------------------------------------------------
def _zygote_env(env: dict[str, str]) -> dict[str, str]:
    """The environment the fork server imports under: an app's, without its own settings."""
    return {
        k: v
        for k, v in env.items()
        if not k.startswith(("MODELSLAB_", "STUDIO_", "INPAINT_OFFLINE_GATE"))
        and k not in ("GRADIO_SERVER_PORT", "STUDIO_DATA_DIR")
    }


def _import_sensitive(env: dict[str, str], base: dict[str, str]) -> bool:
    zygote = _Zygote.instance_env or base
    return any(
        env.get(k) != zygote.get(k)
        for k in set(env) | set(zygote)
        if k.startswith(IMPORT_SENSITIVE)
    )


class ForkedProcess:
    """A forked app, with the part of ``subprocess.Popen`` the tests use.

    It is the fork server's child, not this process's: signals go to its pid, and
    its exit code comes from the fork server, which reaps it.
    """

    def __init__(self, zygote: _Zygote, pid: int) -> None:
        self._zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["app.py"], timeout or 0)
            time.sleep(0.05)  # polling interval, not synchronisation
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _Zygote:
    """``python -m tests.app_zygote``, one per test process, asked over its stdin/stdout."""

    _instance: _Zygote | None = None
    instance_env: dict[str, str] | None = None
    _lock = threading.Lock()

    def __init__(self, env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.log = open(ARTIFACTS / f"{artifact_name('app-zygote')}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app_zygote"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self._ask_lock = threading.Lock()
        assert self._read() == {"ready": True}, "the fork server did not start"

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server stopped; see {self.log.name}")
        return dict(json.loads(line))

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        with self._ask_lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            return self._read()

    def start(self, env: dict[str, str], log: Path) -> ForkedProcess:
        answer = self._ask({"op": "start", "env": env, "cwd": str(ROOT), "log": str(log)})
        return ForkedProcess(self, int(answer["pid"]))

    def status(self, pid: int) -> int | None:
        code = self._ask({"op": "status", "pid": pid})["returncode"]
        return None if code is None else int(code)

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # its loop ends; children outlive it only if left running
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _zygote(env: dict[str, str] | None = None) -> _Zygote:
    with _Zygote._lock:
        if _Zygote._instance is None or _Zygote._instance.proc.poll() is not None:
            base = _zygote_env(env or dict(os.environ))
            _Zygote.instance_env = base
            _Zygote._instance = _Zygote(base)
        return _Zygote._instance


def stop_zygote() -> None:
    """Stop this process's fork server (the session's end)."""
    with _Zygote._lock:
        if _Zygote._instance is not None:
            _Zygote._instance.stop()
            _Zygote._instance = None
