"""The shared store's cost per job: quota bookkeeping plus a job slot, on each store.

One job's bookkeeping is what the studio does around every paid job: reserve
it on two claims (the visitor's quota and the Space's daily budget), spend it,
close the reservation, and take and give back a job slot (a leased slot in
the store). Timed one job at a time (median and p95 of single jobs) and with
4 threads doing it at once (wall time / jobs), on this process's memory, an
SQLite file in a temporary folder, and a real redis-server on 127.0.0.1
(tests/redis_server.py). Targets: under 2 ms a job on SQLite, under 5 ms on
Redis. The last column is the same job in 3 processes at once on one store
(median per job in any process): what replicas of the studio pay when they
contend for the same SQLite file or Redis server.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import Section, median, p95, verdict
from inpaint.shared import Claim, SharedState, Window, open_state

TARGETS = {"sqlite": 0.002, "redis": 0.005}
THREADS = 4
PROCESSES = 3


def one_job(state: SharedState, claims: list[Claim], pool_name: str) -> None:
    slots = state.slots(pool_name, 64)
    with state.ledger.reserve(claims, 1) as reservation:
        hold = slots.try_acquire(owner=claims[0].counter, owner_limit=64)
        assert hold is not None
        reservation.spend()
        slots.release(hold)


def measure(state: SharedState, jobs: int) -> tuple[list[float], float]:
    tag = uuid.uuid4().hex[:8]
    claims = [Claim(f"visitor-{tag}", 10**9, Window.DAY), Claim(f"budget-{tag}", 10**9, Window.DAY)]
    pool = f"bench-{tag}"
    for _ in range(20):  # warm-up: connections, prepared statements, loaded scripts
        one_job(state, claims, pool)
    single = []
    for _ in range(jobs):
        started = time.perf_counter()
        one_job(state, claims, pool)
        single.append(time.perf_counter() - started)
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as workers:
        list(workers.map(lambda _: one_job(state, claims, pool), range(jobs)))
    return single, (time.perf_counter() - started) / jobs


def in_process(url: str, tag: str, jobs: int, start: Any, out: Any) -> None:
    """One of ``PROCESSES`` processes: per-job times on the shared claims and pool."""
    state = open_state(url)
    claims = [Claim(f"visitor-{tag}", 10**9, Window.DAY), Claim(f"budget-{tag}", 10**9, Window.DAY)]
    try:
        one_job(state, claims, f"bench-{tag}")  # connected and warm before the start
        start.wait()
        times = []
        for _ in range(jobs):
            started = time.perf_counter()
            one_job(state, claims, f"bench-{tag}")
            times.append(time.perf_counter() - started)
        out.put(times)
    finally:
        state.close()


def across_processes(url: str | None, jobs: int) -> str:
    if url is None:
        return "-"
    tag = uuid.uuid4().hex[:8]
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=in_process, args=(url, tag, jobs, start, out))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    times = [t for _ in workers for t in out.get(timeout=300)]
    for worker in workers:
        worker.join(60)
    return f"{median(times) * 1000:.2f} ms (p95 {p95(times) * 1000:.2f})"


def run(quick: bool = False) -> Section:
    from tests.redis_server import RedisServer

    jobs = 50 if quick else 2000
    began = time.perf_counter()
    section = Section(
        "Shared state: the store's cost per job (quota reserve + spend + close, slot take + give)",
        [
            "store",
            "one job (median)",
            "one job (p95)",
            f"{THREADS} threads (per job)",
            f"{PROCESSES} processes (per job)",
            "target",
        ],
    )
    with tempfile.TemporaryDirectory() as folder, RedisServer() as redis:
        urls = {
            "memory": None,
            "sqlite": f"sqlite:///{Path(folder) / 'state.db'}",
            "redis": redis.url,
        }
        for kind, url in urls.items():
            state = open_state(url)
            try:
                single, threaded = measure(state, jobs)
            finally:
                state.close()
            processes = across_processes(url, jobs)
            target = TARGETS.get(kind)
            mid = median(single)
            section.add(
                kind,
                f"{mid * 1000:.2f} ms",
                f"{p95(single) * 1000:.2f} ms",
                f"{threaded * 1000:.2f} ms",
                processes,
                "-" if target is None else f"< {target * 1000:.0f} ms: {verdict(mid < target)}",
            )
    section.note(
        f"{jobs} jobs per store, one at a time, then {jobs} by {THREADS} threads at once, "
        f"then {jobs} in each of {PROCESSES} processes at once. "
        "SQLite: WAL, synchronous=NORMAL, one BEGIN IMMEDIATE transaction per operation "
        "(3 per job: reserve, take, give back; the close has nothing to refund). "
        "Redis: one Lua script per operation, over a local TCP connection."
    )
    section.seconds = time.perf_counter() - began
    return section
