"""A gated local server driven from a test in another process's terms.

``python app.py`` with ``INPAINT_OFFLINE_GATE=1`` (or ``python -m inpaint.server
--gate``) holds every job at a gate until the test lets it through over HTTP
(``inpaint/server/routes/gate.py``). In-process servers are driven directly:
``server.app.state.jobs.wait_at_gate()`` / ``.release()``.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests


class RemoteGate:
    """The ``/test/gate`` routes of a gated server at ``root`` (``http://host:port``)."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        if self.root.endswith("/api"):
            self.root = self.root[: -len("/api")]

    @classmethod
    def of_app_log(cls, log_path: str | Path) -> RemoteGate:
        """The gate of a studio's offline server, whose address the app's log names."""
        found = re.search(r"local server at (\S+?)(/api)? ", Path(log_path).read_text())
        assert found, "the app did not say where its local server is"
        return cls(found.group(1))

    def waiting(self) -> list[int]:
        return list(self._state()["waiting"])

    def unfinished(self) -> int:
        """Jobs the server accepted that have not ended (queued, waiting or running)."""
        return int(self._state()["unfinished"])

    def _state(self) -> dict:
        response = requests.get(f"{self.root}/test/gate", timeout=10)
        assert response.ok, response.text
        return dict(response.json())

    def wait(self, count: int = 1, timeout: float = 60) -> list[int]:
        """Ids of the jobs at the gate once ``count`` of them are there (the event itself)."""
        response = requests.post(
            f"{self.root}/test/gate/wait",
            json={"count": count, "timeout": timeout},
            timeout=timeout + 10,
        )
        assert response.ok, response.text
        return list(response.json()["waiting"])

    def release(self, ids: list[int] | None = None) -> list[int]:
        body = {} if ids is None else {"ids": [int(i) for i in ids]}
        response = requests.post(f"{self.root}/test/gate/release", json=body, timeout=10)
        assert response.ok, response.text
        return list(response.json()["released"])

    def open(self) -> list[int]:
        """Let every waiting job through and stop gating later ones."""
        response = requests.post(f"{self.root}/test/gate/open", timeout=10)
        assert response.ok, response.text
        return list(response.json()["released"])

    def close(self) -> None:
        """Gate the jobs that start from now on again."""
        response = requests.post(f"{self.root}/test/gate/close", timeout=10)
        assert response.ok, response.text
