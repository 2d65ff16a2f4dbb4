"""200 jobs in a row through the library: nothing accumulates.

Against the local server (in this process, no latency, the quick engine, a small
image), one client runs 200 whole jobs (upload, submit, download). Measured, and printed
(``pytest -s tests/test_resources.py``):

* temporary files: the library writes none (the temporary directory is
  redirected to an empty one for the test, so anything created shows up); the
  server's own storage holds exactly the files it serves (one output per job,
  two uploads per upload job, kept like ModelsLab's temporary links) and is
  gone when the server stops;
* resident memory between job 50 (warmed up) and job 200, open file
  descriptors and threads.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from inpaint import ModelsLabClient
from inpaint.server import ServerConfig, serve_in_background
from tests.bad_inputs import box_mask, photo

JOBS = 200
WARM_UP = 50
RSS_GROWTH_LIMIT_MB = 50


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def files_under(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))


def test_200_jobs_leave_no_files_and_memory_levels_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # The quick engine: what is measured is the client's and the server's bookkeeping
    # (files, memory, descriptors, threads), not the fill (200 PatchMatch jobs: minutes).
    server = serve_in_background(ServerConfig(latency=0.0, engine="quick"))
    storage = server.app.state.storage.root
    assert storage.parent == temp  # the server's temporary storage is in our folder
    image, mask = photo(), box_mask()
    figures: dict[str, float] = {}
    try:
        with ModelsLabClient(
            api_key="sk-resource-test-0123456789", base_url=server.base_url, timeout=30
        ) as client:
            started = time.monotonic()
            for n in range(1, JOBS + 1):
                # Alternately by upload (three stored files) and inline (one).
                transport = "upload" if n % 2 == 0 else "base64"
                result = client.inpaint(
                    image, mask, prompt="sunflowers", seed=n, transport=transport
                )
                assert result.images[0].size == image.size
                if n == WARM_UP:
                    figures.update(
                        rss_warm=rss_mb(),
                        fds_warm=open_fds(),
                        threads_warm=threading.active_count(),
                    )
            figures["seconds"] = time.monotonic() - started
            figures.update(
                rss_end=rss_mb(), fds_end=open_fds(), threads_end=threading.active_count()
            )
        figures["temp_entries"] = len(os.listdir(temp))
        figures["server_files"] = files_under(storage)
    finally:
        server.stop()
    figures["temp_entries_after_stop"] = len(os.listdir(temp))

    growth = figures["rss_end"] - figures["rss_warm"]
    print(
        f"\n{JOBS} jobs in {figures['seconds']:.1f} s "
        f"({figures['seconds'] / JOBS * 1000:.0f} ms each); "
        f"RSS {figures['rss_warm']:.1f} MB after {WARM_UP} -> {figures['rss_end']:.1f} MB "
        f"after {JOBS} ({growth:+.1f} MB); open fds {figures['fds_warm']:.0f} -> "
        f"{figures['fds_end']:.0f}; threads {figures['threads_warm']:.0f} -> "
        f"{figures['threads_end']:.0f}; temporary-directory entries {figures['temp_entries']:.0f}"
        f" (the server's storage, {figures['server_files']:.0f} files), "
        f"{figures['temp_entries_after_stop']:.0f} after the server stopped"
    )

    assert figures["temp_entries"] == 1  # only the server's storage folder: the client wrote none
    # Per job its output, plus two uploads for the upload jobs: nothing stray.
    assert figures["server_files"] == JOBS + 2 * (JOBS // 2)
    assert figures["temp_entries_after_stop"] == 0
    assert growth < RSS_GROWTH_LIMIT_MB
    assert figures["fds_end"] <= figures["fds_warm"] + 2
    assert figures["threads_end"] <= figures["threads_warm"] + 2


def test_the_local_server_socket_is_tcp_so_replies_are_not_delayed() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol says TCP.

    With a protocol of 0 every reused keep-alive request waited about 40 ms for a
    delayed ACK: an upload job took 190 ms instead of 21 ms.
    """
    server = serve_in_background(ServerConfig())
    try:
        listening = server._server.servers[0].sockets[0]
        assert listening.proto == socket.IPPROTO_TCP
    finally:
        server.stop()
