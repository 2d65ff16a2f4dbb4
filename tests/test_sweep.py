"""Sweeps against a real local server with a small queue limit, killed and resumed, and replay.

The server counts what clients do to its queue (``JobManager.counts``): jobs
submitted, 429s answered, and the most jobs one key had queued at once. A sweep
must never exceed the key's queue limit, never see a 429, never pay twice for a
cell, and collect a cell that was submitted but not collected by its job id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inpaint import InpaintRequest, ModelsLabClient, ParameterError, metadata
from inpaint.offline import ENGINE_VARIABLE
from inpaint.sweep import SweepRunner, plan_sweep, same_pixels
from tests.cli_run import run_cli_here
from tests.conftest import poll

ROOT = Path(__file__).resolve().parent.parent
KEY = "sweep-key-7d1f"


def scene(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(9)
    arr = np.clip(rng.normal(120, 25, (96, 128, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(arr, "RGB")
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((40, 30, 88, 70), fill=255)
    image.save(tmp_path / "photo.png")
    mask.save(tmp_path / "mask.png")
    return tmp_path / "photo.png", tmp_path / "mask.png"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_")}
    out.update(MODELSLAB_API_KEY=KEY, PYTHONPATH=str(ROOT))
    return out


def sweep_command(server, photo: Path, mask: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inpaint",
        "sweep",
        "--image",
        str(photo),
        "--mask",
        str(mask),
        "--prompt",
        "x",
        "--vary",
        "strength=0.2,0.5,0.9",
        "--vary",
        "seed=1,2,3",
        "--out",
        str(out),
        "--base-url",
        server.base_url,
        "--queue-limit",
        "2",
        "--yes",
    ]


def test_a_3x3_sweep_stays_within_the_queue_limit_and_a_rerun_pays_nothing(make_server, tmp_path):
    server = make_server(queue_limit=2, latency=0.3, sync_threshold=0.0, workers=4)
    photo, mask = scene(tmp_path)
    image, msk = Image.open(photo).convert("RGB"), Image.open(mask).convert("L")
    plan = plan_sweep(
        InpaintRequest(prompt="x", transport="base64"),
        {"strength": [0.2, 0.5, 0.9], "seed": [1, 2, 3]},
        image=image,
        mask=msk,
    )
    assert plan.job_count == 9
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        result = SweepRunner(client, image, msk, plan, tmp_path / "run", queue_limit=2).run()
    counts = server.app.state.jobs.counts()
    assert result.counts() == {"done": 9, "failed": 0, "pending": 0}
    assert counts == {"submitted": 9, "rejected": 0, "peak_queued": 2}
    assert [g.name for g in result.grids] == ["grid.png"] and result.html.is_file()
    rows = (tmp_path / "run" / "cells.csv").read_text().splitlines()
    assert len(rows) == 10 and rows[0].startswith("cell,strength,seed,state")
    by_seed = {c.cell.values: c.seed for c in result.cells}
    assert by_seed[(0.5, 2)] == 2
    # The same sweep again: every cell is read back, nothing is sent.
    with ModelsLabClient(api_key=KEY, base_url=server.base_url) as client:
        again = SweepRunner(client, image, msk, plan, tmp_path / "run", queue_limit=2).run()
    assert server.app.state.jobs.counts()["submitted"] == 9
    assert all(c.reused for c in again.cells) and again.sent == 0


def test_a_killed_sweep_resumes_without_paying_twice(make_server, tmp_path):
    server = make_server(queue_limit=2, latency=1.5, sync_threshold=0.0, workers=4)
    photo, mask = scene(tmp_path)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        sweep_command(server, photo, mask, out),
        env=env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def states() -> list[str]:
        manifest = out / "manifest.jsonl"
        lines = manifest.read_text().splitlines() if manifest.exists() else []
        return [json.loads(line)["state"] for line in lines if line.strip()]

    poll(lambda: states().count("done") >= 3, timeout=60)
    proc.send_signal(signal.SIGKILL)  # no chance to tidy up: a crash
    proc.wait(timeout=30)
    latest: dict[tuple[float, int], str] = {}
    for line in (out / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        values = entry["values"]  # as the command line gave them (text)
        latest[(float(values["strength"]), int(values["seed"]))] = entry["state"]
    known = {cell for cell, state in latest.items() if state in ("done", "submitted")}
    done = list(latest.values()).count("done")
    assert 3 <= done < 9
    rerun = subprocess.run(
        sweep_command(server, photo, mask, out),
        env=env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert ", 0 failed, 0 pending" in rerun.stderr, rerun.stderr
    jobs = server.app.state.jobs
    paid: dict[tuple[float, int], int] = {}
    for job in jobs.held():
        cell = (float(job.meta["strength"]), int(job.meta["seed"]))
        paid[cell] = paid.get(cell, 0) + 1
    print(f"killed after {done} done, {len(known)} known; jobs per cell {paid}, {jobs.counts()}")
    # Done cells are read back and recorded jobs are fetched by id: a cell the
    # manifest knew of is paid for exactly once. A cell it knew nothing of was sent
    # by the rerun; the killed run may have paid for it too (a submit whose answer
    # the crash cut off has no id anywhere, as with the API's lost answers), never
    # more. Counted per cell, not as a total after the kill: a request the killed
    # process had in flight may reach the server's count a moment later.
    assert len(paid) == 9
    assert all(paid[cell] == 1 for cell in known), paid
    assert all(count <= 2 for count in paid.values()), paid
    counts = jobs.counts()
    assert counts["peak_queued"] <= 2
    # A lost submit's job still holds a place in the server's queue that the rerun
    # cannot know of: the server may answer 429 then, which the client waits out.
    lost = sum(paid.values()) - 9
    assert lost > 0 or counts["rejected"] == 0
    assert "from the earlier run" in rerun.stderr
    assert rerun.stdout.splitlines()[0].endswith("grid.png")
    assert len(list((out / "cells").glob("*.png"))) == 9


def test_sweeps_are_checked_before_anything_is_sent(tmp_path):
    base = InpaintRequest(prompt="x")
    with pytest.raises(ParameterError, match="at most 3"):
        plan_sweep(base, {"seed": [1], "strength": [1.0], "samples": [1], "guidance_scale": [2]})
    with pytest.raises(ParameterError, match="guidance_scale must be a whole number"):
        plan_sweep(base, {"guidance_scale": [2, 9]})
    photo, mask = scene(tmp_path)
    proc = run_cli_here(
        tmp_path,
        "sweep",
        "--image",
        photo,
        "--mask",
        mask,
        "--prompt",
        "x",
        "--vary",
        "strenth=1,2",
        "--out",
        tmp_path / "o",
        key=KEY,
    )
    assert proc.returncode == 2 and "strenth is not a parameter" in proc.stderr


@pytest.mark.parametrize("crop", [False, True], ids=["whole-picture", "only-masked"])
def test_replay_reproduces_an_offline_result_pixel_for_pixel(tmp_path, crop, monkeypatch):
    # PatchMatch, here and in the replay's process: its samples differ (seed + i), so
    # reproducing sample 2 proves the replay used sample 2's seed; the quick engine's
    # samples are all the same picture.
    monkeypatch.setenv(ENGINE_VARIABLE, "patchmatch")
    photo, mask = scene(tmp_path)
    with ModelsLabClient.offline() as client:
        first = client.inpaint(
            photo, mask, prompt="a stone", crop_to_mask=crop, prefill="blur", samples=2
        )
    [one, two] = first.save(tmp_path / "first.png")
    proc = run_cli_here(
        tmp_path,
        "replay",
        two,
        "--image",
        photo,
        "--mask",
        mask,
        "--out",
        tmp_path / "again.png",
        "--offline",
        key=KEY,
    )
    assert proc.returncode == 0, proc.stderr
    again = [Path(p) for p in proc.stdout.splitlines()]
    assert len(again) == 2 and "sample 2" in proc.stderr
    assert same_pixels(Image.open(again[1]), Image.open(two))
    assert same_pixels(Image.open(again[0]), Image.open(one))


def test_replay_of_an_outpainted_png_needs_no_mask_and_gives_the_same_pixels(tmp_path):
    """An extension's PNG replays from the photo alone; a mask given by habit is noted
    and left out (it used to be required and then refused)."""
    photo, mask = scene(tmp_path)
    with ModelsLabClient.offline() as client:
        first = client.outpaint(photo, "more of it", right=160, bottom=40, seed=5)
    [saved] = first.save(tmp_path / "wide.png")
    assert Image.open(saved).size == (128 + 160, 96 + 40)
    assert len(first.jobs) >= 2  # a chain of jobs, replayed in the same order
    for extra in ([], ["--mask", str(mask)]):
        out = tmp_path / f"again{len(extra)}.png"
        proc = run_cli_here(
            tmp_path,
            *["replay", saved, "--image", photo, *extra, "--out", out, "--offline"],
            key=KEY,
        )
        assert proc.returncode == 0, proc.stderr
        assert ("--mask is not used" in proc.stderr) == bool(extra)
        [again] = [Path(p) for p in proc.stdout.splitlines()]
        assert same_pixels(Image.open(again), Image.open(saved))
    inside = first.parameters | {"mode": "whole", "extend": None}
    edit = metadata.save_png(Image.open(saved), tmp_path / "edit.png", inside)
    proc = run_cli_here(
        tmp_path,
        *["replay", edit, "--image", photo, "--out", tmp_path / "x.png", "--offline"],
        key=KEY,
    )
    assert proc.returncode == 2 and "--mask is required" in proc.stderr


def test_library_sweep_and_results_show_inline_in_notebooks(tmp_path):
    import io

    photo, mask = scene(tmp_path)
    with ModelsLabClient.offline() as client:
        sweep = client.sweep(
            photo,
            mask,
            prompt="x",
            vary={"prefill": ["original", "blur"]},
            out_dir=tmp_path / "nb",
            seed=4,
        )
        single = client.inpaint(photo, mask, prompt="x", seed=4)
    assert sweep.counts()["done"] == 2 and '<img src="data:image/png;base64,' in sweep._repr_html_()
    assert Image.open(io.BytesIO(single._repr_png_())).size == Image.open(photo).size
    assert "&quot;seed&quot;: 4" in single._repr_html_()  # the recipe, escaped
