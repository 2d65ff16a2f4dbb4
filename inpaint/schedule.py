"""Running a chain of jobs at once where they do not depend on each other.

An extension is a list of jobs in a fixed order (``outpaint.tiles``), each
reading the canvas the ones before it left. Most of them do not touch each
other: the far tiles of one pass, or the left and the right side. Waiting for
each in turn makes a 14-job extension cost 14 job times; with a key each job
is several seconds of the API's time, and offline the local server has cores
to spare.

The rule that keeps the result exact: job ``j`` depends on an earlier job
``i`` when ``i`` writes where ``j`` reads, or ``j`` writes where ``i`` reads
(``Area``: what a job reads contains what it writes). A job starts once every
job it depends on has finished and been merged; at that moment nothing else
has written where it reads, so it sees exactly what the sequential order would
show it, and its result is the same pixel for pixel. At most ``limit`` jobs
run at once (the key's queue limit); each still takes its own job slot in the
submitter, so clients sharing a key stay within it together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from .errors import JobError, ModelsLabError
from .region import Box


@dataclass(frozen=True)
class Area:
    """Where one job reads (``reads``) and writes (``writes``, inside ``reads``)."""

    reads: Box
    writes: Box


def _meet(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def dependencies(areas: Sequence[Area]) -> list[frozenset[int]]:
    """For each job, the earlier jobs it must wait for."""
    return [
        frozenset(
            i
            for i in range(j)
            if _meet(areas[i].writes, areas[j].reads) or _meet(areas[j].writes, areas[i].reads)
        )
        for j in range(len(areas))
    ]


def widest(needs: Sequence[frozenset[int]]) -> int:
    """The most jobs that could run at once (the largest set at one depth)."""
    depth: list[int] = []
    for wait_for in needs:
        depth.append(1 + max((depth[i] for i in wait_for), default=-1))
    return max((depth.count(d) for d in set(depth)), default=0)


def run_all(needs: Sequence[frozenset[int]], run_one: Callable[[int], None], limit: int) -> None:
    """``run_one(j)`` for every job, each once all of ``needs[j]`` are done, ``limit`` at once.

    Jobs start in the chain's order among those ready. After a failure no new
    job starts; the ones running finish (they may have been paid for), and the
    first failure in the chain's order is raised, naming the other jobs left
    pending so that none is lost.
    """
    count = len(needs)
    workers = max(1, min(limit, widest(needs)))
    if workers == 1:
        for j in range(count):
            run_one(j)
        return
    done: set[int] = set()
    failed: dict[int, BaseException] = {}
    running: dict[Future[None], int] = {}
    pool = ThreadPoolExecutor(workers, thread_name_prefix="chain")
    try:  # the loop ends only when nothing runs any more
        while len(done) + len(failed) < count:
            started = set(running.values()) | done | set(failed)
            for j in range(count):
                if failed or len(running) >= workers:
                    break
                if j not in started and needs[j] <= done:
                    running[pool.submit(run_one, j)] = j
            if not running:
                break  # after a failure: what is left waits for a job that did not finish
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                j = running.pop(future)
                error = future.exception()
                if error is None:
                    done.add(j)
                else:
                    failed[j] = error
    except BaseException:  # Ctrl-C while waiting: do not wait for the running jobs here
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if failed:
        raise _first(failed, count)


def _first(failed: dict[int, BaseException], count: int) -> BaseException:
    """The first failure, its message naming the other jobs of the chain left pending."""
    order = sorted(failed)
    first = failed[order[0]]
    pending = [
        str(e.job_id)
        for j in order[1:]
        if isinstance(e := failed[j], JobError) and e.job_id is not None
    ]
    if not pending or not isinstance(first, ModelsLabError):
        return first
    also = ", ".join(pending)
    return first.evolve(
        f"{first.message} (Job {order[0] + 1} of {count}; running at the same time, "
        f"job{'s' if len(pending) > 1 else ''} {also} did not finish either: "
        "fetch them by id.)"
    )
