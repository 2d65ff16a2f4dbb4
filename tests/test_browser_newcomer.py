"""What a newcomer trips over in the studio: state that outlives what it belongs to.

Driven in headless Chromium on the offline app. Each case failed before it was
fixed: an example's mask file silently applied to the next photo, "Size: auto"
showing 512 x 512 while another size was sent, and a track id of 0 sent and
written into "copy as code" although none was asked for.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.app_process import ARTIFACTS, App
from tests.test_browser import open_page, upload_photo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_new_photo_drops_the_examples_mask_shows_its_size_and_sends_no_track_id(
    browser: Browser, offline_app: App
) -> None:
    """An example, then the visitor's own photo, on one page: what the example left
    (its mask file, its 600 x 400 size) must not carry over to the new photo."""
    with open_page(browser, offline_app.url) as page:
        page.get_by_text("a round espresso cup without a handle").first.click()
        expect(page.locator("#mask-caption")).to_contain_text("from the uploaded mask file")
        expect(page.locator("#width input[type=number]")).to_have_value("600")  # coffee.png
        photo = EXAMPLES / "chelsea.png"  # 451 x 300: sent at 448 x 296
        upload_photo(page, photo)  # waits for "Nothing is painted"
        expect(page.locator("#status")).to_contain_text("previous mask file was removed")
        page.locator("#generate").click()
        expect(page.locator("#status")).to_contain_text("Nothing is painted")
        page.screenshot(path=str(ARTIFACTS / "12-new-photo-no-inherited-mask.png"), full_page=True)

        # "Size: auto" shows the size the new photo is sent at, not the example's.
        expect(page.locator("#width input[type=number]")).to_have_value("448")
        expect(page.locator("#height input[type=number]")).to_have_value("296")
        page.locator("#prompt textarea").fill("a cup")
        page.locator("#reproduce").get_by_text("Reproduce").first.click()
        code = page.locator("#code-python")
        expect(code).to_contain_text("a cup")
        assert "track_id" not in code.inner_text()
        page.screenshot(path=str(ARTIFACTS / "13-auto-size-shown.png"), full_page=True)
