"""Where things are on the page: what Generate leaves in reach, what a phone shows,
and sizes that follow the photo. Driven in headless Chromium on the offline app.

Each case failed on the page before it was fixed: the mask tools lived on the Mask
tab that Generate replaces with the Result tab; the result's top could be left above
the window; on a 390 px screen the editor's label ran under its toolbar; the
Compare tab's idle Stop button was alarm-red; padding, blend width and brush were
the 1024 px values whatever the photo; without a quota (the offline app has none) the
empty allowance line still left a gap under Generate.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.app_process import ARTIFACTS, App
from tests.test_browser import open_page, paint_stroke, resize_window, upload_photo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHOTO = EXAMPLES / "coffee.png"  # 600 x 400: padding 19 px, blend 5 px, brush radius 15 px
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def page(browser: Browser, offline_app: App) -> Iterator[Page]:
    """One page for the module: each test sets its own window size on it
    (``resize_window``), and only the desktop test changes the page, so the phone
    check holds before a photo is in or after a generation alike."""
    with open_page(browser, offline_app.url, DESKTOP) as page:
        yield page


def number(page: Page, elem_id: str) -> Page:
    return page.locator(f"#{elem_id} input[type=number]")


def stroke_thickness(preview_png: bytes) -> int:
    """The painted band's thickness in the preview (its tint over the photo), in pixels,
    measured across the middle of the stroke."""
    tinted = np.asarray(Image.open(io.BytesIO(preview_png)).convert("RGB"), dtype=np.int16)
    photo = np.asarray(Image.open(PHOTO).convert("RGB"), dtype=np.int16)
    assert tinted.shape == photo.shape, "the preview is drawn at the photo's size here"
    changed = np.abs(tinted - photo).max(axis=2) > 30
    column = changed[:, photo.shape[1] // 2]
    return int(column.sum())


def test_sizes_follow_the_photo_and_tools_stay_after_generate(page: Page) -> None:
    resize_window(page, DESKTOP)
    upload_photo(page, PHOTO)
    # The 1024 px values would be 32 and 8: this photo's are shown, and used.
    expect(number(page, "padding")).to_have_value("19")
    expect(number(page, "feather")).to_have_value("5")
    paint_stroke(page, [(0.3, 0.5), (0.7, 0.5)], PHOTO)
    caption = page.locator("#mask-caption")
    expect(caption).to_contain_text("blended over 5 px", timeout=60_000)
    expect(caption).to_contain_text("repainted (from the painted strokes")
    # The image element is filled a moment after its caption: poll it until the
    # stroke shows (the test fails on the deadline if it never does).
    preview = page.locator("#mask-preview img")
    deadline = time.monotonic() + 30
    thickness = 0
    while thickness == 0 and time.monotonic() < deadline:
        src = preview.get_attribute("src")
        if src:
            thickness = stroke_thickness(page.request.get(src).body())
    # Brush radius 15 px of this photo (gradio's fixed 25 would paint ~50 px).
    assert 20 <= thickness <= 40, thickness

    page.locator("#prompt textarea").fill("a saucer")
    page.locator("#generate").scroll_into_view_if_needed()
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    # The result's view is whole in the window, and the tools that made it are
    # still there (not on a tab Generate hid).
    top = page.locator("#before-after").bounding_box()
    assert top and -1 <= top["y"] < DESKTOP["height"] - 120, top
    expect(page.locator("#feather")).to_be_visible()
    expect(page.locator("#grow")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "20-after-generate-tools-in-reach.png"))

    # Choosing a blend width by hand stops the photo from setting it.
    slider = page.locator("#feather input[type=range]")
    slider.fill("12")
    expect(page.locator("#scale-with-photo input[type=checkbox]")).not_to_be_checked()
    expect(caption).to_contain_text("blended over 12 px")
    # Idle, the comparison's Stop is not an alarm (like Cancel).
    page.locator("#right-tabs").get_by_role("tab", name="Compare").click()
    assert "stop" not in (page.locator("#compare-stop").get_attribute("class") or "")


def test_phone_width_label_clear_of_the_editor_toolbar(page: Page) -> None:
    resize_window(page, PHONE)
    editor = page.locator("#editor")
    expect(editor.locator("canvas").first).to_be_visible()
    overlap = page.evaluate(
        """() => {
          const editor = document.getElementById('editor');
          const label = editor.querySelector('[data-testid=block-label]');
          const range = document.createRange();
          range.selectNodeContents(label);
          const text = range.getBoundingClientRect();
          const buttons = [...editor.querySelectorAll('button')]
            .map(b => b.getBoundingClientRect())
            .filter(b => b.width > 0 && Math.abs(b.top - text.top) < text.height + 8);
          const hit = buttons.filter(b => b.left < text.right && b.right > text.left
                                      && b.top < text.bottom && b.bottom > text.top);
          return {text: [text.left, text.right, text.top, text.bottom],
                  toolbar: buttons.length, hit: hit.length,
                  wide: document.documentElement.scrollWidth};
        }"""
    )
    page.screenshot(path=str(ARTIFACTS / "21-phone-390.png"))
    assert overlap["toolbar"] > 0, overlap  # the toolbar was found beside the label
    assert overlap["hit"] == 0, overlap
    assert overlap["wide"] <= PHONE["width"], overlap  # nothing runs off sideways


def test_without_a_quota_the_empty_allowance_leaves_no_gap(page: Page) -> None:
    resize_window(page, PHONE)
    allowance = page.locator("#allowance")
    expect(allowance).to_have_css("display", "none")
    gaps = page.evaluate(
        """() => {
          const allowance = document.getElementById('allowance');
          const status = document.getElementById('status');
          let next = allowance.nextElementSibling;
          while (next && !next.getClientRects().length) next = next.nextElementSibling;
          return {layout_gap: parseFloat(getComputedStyle(allowance.parentElement).rowGap),
                  status_to_next: next.getBoundingClientRect().top
                                  - status.getBoundingClientRect().bottom};
        }"""
    )
    # One layout gap after the status line, not a second one for an empty line.
    assert gaps["status_to_next"] <= gaps["layout_gap"] + 1, gaps
