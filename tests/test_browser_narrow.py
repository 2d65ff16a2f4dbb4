"""What a visitor reads on a phone (390 px) and a desktop (1280 px): the History and
Examples tables, and the allowance line under Generate. Headless Chromium.

Each case failed on the page before it was fixed: at 390 px History's columns were
shares of ~300 px, so every word broke into letters, one per line; the Examples table
was wider than the screen (the mask column's long label kept it 370 px wide) and the
prompts were off to the right; without a quota the empty allowance line still left
a gap under Generate (checked on the offline app's page in
``tests/test_browser_layout.py``, which that module loads anyway).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from inpaint.server import RunningServer
from tests.app_process import ARTIFACTS, App
from tests.test_browser import open_page, resize_window

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
QUOTA = 5

# Words of the matched elements' text that the browser broke across lines.
BROKEN_WORDS_JS = """(selector) => {
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length) continue;  // not displayed
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (const word of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()]
          .filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""

# How many lines each matched element's text takes (its text's line boxes).
LINES_JS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  const tops = new Set();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
  }
  return tops.size;
})"""

BOXES_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length)
  .map(el => { const r = el.getBoundingClientRect();
               return {left: r.left, right: r.right, width: r.width, text: el.innerText}; })"""


@pytest.fixture(scope="module")
def quota_app(server: RunningServer) -> Iterator[App]:
    """The app on an owner's key (the local server stands in for ModelsLab), with a
    visitor quota, so the allowance line has something to say."""
    app = App(
        "narrow-quota",
        MODELSLAB_API_KEY="sk-narrow-owner-7c1e",
        MODELSLAB_BASE_URL=server.base_url,
        STUDIO_VISITOR_QUOTA=f"{QUOTA}/day",
    )
    try:
        app.wait_until_ready()
        yield app
    finally:
        app.stop()


def allowance_below_generate(page: Page) -> float:
    """How far the allowance line starts below the Generate button, in CSS px."""
    allowance = page.locator("#allowance")
    expect(allowance).to_contain_text(f"of {QUOTA}")
    expect(allowance).to_be_visible()
    generate = page.locator("#generate").bounding_box()
    line = allowance.bounding_box()
    assert generate and line
    return line["y"] - (generate["y"] + generate["height"])


def run_first_example(page: Page) -> None:
    """Load the first example (whatever it is) and generate, so History has a row."""
    page.locator("#examples tbody tr").first.click()
    expect(page.locator("#mask-caption")).to_contain_text(
        "from the uploaded mask file", timeout=30_000
    )
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    expect(page.locator("#history")).to_contain_text("done")


@pytest.fixture(scope="module")
def visited(browser: Browser, quota_app: App) -> Iterator[Page]:
    """One visitor's page after a generation (a row in History), shared by the phone
    and the desktop checks: they only read it, each at its own window size (a page
    load and a run cost seconds of CPU under Chromium's software GL)."""
    with open_page(browser, quota_app.url, PHONE) as page:
        run_first_example(page)
        yield page


def at_size(page: Page, viewport: dict[str, int]) -> Locator:
    """Show the page at ``viewport``'s size, at its top, History scrolled back to its
    start; check the allowance sits under Generate and take the screenshots both
    sizes are judged by. Returns History, shown."""
    resize_window(page, viewport)
    page.evaluate(
        """() => { window.scrollTo(0, 0);
                   const box = document.querySelector('#history .table-container');
                   if (box) box.scrollLeft = 0; }"""
    )
    width = viewport["width"]
    gap = allowance_below_generate(page)
    page.locator("#generate").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"narrow-{width}-generate-allowance.png"))
    assert 0 <= gap <= 300, gap
    history = page.locator("#history")
    history.scroll_into_view_if_needed()
    history.screenshot(path=str(ARTIFACTS / f"narrow-{width}-history.png"))
    return history


def test_phone_tables_keep_whole_words_and_the_allowance_is_under_generate(
    visited: Page,
) -> None:
    page = visited
    history = at_size(page, PHONE)
    cells = page.evaluate(BOXES_JS, "#history .virtual-row .body-cell")
    assert len(cells) >= 6, cells  # the generation's row, all its columns
    narrow = [cell for cell in cells if cell["width"] < 60]
    assert not narrow, narrow
    broken = page.evaluate(BROKEN_WORDS_JS, "#history .body-cell, #history th")
    assert not broken, broken
    # The table scrolls sideways inside itself; the page does not.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    scrolled = page.evaluate(
        """() => { const box = document.querySelector('#history .table-container');
                   box.scrollLeft = box.scrollWidth;
                   return box.scrollLeft > 0; }"""
    )
    assert scrolled
    last = page.evaluate(BOXES_JS, "#history .virtual-row:first-child .body-cell")[-1]
    assert 0 <= last["left"] and last["right"] <= PHONE["width"], last  # reachable
    history.screenshot(path=str(ARTIFACTS / "narrow-390-history-scrolled.png"))

    examples = page.locator("#examples")
    examples.scroll_into_view_if_needed()
    examples.screenshot(path=str(ARTIFACTS / "narrow-390-examples.png"))
    first = page.evaluate(BOXES_JS, "#examples tbody tr:first-child td")
    shown = [cell for cell in first if 0 <= cell["left"] and cell["right"] <= PHONE["width"]]
    assert shown == first, first  # the first example is whole on the screen
    assert any(len(cell["text"].split()) >= 2 for cell in shown), first  # its prompt
    broken = page.evaluate(BROKEN_WORDS_JS, "#examples th, #examples td")
    assert not broken, broken
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_desktop_tables_keep_one_line_rows_and_every_column(visited: Page) -> None:
    page = visited
    at_size(page, DESKTOP)
    row = page.evaluate(BOXES_JS, "#history .virtual-row:first-child .body-cell")
    assert len(row) == 6 and all(cell["right"] <= DESKTOP["width"] for cell in row), row
    lines = page.evaluate(LINES_JS, "#history .virtual-row:first-child .body-cell")
    # Every cell on one line but the prompt, which wraps (wrap=True) at most once here.
    assert len(lines) == 6 and lines[2] <= 2, lines
    assert max(lines[:2] + lines[3:]) == 1, lines
    assert not page.evaluate(BROKEN_WORDS_JS, "#history .body-cell, #history th")

    examples = page.locator("#examples")
    examples.scroll_into_view_if_needed()
    examples.screenshot(path=str(ARTIFACTS / "narrow-1280-examples.png"))
    first = page.evaluate(BOXES_JS, "#examples tbody tr:first-child td")
    assert len(first) == 4, first  # photo, mask, prompt, negative prompt
    assert all(0 <= cell["left"] and cell["right"] <= DESKTOP["width"] for cell in first)
