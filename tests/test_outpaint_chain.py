"""An extension as a chain of jobs: its cost before it runs, its progress while it runs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inpaint import ModelsLabClient
from inpaint.cli.progressbar import ProgressBar
from inpaint.outpaint import Extension, jobs_needed
from inpaint.progress import ChainProgress, ProgressEvent, describe, overall_fraction

KEY = "chain-test-key"


def photo() -> Image.Image:
    rng = np.random.default_rng(4)
    return Image.fromarray(rng.integers(60, 200, (96, 128, 3), dtype=np.uint8), "RGB")


def test_jobs_needed_is_the_number_of_jobs_an_extension_runs(server) -> None:
    picture = photo()
    ext = Extension(left=96, right=160, bottom=40)
    assert jobs_needed(picture.size, ext) >= 3
    assert jobs_needed(picture.size, Extension(right=8)) == 1
    seen: list[ProgressEvent] = []
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        # The chain's bookkeeping is under test, not the pre-fill: "blur" takes
        # milliseconds where the default quilting takes seconds a job.
        result = client.outpaint(
            picture,
            "x",
            left=96,
            right=160,
            bottom=40,
            seed=2,
            prefill="blur",
            progress=seen.append,
        )
    total = jobs_needed(picture.size, ext)
    assert len(result.jobs) == total

    # Every event says which job of the chain it belongs to, in order.
    parts = [e.part for e in seen]
    assert parts[0] == (1, total) and parts[-1] == (total, total)
    assert all(p is not None and p[1] == total for p in parts)
    numbers = [p[0] for p in parts if p is not None]
    assert numbers == sorted(numbers) and set(numbers) == set(range(1, total + 1))
    fractions = [overall_fraction(e) for e in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # one bar for the chain
    assert describe(seen[-1]).startswith(f"Job {total} of {total}: ")
    middle = [e for e in seen if e.stage == "done" and e.part and e.part[0] < total]
    assert len(middle) == total - 1 and all("next one" in e.message for e in middle)

    # The command line's log lines say so too (no bare "Preparing ... Done" per job).
    stream = io.StringIO()
    bar = ProgressBar(stream, tty=False)
    for event in seen:
        bar(event)
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("Job 2 of") for line in lines)
    assert all(line.startswith("Job ") for line in lines)


def test_a_single_job_or_no_display_is_left_as_it_is() -> None:
    events: list[ProgressEvent] = []
    assert ChainProgress(None, 3).job(1) is None
    assert ChainProgress(events.append, 1).job(1) == events.append
    chain = ChainProgress(events.append, 4)
    first, second = chain.job(1), chain.job(2)
    assert first is not None and second is not None
    first(ProgressEvent("done", "Done", fraction=1.0))
    second(ProgressEvent("queued", "Job 7 is queued", eta=3.0, fraction=0.5))
    assert events[-1].part == (2, 4)
    assert describe(events[-1]) == "Job 2 of 4: Job 7 is queued · about 3 s left"
    assert overall_fraction(events[-1]) == pytest.approx((1 + 0.2 + 0.7 * 0.5) / 4)


def test_jobs_running_at_once_are_shown_one_at_a_time_in_the_chains_order() -> None:
    """The display follows the first unfinished job; one that ended early says so in turn,
    and every job's id is said the moment it exists (the studio's history needs it)."""
    events: list[ProgressEvent] = []
    chain = ChainProgress(events.append, 4)
    one, two, three, four = (chain.job(n) for n in range(1, 5))
    assert one and two and three and four
    three(ProgressEvent("queued", "Job 30 is queued", eta=3.0, job_id=30, fraction=0.5))
    one(ProgressEvent("preparing", "Preparing the image and mask"))
    three(ProgressEvent("done", "Done", fraction=1.0, job_id=30))
    one(ProgressEvent("queued", "Job 10 is queued", eta=2.0, job_id=10, fraction=0.2))
    two(ProgressEvent("queued", "Job 20 is queued", eta=5.0, job_id=20, fraction=0.1))
    one(ProgressEvent("done", "Done", fraction=1.0, job_id=10))
    two(ProgressEvent("done", "Done", fraction=1.0, job_id=20))
    four(ProgressEvent("done", "Done", fraction=1.0, job_id=40))
    assert [(describe(e), e.job_id) for e in events] == [
        ("Job 1 of 4: Preparing", 30),  # job 3's id, at once, on job 1's place
        ("Job 1 of 4: Preparing the image and mask", None),
        ("Job 1 of 4: Job 10 is queued · about 2 s left", 10),
        ("Job 1 of 4: Job 10 is queued · about 2 s left", 20),  # job 2's id
        ("Job 1 of 4: finished, the next one follows", 10),
        ("Job 2 of 4: Job 20 is queued · about 5 s left", 20),
        ("Job 2 of 4: finished, the next one follows", 20),
        ("Job 3 of 4: finished, the next one follows", 30),
        ("Job 4 of 4: Done", 40),
    ]
    fractions = [overall_fraction(e) for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_several_samples_of_a_chained_extension_are_one_chain_each() -> None:
    """Sample i is its own chain with seed + i (PatchMatch: the samples differ), so
    sample 2 is what a single run with the next seed makes, pixel for pixel."""
    from inpaint.server import ServerConfig, serve_in_background

    picture = photo()
    server = serve_in_background(ServerConfig(latency=0.0, engine="patchmatch"))
    seen: list[ProgressEvent] = []
    try:
        with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
            both = client.outpaint(
                picture, "x", right=160, bottom=40, seed=11, samples=2, progress=seen.append
            )
            second = client.outpaint(picture, "x", right=160, bottom=40, seed=12)
    finally:
        server.stop()
    jobs = jobs_needed(picture.size, Extension(right=160, bottom=40))
    assert jobs >= 2 and len(both.jobs) == 2 * jobs and len(both.images) == 2
    one, two = (np.asarray(i) for i in both.images)
    assert one.shape == two.shape == (136, 288, 3) and not np.array_equal(one, two)
    assert np.array_equal(two, np.asarray(second.images[0]))
    assert both.parameters["samples"] == 2 and both.parameters["seed"] == 11
    assert {e.part for e in seen} == {(n, 2 * jobs) for n in range(1, 2 * jobs + 1)}
    assert [e.stage for e in seen].count("done") == 2 * jobs
