"""A process that uses shared job slots, for tests/test_shared_processes.py.

``python -m tests.shared_worker hammer URL NAME SIZE JOBS HOLD OUT``: take a slot
JOBS times, keep it HOLD seconds (a job's run), append "start end" (wall
times read inside the hold) to OUT.

``python -m tests.shared_worker hold URL NAME SIZE COUNT LEASE``: take COUNT
slots with leases of LEASE seconds, print "held", then keep them until killed.

``python -m tests.shared_worker spend URL COUNTER LIMIT TRIES``: reserve and
spend one job at a time against a daily claim, TRIES times; print how many fit.

``python -m tests.shared_worker inpaint BASE_URL THREADS``: THREADS edits at
once through clients that take their slots from ``INPAINT_SLOTS_URL`` (no
retries: a 429 fails the process).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from inpaint.shared import open_state


def hammer(url: str, name: str, size: int, jobs: int, hold_s: float, out: Path) -> None:
    slots = open_state(url).slots(name, size, lease=10.0)
    with out.open("a") as log:
        for _ in range(jobs):
            hold = slots.acquire(poll=0.02)
            assert hold is not None
            start = time.time()
            threading.Event().wait(hold_s)  # the job's run time
            end = time.time()
            slots.release(hold)
            log.write(f"{start!r} {end!r}\n")
            log.flush()


def hold(url: str, name: str, size: int, count: int, lease: float) -> None:
    slots = open_state(url).slots(name, size, lease=lease)
    holds = [slots.acquire() for _ in range(count)]
    assert all(h is not None for h in holds)
    print("held", flush=True)
    threading.Event().wait()


def spend(url: str, counter: str, limit: int, tries: int) -> None:
    from inpaint.shared import Claim, QuotaExceeded, Window

    ledger, granted = open_state(url).ledger, 0
    for _ in range(tries):
        try:
            with ledger.reserve([Claim(counter, limit, Window.DAY)], 1) as reservation:
                reservation.spend()
                granted += 1
        except QuotaExceeded:
            pass
    print(granted, flush=True)


def inpaint(base_url: str, threads: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    from inpaint import ModelsLabClient

    photo = Image.new("RGB", (64, 64), "gray")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))

    def one(_: int) -> int:
        with ModelsLabClient(api_key="k-shared-1234", base_url=base_url, max_retries=0) as client:
            assert client.slots is not None and client.slots.size == 2
            return len(client.inpaint(photo, mask, prompt="x", transport="base64").images)

    with ThreadPoolExecutor(threads) as pool:
        assert sum(pool.map(one, range(threads))) == threads


if __name__ == "__main__":
    if sys.argv[1] == "inpaint":
        inpaint(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    if sys.argv[1] == "spend":
        spend(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    command, url, name, size, *rest = sys.argv[1:]
    if command == "hammer":
        hammer(url, name, int(size), int(rest[0]), float(rest[1]), Path(rest[2]))
    else:
        hold(url, name, int(size), int(rest[0]), float(rest[1]))
