"""The Extend panel in a real browser, and ``/outpaint`` from ``gradio_client``.

The offline app (``python app.py`` with no key, shared with the other browser
tests) driven by Chromium: refusals in plain words, a preset setting the
sliders for the photo, the preview following them, and a run whose downloaded
PNG has the extended size and the original's exact pixels beyond the overlap.
Screenshots go to ``test-artifacts/extend-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from inpaint.studio.extend.handler import OUTPAINT_FIELDS
from tests.app_process import App
from tests.test_browser import PHOTO, fetch_image, open_page, shot, upload_photo

OVERLAP = 16  # the overlap slider's starting value (16 px per 1024 of the photo)


@pytest.fixture
def page(browser: Browser, offline_app: App) -> Iterator[Page]:
    with open_page(browser, offline_app.wait_until_ready()) as page:
        yield page


def open_extend(page: Page) -> None:
    """Open the Extend accordion (closed when the page loads) and wait for its controls."""
    panel = page.locator("#extend-panel")
    if not page.locator("#run-extend").is_visible():
        panel.get_by_text("Extend the photo (outpainting)").click()
    expect(page.locator("#run-extend")).to_be_visible()


def unchanged_inside(result: Image.Image, ext: tuple[int, int, int, int], margin: int) -> None:
    """Every photo pixel farther than ``margin`` from an old border that got new area is
    the original's, bit for bit, at its place on the new canvas."""
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    left, top, right, bottom = ext
    height, width = photo.shape[:2]
    assert result.size == (width + left + right, height + top + bottom)
    inner = (
        slice(margin if top else 0, height - (margin if bottom else 0)),
        slice(margin if left else 0, width - (margin if right else 0)),
    )
    placed = np.asarray(result.convert("RGB"))[top : top + height, left : left + width]
    assert (placed[inner] == photo[inner]).all(), "original pixels changed beyond the overlap"


def test_extend_to_16_9_with_a_preset_then_extend_again(page: Page) -> None:
    status = page.locator("#status")
    caption = page.locator("#extend-caption")
    open_extend(page)
    expect(caption).to_contain_text("No photo")
    page.locator("#run-extend").click()
    expect(status).to_contain_text("No photo: upload one in the editor first")

    upload_photo(page)
    open_extend(page)
    expect(caption).to_contain_text("Nothing to extend")
    page.locator("#run-extend").click()
    expect(status).to_contain_text("Nothing to extend: move a side's slider")

    page.locator("#extend-preset-16-9").click()
    expect(caption).to_contain_text("600 × 400 → 712 × 400")
    expect(page.locator("#extend-left input[type=number]")).to_have_value("56")
    expect(page.locator("#extend-right input[type=number]")).to_have_value("56")
    expect(page.locator("#extend-top input[type=number]")).to_have_value("0")
    # The caption and the image are one output, but the image element is filled a
    # moment later: wait for the new picture itself, not just its caption.
    page.wait_for_function(
        "() => { const i = document.querySelector('#extend-preview img');"
        " return !!i && i.complete && i.naturalWidth === 712; }"
    )
    preview = fetch_image(page, page.locator("#extend-preview img").get_attribute("src") or "")
    assert preview.size == (712, 400)
    # The photo is shown untouched in the middle (inside the jobs' outlines, which here
    # run along the canvas's edges), the new area tinted at both ends.
    photo = np.asarray(Image.open(PHOTO).convert("RGB"), np.int16)
    shown = np.asarray(preview, np.int16)
    assert np.abs(shown[12:-12, 56 + 8 : 656 - 8] - photo[12:-12, 8:592]).max() <= 2
    assert shown[:, 20:40, 0].mean() > shown[:, 20:40, 1].mean() + 40  # pink tint
    shot(page, "extend-01-preset-16-9")

    # The anchor moves the photo: the preset is applied again there.
    page.locator("#extend-anchor input[value=left]").check()
    expect(page.locator("#extend-left input[type=number]")).to_have_value("0")
    expect(page.locator("#extend-right input[type=number]")).to_have_value("112")
    page.locator("#extend-anchor input[value=center]").check()
    expect(page.locator("#extend-left input[type=number]")).to_have_value("56")

    page.locator("#prompt textarea").fill("more of the wooden table")
    page.locator("#run-extend").click()
    expect(status).to_contain_text("Done", timeout=120_000)
    expect(page.locator("#run-info")).to_contain_text("Job id")
    expect(page.locator("#history")).to_contain_text("712")
    shot(page, "extend-02-result")

    link = page.locator("#downloads a").first
    expect(link).to_be_visible()
    result = fetch_image(page, link.get_attribute("href") or "")
    unchanged_inside(result, (56, 0, 56, 0), OVERLAP)
    new_area = np.asarray(result, np.int16)[:, :40]
    assert new_area.std(axis=0).mean() > 5, "the new area is not filled with picture"

    # "Use as input": the extended picture is the next photo to extend.
    page.locator("#use-as-input").click()
    expect(status).to_contain_text("is now the input")
    expect(page.locator("#mask-caption")).to_contain_text("Nothing is painted")
    open_extend(page)
    page.locator("#extend-preset-x1_25").click()
    expect(caption).to_contain_text("712 × 400 → 888 × 496")
    expect(caption).to_contain_text("this extension takes")
    shot(page, "extend-03-second-pass-preview")

    # The history row says it was an extension; restoring it sets the amounts back
    # (Generate would otherwise run a plain inpaint, Extend another extension).
    history = page.locator("#history")
    expect(history).to_contain_text("⤢ Extend +56 left, +56 right")
    history.get_by_role("gridcell", name="⤢ Extend", exact=False).first.click()
    expect(status).to_contain_text("It was an extension (+56 left, +56 right)")
    expect(page.locator("#extend-left input[type=number]")).to_have_value("56")
    expect(page.locator("#extend-top input[type=number]")).to_have_value("0")
    expect(page.locator("#extend-right input[type=number]")).to_have_value("56")


# -- the API, from gradio_client ---------------------------------------------------
def test_outpaint_endpoint_extends_and_refuses_plainly(offline_app: App) -> None:
    client = Client(offline_app.wait_until_ready(), verbose=False)
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    names = [p["parameter_name"] for p in api["/outpaint"]["parameters"]]
    # The photo, the prompt, the panel's own fields, then the form's (from the declaration).
    assert names[:8] == ["image", "prompt", "left", "top", "right", "bottom", "overlap", "prefill"]
    assert names[1 : 1 + len(OUTPAINT_FIELDS)] == list(OUTPAINT_FIELDS)
    assert {"seed", "strength", "negative_prompt"} <= set(names)
    assert [name for name in names if "key" in name] == ["api_key"]  # a script's own key
    outputs = client.predict(
        image=handle_file(str(PHOTO)),
        prompt="more table",
        right=64,
        bottom=32,
        seed=3,
        api_name="/outpaint",
    )
    result = Image.open(outputs[0][0]["image"])
    unchanged_inside(result, (0, 0, 64, 32), OVERLAP)
    assert "`3`" in next(o for o in outputs if isinstance(o, str) and "Seed" in o)

    with pytest.raises(Exception) as nothing:
        client.predict(image=handle_file(str(PHOTO)), prompt="x", api_name="/outpaint")
    assert "Nothing to extend" in str(nothing.value)
    assert "Traceback" not in str(nothing.value)
    with pytest.raises(Exception) as too_far:
        client.predict(image=handle_file(str(PHOTO)), prompt="x", right=4096, api_name="/outpaint")
    assert "2048" in str(too_far.value)
