"""9. The moment of use: Generate on a 1 MP and a 12 MP photo, in the browser.

``python app.py`` in offline mode and Chromium driven by Playwright, as in
section 5, but with the photos a phone gives: a 1152 x 864 (1 MP) and a
4000 x 3000 (12 MP) JPEG (an example photo upscaled). For each: upload it,
paint a stroke, type a prompt, wait for the mask preview, then click Generate
a few times. Timed inside the page (``performance.now()``) from the click (a
capture-phase listener):

- first status: the first change of the status line under Generate after the
  click (a ``MutationObserver``), i.e. the page saying it has the click;
- result: the new result image decoded and painted (two animation frames);
- export: the click to the first ``/upload`` request the click causes (the
  browser reading the editor's canvas and encoding it);
- upload: from there to the end of the last such upload;
- server: the end of the uploads to the result image being fetched (the
  capture step, the generation, the event stream);
- render: the result image fetched, decoded and painted.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks.appproc import AppProcess
from benchmarks.browser import DONE_JS, ENTRIES_JS
from benchmarks.common import EXAMPLES, Section, median, ms

SIZES = {"1 MP (1152 x 864)": (1152, 864), "12 MP (4000 x 3000)": (4000, 3000)}

WATCH_JS = """() => {
  window.__bench = {t0: null};
  const status = document.querySelector('#status');
  new MutationObserver(() => {
    const b = window.__bench;
    if (b.t0 !== null && b.first === undefined && status.innerText.trim() !== b.before)
      b.first = performance.now();
  }).observe(status, {subtree: true, childList: true, characterData: true});
  document.querySelector('#generate').addEventListener('click', () => {
    window.__bench.t0 = performance.now();
    window.__bench.before = status.innerText.trim();
  }, {capture: true});
}"""


def make_photo(folder: Path, size: tuple[int, int]) -> Path:
    path = folder / f"photo-{size[0]}x{size[1]}.jpg"
    Image.open(EXAMPLES / "chelsea.png").convert("RGB").resize(size, Image.Resampling.BICUBIC).save(
        path, "JPEG", quality=90
    )
    return path


def one_click(page: Any, previous: str) -> dict[str, Any]:
    page.evaluate("() => { performance.clearResourceTimings(); window.__bench = {t0: null}; }")
    page.locator("#generate").click()
    src = page.wait_for_function(DONE_JS, arg=previous, timeout=300_000, polling="raf")
    bench = page.evaluate("() => window.__bench")
    entries = page.evaluate(ENTRIES_JS)
    t0, done = bench["t0"], bench["done"]
    uploads = [e for e in entries if "/upload" in e["name"] and e["start"] >= t0 - 1]
    first_upload = min((e["start"] for e in uploads), default=t0)
    upload_end = max((e["end"] for e in uploads), default=t0)
    fetch_start = min((e["start"] for e in entries if "inpaint-job" in e["name"]), default=done)
    return {
        "first": (bench.get("first", done) - t0) / 1000,
        "total": (done - t0) / 1000,
        "export": (first_upload - t0) / 1000,
        "upload": (upload_end - first_upload) / 1000,
        "server": (fetch_start - upload_end) / 1000,
        "render": (done - fetch_start) / 1000,
        "uploads": len(uploads),
        "src": src.json_value(),
    }


def prepare_page(page: Any, url: str, photo: Path) -> None:
    from playwright.sync_api import expect

    from tests.test_browser import image_rect_on_screen

    page.goto(url)
    expect(page.locator("#generate")).to_be_visible()
    expect(page.locator("#editor canvas").first).to_be_visible()
    page.locator("#editor input[type=file]").set_input_files(str(photo))
    expect(page.locator("#mask-caption")).to_contain_text("Nothing is painted", timeout=300_000)
    left, top, width, height = image_rect_on_screen(page)
    page.mouse.move(left + 0.35 * width, top + 0.40 * height)
    page.mouse.down()
    page.mouse.move(left + 0.6 * width, top + 0.45 * height, steps=2)
    page.mouse.up()
    expect(page.locator("#mask-caption")).to_contain_text("repainted", timeout=300_000)
    page.locator("#prompt textarea").fill("a plain wooden table")
    page.evaluate(WATCH_JS)


def run(quick: bool = False) -> Section:
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM_ARGS, VIEWPORT

    started = time.perf_counter()
    runs = 1 if quick else 3
    sizes = dict(list(SIZES.items())[:1]) if quick else SIZES
    figures: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, AppProcess() as app:
        url = app.wait_until_ready()
        executable = shutil.which("chromium")
        if not executable:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for label, size in sizes.items():
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                page.set_default_timeout(300_000)
                prepare_page(page, url, make_photo(Path(tmp), size))
                previous, figures[label] = "", []
                for _ in range(runs):
                    out = one_click(page, previous)
                    previous = str(out["src"])
                    figures[label].append(out)
                context.close()
            browser.close()
    return _section(figures, runs, time.perf_counter() - started)


def _section(figures: dict[str, list[dict[str, Any]]], runs: int, seconds: float) -> Section:
    section = Section(
        "10. The moment of use: click Generate to status and to result (1 MP and 12 MP)",
        ["photo", "first status", "result on screen", "export", "upload", "server", "render"],
    )
    for label, results in figures.items():
        section.add(
            label,
            *(ms(median(r[key] for r in results)) for key in ("first", "total")),
            *(ms(median(r[key] for r in results)) for key in ("export", "upload", "server")),
            ms(median(r["render"] for r in results)),
        )
    uploads = {label: results[0]["uploads"] for label, results in figures.items() if results}
    section.note(
        f"Median of {runs} clicks per photo on one page (the first included: the photo "
        "and stroke are the same each time). Chromium headless, software rendering "
        f"(--disable-gpu), offline engine. Upload requests per click: {uploads}."
    )
    section.note(
        "export = click to the first upload the click causes; server = end of the "
        "uploads to the result image being fetched; medians per column, so the parts "
        "need not add up to the total."
    )
    section.seconds = seconds
    return section
