"""5. In the browser: from clicking Generate to the result on screen.

``python app.py`` in offline mode (no simulated latency) and Chromium driven by
Playwright, as in tests/test_browser.py: upload a 1024 x 768 photo, paint a
stroke, type a prompt, then click Generate several times. Each run is timed
inside the page (``performance.now()``): from the click (a capture-phase
listener) to the first result image decoded and painted (two animation frames
after it loads). Where the time goes comes from the page's Resource Timing
entries:

- upload: the click to the end of the last ``/upload`` request (the editor's
  layers, sent as PNG files);
- server: the end of the uploads to the moment the page starts fetching the
  result image (queue join, the capture step, the generation function, and the
  event stream that announces the result); the generation function's own time,
  as the studio reports it, is shown beside it;
- render: from that fetch to the image painted.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks.appproc import AppProcess
from benchmarks.common import EXAMPLES, Section, median, ms

CLICK_JS = """() => {
  window.__bench = {t0: null};
  document.querySelector('#generate').addEventListener('click',
    () => { window.__bench.t0 = performance.now(); }, {capture: true});
}"""

# Resolves once a result image other than `previous` is loaded, then waits two
# animation frames so the time includes painting it.
DONE_JS = """(previous) => {
  const img = [...document.querySelectorAll('#gallery img')]
      .find(i => i.src.includes('inpaint-job') && i.src !== previous);
  if (!img || !img.complete || !img.naturalWidth) return false;
  if (!window.__bench.done && !window.__bench.pending) {
    window.__bench.pending = true;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__bench.done = performance.now(); window.__bench.src = img.src; }));
  }
  return window.__bench.done ? img.src : false;
}"""

ENTRIES_JS = """() => performance.getEntriesByType('resource').map(
  e => ({name: e.name, start: e.startTime, end: e.responseEnd}))"""


def make_photo(folder: Path) -> Path:
    path = folder / "photo-1024x768.jpg"
    Image.open(EXAMPLES / "coffee.png").convert("RGB").resize(
        (1024, 768), Image.Resampling.BICUBIC
    ).save(path, "JPEG", quality=92)
    return path


def one_run(page: Any, previous: str) -> dict[str, float | str]:
    page.evaluate("() => { performance.clearResourceTimings(); window.__bench = {t0: null}; }")
    page.locator("#generate").click()
    handle = page.wait_for_function(DONE_JS, arg=previous, timeout=120_000, polling="raf")
    src = handle.json_value()
    bench = page.evaluate("() => window.__bench")
    entries = page.evaluate(ENTRIES_JS)
    t0, done = bench["t0"], bench["done"]
    uploads = [e["end"] for e in entries if "/upload" in e["name"] and e["start"] >= t0 - 1]
    upload_end = max(uploads) if uploads else t0
    fetches = [e["start"] for e in entries if "inpaint-job" in e["name"]]
    fetch_start = min(fetches) if fetches else done
    info = page.locator("#run-info").inner_text()
    found = re.search(r"([\d.]+) s total", info)
    return {
        "total": (done - t0) / 1000,
        "upload": (upload_end - t0) / 1000,
        "server": (fetch_start - upload_end) / 1000,
        "render": (done - fetch_start) / 1000,
        "function": float(found.group(1)) if found else float("nan"),
        "uploads": len(uploads),
        "src": src,
    }


def run(quick: bool = False) -> Section:
    from playwright.sync_api import expect, sync_playwright

    from tests.test_browser import CHROMIUM_ARGS, VIEWPORT, image_rect_on_screen

    started = time.perf_counter()
    runs = 2 if quick else 7
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, AppProcess() as app:
        photo = make_photo(Path(tmp))
        url = app.wait_until_ready()
        executable = shutil.which("chromium")
        if not executable:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            expect(page.locator("#generate")).to_be_visible()
            page.locator("#photo input[type=file]").set_input_files(str(photo))
            deadline = time.monotonic() + 60
            while True:
                try:
                    left, top, width, height = image_rect_on_screen(page)
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise
                    page.wait_for_timeout(200)  # polling the canvas: no event to wait on
            page.mouse.move(left + 0.35 * width, top + 0.40 * height)
            page.mouse.down()
            for fx, fy in ((0.50, 0.45), (0.62, 0.42)):
                page.mouse.move(left + fx * width, top + fy * height, steps=2)
            page.mouse.up()
            page.locator("#refresh-preview").click()
            expect(page.locator("#mask-caption")).to_contain_text("repainted", timeout=60_000)
            expect(page.locator("#mask-caption")).to_contain_text("1024 × 768")
            page.locator("#prompt textarea").fill("a plain wooden table")
            page.evaluate(CLICK_JS)
            previous = ""
            for i in range(runs + 1):  # the first is a warm-up
                out = one_run(page, previous)
                previous = str(out["src"])
                if i:
                    results.append(out)
            browser.close()

    section = Section(
        "5. In the browser: Generate to result displayed (1024 x 768 photo)",
        ["part", "median", "share"],
    )
    total = median(r["total"] for r in results)
    parts = [
        ("upload of the editor layers", "upload"),
        ("server work", "server"),
        ("rendering (result fetched, decoded, painted)", "render"),
    ]
    section.add("**click to result displayed**", ms(total), "100 %")
    for label, key in parts:
        value = median(r[key] for r in results)
        section.add(label, ms(value), f"{value / total:.0%}")
    section.add(
        "of the server work: the generation function (studio's own figure)",
        ms(median(r["function"] for r in results)),
        "",
    )
    section.note(
        f"Median of {runs} runs after a warm-up, one page, Chromium headless with "
        "software rendering (--disable-gpu). Offline engine, no simulated latency. "
        f"Upload requests per click: {results[0]['uploads'] if results else '-'}."
    )
    section.note(
        "The parts are medians of each part, so they need not add up exactly to "
        "the median total. The studio reports its function time to 0.1 s."
    )
    section.seconds = time.perf_counter() - started
    return section
