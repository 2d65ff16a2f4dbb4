"""4. Load through the studio: 20 concurrent API users of ``/inpaint``.

``python app.py`` runs as a subprocess with a key, pointed (``MODELSLAB_BASE_URL``)
at a local server (another subprocess) with 2-second jobs, a queue limit of 5 and 5 workers: its
capacity is 5 jobs per 2 s. Twenty ``gradio_client`` users, each in its own
thread, call ``api_name="/inpaint"`` back to back. Measured: errors (rate-limit
ones counted apart), throughput against that capacity, p50/p95 latency per
call, and the app process's peak resident memory (VmHWM).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from benchmarks.appproc import AppProcess, ServerProcess
from benchmarks.common import EXAMPLES, Section, median, p95, verdict

KEY = "bench-studio-load-key"
USERS = 20
LATENCY = 2.0
QUEUE_LIMIT = 5


def run(quick: bool = False, *, app_prefix: tuple[str, ...] = ()) -> Section:
    from gradio_client import Client, handle_file  # heavy import: only when this runs

    started = time.perf_counter()
    calls_each = 1 if quick else 6
    # A small photo, so a job lasts its 2 s of simulated model time and hardly
    # more: the classical engine's own time would otherwise lower the capacity.
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    photo, mask = tmp / "photo.png", tmp / "mask.png"
    Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize((160, 104)).save(photo)
    Image.open(EXAMPLES / "chelsea_mask.png").convert("L").resize(
        (160, 104), Image.Resampling.NEAREST
    ).save(mask)
    server = ServerProcess(
        "--latency",
        str(LATENCY),
        "--queue-limit",
        str(QUEUE_LIMIT),
        "--workers",
        str(QUEUE_LIMIT),
        keys=KEY,
    )
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    try:
        with AppProcess(
            prefix=app_prefix, MODELSLAB_API_KEY=KEY, MODELSLAB_BASE_URL=server.base_url
        ) as app:
            url = app.wait_until_ready()
            clients = [Client(url, verbose=False) for _ in range(USERS)]
            # One call first, so start-up costs (imports, first request) are not load.
            clients[0].predict(
                image=handle_file(str(photo)),
                mask=handle_file(str(mask)),
                prompt="warm-up",
                api_name="/inpaint",
            )
            gate = threading.Barrier(USERS)

            def user(client: Client) -> None:
                gate.wait()
                for _ in range(calls_each):
                    t0 = time.monotonic()
                    try:
                        client.predict(
                            image=handle_file(str(photo)),
                            mask=handle_file(str(mask)),
                            prompt="a plain wall",
                            api_name="/inpaint",
                        )
                    except Exception as exc:  # recorded: an error is a result here
                        with lock:
                            errors.append(str(exc))
                        continue
                    with lock:
                        latencies.append(time.monotonic() - t0)

            threads = [threading.Thread(target=user, args=(c,)) for c in clients]
            t_start = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t_start
            rss = app.peak_rss_mb()
            for c in clients:
                c.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    rate_limited = [
        e for e in errors if "rate" in e.lower() or "queue limit" in e.lower() or "429" in e
    ]
    done = len(latencies)
    capacity = QUEUE_LIMIT / LATENCY
    throughput = done / wall
    share = throughput / capacity
    section = Section(
        "4. Load through the studio: 20 concurrent gradio_client users",
        ["figure", "value", "target", "result"],
    )
    section.add(f"calls (20 users x {calls_each})", f"{done} done, {len(errors)} failed", "", "")
    section.add(
        "rate-limit errors seen by users", len(rate_limited), "0", verdict(not rate_limited)
    )
    section.add(
        "throughput",
        f"{throughput:.2f} jobs/s ({share:.0%} of 2.5 jobs/s)",
        ">= 90 % of capacity",
        verdict(share >= 0.9),
    )
    section.add(
        "latency per call, p50 / p95",
        f"{median(latencies):.1f} s / {p95(latencies):.1f} s",
        "reported",
        "",
    )
    section.add("app peak resident memory", f"{rss:.0f} MB", "reported", "")
    if errors:
        section.note("Errors seen: " + "; ".join(sorted(set(e[:120] for e in errors))))
    section.note(
        f"Throughput = calls completed / wall time from the first call to the last "
        f"answer ({wall:.1f} s). Capacity is the server's: {QUEUE_LIMIT} workers, "
        f"{LATENCY:g} s of simulated model time per job (plus the classical engine's "
        "own time on a 160 x 104 photo, a few milliseconds). The studio's concurrency "
        "limit is its default, 5, the smallest plan's queue limit."
    )
    section.note(
        "The app, the server (`python -m inpaint.server`, its own process) and the "
        "20 clients (threads of the benchmark's process, each downloading its results) "
        "all share the machine's 2 cores."
    )
    section.seconds = time.perf_counter() - started
    return section
