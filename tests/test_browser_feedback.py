"""The moment of use, in headless Chromium on the offline app.

- The mask preview follows the editor on a 12 MP photo: three quick strokes
  all show, without pressing "Refresh preview". Before the fix the page read
  the editor once per press, all at once, each read exporting the whole
  12 MP canvas; an earlier, slower read finishing last put an older state
  back, so the preview lost strokes (and, after an upload, could stay on
  "Upload a photo").

That Generate answers the click at once and an earlier error's toast does not stay
over the result is checked in ``tests/test_browser.py``'s first-try journey, on the
same page as the missing-input messages (a page load, an upload and a stroke cost
seconds of CPU under Chromium's software GL).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.app_process import ARTIFACTS, App
from tests.test_browser import image_rect_on_screen, open_page, upload_photo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BANDS = (0.25, 0.5, 0.75)  # the three strokes' heights, as fractions of the photo


def big_photo(folder: Path) -> Path:
    path = folder / "big-4000x3000.jpg"
    with Image.open(EXAMPLES / "chelsea.png") as im:
        im.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC).save(path, quality=90)
    return path


def painted_bands(page: Page, photo: Path) -> list[bool]:
    """Which of the three stroke bands the current preview shows as painted."""
    src = page.locator("#mask-preview img").get_attribute("src")
    assert src
    response = page.request.get(src)
    assert response.ok
    shown = np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"), dtype=np.int16)
    height, width = shown.shape[:2]
    with Image.open(photo) as im:
        plain = np.asarray(
            im.convert("RGB").resize((width, height), Image.Resampling.BILINEAR), dtype=np.int16
        )

    def change(fx: float, fy: float) -> float:
        x, y, r = int(fx * width), int(fy * height), 3
        window = np.s_[y - r : y + r + 1, x - r : x + r + 1]
        return float(np.abs(shown[window] - plain[window]).mean())

    untouched = max(change(0.5, 0.12), change(0.5, 0.88))  # between no strokes
    return [change(0.5, fy) > untouched + 12 for fy in BANDS]


def test_preview_shows_every_quick_stroke_on_a_12mp_photo(
    browser: Browser, offline_app: App, tmp_path: Path
) -> None:
    photo = big_photo(tmp_path)
    with open_page(browser, offline_app.url) as page:
        caption = page.locator("#mask-caption")
        # Not "upload a photo" for long: the editor's upload event refreshes it.
        upload_photo(page, photo)
        left, top, width, height = image_rect_on_screen(page)
        for fy in BANDS:  # three strokes, one straight after another
            page.mouse.move(left + 0.3 * width, top + fy * height)
            page.mouse.down()
            page.mouse.move(left + 0.7 * width, top + fy * height, steps=2)
            page.mouse.up()
        # Every refresh changes the caption; the last must show all three strokes.
        expect(caption).to_contain_text("repainted", timeout=120_000)
        seen = painted_bands(page, photo)
        while not all(seen):
            text = caption.inner_text()
            # The next refresh, if one is still coming (the test fails on its timeout).
            page.wait_for_function(
                "(old) => document.querySelector('#mask-caption').innerText !== old",
                arg=text,
                timeout=60_000,
            )
            expect(caption).not_to_contain_text("processing", timeout=60_000)
            seen = painted_bands(page, photo)
        page.screenshot(path=str(ARTIFACTS / "40-big-photo-three-strokes.png"), full_page=True)
