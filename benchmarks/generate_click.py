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
  capture step, the generation, the event stream), split by the studio's own
  clock (``INPAINT_STUDIO_TIMINGS``, ``inpaint/studio/timing.py``) into
  capture (reading the editor, writing its files), prepare (the studio's and the
  client's: decoding, mask tools, the image sent), generate (the jobs: upload,
  queue, engine, downloads), paste-back (waiting for the full-size photo,
  placing the samples) and encode (writing what the page shows);
- render: the result image fetched, decoded and painted.

Every figure comes with the machine's 1-minute load average when the photo's
clicks began (the machine is shared).
"""

from __future__ import annotations

import os
import re
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


SHARES = ("capture", "prepare", "generate", "paste-back", "encode")


def server_shares(log: str) -> dict[str, float]:
    """The studio's own split of the last capture and generation in ``log`` (seconds)."""
    last: dict[str, dict[str, float]] = {}
    for event, fields in re.findall(r"^timing (capture|generate) (.*)$", log, re.MULTILINE):
        last[event] = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", fields)}
    capture, gen = last.get("capture", {}), last.get("generate", {})
    return {
        "capture": sum(capture.values()),
        "prepare": gen.get("studio_prepare", 0.0) + gen.get("prepare", 0.0),
        "generate": gen.get("jobs", 0.0),
        "paste-back": gen.get("full_size", 0.0) + gen.get("put_back", 0.0),
        "encode": gen.get("encode", 0.0),
        "job files": gen.get("job_files", 0.0),
    }


def one_click(page: Any, previous: str, app: Any = None) -> dict[str, Any]:
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
    shares = server_shares(app.output()) if app is not None else {}
    return {
        **shares,
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
    page.locator("#photo input[type=file]").set_input_files(str(photo))
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
    loads: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, AppProcess(INPAINT_STUDIO_TIMINGS="1") as app:
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
                loads[label] = os.getloadavg()[0]
                for _ in range(runs):
                    out = one_click(page, previous, app)
                    previous = str(out["src"])
                    figures[label].append(out)
                context.close()
            browser.close()
    return _section(figures, runs, time.perf_counter() - started, loads)


def _section(
    figures: dict[str, list[dict[str, Any]]],
    runs: int,
    seconds: float,
    loads: dict[str, float] | None = None,
) -> Section:
    section = Section(
        "10. The moment of use: click Generate to status and to result (1 MP and 12 MP)",
        [
            "photo",
            "load (1 min)",
            "first status",
            "result on screen",
            "export",
            "upload",
            "server",
            *SHARES,
            "render",
        ],
    )
    for label, results in figures.items():
        load = (loads or {}).get(label)
        section.add(
            label,
            "-" if load is None else f"{load:.1f}",
            *(ms(median(r[key] for r in results)) for key in ("first", "total")),
            *(ms(median(r[key] for r in results)) for key in ("export", "upload", "server")),
            *(ms(median(r.get(key, float("nan")) for r in results)) for key in SHARES),
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
        "uploads to the result image being fetched, of which capture, prepare, generate, "
        "paste-back and encode are the studio's own clock (the rest is gradio's events "
        "and queue); medians per column, so the parts need not add up to the total."
    )
    section.seconds = seconds
    return section
