"""The editor's small canvas and the full-size photo, in headless Chromium.

The editor paints on a 1024 px copy of the photo (``studio.canvas``); the
photo itself travels once, at full resolution, through its own component.
Here, on a 4000 x 3000 photo and on a photo stored sideways with an EXIF
orientation: the mask the studio captured for Generate has the upright
photo's full size, lies where the stroke was drawn on the screen, and is
exactly the painting the page read from the editor, mapped past the bands
beside the photo; the photo kept for the job is the uploaded file, byte for
byte. Both photos go through one page, the second uploaded over the first's
painted and generated one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from inpaint import masks
from inpaint.studio import canvas
from inpaint.studio.workdir import PREFIX, default_parent
from tests.app_process import ARTIFACTS, App
from tests.test_browser import image_rect_on_screen, open_page, upload_photo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STROKE = ((0.25, 0.40), (0.70, 0.40))  # fractions of the upright photo


@pytest.fixture(scope="module")
def page(browser: Browser, offline_app: App) -> Iterator[Page]:
    """One page for both photos: the second is uploaded over the first's painted and
    generated one, as a person's next photo is (and a page load costs seconds of CPU
    under Chromium's software GL). Either photo alone runs on a fresh page."""
    with open_page(browser, offline_app.url) as page:
        yield page


def photo_file(folder: Path, sideways: bool) -> tuple[Path, tuple[int, int]]:
    """A 4000 x 3000 JPEG; ``sideways``: stored turned, upright only through EXIF."""
    with Image.open(EXAMPLES / "chelsea.png") as im:
        upright = im.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    if not sideways:
        path = folder / "upright-4000x3000.jpg"
        upright.save(path, quality=90)
        return path, upright.size
    # Orientation 6 shows the stored picture turned 90 degrees clockwise: store the
    # upright one turned the other way, and the upright one is what the user sees.
    upright = upright.transpose(Image.Transpose.ROTATE_90)  # 3000 x 4000 upright
    exif = Image.Exif()
    exif[0x0112] = 6
    path = folder / "sideways-exif6.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif)
    with Image.open(path) as stored:
        assert stored.size == (4000, 3000)  # stored sideways
    return path, upright.size


def newest_capture(app: App) -> Path:
    """The folder the app's last capture (Generate's image and mask) went into."""
    roots = list(default_parent().glob(f"{PREFIX}{app.proc.pid}-*"))
    assert len(roots) == 1, roots
    masks_written = sorted(roots[0].glob("**/inputs/*/mask.png"), key=lambda p: p.stat().st_mtime)
    assert masks_written, "no capture was written"
    return masks_written[-1].parent


@pytest.mark.parametrize("sideways", [False, True], ids=["4000x3000", "exif-rotated"])
def test_the_captured_mask_is_the_stroke_at_the_photo_full_size(
    page: Page, offline_app: App, tmp_path: Path, sideways: bool
) -> None:
    path, size = photo_file(tmp_path, sideways)
    upload_photo(page, path)
    # The painting each read returns, kept for the test (the page keeps only its
    # files' addresses).
    page.evaluate(
        """() => {
          const p = window.inpaintPreview;
          if (p.__kept) return;  // the page's earlier photo kept it already
          const read = p.read.bind(p);
          p.read = (photo, edited) => {
            window.__layers = edited?.layers;
            return read(photo, edited);
          };
          p.__kept = true;
        }"""
    )
    left, top, width, height = image_rect_on_screen(page)
    (x0, y0), (x1, y1) = STROKE
    page.mouse.move(left + x0 * width, top + y0 * height)
    page.mouse.down()
    page.mouse.move(left + x1 * width, top + y1 * height, steps=4)
    page.mouse.up()
    expect(page.locator("#mask-caption")).to_contain_text("repainted", timeout=120_000)
    page.locator("#prompt textarea").fill("plain fur")
    page.locator("#generate").click()
    status = page.locator("#status")
    # The click takes away an earlier photo's "Done" at once; this run's takes seconds.
    expect(status).not_to_contain_text("Done")
    expect(status).to_contain_text("Done", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / f"60-canvas-{path.stem}.png"), full_page=True)
    layers = page.evaluate("() => window.__layers")
    assert layers and len(layers) == 1
    response = page.request.get(layers[0]["url"])
    assert response.ok
    painting = Image.open(io.BytesIO(response.body()))
    pixels_per_screen_px = size[0] / width

    # Read while the page is open: a closed tab's captures are removed.
    capture = newest_capture(offline_app)
    mask = Image.open(capture / "mask.png")
    assert mask.size == size  # the upright photo's full size
    painted = np.asarray(mask.convert("L")) > 127
    # Exactly the painting read from the editor, past the bands, at full size.
    assert painting.size == (canvas.EDIT_SIDE, canvas.EDIT_SIDE)
    band = canvas.crop_to_photo(painting, size)
    expected = np.asarray(masks.to_binary_mask(band.getchannel("A"), size, threshold=1)) > 127
    assert np.array_equal(painted, expected)
    # Where the stroke was drawn on the screen (to a few screen pixels: the pointer's
    # last moves are smoothed): a band or a turn missed would be hundreds off.
    ys, xs = np.nonzero(painted)
    centre_y = (ys.min() + ys.max()) / 2
    slack = 8 * pixels_per_screen_px + size[0] / canvas.EDIT_SIDE
    assert abs(centre_y - y0 * size[1]) < slack
    brush = ys.max() - ys.min()
    assert abs(xs.min() + brush / 2 - x0 * size[0]) < slack
    assert abs(xs.max() - brush / 2 - x1 * size[0]) < slack
    # The photo kept for the job is the uploaded file itself, not a re-encoding.
    kept = [p for p in capture.iterdir() if p.name != "mask.png"]
    assert len(kept) == 1 and kept[0].read_bytes() == path.read_bytes()
