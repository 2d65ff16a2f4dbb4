"""Shared job slots across real processes, on an SQLite file and on a real redis-server.

Three processes share a pool of 2 and never hold more than 2 at once; a
process killed with SIGKILL while holding slots gives them back within the
lease, and a live one keeps its slots past the lease by renewing them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from inpaint.server import RunningServer
from inpaint.shared import Claim, Window, key_id, open_state

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("redis_url"))


def _worker(*args: object, stdout: int | None = None, **env_vars: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_vars}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.shared_worker", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        text=True,
    )


def _peak(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one moment (an end before a start at the same instant)."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = now = 0
    for _, step in sorted(events, key=lambda ev: (ev[0], ev[1])):
        now += step
        peak = max(peak, now)
    return peak


def test_three_processes_never_hold_more_than_the_pool(url: str, tmp_path: Path) -> None:
    name, out, jobs = f"pool-{uuid.uuid4().hex[:8]}", tmp_path / "holds.txt", 8
    workers = [_worker("hammer", url, name, 2, jobs, 0.05, out) for _ in range(3)]
    for proc in workers:
        assert proc.wait(120) == 0
    intervals = [
        (float(a), float(b)) for a, b in (line.split() for line in out.read_text().splitlines())
    ]
    assert len(intervals) == 3 * jobs  # every job ran
    assert _peak(intervals) == 2  # the pool was used fully, and never beyond
    assert open_state(url).slots(name, 2).free == 2  # all given back


def test_three_processes_never_spend_past_the_budget(url: str) -> None:
    counter = f"budget-{uuid.uuid4().hex[:8]}"
    workers = [_worker("spend", url, counter, 25, 20, stdout=subprocess.PIPE) for _ in range(3)]
    granted = []
    for proc in workers:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        granted.append(int(out))
    assert sum(granted) == 25  # 60 tries, exactly the budget granted
    claim = Claim(counter, 25, Window.DAY)
    assert open_state(url).ledger.remaining([claim]) == [0]


def test_a_killed_process_gives_its_slots_back_within_the_lease(url: str) -> None:
    name, lease = f"pool-{uuid.uuid4().hex[:8]}", 1.5
    proc = _worker("hold", url, name, 2, 2, lease, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        slots = open_state(url).slots(name, 2, lease=lease)
        # While the holder lives, renewals keep its slots past the lease time.
        until = time.monotonic() + 2.5 * lease
        while time.monotonic() < until:
            assert slots.try_acquire() is None and slots.free == 0
            time.sleep(0.1)  # polling the shared state
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed = time.monotonic()
        holds = []
        while len(holds) < 2 and time.monotonic() - killed < lease + 3:
            hold = slots.try_acquire()
            if hold is not None:
                holds.append(hold)
            else:
                time.sleep(0.05)  # polling the shared state for the lease to run out
        waited = time.monotonic() - killed
        assert len(holds) == 2, f"the slots were still held {waited:.1f} s after the kill"
        assert waited <= lease + 1.0
        for hold in holds:
            slots.release(hold)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_clients_in_two_processes_share_the_keys_queue_limit(url: str, make_server) -> None:
    """INPAINT_SLOTS_URL: 2 processes x 3 edits at once on a key allowed 2 queued jobs."""
    server: RunningServer = make_server(latency=0.4, queue_limit=2, workers=4, sync_threshold=0.0)
    workers = [
        _worker("inpaint", server.base_url, 3, INPAINT_SLOTS_URL=url, INPAINT_QUEUE_LIMIT="2")
        for _ in range(2)
    ]
    for proc in workers:
        assert proc.wait(120) == 0  # no 429 reached a client (they do not retry)
    counts = server.app.state.jobs.counts()
    assert counts["submitted"] == 6 and counts["rejected"] == 0
    assert counts["peak_queued"] == 2
    assert open_state(url).slots(key_id("k-shared-1234"), 2).free == 2
