"""The studio's files and memory stay bounded, and nothing is left when it stops.

``python app.py`` (offline) with its temporary directory pointed at an empty
folder, in which folders left by dead earlier runs are planted, and the photos
kept for "Fetch result" capped at one job. Two ``gradio_client`` users send
12 MP photos (a small hole, "Only masked") through ``/inpaint``; disk and the
app's resident memory are read after ``FIRST`` and after ``LAST`` generations.
The full run (10 and 50 generations) is ``python -m benchmarks --only
studio_resources``, its figures in ``benchmarks/RESULTS.md``. Figures are
printed with ``pytest -s``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from gradio_client import Client
from PIL import Image

from benchmarks.studio_resources import Disk, disk_usage, make_photos, mb, run_generations
from inpaint.studio import OutputStore, Settings, SettingsError, WorkDir
from inpaint.studio.generate.handler import DROPPED_INPUTS_REMARK
from inpaint.studio.store import Placement
from tests.app_process import App

FIRST, LAST = 2, 6
KEEP_JOBS = 1
# What may still grow per generation: gradio keeps each upload (a 12 MP JPEG of
# about 4 MB here, and its mask) until its delete_cache age.
UPLOAD_MB = 5.0
MARGIN_MB = 60.0  # results in flight, the local server's outputs
RSS_GROWTH_LIMIT_MB = 120.0


def plant_stale_runs(temp: Path) -> tuple[list[Path], Path]:
    """What dead earlier runs leave: a run folder whose lock nobody holds (an hour old)
    and the old layout's files straight in the shared folder (seven hours old); and
    what an older version still running may use (an hour old), which stays."""
    parent = temp / "inpaint-studio"
    stale = parent / "run-999999-dead"
    (stale / "gradio").mkdir(parents=True)
    (stale / ".lock").write_text("999999")
    (stale / "gradio" / "old.png").write_bytes(b"x" * 1000)
    legacy = parent / "0123456789"
    legacy.mkdir()
    (legacy / "inpaint-1.png").write_bytes(b"x" * 1000)
    recent_legacy = parent / "job-abcdef"  # an older version may still use this one
    recent_legacy.mkdir()
    for path, age in ((stale, 3600), (legacy, 7 * 3600), (recent_legacy, 3600)):
        os.utime(path, (time.time() - age,) * 2)
    return [stale, legacy], recent_legacy


def fetch_status(url: str, job_id: str, session: str) -> str:
    """The status line of ``/fetch_result`` for ``job_id``, asked by the session that sent it
    (anyone else is refused: the job is not theirs)."""
    client = Client(url, verbose=False, download_files=False)
    client.session_hash = session
    try:
        outputs = client.predict(job_id=job_id, api_name="/fetch_result")
    finally:
        client.close()
    return next(o for o in outputs if isinstance(o, str) and o.startswith("✓"))


def test_disk_and_memory_level_off_and_nothing_is_left_after_exit(tmp_path: Path) -> None:
    temp, inputs = tmp_path / "tmp", tmp_path / "inputs"
    temp.mkdir()
    inputs.mkdir()
    stale, young = plant_stale_runs(temp)
    photos, mask = make_photos(inputs, LAST)
    app = App(
        "resources-app", TMPDIR=str(temp), GRADIO_TEMP_DIR="", STUDIO_KEEP_JOBS=str(KEEP_JOBS)
    )
    try:
        url = app.wait_until_ready()
        left_by_dead_runs = [p for p in stale if p.exists()]
        figures, job_ids = run_generations(url, app.proc.pid, temp, photos, mask, (FIRST, LAST))
        # The first job's photo was dropped (cap): it is still fetched, and the page says why.
        status = fetch_status(url, job_ids[0], figures.sessions[job_ids[0]])
    finally:
        app.stop()
    left = disk_usage(temp)

    (first, rss_first), (last, rss_last) = figures.at[FIRST], figures.at[LAST]
    print(f"\n{LAST} generations in {figures.seconds:.0f} s")
    for count, (disk, rss) in figures.at.items():
        print(f"after {count}: {describe(disk)}, RSS {rss:.0f} MB")
    print(f"after exit: {describe(left)}")

    assert left_by_dead_runs == [] and young.is_dir()
    assert DROPPED_INPUTS_REMARK in status
    assert last.kept <= first.kept * 1.5 + 1e6  # one job's photo, however many were sent
    growth = (last.total - first.total) / 1e6
    assert growth <= (LAST - FIRST) * UPLOAD_MB + MARGIN_MB, describe(last)
    assert rss_last - rss_first <= RSS_GROWTH_LIMIT_MB
    # Only the parent of the per-process folders remains (with the young old-layout one).
    assert (left.files, left.folders) == (0, 2), describe(left)


def describe(disk: Disk) -> str:
    return (
        f"studio {mb(disk.studio)} (kept for fetch {mb(disk.kept)}), gradio {mb(disk.gradio)}, "
        f"local server {mb(disk.server)}; {disk.files} files in {disk.folders} folders"
    )


# -- the rules, one by one, in this process ------------------------------------------
def small(value: int = 0) -> Image.Image:
    return Image.new("RGB", (64, 48), (value, 0, 0))


def test_a_session_keeps_its_latest_result_and_a_closed_one_none(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    first = store.save_run(small(), [small(1)], 1, 1, session="a")
    other = store.save_run(small(), [small(2)], 2, 2, session="b")
    store.delivered("a", first[1])
    second = store.save_run(small(), [small(3)], 3, 3, session="a")
    # Not yet delivered: the first is still what the page shows.
    assert Path(first[1][0]).is_file()
    store.delivered("a", second[1])
    assert not Path(first[1][0]).exists() and Path(second[1][0]).is_file()
    assert Path(second[0] or "").is_file()  # its "before"
    store.delivered("b", other[1])
    assert Path(other[1][0]).is_file()  # another session's result is untouched
    store.end_session("a")
    assert not Path(second[1][0]).exists() and Path(other[1][0]).is_file()


def test_results_delivered_out_of_order_are_not_removed_before_they_are_delivered(
    tmp_path: Path,
) -> None:
    store = OutputStore(tmp_path)
    early = store.save_run(None, [small(1)], 1, 1, session="s")
    late = store.save_run(None, [small(2)], 2, 2, session="s")
    store.delivered("s", late[1])
    assert Path(early[1][0]).is_file()  # still being delivered
    store.delivered("s", early[1])
    assert not Path(early[1][0]).exists() and Path(late[1][0]).is_file()


def test_kept_job_inputs_are_capped_in_count_and_bytes_oldest_first(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, keep_jobs=3, keep_bytes=10**9)
    placements = []
    for n in range(5):
        image, mask = store.save_job_inputs(small(n), Image.new("L", (64, 48), 255))
        placements.append(Placement(image, mask, None, True, 4))
        store.remember_job(f"offline-{n}", placements[-1])
    assert [store.placement_for(f"offline-{n}") is not None for n in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert store.inputs_dropped("offline-0") and not store.inputs_dropped("offline-4")
    assert not store.inputs_dropped("offline-unknown")  # never kept here: nothing to say
    assert len(list((tmp_path / "jobs").iterdir())) == 3
    one_job = sum(f.stat().st_size for f in Path(placements[4].image).parent.iterdir())
    tight = OutputStore(tmp_path / "tight", keep_jobs=100, keep_bytes=int(one_job * 1.5))
    for n in range(3):
        tight.save_job_inputs(small(n), Image.new("L", (64, 48), 255))
    assert len(list((tmp_path / "tight" / "jobs").iterdir())) == 1  # the newest stays


def test_a_results_before_outlives_the_kept_inputs_it_is_linked_from(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, keep_jobs=1)
    image, _ = store.save_job_inputs(small(5), Image.new("L", (64, 48), 255))
    before, _ = store.save_run(image, [small(6)], 1, 1, session="s")
    store.save_job_inputs(small(7), Image.new("L", (64, 48), 255))  # drops the first
    assert not Path(image).exists()
    assert before and Image.open(before).getpixel((0, 0)) == (5, 0, 0)


def test_stale_run_folders_go_and_living_ones_stay(tmp_path: Path) -> None:
    stale, young = plant_stale_runs(tmp_path)
    alive = WorkDir(tmp_path / "inpaint-studio")
    old = time.time() - 3600
    os.utime(alive.root, (old, old))
    again = WorkDir(tmp_path / "inpaint-studio")  # a second app starting beside it
    assert [p for p in stale if p.exists()] == []
    assert alive.root.is_dir() and again.root.is_dir()
    env: dict[str, str] = {}
    assert again.point_gradio_here(env) == env["GRADIO_TEMP_DIR"] == str(again.gradio_dir)
    again.remove()
    alive.remove()
    assert list((tmp_path / "inpaint-studio").iterdir()) == [young]


def test_the_caps_and_the_folder_come_from_the_environment() -> None:
    settings = Settings.from_env({"STUDIO_KEEP_JOBS": "7", "STUDIO_KEEP_MB": "12.5"})
    assert (settings.keep_jobs, settings.keep_bytes, settings.temp_dir) == (7, 12_500_000, None)
    assert Settings.from_env({"GRADIO_TEMP_DIR": "/srv/tmp"}).temp_dir == "/srv/tmp"
    assert Settings.from_env({"STUDIO_TEMP_DIR": "/a", "GRADIO_TEMP_DIR": "/b"}).temp_dir == "/a"
    defaults = Settings.from_env({})
    assert (defaults.keep_jobs, defaults.keep_mb) == (50, 500)
    with pytest.raises(SettingsError, match="STUDIO_KEEP_JOBS"):
        Settings.from_env({"STUDIO_KEEP_JOBS": "0"})


def test_a_result_used_as_the_next_input_outlives_the_result(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    _, shown = store.save_run(None, [small(9)], 1, 1, session="s")
    used = store.detach(shown[0], session="s")
    store.delivered("s", shown)
    _, newer = store.save_run(None, [small(10)], 2, 2, session="s")
    store.delivered("s", newer)
    assert not Path(shown[0]).exists()
    assert Image.open(used).getpixel((0, 0)) == (9, 0, 0)


def test_a_before_dropped_while_the_result_is_saved_is_saved_from_memory(
    tmp_path: Path,
) -> None:
    store = OutputStore(tmp_path)
    gone = str(tmp_path / "jobs" / "dropped" / "image.png")
    before, _ = store.save_run(gone, [small(1)], 1, 1, session="s", fallback=small(4))
    assert before and Image.open(before).getpixel((0, 0)) == (4, 0, 0)
