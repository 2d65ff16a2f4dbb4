"""Replicas of the studio on one key: shared job slots in Redis against per-process state.

Three ``python app.py`` processes run with the same owner's key, pointed at
one local server (a child process of the benchmark, like a remote API) whose
key has a queue limit of 3 and 3 workers, each job lasting a fixed simulated
2 s: the key's capacity is exactly 3 jobs at a time. Twenty ``gradio_client``
users per replica, each a different visitor (its own ``X-Forwarded-For``, from
a trusted proxy), are released at once and call ``/inpaint``.

Two runs, each on a fresh server:

* **shared**: ``STUDIO_STATE_URL`` names one ``redis-server``
  (tests/redis_server.py), so the replicas share the key's 3 job slots, the
  visitors' quotas and the daily budget;
* **before**: no ``STUDIO_STATE_URL`` and a data folder per replica, so each
  keeps its own SQLite file and believes it owns the whole queue limit, as every
  replica did before the shared state: up to 9 jobs are sent at a key that
  takes 3, and the server answers the rest with 429.

Measured from the server's own job table: the share of the key's capacity used
(busy job-seconds, each job from its submission to its end, over queue limit x
the busy period from the first submission to the last end), the 429s it
answered (``jobs.counts()``) and its peak of jobs queued for the key; from the
users: 429s that reached them and the latency of a call. The store's own cost
per job is measured after the load (``benchmarks/shared_state.measure``) on
the same Redis and on an SQLite file like a replica's.

Jobs last 2 s so that the default run (6 studio start-ups, 120 calls) stays
within a few minutes; ``run(count=, users=, calls_each=, latency=, modes=)``
shrinks it (the smoke test) or stretches it (RESULTS.md has 5 s jobs too).
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks.appproc import AppProcess
from benchmarks.common import EXAMPLES, Section, median, p95, verdict

KEY = "bench-replicas-owner-key"
REPLICAS = 3
USERS_PER_REPLICA = 20
QUICK_USERS = 4  # per replica, in --quick mode
LATENCY = 2.0
QUEUE_LIMIT = 3
SHARE_TARGET = 0.9
MODES = ("shared", "before")
CLIENT_TIMEOUT = 300.0  # seconds, for every HTTP call of a user
STORE_JOBS = 300  # jobs timed on each store after the load (a few hundred ms)


@dataclass
class Outcome:
    """What one run (one mode) measured."""

    mode: str
    users: int
    calls_each: int
    done: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    total: float = 0.0  # from releasing the users to the last answer
    busy: float = 0.0  # first job submitted .. last job ended, on the server
    job_seconds: float = 0.0  # sum over jobs of (end - submission)
    jobs: int = 0  # jobs the server accepted during the load
    rejected: int = 0  # 429s the server answered during the load
    peak_queued: int = 0
    store_ms: float = float("nan")  # the store's own cost per job

    @property
    def rate_limited(self) -> list[str]:
        return [e for e in self.errors if is_rate_limit(e)]

    @property
    def share(self) -> float:
        return self.job_seconds / (QUEUE_LIMIT * self.busy) if self.busy > 0 else float("nan")


def is_rate_limit(message: str) -> bool:
    text = message.lower()
    return "429" in text or "rate limit" in text or "queue is full" in text


def inputs(folder: Path) -> tuple[Path, Path]:
    """A small photo and mask, so a job lasts its simulated time and hardly more."""
    photo, mask = folder / "photo.png", folder / "mask.png"
    Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize((160, 104)).save(photo)
    Image.open(EXAMPLES / "chelsea_mask.png").convert("L").resize(
        (160, 104), Image.Resampling.NEAREST
    ).save(mask)
    return photo, mask


def _serve(settings: dict[str, Any], conn: Connection) -> None:
    """The local server in a child process; answers "report" with its job table."""
    from inpaint.server import ServerConfig, serve_in_background

    running = serve_in_background(ServerConfig(**settings))
    try:
        conn.send(running.base_url)
        while conn.recv() == "report":
            jobs = running.app.state.jobs
            table = [(j.id, j.submitted, j.finished) for j in jobs.held()]
            conn.send((jobs.counts(), table))
    finally:
        running.stop()


class ServerChild:
    """The local server in its own process (its own GIL, like a remote API), whose job
    table and counts the benchmark reads over a pipe; monotonic times are the system's."""

    def __init__(self, **settings: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.proc = context.Process(target=_serve, args=(settings, child), daemon=True)
        self.proc.start()
        if not self._conn.poll(60):
            self.stop()
            raise RuntimeError("the local server did not start within 60 s")
        self.base_url: str = self._conn.recv()

    def report(self) -> tuple[dict[str, int], list[tuple[int, float, float | None]]]:
        """(``jobs.counts()``, [(id, submitted, finished)] for every job held)."""
        self._conn.send("report")
        return self._conn.recv()  # type: ignore[no-any-return]

    def stop(self) -> None:
        try:
            self._conn.send("stop")
        except OSError:
            pass
        self.proc.join(15)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


@contextmanager
def replicas(mode: str, count: int, base_url: str, redis_url: str) -> Iterator[list[AppProcess]]:
    """``count`` studios on the key, started together and ready."""
    env = {
        "MODELSLAB_API_KEY": KEY,
        "MODELSLAB_BASE_URL": base_url,
        "STUDIO_CONCURRENCY_LIMIT": str(QUEUE_LIMIT),
        "STUDIO_TRUSTED_PROXIES": "127.0.0.1",
        "STUDIO_VISITOR_QUOTA": "1000/day",
        "STUDIO_DAILY_BUDGET": "100000",
    }
    if mode == "shared":
        env["STUDIO_STATE_URL"] = redis_url
    # "before": no STUDIO_STATE_URL; each App has its own STUDIO_DATA_DIR, so its own SQLite file.
    with ExitStack() as stack:
        apps = [
            stack.enter_context(AppProcess(name=f"bench-replica-{mode}-{i}", **env))
            for i in range(count)
        ]
        try:
            for app in apps:
                app.wait_until_ready()
            yield apps
        finally:
            for app in apps:  # all told at once; the stack then waits for each
                if app.proc.poll() is None:
                    app.proc.terminate()


def load(
    mode: str, *, count: int, users: int, calls_each: int, latency: float, redis_url: str
) -> Outcome:
    """One run: a fresh server, ``count`` replicas, ``users`` visitors per replica."""
    from gradio_client import Client, handle_file  # heavy import: only when this runs

    outcome = Outcome(mode, users * count, calls_each)
    folder = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    photo, mask = inputs(folder)
    server = ServerChild(
        keys=frozenset({KEY}),
        queue_limit=QUEUE_LIMIT,
        workers=QUEUE_LIMIT,
        latency=latency,
        sync_threshold=0.0,
        engine="quick",
    )
    lock = threading.Lock()

    def call(client: Client, prompt: str) -> None:
        client.predict(
            image=handle_file(str(photo)),
            mask=handle_file(str(mask)),
            prompt=prompt,
            api_name="/inpaint",
        )

    try:
        with replicas(mode, count, server.base_url, redis_url) as apps:
            # Each visitor a different address through the trusted proxy (127.0.0.1).
            with ThreadPoolExecutor(8) as pool:
                clients = list(
                    pool.map(
                        lambda n: Client(
                            apps[n % count].url,
                            verbose=False,
                            headers={"X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"},
                            # httpx's 5 s default lets a starved machine fail an upload;
                            # a browser would wait, and so do these users.
                            httpx_kwargs={"timeout": CLIENT_TIMEOUT},
                        ),
                        range(users * count),
                    )
                )
            # One call per replica first: start-up costs (imports, first request) are not load.
            with ThreadPoolExecutor(count) as pool:
                list(pool.map(lambda c: call(c, "warm-up"), clients[:count]))
            before, warm = server.report()
            first_id = max((job[0] for job in warm), default=0)
            gate = threading.Barrier(len(clients) + 1)

            def user(client: Client) -> None:
                gate.wait()
                for _ in range(calls_each):
                    t0 = time.monotonic()
                    try:
                        call(client, "a plain wall")
                    except Exception as exc:  # recorded: an error is a result here
                        with lock:
                            outcome.errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        outcome.latencies.append(time.monotonic() - t0)

            threads = [threading.Thread(target=user, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            gate.wait()
            t_start = time.monotonic()
            for t in threads:
                t.join()
            outcome.total = time.monotonic() - t_start
            after, table = server.report()
            with ThreadPoolExecutor(len(clients)) as pool:  # each close waits up to 1 s
                list(pool.map(lambda c: c.close(), clients))
        jobs = [(submitted, finished) for n, submitted, finished in table if n > first_id]
        ended = [(submitted, finished) for submitted, finished in jobs if finished is not None]
        if ended:
            outcome.busy = max(end for _, end in ended) - min(start for start, _ in jobs)
            outcome.job_seconds = sum(end - start for start, end in ended)
        outcome.jobs = len(jobs)
        outcome.done = len(outcome.latencies)
        outcome.rejected = after["rejected"] - before["rejected"]
        outcome.peak_queued = after["peak_queued"]
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return outcome


def store_cost(url: str) -> float:
    """Milliseconds of the store's own bookkeeping per job (median of single jobs)."""
    from benchmarks.shared_state import measure
    from inpaint.shared import open_state

    state = open_state(url)
    try:
        single, _ = measure(state, STORE_JOBS)
    finally:
        state.close()
    return median(single) * 1000


def run(
    quick: bool = False,
    *,
    count: int = REPLICAS,
    users: int | None = None,
    calls_each: int | None = None,
    latency: float = LATENCY,
    modes: tuple[str, ...] = MODES,
) -> Section:
    """Both runs with the defaults; the keywords shrink it (smoke test) or stretch it."""
    from tests.redis_server import RedisServer

    if "shared" not in modes or not set(modes) <= set(MODES):
        raise ValueError(f"modes must include 'shared' and be among {MODES}")
    began = time.perf_counter()
    calls = calls_each if calls_each is not None else 1
    users = users if users is not None else (QUICK_USERS if quick else USERS_PER_REPLICA)
    outcomes = []
    with RedisServer() as redis, tempfile.TemporaryDirectory() as folder:
        for mode in modes:
            outcome = load(
                mode,
                count=count,
                users=users,
                calls_each=calls,
                latency=latency,
                redis_url=redis.url,
            )
            outcome.store_ms = store_cost(
                redis.url if mode == "shared" else f"sqlite:///{Path(folder) / 'state.db'}"
            )
            outcomes.append(outcome)
    section = _section(outcomes, count=count, latency=latency)
    section.seconds = time.perf_counter() - began
    return section


def _section(outcomes: list[Outcome], *, count: int, latency: float) -> Section:
    """The table: one column per run, the shared run's verdict against each target."""
    shared = next(o for o in outcomes if o.mode == "shared")
    users = shared.users
    section = Section(
        f"Replicas: {count} studios x {users // count} users on one key (queue limit "
        f"{QUEUE_LIMIT}, {latency:g} s jobs)",
        ["figure", *(COLUMNS[o.mode] for o in outcomes), "target", "shared: result"],
    )

    def row(name: str, cells: list[str], target: str = "reported", result: str = "") -> None:
        section.add(name, *cells, target, result)

    row(
        f"calls ({users} users x {shared.calls_each})",
        [f"{o.done} done, {len(o.errors)} failed" for o in outcomes],
    )
    row(
        "share of the key's capacity used",
        [f"{o.share:.0%}" for o in outcomes],
        f">= {SHARE_TARGET:.0%}",
        verdict(shared.share >= SHARE_TARGET),
    )
    row(
        "429s seen by users",
        [str(len(o.rate_limited)) for o in outcomes],
        "0",
        verdict(not shared.rate_limited),
    )
    row(
        "429s answered by the server",
        [str(o.rejected) for o in outcomes],
        "0",
        verdict(shared.rejected == 0),
    )
    row(
        "peak jobs queued on the key",
        [str(o.peak_queued) for o in outcomes],
        f"<= {QUEUE_LIMIT}",
        verdict(shared.peak_queued <= QUEUE_LIMIT),
    )
    row("jobs the server accepted", [str(o.jobs) for o in outcomes])
    row(
        "per job: on the server / a place of the key",
        [
            f"{o.job_seconds / o.jobs:.2f} s / {QUEUE_LIMIT * o.busy / o.jobs:.2f} s"
            if o.jobs
            else "-"
            for o in outcomes
        ],
    )
    row(
        "busy period / total time",
        [f"{o.busy:.1f} s / {o.total:.1f} s" for o in outcomes],
    )
    row(
        "latency per call, p50 / p95",
        [f"{median(o.latencies):.1f} s / {p95(o.latencies):.1f} s" for o in outcomes],
    )
    row(
        "store's cost per job (median)",
        [f"{o.store_ms:.2f} ms" for o in outcomes],
        "< 5 ms Redis, < 2 ms SQLite",
        verdict(shared.store_ms < 5),
    )
    for o in outcomes:
        if o.errors:
            kinds = Counter(
                re.sub(r"about \d+ s", "about N s", e.strip().splitlines()[-1][:110])
                for e in o.errors
            )
            listed = "; ".join(f"{n} x {text}" for text, n in kinds.most_common())
            section.note(f"Errors users saw ({COLUMNS[o.mode]}): {listed}")
    section.note(
        "Share of capacity = the server's busy job-seconds (each job from its submission "
        f"to its end) / ({QUEUE_LIMIT} places x the busy period, first submission to last "
        "end); the warm-up calls (one per replica) are not counted. A place of the key "
        "per job = that denominator / jobs: what a job costs the key, its own time plus "
        "the gap before the next job takes its place (the studio collecting it, which the "
        "poll schedule does 0.3-0.4 s after the end for an accurate whole-second eta, "
        "then the next submit's round trip). That gap is per job, not per second, so the "
        "share grows with the job's length (see RESULTS.md for a run with 5 s jobs)."
    )
    section.note(
        "429s answered are the server's own count; the studio's HTTP layer retries a 429 "
        "up to 3 times (after the server's retry_after), so a user sees one only when every "
        "retry failed. The before run may keep the key as busy or busier (its replicas send "
        "up to 3 jobs each, and retries fill the gaps), at the price of the 429s, the "
        "failed calls and jobs the server refused to take."
    )
    section.note(
        "shared: STUDIO_STATE_URL=redis://... (one redis-server); before: no "
        "STUDIO_STATE_URL, one data folder (SQLite file) per replica. Both: "
        f"STUDIO_CONCURRENCY_LIMIT={QUEUE_LIMIT}, each user a different visitor (its own "
        "X-Forwarded-For from the trusted 127.0.0.1, default visitor concurrency 2), a "
        f"160 x 104 photo, the server's quick engine, {QUEUE_LIMIT} server workers. The "
        "store's cost is benchmarks/shared_state.py's job (quota reserve + spend + close, "
        f"slot take + give) timed {STORE_JOBS} times after the load, on the run's Redis and "
        "on an SQLite file; that benchmark has the full figures."
    )
    section.note(
        "The replicas, redis-server, the local server (its own process) and the users "
        "(threads of the benchmark's process) all share the machine's cores."
    )
    return section


COLUMNS = {"shared": "shared (Redis)", "before": "before (SQLite per replica)"}
