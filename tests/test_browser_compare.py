"""The Compare tab in a real browser, offline: on one painted photo, cells that fill in
as their jobs finish (stopped and resumed), then a 2 x 2 comparison.

Drives ``python app.py`` (offline, the project's local server) in Debian's
Chromium like ``tests/test_browser.py``, whose helpers it reuses. Screenshots
go to ``test-artifacts/compare-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from playwright.sync_api import Browser, Page, expect

from inpaint.studio import FORM_FIELDS, Form
from inpaint.studio.backend import MODE_MODELSLAB, MODE_OFFLINE
from inpaint.studio.compare.handler import (
    cost_text,
    out_dir_for,
    parse_values,
    plan_for,
    vary_from,
)
from inpaint.sweep import MANIFEST, Manifest
from tests.app_process import ARTIFACTS, App
from tests.gate import RemoteGate
from tests.test_browser import fetch_image, open_page, paint_stroke, shot, upload_photo

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def one_at_a_time() -> Iterator[tuple[str, RemoteGate]]:
    """An app that holds one job at a time, whose local jobs wait at a gate the test
    opens (``INPAINT_OFFLINE_GATE``), so the cells of a comparison finish when the
    test says and can be watched filling in."""
    app = App("compare-slow-app", INPAINT_OFFLINE_GATE="1", STUDIO_CONCURRENCY_LIMIT="1")
    try:
        url = app.wait_until_ready()
        yield url, RemoteGate.of_app_log(app.log_path)
    finally:
        app.stop()


def paint_and_describe(page: Page) -> None:
    upload_photo(page)
    paint_stroke(page, [(0.30, 0.30), (0.50, 0.36), (0.68, 0.32)])
    expect(page.locator("#mask-caption")).to_contain_text("repainted (from the painted strokes")
    page.locator("#prompt textarea").fill("a glass of orange juice")
    page.get_by_role("tab", name="Compare").click()


def choose(page: Page, dropdown: str, option: str) -> None:
    """Pick ``option`` in a gradio dropdown (an input with a listbox of options)."""
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.locator(f"{dropdown} input")).to_have_value(option)


def test_cells_stream_in_resume_after_stop_and_a_2x2_restores_the_form(
    browser: Browser, one_at_a_time: tuple[str, RemoteGate]
) -> None:
    """One visitor's comparisons on one painted photo (a page load, an upload and a
    stroke cost seconds of CPU under software GL): three cells that fill in as their
    jobs finish, stopped and resumed; then a 2 x 2 whose cells load into the form."""
    url, gate = one_at_a_time
    with open_page(browser, url) as page:
        paint_and_describe(page)
        # gradio 6 once showed a tab twice after a click (a State between tabs): not here.
        expect(page.locator("#right-tabs [role=tab]")).to_have_text(["Mask", "Compare", "Result"])

        # A value out of range is refused while typing, in one sentence naming the field.
        count = page.locator("#compare-count")
        page.locator("#compare-values-1 textarea").fill("0.3, 1.5")
        expect(count).to_contain_text("Strength must be a number from 0 to 1 (got 1.5).")

        # Three cells, whose jobs the gate lets through one at a time.
        page.locator("#compare-values-1 textarea").fill("0.2, 0.5, 0.8")
        expect(count).to_contain_text("3 cells, 3 jobs")
        page.locator("#compare-run").click()
        status = page.locator("#compare-status")
        gallery = page.locator("#compare-gallery")
        (first,) = gate.wait(1)
        gate.release([first])
        # One cell done while the others still wait: the gallery is streamed.
        expect(status).to_contain_text("1 of 3 cells done", timeout=60_000)
        expect(gallery).to_contain_text("waiting")
        # Stop gives up the rest while the second cell's job is held at the server;
        # run again resumes.
        (second,) = gate.wait(1)
        assert second != first
        page.locator("#compare-stop").click()
        shot(page, "compare-5-filling-in")
        expect(status).to_contain_text("(stopped: run it again to resume)", timeout=30_000)
        expect(status).not_to_contain_text("2 of 3")
        gate.open()  # the held job ends; from now on every job runs at once
        page.locator("#compare-run").click()
        expect(status).to_contain_text("3 of 3 cells done", timeout=60_000)
        expect(status).to_contain_text("kept from the earlier run, not sent again")
        expect(gallery).not_to_contain_text("waiting")
        # Cells read back or fetched load into the form like any other.
        page.locator("#compare-gallery .thumbnail-item").nth(1).click()
        expect(page.locator("#strength input[type=number]")).to_have_value("0.5")
        link = page.locator("#compare-grid a").first
        expect(link).to_be_visible()
        three_cells_grid = link.get_attribute("href")

        # A 2 x 2: strength across, seed down.
        page.locator("#compare-values-1 textarea").fill("0.3, 0.9")
        choose(page, "#compare-axis-2", "Seed (seed)")
        page.locator("#compare-values-2 textarea").fill("1, 2")
        expect(count).to_contain_text("4 cells, 4 jobs")
        expect(count).to_contain_text("free")
        shot(page, "compare-1-set-up")

        page.locator("#compare-run").click()
        expect(status).to_contain_text("4 of 4 cells done", timeout=90_000)
        cells = page.locator("#compare-gallery .thumbnail-item")
        expect(cells).to_have_count(4)
        expect(gallery).not_to_contain_text("waiting")
        shot(page, "compare-2-done")

        # The last cell is strength 0.9 with seed 2.
        cells.nth(3).click()
        expect(status).to_contain_text("Loaded strength=0.9, seed=2")
        expect(page.locator("#strength input[type=number]")).to_have_value("0.9")
        expect(page.locator("#seed input")).to_have_value("2")
        cells.nth(0).click()
        expect(page.locator("#strength input[type=number]")).to_have_value("0.3")
        expect(page.locator("#seed input")).to_have_value("1")
        shot(page, "compare-3-cell-loaded")

        expect(link).not_to_have_attribute("href", three_cells_grid or "")  # the 2 x 2's grid
        grid = fetch_image(page, link.get_attribute("href") or "")
        grid.save(ARTIFACTS / "compare-4-grid.png")
        # Two labelled cells across, each a thumbnail of the 600 x 400 photo (320 px wide).
        assert grid.width > 2 * 320 and grid.height > 2 * 200, grid.size


# -- what the tab decides, without a browser -------------------------------------------
def test_values_are_typed_by_field_and_refusals_name_the_field() -> None:
    assert parse_values("strength", "0.3, 0.7, 1") == [0.3, 0.7, 1.0]
    assert parse_values("seed", "1, 2.0, -1") == [1, 2, -1]
    assert parse_values("prompt", "a cat, sitting | a dog") == ["a cat, sitting", "a dog"]
    assert parse_values("paste_back", "yes, off") == [True, False]
    with pytest.raises(Exception, match="Choose two different parameters"):
        vary_from([("seed", "1"), ("seed", "2")])
    with pytest.raises(Exception, match="Type the values of seed"):
        vary_from([("seed", " "), ("none", "")])
    with pytest.raises(Exception, match=r"steps? .*whole number from 1 to 100 \(got 0.5\)"):
        plan_for(Form(prompt="x"), vary_from([("num_inference_steps", "0.5, 20")]))


def test_the_cost_says_when_jobs_are_paid() -> None:
    plan = plan_for(Form(prompt="x"), {"strength": [0.3, 0.9], "seed": [1, 2]})
    assert cost_text(plan, MODE_OFFLINE) == "4 cells, 4 jobs: on the local server, free."
    assert "**paid**" in cost_text(plan, MODE_MODELSLAB)


def test_a_comparison_run_again_resumes_in_its_folder_unless_it_asks_for_new_seeds(
    tmp_path: Path,
) -> None:
    fixed = plan_for(Form(prompt="x"), {"strength": [0.3, 0.9], "seed": [1, 2]})
    folder = out_dir_for(tmp_path, fixed, "session-a")
    assert out_dir_for(tmp_path, fixed, "session-a") == folder
    assert out_dir_for(tmp_path, fixed, "session-b") != folder  # another tab starts afresh

    random = plan_for(Form(prompt="x"), {"strength": [0.3, 0.9]})
    unfinished = out_dir_for(tmp_path, random, "session-a")
    unfinished.mkdir()
    manifest = Manifest(unfinished / MANIFEST)
    manifest.record(random.cells[0], random.names, "done", files=[])
    assert out_dir_for(tmp_path, random, "session-a") == unfinished  # resumed
    manifest.record(random.cells[1], random.names, "done", files=[])
    assert out_dir_for(tmp_path, random, "session-a") != unfinished  # new random seeds


def test_a_comparison_without_a_photo_is_refused_in_one_sentence(tmp_path: Path) -> None:
    from inpaint.studio import OutputStore, Settings, Studio

    studio = Studio(Settings(), store=OutputStore(tmp_path))
    form = Form(prompt="x").as_ui()
    run = studio.compare.run(
        None,  # request
        None,  # OAuth profile
        None,  # the editor's snapshot: no photo
        None,  # mask file
        "strength",
        "0.3, 0.9",
        "none",
        "",
        "",  # api_key
        "",  # the tab's key
        "",  # the browser's token
        *(form[name] for name in FORM_FIELDS),
    )
    _, status, _, _ = next(run)
    assert status.startswith("⚠ No image")
    with pytest.raises(gr.Error):
        next(run)
    # Nothing was started: no comparison folder, no file (the store's empty folders only).
    assert not [p for p in tmp_path.rglob("*") if p.is_file() or p.name.startswith("compare")]
