"""An extension's jobs that do not depend on each other run at once, and change nothing.

Over real HTTP against the local server (PatchMatch, the offline default): the
same extension run one job at a time (a queue limit of 1) and with its
independent tiles at once gives the same picture, pixel for pixel. That the
tiles really were in the queue together is shown by job slots whose first two
holders wait for each other: one job at a time could never get past them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from inpaint import ModelsLabClient, schedule
from inpaint import outpaint as op
from inpaint.evaluate import texture
from inpaint.outpaint import Extension
from inpaint.progress import ProgressEvent, describe, overall_fraction
from inpaint.region import Box
from inpaint.request import InpaintRequest
from inpaint.slots import Hold, JobSlots

KEY = "parallel-key"


class MeetingSlots(JobSlots):
    """Slots whose first two holders wait (up to a minute) until both hold one."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.meeting = threading.Barrier(2, timeout=60)
        self._arrived = 0
        self._count = threading.Lock()

    def _meet(self, hold: Hold | None) -> Hold | None:
        if hold is not None:
            with self._count:
                self._arrived += 1
                first_two = self._arrived <= 2
            if first_two:
                self.meeting.wait()  # BrokenBarrierError if the other never comes
        return hold

    def try_acquire(self, **kw: Any) -> Hold | None:
        return self._meet(super().try_acquire(**kw))

    def acquire(
        self, cancel: Callable[[], bool] | None = None, poll: float = 0.2, **kw: Any
    ) -> Hold | None:
        return self._meet(super().acquire(cancel, poll, **kw))


def strip() -> Image.Image:
    """A wide photo: its bottom band is three tiles, the outer two apart."""
    tile = np.asarray(texture("gravel", 400))
    return Image.fromarray(np.tile(tile, (1, 6, 1))[:300, :2400], "RGB")


def test_independent_tiles_run_at_once_and_give_the_sequential_picture(patchmatch_server):
    picture, ext = strip(), Extension(bottom=64)
    plan = list(op.tiles(picture.size, ext))
    assert len(plan) == 3
    first, last, between = (t.band for t in plan)
    assert first.right <= last.left and between.left < first.right and last.left < between.right
    seen: list[ProgressEvent] = []
    with ModelsLabClient(api_key=KEY, base_url=patchmatch_server.base_url, slots=JobSlots(1)) as c:
        one_at_a_time = c.outpaint(picture, "x", bottom=64, seed=3)
    slots = MeetingSlots(5)
    with ModelsLabClient(api_key=KEY, base_url=patchmatch_server.base_url, slots=slots) as c:
        at_once = c.outpaint(picture, "x", bottom=64, seed=3, progress=seen.append)
    assert not slots.meeting.broken and slots.free == 5  # both met; every place given back
    assert np.array_equal(np.asarray(one_at_a_time.images[0]), np.asarray(at_once.images[0]))
    assert at_once.images[0].size == (2400, 364) and len(at_once.jobs) == 3
    assert at_once.regions == one_at_a_time.regions

    # The display still reads "Job k of 3: <stage>", k never going back, one bar forward.
    numbers = [e.part[0] for e in seen if e.part]
    assert len(numbers) == len(seen) and numbers == sorted(numbers)
    assert set(numbers) == {1, 2, 3} and all(describe(e).startswith("Job ") for e in seen)
    fractions = [overall_fraction(e) for e in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [e.message for e in seen if e.stage == "done"][:2] == [
        "finished, the next one follows"
    ] * 2
    # Every job's id was said while it ran (the studio's history and the CLI need them).
    assert {job.id for job in at_once.jobs} <= {e.job_id for e in seen}


def test_a_tile_changes_nothing_outside_its_cut(patchmatch_server):
    """What makes copying each tile's cut back exact: the rest comes back as it was sent."""
    picture, ext = strip(), Extension(bottom=64)
    tile = next(iter(op.tiles(picture.size, ext)))
    canvas = op.start_canvas(picture, ext)
    unknown = np.ones((canvas.height, canvas.width), bool)
    unknown[:300] = False
    mask = op.tile_mask(canvas.size, tile, unknown, 16)
    with ModelsLabClient(api_key=KEY, base_url=patchmatch_server.base_url) as c:
        request = InpaintRequest.from_values(
            {"prompt": "x", "seed": 3, "crop_to_mask": True, "feather": 8, "prefill": "patchmatch"}
        )
        done = c.run(canvas, mask, request, regions=[tile.region])
    before, after = np.asarray(canvas), np.asarray(done.images[0])
    box = tile.region.box
    outside = np.ones(before.shape[:2], bool)
    outside[box.top : box.bottom, box.left : box.right] = False
    assert np.array_equal(before[outside], after[outside])
    assert not np.array_equal(before[~outside], after[~outside])


def test_dependencies_follow_what_each_job_reads_and_writes():
    def area(left: int, right: int, margin: int = 8) -> schedule.Area:
        return schedule.Area(
            reads=Box(left - margin, 0, right + margin, 10), writes=Box(left, 0, right, 10)
        )

    # Two far apart, one bridging them, one touching only the last within its margin.
    areas = [area(0, 100), area(200, 300), area(80, 220), area(306, 400)]
    needs = schedule.dependencies(areas)
    assert needs == [frozenset(), frozenset(), frozenset({0, 1}), frozenset({1})]
    assert schedule.widest(needs) == 2


def test_a_failed_job_stops_new_ones_and_the_others_pending_are_named():
    from inpaint.errors import JobTimeoutError

    needs = [frozenset(), frozenset(), frozenset({0, 1})]
    both_running = threading.Barrier(2, timeout=60)
    ran: list[int] = []

    def run_one(j: int) -> None:
        ran.append(j)
        both_running.wait()
        raise JobTimeoutError("The job was still processing.", job_id=100 + j)

    with pytest.raises(JobTimeoutError) as info:
        schedule.run_all(needs, run_one, limit=5)
    assert sorted(ran) == [0, 1]  # job 2 waited for them and never started
    assert info.value.job_id == 100
    assert "job 101 did not finish either: fetch them by id" in str(info.value)
