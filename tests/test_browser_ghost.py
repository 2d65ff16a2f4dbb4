"""The first thing a visitor without a key sees: an example, Generate, a clean removal.

The first offline example removes the astronaut's mission patch (the flag,
which needs a generative model, is an example for a key). The offline engine
must leave no ghost of it: the result's fine structure inside the mask must not
follow the patch's (a fill that blends 30 % of the original back, as the old
engine did at the default strength, scores about 0.3 here; a clean fill about 0).

This judges the picture, so its app runs the real engine (PatchMatch), not the
quick one the other browser tests share.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from inpaint.offline import ENGINE_VARIABLE
from tests.app_process import ARTIFACTS, ROOT, App

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def patchmatch_app() -> Iterator[App]:
    """``python app.py`` offline, as a person starts it: the default engine."""
    app = App("patchmatch-app", **{ENGINE_VARIABLE: "patchmatch"})
    try:
        app.wait_until_ready()
        yield app
    finally:
        app.stop()


def ghost_of_original(result: np.ndarray, original: np.ndarray, inside: np.ndarray) -> float:
    """How much of the original's band-passed structure the result still shows (0..1)."""

    def band(array: np.ndarray) -> np.ndarray:
        grey = array.astype(np.float32).mean(axis=2)
        return (grey - cv2.GaussianBlur(grey, (0, 0), 6.0))[inside]

    old = band(original)
    return float(np.clip(np.sum(band(result) * old) / np.sum(old * old), 0.0, 1.0))


def test_the_first_offline_example_removes_the_patch_without_a_ghost(
    browser: Browser, patchmatch_app: App
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(patchmatch_app.url)
        page.get_by_text("plain orange flight suit fabric").first.click()
        # A fresh app's first example (its files read and cached) is slow on a busy machine.
        expect(page.locator("#mask-caption")).to_contain_text(
            "from the uploaded mask file", timeout=30_000
        )
        page.locator("#generate").click()
        expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "11-example-removed.png"), full_page=True)
        link = page.locator("#downloads a").first
        body = page.request.get(link.get_attribute("href") or "").body()
    finally:
        context.close()
    result = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    original = np.asarray(Image.open(EXAMPLES / "astronaut.png").convert("RGB"))
    inside = np.asarray(Image.open(EXAMPLES / "astronaut_patch_mask.png").convert("L")) > 127
    assert result.shape == original.shape
    assert ghost_of_original(result, original, inside) < 0.1
    # The measure itself: a 30 % blend of the flag would have been caught.
    blended = (0.3 * original + 0.7 * result).astype(np.uint8)
    assert ghost_of_original(blended, original, inside) > 0.2
