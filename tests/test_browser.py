"""The studio in a real browser, and its API from ``gradio_client``.

``python app.py`` (offline mode) driven by Chromium, and called as an API user does.

The app runs as a subprocess exactly as a person starts it, on a free port and
with no API key, so it uses the project's local server. Chromium is Debian's
(Playwright cannot download browsers here). Screenshots of the main states go
to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image, ImageFilter
from playwright.sync_api import Browser, Page, expect

from inpaint import metadata
from inpaint.masks import EMPTY_MASK_MESSAGE
from tests.app_process import ARTIFACTS, ROOT, App
from tests.gate import RemoteGate

EXAMPLES = ROOT / "examples"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
PHOTO = EXAMPLES / "coffee.png"  # 600 x 400


expect.set_options(timeout=15_000)

# Set by a capture-phase click listener and a MutationObserver: when Generate
# was clicked, and when and to what the status line first changed after it.
WATCH_STATUS_JS = """() => {
  const status = document.querySelector('#status');
  window.__click = {};
  new MutationObserver(() => {
    if (window.__click.t0 !== undefined && window.__click.first === undefined) {
      window.__click.first = performance.now();
      window.__click.text = status.innerText;
    }
  }).observe(status, {subtree: true, childList: true, characterData: true});
  document.querySelector('#generate').addEventListener('click',
    () => { window.__click = {t0: performance.now()}; }, {capture: true});
}"""


@pytest.fixture(scope="module")
def apps(offline_app: App) -> Iterator[dict[str, str]]:
    """The normal (shared) app, and one whose jobs outlast the wait limit.

    In the slow one every job waits at its local server's gate until the test
    lets it through (``INPAINT_OFFLINE_GATE``), and the studio waits only 15 s
    after the submission (long enough for a busy browser to see the countdown),
    so the job id must survive and be fetched later.
    """
    slow = App("slow-app", INPAINT_OFFLINE_GATE="1", STUDIO_MAX_WAIT="15")
    try:
        yield {
            "app": offline_app.wait_until_ready(),
            "slow": slow.wait_until_ready(),
            "slow-log": slow.log.name,
        }
    finally:
        slow.stop()


@pytest.fixture(scope="module")
def app_url(apps: dict[str, str]) -> str:
    return apps["app"]


@contextlib.contextmanager
def open_page(browser: Browser, url: str, viewport: dict[str, int] | None = None) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport or VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    expect(page.locator("#generate")).to_be_visible()
    try:
        yield page
    finally:
        context.close()


def resize_window(page: Page, viewport: dict[str, int]) -> None:
    """Give a loaded page another window size, as a person turning a phone or
    resizing the browser does (cheaper than loading the studio again: a load costs
    seconds of CPU under Chromium's software GL). Gradio's layout follows a resize
    exactly as it lays out a load at that size (compared once, box by box and in
    screenshots, at 390 and 1280 px). Returns after two animation frames, so resize
    observers and the updates they start have run, with the page at the new width."""
    page.set_viewport_size(viewport)
    assert page.evaluate(
        "(width) => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame("
        "() => done(document.documentElement.clientWidth === width))))",
        viewport["width"],
    )


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    with open_page(browser, app_url) as page:
        yield page


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload_photo(page: Page, path: Path = PHOTO) -> None:
    """Upload a photo and wait until the mask preview shows it, unpainted.

    Nothing presses "Refresh preview": once the editor has the photo's copy
    the page refreshes the preview itself, so the caption changing is the sign
    that the photo is in. The editor's canvas is waited for first, as a person
    would see it before picking a file.
    """
    caption = page.locator("#mask-caption")
    expect(caption).not_to_contain_text("Nothing is painted")  # a fresh page: no photo yet
    expect(page.locator("#editor canvas").first).to_be_visible()
    page.locator("#photo input[type=file]").set_input_files(str(path))
    # The server makes the editor's copy of a large photo: seconds on a busy machine.
    expect(caption).to_contain_text("Nothing is painted", timeout=60_000)


def image_rect_on_screen(page: Page) -> tuple[float, float, float, float]:
    """Where the photo is drawn inside the editor's canvas: (left, top, width, height).

    Found from a screenshot of the canvas, so the test does not assume any
    particular zoom or centring: the photo is what differs from the editor's
    plain surroundings.
    """
    canvas = page.locator("#editor canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box
    png = canvas.screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    scale = pixels.shape[1] / box["width"]  # device pixels per CSS pixel
    backdrop = pixels[2, 2]  # the editor's empty surroundings
    content = np.abs(pixels - backdrop).max(axis=2) > 24
    rows = longest_run(content.mean(axis=1) > 0.5)  # borders and toolbars are thin
    cols = longest_run(content[rows[0] : rows[1]].mean(axis=0) > 0.5)
    left, right = cols[0] / scale, cols[1] / scale
    top, bottom = rows[0] / scale, rows[1] / scale
    return box["x"] + left, box["y"] + top, right - left, bottom - top


def longest_run(flags: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the longest run of True values."""
    best, start = (0, 0), None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    assert best[1] > best[0], "the photo is not visible in the editor"
    return best


def paint_stroke(
    page: Page, points: list[tuple[float, float]], photo: Path = PHOTO
) -> list[tuple[float, float]]:
    """Drag the mouse through ``points`` (fractions of the photo); returns photo pixels."""
    left, top, width, height = image_rect_on_screen(page)
    with Image.open(photo) as im:
        img_w, img_h = im.size
    screen = [(left + fx * width, top + fy * height) for fx, fy in points]
    page.mouse.move(*screen[0])
    page.mouse.down()
    for x, y in screen[1:]:
        # Few events: every move repaints the canvas, slowly under software GL.
        page.mouse.move(x, y, steps=2)
    page.mouse.up()
    return [(fx * img_w, fy * img_h) for fx, fy in points]


def line_mask(
    points: list[tuple[float, float]], size: tuple[int, int], radius: float
) -> np.ndarray:
    """Pixels within ``radius`` of the polyline through ``points``."""
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    near = np.zeros((size[1], size[0]), bool)
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        near |= np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy)) <= radius
    return near


def fetch_image(page: Page, url: str) -> Image.Image:
    response = page.request.get(url)
    assert response.ok, url
    return Image.open(io.BytesIO(response.body())).convert("RGB")


# -- the tests ----------------------------------------------------------------------
def test_each_missing_input_is_named_then_only_the_stroke_is_repainted(page: Page) -> None:
    """One visitor's first try, on one page load: Generate names what is missing in a
    plain sentence (the photo, the painting, the prompt), answers the next click at once
    (no old error toast over the result), repaints the stroke and nothing else, and the
    result can be the next input."""
    status = page.locator("#status")
    page.locator("#generate").click()
    expect(status).to_contain_text("No image: upload a photo")

    upload_photo(page)
    page.locator("#prompt textarea").fill("a red scarf")
    page.locator("#generate").click()
    expect(status).to_contain_text(EMPTY_MASK_MESSAGE)
    shot(page, "04-nothing-painted")

    # Across the cup's rim, the coffee and the spoon's handle: busy, so any fill differs.
    stroke = paint_stroke(page, [(0.30, 0.30), (0.50, 0.36), (0.68, 0.32)])
    expect(page.locator("#mask-caption")).to_contain_text("repainted (from the painted strokes")
    expect(page.locator("#mask-caption")).to_contain_text("600 × 400")
    shot(page, "02-painted-with-mask-preview")
    page.evaluate(WATCH_STATUS_JS)
    toast = page.locator(".toast-body")
    page.locator("#prompt textarea").fill("   ")
    page.locator("#generate").click()
    expect(status).to_contain_text("Empty prompt")
    expect(toast.first).to_be_visible()  # an error, with a toast
    for text in ("Traceback", "Exception", 'File "'):
        expect(page.get_by_text(text)).to_have_count(0)

    # Generate answers the click at once, and the earlier error's toast goes with it
    # rather than staying over the result.
    page.locator("#prompt textarea").fill("a glass of orange juice")
    page.locator("#generate").click()
    expect(toast).to_have_count(0)
    shot(page, "41-generate-acknowledged")
    expect(status).to_contain_text("Done", timeout=60_000)
    expect(page.locator("#run-info")).to_contain_text("Job id")
    expect(page.locator("#gallery img").first).to_be_visible()
    expect(toast).to_have_count(0)
    shot(page, "03-result")
    shot(page, "42-result-without-old-toast")
    timing = page.evaluate("() => ({...window.__click, read: window.inpaintRead})")
    # The status's first change after the click (it may pass too quickly to poll for)
    # said so; the painting was the one the preview had read (one layer), not read again.
    assert "Reading your painting" in timing["text"], timing
    assert timing["read"]["layers"] == 1, timing

    link = page.locator("#downloads a").first
    expect(link).to_be_visible()
    result = fetch_image(page, link.get_attribute("href") or "")
    photo = Image.open(PHOTO).convert("RGB")
    assert result.size == photo.size == (600, 400)

    diff = np.abs(np.asarray(result, np.int16) - np.asarray(photo, np.int16)).max(axis=2)
    core = line_mask(stroke, photo.size, radius=3)  # certainly under the brush
    far = ~line_mask(stroke, photo.size, radius=45)  # certainly outside it
    assert diff[core].mean() > 20, "the painted stroke was not repainted"
    assert diff[far].mean() < 0.5, "pixels far from the stroke changed"
    assert (diff[far] > 8).mean() < 0.002
    # The whole change is near the stroke: nothing else in the picture moved.
    changed = diff > 8
    assert changed.sum() > 500
    assert (changed & far).sum() / changed.sum() < 0.01

    # "Use as input" puts the result in the editor, unpainted, for another pass.
    page.locator("#use-as-input").click()
    expect(page.locator("#status")).to_contain_text("is now the input")
    expect(page.locator("#mask-caption")).to_contain_text("Nothing is painted")
    preview = page.locator("#mask-preview img")
    shown = fetch_image(page, preview.get_attribute("src") or "")
    assert np.abs(np.asarray(shown, np.int16) - np.asarray(result, np.int16)).max() <= 2


def test_only_masked_full_resolution_then_reproduce_from_the_png(
    page: Page, tmp_path: Path
) -> None:
    big = tmp_path / "big-coffee.png"
    Image.open(PHOTO).convert("RGB").resize((2400, 1600), Image.Resampling.BICUBIC).save(big)
    upload_photo(page, big)
    expect(page.locator("#area input[value='Auto']")).to_be_checked()  # the default
    stroke = paint_stroke(page, [(0.42, 0.45), (0.55, 0.50)], photo=big)
    caption = page.locator("#mask-caption")
    # The stroke's preview exports the editor's 2400 x 1600 layers: slow under software GL.
    # A small edit on a photo over 1024 px: auto sends the area around it, and says so.
    expect(caption).to_contain_text("Auto chose only masked: 1 region", timeout=60_000)
    page.locator("#area").get_by_text("Only masked", exact=True).click()
    expect(caption).to_contain_text("Only masked: 1 region", timeout=60_000)
    expect(caption).not_to_contain_text("Auto chose")
    expect(caption).to_contain_text("full size, 2400 × 1600")
    prompt = "a glass of orange juice, 'quoted' & $HOME"
    page.locator("#prompt textarea").fill(prompt)
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    shot(page, "09-only-masked-result")

    link = page.locator("#downloads a").first
    response = page.request.get(link.get_attribute("href") or "")
    assert response.ok
    saved = tmp_path / "downloaded.png"
    saved.write_bytes(response.body())
    result = Image.open(saved).convert("RGB")
    assert result.size == (2400, 1600)
    params = metadata.read_parameters(saved)
    assert params["prompt"] == prompt and params["mode"] == "masked"
    diff = np.abs(
        np.asarray(result, np.int16) - np.asarray(Image.open(big).convert("RGB"), np.int16)
    ).max(axis=2)
    far = ~line_mask(stroke, result.size, radius=250)
    assert diff[far].max() == 0, "pixels far from the stroke are not the original's"
    assert diff[line_mask(stroke, result.size, radius=8)].mean() > 10

    # The code panel shows this request, reading the key from the environment.
    page.locator("#reproduce").get_by_text("Reproduce").first.click()
    code = page.locator("#code-python")
    expect(code).to_contain_text("crop_to_mask=True")
    expect(code).to_contain_text("MODELSLAB_API_KEY")
    # Loading the PNG back refills a changed form.
    page.locator("#prompt textarea").fill("something else")
    page.get_by_role("tab", name="Mask").click()
    page.locator("#area").get_by_text("Whole picture", exact=True).click()
    page.locator("#load-params input[type=file]").set_input_files(str(saved))
    expect(page.locator("#status")).to_contain_text("Loaded the parameters")
    expect(page.locator("#prompt textarea")).to_have_value(prompt)
    expect(page.locator("#area input[value='Only masked']")).to_be_checked()
    shot(page, "10-parameters-loaded")


def test_start_page_own_key_then_example_history_and_restore_survive_a_reload(
    page: Page,
) -> None:
    """A first visit: the start page's banner and controls, a typed key that stays in
    its field, then an example run whose history entry survives a reload (the reload is
    the point; the start page is checked on the same load before anything is run)."""
    banner = page.locator("#banner")
    expect(banner).to_contain_text("Offline demo mode")
    expect(banner).to_contain_text("ignores the prompt")
    expect(banner).to_contain_text("MODELSLAB_API_KEY")
    # Sliders come from inpaint.params.PARAMS: documented bounds and defaults.
    steps = page.locator("#steps input[type=number]")
    expect(steps).to_have_value("30")
    expect(page.locator("#guidance input[type=range]")).to_have_attribute("max", "5")
    expect(page.locator("#width input[type=range]")).to_have_attribute("max", "1024")
    expect(page.locator("#width input[type=range]")).to_have_attribute("step", "8")
    expect(page.locator("#seed input")).to_have_value("-1")
    shot(page, "01-start")

    # A visitor's own key: for this tab only, and only the password field holds it,
    # even while gradio's API recorder writes replay code for everything done.
    page.get_by_text("Use via API").click()
    page.get_by_text("API Recorder").first.click()
    secret = "sk-test-" + "9" * 24
    page.locator("#session-key input").fill(secret)
    expect(page.locator("#banner")).to_contain_text("with your own key")
    page.locator("#generate").click()  # no photo: refused before any request
    expect(page.locator("#status")).to_contain_text("No image")
    page.get_by_text("Recording API Calls").click()
    expect(page.locator("#num-recorded-api-calls")).to_be_visible()
    assert secret not in page.content()
    page.keyboard.press("Escape")
    # Only the password field holds it, masked.
    assert secret not in page.locator("body").inner_text()
    assert page.locator("#session-key input").get_attribute("type") == "password"
    stored = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
    assert secret not in stored
    page.locator("#session-key input").fill("")
    expect(page.locator("#banner")).to_contain_text("Offline demo mode")
    # The recorded calls stay open over the page (Escape leaves them): a click beside
    # them closes them, as a person does.
    page.locator(".api-docs .backdrop").click()
    expect(page.get_by_role("dialog", name="Use via API")).to_have_count(0)

    # An example loads the photo, its prepared mask and its prompt, and runs offline.
    page.get_by_text("a tall glass of iced latte").first.click()
    expect(page.locator("#prompt textarea")).to_have_value(
        "a tall glass of iced latte standing on the saucer, photorealistic"
    )
    expect(page.locator("#mask-caption")).to_contain_text("from the uploaded mask file")
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    job = page.locator("#run-info code").last.inner_text()
    seed = page.locator("#run-info code").first.inner_text()
    expect(page.locator("#history")).to_contain_text("done")  # stored before the reload

    page.reload()
    history = page.locator("#history")
    expect(history).to_contain_text("a tall glass of iced latte")
    expect(history).to_contain_text(seed)
    shot(page, "05-history-after-reload")
    # What the browser kept (the history) holds no trace of the key typed before.
    assert secret not in page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
    # Clicking the entry restores its parameters, with the seed it used.
    page.locator("#prompt textarea").fill("")
    history.get_by_role("gridcell", name=job, exact=True).first.click()
    expect(page.locator("#prompt textarea")).to_have_value(
        "a tall glass of iced latte standing on the saucer, photorealistic"
    )
    expect(page.locator("#seed input")).to_have_value(seed)


def test_job_past_the_wait_limit_is_kept_and_fetched_later(
    browser: Browser, apps: dict[str, str]
) -> None:
    gate = RemoteGate.of_app_log(apps["slow-log"])
    with open_page(browser, apps["slow"]) as page:
        page.get_by_text("a cat's small black nose").first.click()
        # The example's photo and mask reach a freshly started app: its first event
        # chain, slow on a busy machine, so the wait for it is generous (an event, bounded).
        expect(page.locator("#mask-caption")).to_contain_text(
            "from the uploaded mask file", timeout=60_000
        )
        page.locator("#generate").click()
        status = page.locator("#status")
        # The countdown shows until the wait limit; the job's id at once.
        expect(page.locator("#before-after")).to_contain_text("Queued as job", timeout=30_000)
        expect(status).to_contain_text("is running", timeout=30_000)
        (held,) = gate.wait(1)  # the job is at the server, and stays there until released
        shot(page, "06-waiting-for-a-job")
        expect(status).to_contain_text("Still running after the wait limit", timeout=30_000)
        job = page.locator("#fetch-job-id textarea, #fetch-job-id input").first
        expect(job).not_to_have_value("")
        job_id = job.input_value()
        assert job_id == str(held)
        expect(status).to_contain_text(job_id)
        expect(page.locator("#history")).to_contain_text("pending")
        shot(page, "07-job-past-wait-limit")

        assert gate.release([held]) == [held]
        page.locator("#fetch").click()
        expect(status).to_contain_text("Done", timeout=30_000)
        expect(page.locator("#history")).to_contain_text("done")
        expect(page.locator("#history")).not_to_contain_text("pending")
        expect(page.locator("#run-info")).to_contain_text(job_id)
        shot(page, "08-fetched-result")


# -- the API, from gradio_client ---------------------------------------------------
MASK = EXAMPLES / "coffee_mask.png"


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_inpaint_endpoint_returns_an_inpainted_image(client: Client) -> None:
    outputs = client.predict(
        image=handle_file(str(PHOTO)),
        mask=handle_file(str(MASK)),
        prompt="a glass of iced latte",
        seed=7,
        api_name="/inpaint",
    )
    gallery = outputs[0]
    assert len(gallery) == 1
    result = Image.open(gallery[0]["image"]).convert("RGB")
    photo = Image.open(PHOTO).convert("RGB")
    assert result.size == photo.size
    mask = np.asarray(Image.open(MASK).convert("L")) > 127
    diff = np.abs(np.asarray(result, np.int16) - np.asarray(photo, np.int16)).max(axis=2)
    assert diff[mask].mean() > 10
    assert np.percentile(diff[~mask], 99) <= 2
    run_info = next(o for o in outputs if isinstance(o, str) and "Seed" in o)
    assert "`7`" in run_info
    job_id = run_info.rsplit("`", 2)[-2]
    # The same job again, by id, through the other public endpoint.
    again = client.predict(job_id=job_id, api_name="/fetch_result")
    assert Image.open(again[0][0]["image"]).size == photo.size
    # Region mode through the API: only the area around the mask is sent, and the
    # result is the whole photo, identical far from the mask.
    masked = client.predict(
        image=handle_file(str(PHOTO)),
        mask=handle_file(str(MASK)),
        prompt="x",
        seed=7,
        crop_to_mask="Only masked",
        mask_padding=16,
        api_name="/inpaint",
    )
    region_result = Image.open(masked[0][0]["image"]).convert("RGB")
    assert region_result.size == photo.size
    far = np.asarray(Image.open(MASK).convert("L").filter(ImageFilter.MaxFilter(41))) == 0
    assert (np.asarray(region_result)[far] == np.asarray(photo)[far]).all()
    info = next(o for o in masked if isinstance(o, dict) and "request" in o)
    assert info["request"]["width"] <= 1024


def test_inpaint_endpoint_reports_plain_errors(client: Client) -> None:
    black = Image.new("L", (600, 400), 0)
    path = PHOTO.parent.parent / "test-artifacts" / "black_mask.png"
    path.parent.mkdir(exist_ok=True)
    black.save(path)
    with pytest.raises(Exception) as info:
        client.predict(
            image=handle_file(str(PHOTO)),
            mask=handle_file(str(path)),
            prompt="anything",
            api_name="/inpaint",
        )
    assert "nothing would be repainted" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_api_lists_only_the_public_endpoints(client: Client) -> None:
    api = client.view_api(return_format="dict", print_info=False)
    names = set(api["named_endpoints"])
    assert names == {"/inpaint", "/fetch_result", "/outpaint"}
    params = [p["parameter_name"] for p in api["named_endpoints"]["/inpaint"]["parameters"]]
    assert params[:3] == ["image", "mask", "prompt"]
    # A script brings its own key as api_key; the tab's typed key is not part of the API.
    assert [p for p in params if "key" in p] == ["api_key"]
    for name in ("/outpaint", "/fetch_result"):
        named = [p["parameter_name"] for p in api["named_endpoints"][name]["parameters"]]
        assert [p for p in named if "key" in p] == ["api_key"]
