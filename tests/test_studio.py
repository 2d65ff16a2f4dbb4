"""The studio's logic without a browser: settings, backends, the form, the mask tools,
every failure's message, the history, and whole generations against the local server.

Generations run the real handler (a generator, as gradio drives it) against a
real ``inpaint.server`` on 127.0.0.1; the progress tracker and the request are
stand-ins for gradio's.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from inpaint import masks, metadata, studio
from inpaint.contract import DEFAULT_BASE_URL
from inpaint.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InputImageError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ParameterError,
    RateLimitError,
    ServerError,
)
from inpaint.masks import EMPTY_MASK_MESSAGE
from inpaint.params import BY_NAME, PARAMS
from inpaint.progress import ProgressEvent
from inpaint.server import RunningServer, ServerConfig, serve_in_background
from inpaint.studio import browser, ui_spec
from inpaint.studio.history import handler as history_events
from inpaint.studio.mask import handler as preview

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHOTO = EXAMPLES / "coffee.png"  # 600 x 400
OWN_KEY = "own-key-" + "7" * 20


# -- helpers ------------------------------------------------------------------------
class Request:
    """What the handlers read from gradio's request: the session."""

    def __init__(self, session_hash: str = "session-1") -> None:
        self.session_hash = session_hash


class Progress:
    """Records what the handler reports, like gradio's tracker would show it."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, desc: str = "") -> None:
        self.calls.append((fraction, desc))


def outputs(values: tuple[Any, ...]) -> dict[str, Any]:
    assert len(values) == len(studio.GENERATE_OUTPUTS)
    return dict(zip(studio.GENERATE_OUTPUTS, values, strict=True))


def skipped(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def mask_file(tmp_path: Path, box: tuple[int, int, int, int] = (200, 100, 400, 250)) -> str:
    mask = Image.new("L", (600, 400), 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    path = tmp_path / "mask.png"
    mask.save(path)
    return str(path)


def heartbeat(values: tuple[Any, ...]) -> bool:
    """A yield that changes nothing (``jobs.HEARTBEAT``): how gradio learns a visitor left."""
    return all(skipped(v) for v in values)


def first_change(gen: Iterator[tuple[Any, ...]]) -> dict[str, Any]:
    """The handler's first yield that is not a heartbeat."""
    return outputs(next(v for v in gen if not heartbeat(v)))


def run(gen: Iterator[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], gr.Error | None]:
    """Drive a handler to its end; returns every yield but heartbeats, and the gr.Error
    it ended with."""
    seen = []
    try:
        for value in gen:
            if heartbeat(value):
                continue
            seen.append(outputs(value))
    except gr.Error as exc:
        return seen, exc
    return seen, None


@pytest.fixture
def servers() -> Iterator[Callable[..., RunningServer]]:
    started: list[RunningServer] = []

    def start(**config: Any) -> RunningServer:
        # The studio's flows are plumbing: the quick engine unless a test asks otherwise.
        server = serve_in_background(ServerConfig(**{"engine": "quick", **config}))
        started.append(server)
        return server

    start.started = started  # type: ignore[attr-defined]  # a gated server's test reaches it
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def make_studio(
    tmp_path: Path, servers: Callable[..., RunningServer]
) -> Callable[..., studio.Studio]:
    """An offline studio whose local server is started with ``server_config``."""

    def make(server_config: dict[str, Any] | None = None, **settings: Any) -> studio.Studio:
        config = server_config or {}
        backend_settings = studio.Settings(**settings)
        backend = studio.Backend(backend_settings, server_factory=lambda: servers(**config))
        return studio.Studio(
            backend_settings, backend=backend, store=studio.OutputStore(tmp_path / "out")
        )

    return make


def generate(
    app: studio.Studio,
    tmp_path: Path,
    *,
    prompt: str = "a glass of juice",
    session_key: str | None = None,
    progress: Progress | None = None,
    request: Request | None = None,
    **form: Any,
) -> Iterator[tuple[Any, ...]]:
    return app.generate(
        str(PHOTO),
        mask_file(tmp_path),
        prompt=prompt,
        api_key=session_key,
        progress=progress or Progress(),
        request=request or Request(),
        **form,
    )


# -- settings and backends ------------------------------------------------------------
def test_settings_defaults_and_environment() -> None:
    default = studio.Settings.from_env({})
    assert default.api_key == "" and default.concurrency_limit == 5
    custom = studio.Settings.from_env(
        {
            "MODELSLAB_API_KEY": " k-123 ",
            "STUDIO_CONCURRENCY_LIMIT": "10",
            "STUDIO_MAX_WAIT": "90",
            "MODELSLAB_BASE_URL": "http://127.0.0.1:9/api",
        }
    )
    assert custom.api_key == "k-123" and custom.concurrency_limit == 10
    assert custom.max_wait == 90 and custom.base_url == "http://127.0.0.1:9/api"
    assert "k-123" not in repr(custom)
    assert default.launch_options() == {"server_name": None, "server_port": None}
    served = studio.Settings.from_env(
        {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7861"}
    )
    assert served.launch_options() == {"server_name": "0.0.0.0", "server_port": 7861}


@pytest.mark.parametrize(
    "name,value",
    [
        ("STUDIO_CONCURRENCY_LIMIT", "0"),
        ("STUDIO_CONCURRENCY_LIMIT", "2.5"),
        ("STUDIO_MAX_WAIT", "soon"),
        ("STUDIO_OFFLINE_LATENCY", "-1"),
        ("GRADIO_SERVER_PORT", "http"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(studio.SettingsError, match=name):
        studio.Settings.from_env({name: value})


def test_backend_modes_and_banners() -> None:
    offline = studio.Backend(studio.Settings())
    assert offline.mode == studio.MODE_OFFLINE
    banner = offline.banner()
    for words in ("Offline demo mode", "classical", "ignores the prompt", "MODELSLAB_API_KEY"):
        assert words in banner
    assert offline.mode_for(" ") == studio.MODE_OFFLINE
    assert offline.mode_for(OWN_KEY) == studio.MODE_OWN_KEY
    own = offline.banner(OWN_KEY)
    assert "your own key" in own and OWN_KEY not in own

    paid = studio.Backend(studio.Settings(api_key="server-key-1"))
    assert paid.mode == studio.MODE_MODELSLAB
    assert DEFAULT_BASE_URL.split("://")[1] in paid.banner()  # the default API, named
    assert "server-key-1" not in paid.banner()
    assert paid.start() is None  # no local server with a key


def test_own_key_goes_to_modelslab_even_in_offline_mode() -> None:
    backend = studio.Backend(
        studio.Settings(base_url="http://127.0.0.1:9/api"),
        server_factory=lambda: pytest.fail("no local server for own keys"),
    )
    client = backend.client(OWN_KEY)
    assert client.base_url == "http://127.0.0.1:9/api" and client.has_key
    assert OWN_KEY not in repr(client)


# -- the widgets come from PARAMS ---------------------------------------------------------
@pytest.mark.parametrize("name", ui_spec.SLIDERS)
def test_sliders_use_the_documented_ranges(name: str) -> None:
    p = BY_NAME[name]
    kwargs = ui_spec.kwargs_for(name)
    assert (kwargs["minimum"], kwargs["maximum"], kwargs["value"]) == (
        p.minimum,
        p.maximum,
        p.start,  # the default, or the documentation's 512 where left out means the photo's
    )
    assert kwargs["label"] == p.label and kwargs["info"] == p.help


def test_specific_widgets() -> None:
    assert ui_spec.slider_kwargs("width")["step"] == 8
    assert ui_spec.slider_kwargs("width")["maximum"] == 1024
    guidance = ui_spec.slider_kwargs("guidance_scale")
    assert (guidance["minimum"], guidance["maximum"], guidance["step"]) == (1, 5, 1)
    strength = ui_spec.slider_kwargs("strength")
    assert (strength["minimum"], strength["maximum"]) == (0.0, 1.0)
    assert ui_spec.slider_kwargs("samples")["maximum"] == 4
    seed = ui_spec.number_kwargs("seed")
    assert seed["value"] == -1 and seed["precision"] == 0 and seed["minimum"] == -1
    assert ui_spec.checkbox_kwargs("safety_checker")["value"] is False
    assert ui_spec.checkbox_kwargs("instant_response")["value"] is False
    every = {
        n
        for group in (ui_spec.SLIDERS, ui_spec.CHECKBOXES, ui_spec.NUMBERS, ui_spec.TEXTS)
        for n in group
    }
    assert every == {p.name for p in PARAMS}  # every API parameter has a widget
    with pytest.raises(ValueError):
        ui_spec.slider_kwargs("prompt")


# -- the form -----------------------------------------------------------------------------
def test_form_coerces_widget_values() -> None:
    form = studio.Form.from_ui(
        {
            "prompt": "x",
            "samples": 2.0,
            "seed": -1,
            "width": 640.0,
            "auto_size": False,
            "track_id": 7.0,
            "safety_checker": True,
            "grow_px": -3.0,
        }
    )
    assert form.samples == 2 and isinstance(form.samples, int)
    assert form.seed is None and form.size() == (640, 512)
    kwargs = form.client_kwargs()
    assert kwargs["safety_checker"] == "yes" and kwargs["track_id"] == 7
    assert kwargs["seed"] is None and kwargs["negative_prompt"] is None
    assert studio.Form.from_ui({"seed": "", "auto_size": True}).size() == (None, None)
    assert studio.Form.from_ui({"seed": 42.0}).seed == 42
    with pytest.raises(ParameterError):
        studio.Form.from_ui({"transport": "carrier pigeon"})
    with pytest.raises(ParameterError, match="Samples"):
        studio.Form.from_ui({"samples": 1.5})


# -- the exact image and mask -------------------------------------------------------------
def test_prepare_fits_the_size_and_applies_the_tools_in_order(tmp_path: Path) -> None:
    big = Image.open(PHOTO).resize((2000, 1000))
    mask = Image.new("L", (2000, 1000), 0)
    ImageDraw.Draw(mask).rectangle((800, 400, 1199, 599), fill=255)
    prepared = studio.prepare_inputs(big, mask, studio.Form(crop_to_mask=False))
    # The photo and mask stay full size (results are pasted back into them);
    # the request's size is the photo fitted within 1024.
    assert (prepared.width, prepared.height) == (1024, 512)
    auto = studio.prepare_inputs(big, mask, studio.Form())  # a small edit: auto crops
    assert auto.crop and auto.auto and len(auto.regions) == 1
    assert "Auto chose **only masked**" in studio.preview_caption(auto)
    assert prepared.image.size == prepared.mask.size == (2000, 1000)
    base = np.asarray(prepared.mask) == 255
    assert abs(base.mean() - 0.04) < 0.005 and not prepared.soft

    grown = studio.prepare_inputs(big, mask, studio.Form(grow_px=10))
    shrunk = studio.prepare_inputs(big, mask, studio.Form(grow_px=-10))
    assert (
        (np.asarray(grown.mask) == 255).sum() > base.sum() > (np.asarray(shrunk.mask) == 255).sum()
    )
    inverted = studio.prepare_inputs(big, mask, studio.Form(invert_mask=True))
    assert np.array_equal(np.asarray(inverted.mask) == 255, ~base)

    # With paste-back the feather is the blend band and the mask is sent hard...
    blended = studio.prepare_inputs(big, mask, studio.Form(feather_px=8))
    assert not blended.soft and np.array_equal(np.asarray(blended.mask) == 255, base)
    # ...without it, the feather softens the mask that is sent.
    feathered = studio.prepare_inputs(big, mask, studio.Form(feather_px=8, paste_back=False))
    soft = np.asarray(feathered.mask)
    assert feathered.soft and ((soft > 0) & (soft < 255)).any()
    assert (soft[base] == 255).all()  # the painted core is still fully repainted

    fixed = studio.prepare_inputs(
        big, mask, studio.Form(auto_size=False, width=512, height=256, crop_to_mask=False)
    )
    assert (fixed.width, fixed.height) == (512, 256)


def test_only_masked_mode_plans_regions_and_the_preview_shows_them() -> None:
    big = Image.open(PHOTO).convert("RGB").resize((3000, 2000))
    mask = Image.new("L", big.size, 0)
    ImageDraw.Draw(mask).rectangle((100, 100, 300, 250), fill=255)
    ImageDraw.Draw(mask).rectangle((2500, 1600, 2700, 1800), fill=255)
    form = studio.Form(crop_to_mask=True, mask_padding=40)
    prepared = studio.prepare_inputs(big, mask, form)
    assert prepared.crop and len(prepared.regions) == 2
    caption = studio.preview_caption(prepared)
    assert "Only masked" in caption and "2 regions" in caption and "3000 × 2000" in caption
    shown = studio.preview_image(prepared)
    assert max(shown.size) == studio.PREVIEW_SIDE  # a big photo is previewed scaled down
    pixels = np.asarray(shown)
    assert ((pixels == (255, 214, 0)).all(axis=2)).sum() > 100  # the yellow region boxes
    whole = studio.preview_caption(studio.prepare_inputs(big, mask, studio.Form()))
    assert "Auto chose the **whole picture**" in whole  # two regions would be two jobs
    assert "at **1024 × 680**" in whole and "full size, **3000 × 2000**" in whole


def test_form_reads_the_area_choice_and_checks_option_ranges() -> None:
    assert studio.Form.from_ui({"crop_to_mask": studio.AREA_MASKED}).crop_to_mask is True
    assert studio.Form.from_ui({"crop_to_mask": studio.AREA_WHOLE}).crop_to_mask is False
    assert studio.Form.from_ui({"crop_to_mask": True}).crop_to_mask is True
    assert studio.Form.from_ui({"crop_to_mask": studio.AREA_AUTO}).crop_to_mask is None
    assert studio.Form().as_ui()["crop_to_mask"] == studio.AREA_AUTO
    with pytest.raises(ParameterError, match="mask_padding must be a whole number from 0"):
        studio.Form.from_ui({"mask_padding": 900})
    assert studio.Form(crop_to_mask=True).as_ui()["crop_to_mask"] == studio.AREA_MASKED


def test_prepare_refuses_what_would_repaint_nothing() -> None:
    photo = Image.open(PHOTO)
    black = Image.new("L", photo.size, 0)
    with pytest.raises(InputImageError, match="all black"):
        studio.prepare_inputs(photo, black, studio.Form())
    with pytest.raises(InputImageError) as info:
        studio.prepare_inputs(photo, black, studio.Form(), source="painted")
    assert info.value.message == EMPTY_MASK_MESSAGE
    white = Image.new("L", photo.size, 255)
    with pytest.raises(InputImageError, match="everything was painted"):
        studio.prepare_inputs(photo, white, studio.Form(invert_mask=True))
    dot = Image.new("L", photo.size, 0)
    ImageDraw.Draw(dot).rectangle((10, 10, 13, 13), fill=255)
    with pytest.raises(InputImageError, match="After shrinking by 5 px"):
        studio.prepare_inputs(photo, dot, studio.Form(grow_px=-5))
    with pytest.raises(InputImageError, match="No image"):
        studio.prepare_inputs(None, dot, studio.Form())


MASK_SETTINGS = {
    "auto_size": True,
    "width": 512,
    "height": 512,
    "invert_mask": False,
    "grow_px": 0,
    "feather_px": 0,
}


def test_preview_shows_the_sent_mask_over_the_sent_image() -> None:
    photo = Image.open(PHOTO).convert("RGBA")
    layer = Image.new("RGBA", photo.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle((0, 0, 59, 39), fill=(255, 45, 111, 153))
    value = {"background": photo, "layers": [layer], "composite": photo}
    image, caption = preview.preview(value, None, MASK_SETTINGS)
    assert image.size == (600, 400)
    assert "600 × 400" in caption and "1.0%" in caption and "painted strokes" in caption
    tinted = np.asarray(image, np.int16) - np.asarray(photo.convert("RGB"), np.int16)
    assert np.abs(tinted[:40, :60]).mean() > 20 and np.abs(tinted[100:, 100:]).max() == 0

    empty = {"background": photo, "layers": [], "composite": photo}
    image, caption = preview.preview(empty, None, MASK_SETTINGS)
    assert caption == EMPTY_MASK_MESSAGE and image.size == (600, 400)
    assert preview.preview(None, None, MASK_SETTINGS)[0] is None
    # While a just-uploaded photo is not readable yet, the preview is left alone.
    assert all(skipped(v) for v in preview.refresh(None, None, MASK_SETTINGS))
    assert "1.0%" in preview.refresh(value, None, MASK_SETTINGS)[1]
    assert preview.cleared() == (None, studio.NO_PHOTO_CAPTION)


def test_a_refresh_asked_for_by_the_sliders_the_last_one_set_draws_nothing_again() -> None:
    """The sliders a refresh sets (the size sent, the photo-scaled padding) fire their
    own change: the refresh that follows has nothing new to show and is skipped, but
    a new stroke, a setting the preview reads, or a new photo is drawn."""
    photo = Image.open(PHOTO).convert("RGBA").resize((3000, 2000))
    layer = Image.new("RGBA", photo.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle((100, 100, 900, 700), fill=(255, 45, 111, 153))
    value = {"background": photo, "layers": [layer], "composite": None}
    settings = {**MASK_SETTINGS, "auto_size": True, "scale_with_photo": True}
    first = preview.refresh(value, None, settings)
    image, _caption, width, height, padding, feather, seen = first
    assert isinstance(image, Image.Image) and max(image.size) == studio.PREVIEW_SIDE
    echoed = {
        **settings,
        "width": width["value"],
        "height": height["value"],
        "mask_padding": padding["value"],
        "feather_px": feather["value"],
    }
    assert all(skipped(v) for v in preview.refresh(value, None, echoed, seen))
    # What the preview reads is drawn again.
    grown = preview.refresh(value, None, {**echoed, "grow_px": 12}, seen)
    assert isinstance(grown[0], Image.Image)
    ImageDraw.Draw(layer).rectangle((2000, 1200, 2400, 1500), fill=(255, 45, 111, 153))
    stroked = preview.refresh(value, None, echoed, seen)
    assert isinstance(stroked[0], Image.Image) and stroked[1] != first[1]
    other = {**value, "background": photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)}
    assert isinstance(preview.refresh(other, None, echoed, stroked[-1])[0], Image.Image)
    # With "auto" off the size sliders are read, so a new size is drawn.
    fixed = {**echoed, "auto_size": False, "width": 512, "height": 512}
    assert isinstance(preview.refresh(value, None, fixed, stroked[-1])[0], Image.Image)


def test_a_big_unpainted_photo_is_previewed_at_preview_size_with_a_quick_png() -> None:
    """Nothing painted shows the plain photo: scaled like a painted preview (a 12 MP
    photo is not encoded whole for a box 360 px tall), and, like every preview,
    written by gradio with zlib level 1 (the zlib header's level bits say so)."""
    from gradio.processing_utils import encode_pil_to_bytes

    photo = Image.open(PHOTO).convert("RGB").resize((4000, 3000))
    value = {"background": photo, "layers": [], "composite": None}
    image, caption = preview.preview(value, None, MASK_SETTINGS)
    assert caption == EMPTY_MASK_MESSAGE and image.size == (1024, 768)
    data = encode_pil_to_bytes(image, "png")
    idat = data.index(b"IDAT") + 4
    assert data[idat] == 0x78 and data[idat + 1] >> 6 == 0  # FLEVEL 0: the fastest levels
    plain = encode_pil_to_bytes(photo.resize((1024, 768)), "png")
    assert plain[plain.index(b"IDAT") + 5] >> 6 == 2  # gradio's default, for comparison
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(image))  # lossless


# -- messages -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "exc,words",
    [
        (AuthenticationError("The API key was refused (HTTP 401): invalid"), "Wrong API key"),
        (InsufficientCreditsError("Not enough credits"), "No credits left"),
        (RateLimitError("The queue is full", retry_after=11.2), "Try again in about 12 s"),
        (RateLimitError("The queue is full"), "Rate limited"),
        (APIConnectionError("Cannot reach 127.0.0.1:9."), "Server unreachable"),
        (
            APIConnectionError(
                "The connection broke while it was answering.", may_have_started=True
            ),
            "cannot be fetched from here",
        ),
        (APITimeoutError("No answer within 60 s.", may_have_started=True), "request history"),
        (ServerError("The server failed (HTTP 503)"), "failed on its side"),
        (JobFailedError("Job 9 failed: out of memory", job_id=9), "The job failed"),
        (JobTimeoutError("Job 9 is still running", job_id=9), "job 9 is not finished yet"),
        (JobCancelledError("stopped", job_id=9), "keeps running"),
        (JobCancelledError("stopped"), "nothing was charged"),
        (ParameterError("seed must be a whole number", field="seed"), "Seed must be"),
        (
            ParameterError("num_inference_steps must be at most 100", field="num_inference_steps"),
            "Steps must be at most 100",
        ),
        (ParameterError("must not be empty", field="prompt"), "Prompt: must not be empty"),
        (KeyError("secret internals"), "Something unexpected went wrong (KeyError)"),
    ],
)
def test_every_failure_is_one_plain_message(exc: Exception, words: str) -> None:
    message = studio.describe_error(exc)
    assert words in message
    assert "Traceback" not in message and "secret internals" not in message


# -- history ------------------------------------------------------------------------------
def test_history_upserts_and_completes_pending_jobs() -> None:
    form = studio.Form(prompt="a red scarf", seed=None)
    pending = studio.history_entry(
        form, status="pending", backend="offline", job_id=12, entry_id="e1"
    )
    items = studio.record_history([], pending)
    items = studio.record_history(items, pending)  # the same entry twice: still one
    assert len(items) == 1 and items[0]["status"] == "pending"
    done = studio.history_entry(studio.Form(), status="done", backend="offline", job_id=12, seed=99)
    done.update(update_job=True, params=None, when="later")
    items = studio.record_history(items, done)
    assert len(items) == 1
    assert items[0]["status"] == "done" and items[0]["seed"] == 99
    assert items[0]["params"]["prompt"] == "a red scarf"  # the form is kept
    assert items[0]["when"] == pending["when"] and "update_job" not in items[0]
    many = items
    for i in range(studio.HISTORY_LIMIT + 5):
        many = studio.record_history(
            many, studio.history_entry(form, status="done", backend="offline", job_id=i)
        )
    assert len(many) == studio.HISTORY_LIMIT and many[0]["job_id"] == studio.HISTORY_LIMIT + 4
    assert studio.history_rows([])[0][2] == "No generations yet"


def test_restore_refills_the_form_with_the_seed_used() -> None:
    form = studio.Form(prompt="a red scarf", samples=3, strength=0.4, seed=None, feather_px=6)
    entry = studio.history_entry(form, status="done", backend="offline", job_id=5, seed=1234)
    pending = studio.history_entry(form, status="pending", backend="offline", job_id=6)

    class Select:
        def __init__(self, row: int) -> None:
            self.index = [row, 2]

    values = history_events.restore([pending, entry], Select(1))
    restored = dict(zip(studio.FORM_FIELDS, values, strict=False))
    assert restored["prompt"] == "a red scarf" and restored["samples"] == 3
    assert restored["strength"] == 0.4 and restored["feather_px"] == 6
    assert restored["seed"] == 1234
    fetch_at = len(studio.FORM_FIELDS) + len(studio.EXTEND_FIELDS)
    assert skipped(values[fetch_at])  # not pending: fetch id untouched
    values = history_events.restore([pending, entry], Select(0))
    assert values[fetch_at] == "6" and values[-2]["visible"] is True
    assert dict(zip(studio.FORM_FIELDS, values, strict=False))["seed"] == -1


# -- whole generations against the local server ----------------------------------------
def test_generation_reports_stages_and_returns_everything(make_studio, tmp_path) -> None:
    app = make_studio()
    progress = Progress()
    seen, error = run(generate(app, tmp_path, progress=progress, seed=77, samples=2))
    assert error is None
    final = seen[-1]
    assert final["status"].startswith("✓ Done: 2 images")
    downloads = final["downloads"]["value"]
    assert len(final["gallery"]) == 2 and len(downloads) == 2
    assert final["downloads"]["visible"] is True
    for path in downloads:
        assert Image.open(path).format == "PNG" and Image.open(path).size == (600, 400)
    before, after = final["before_after"]
    assert Image.open(before).size == Image.open(after).size
    assert "`77`" in final["run_info"] and "Job id" in final["run_info"]
    assert "total" in final["run_info"]
    assert final["info"]["request"]["seed"] == 77 and "key" not in final["info"]["request"]
    entry = final["new_entry"]
    assert entry["status"] == "done" and entry["seed"] == 77 and entry["size"] == [600, 400]
    assert entry["params"]["prompt"] == "a glass of juice"
    stages = " ".join(desc for _, desc in progress.calls)
    for stage in ("Preparing", "Uploading", "Downloading"):
        assert stage in stage and stage in stages
    fractions = [f for f, _ in progress.calls]
    assert fractions == sorted(fractions)  # the bar only moves forward
    # The pending entry came first, with the same id, so a closed tab keeps the job.
    pending = [s["new_entry"] for s in seen[:-1] if not skipped(s["new_entry"])]
    assert pending and pending[0]["status"] == "pending" and pending[0]["id"] == entry["id"]


def test_offline_generation_changes_only_the_masked_area(make_studio, tmp_path) -> None:
    app = make_studio()
    seen, error = run(generate(app, tmp_path, strength=1.0))
    assert error is None
    result = np.asarray(Image.open(seen[-1]["downloads"]["value"][0]).convert("RGB"), np.int16)
    photo = np.asarray(Image.open(PHOTO).convert("RGB"), np.int16)
    diff = np.abs(result - photo).max(axis=2)
    inside = np.zeros(diff.shape, bool)
    inside[100:251, 200:401] = True
    assert diff[inside].mean() > 10 and diff[~inside].max() == 0


def test_input_problems_end_with_a_plain_error_and_no_job(make_studio, tmp_path) -> None:
    app = make_studio()
    seen, error = run(generate(app, tmp_path, prompt="  "))
    assert error is not None and "Empty prompt" in error.message
    assert seen[-1]["status"].startswith("⚠ Empty prompt") and skipped(seen[-1]["new_entry"])
    black = tmp_path / "black.png"
    Image.new("L", (600, 400), 0).save(black)
    seen, error = run(
        app.generate(str(PHOTO), str(black), prompt="x", progress=Progress(), request=Request())
    )
    assert "all black" in error.message
    seen, error = run(
        app.generate(None, str(black), prompt="x", progress=Progress(), request=Request())
    )
    assert "No image" in error.message


def test_capture_freezes_the_editor_and_names_what_is_missing(make_studio) -> None:
    app = make_studio()
    photo = Image.open(PHOTO).convert("RGBA")
    layer = Image.new("RGBA", photo.size, (0, 0, 0, 0))
    value = {"background": photo, "layers": [layer], "composite": photo}
    with pytest.raises(gr.Error) as info:
        list(app.capture(value, None))
    assert info.value.message == EMPTY_MASK_MESSAGE
    ImageDraw.Draw(layer).rectangle((0, 0, 9, 9), fill=(255, 0, 0, 153))
    image, mask, status, _tab = list(app.capture(value, None))[-1]
    assert Image.open(image).size == Image.open(mask).size == (600, 400)
    assert (np.asarray(Image.open(mask)) == 255).sum() == 100
    with pytest.raises(gr.Error, match="No image"):
        list(app.capture(None, None))


def test_capture_keeps_the_users_photo_file_as_it_is_and_generate_decodes_it_once(
    make_studio, tmp_path
) -> None:
    """A phone JPEG (stored sideways, EXIF says turn it) is linked, never re-encoded:
    the capture reads only its header, and the job keeps the same file for a later fetch."""
    app = make_studio()
    upright = Image.open(PHOTO).convert("RGB")  # 600 x 400
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored 400 x 600
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to show"
    photo = tmp_path / "phone.jpg"
    sideways.save(photo, "JPEG", quality=92, exif=exif)
    layer = tmp_path / "paint.png"
    paint = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    ImageDraw.Draw(paint).rectangle((200, 100, 399, 249), fill=(255, 255, 255, 255))
    paint.save(layer)
    value = {"background": str(photo), "layers": [str(layer)], "composite": None}
    image, mask, _status, _tab = list(app.capture(value, None, prompt="x"))[-1]
    assert Path(image).suffix == ".jpg" and Path(image).read_bytes() == photo.read_bytes()
    assert os.path.samefile(image, photo)  # a link: no copy, no encoding
    assert Image.open(mask).size == (600, 400)
    seen, error = run(
        app.generate(image, mask, prompt="x", seed=4, progress=Progress(), request=Request())
    )
    assert error is None, error
    [path] = seen[-1]["downloads"]["value"]
    result = np.asarray(Image.open(path).convert("RGB"), np.int16)
    shown = np.asarray(ImageOps.exif_transpose(Image.open(photo)).convert("RGB"), np.int16)
    assert result.shape == (400, 600, 3)
    far = np.ones((400, 600), bool)
    far[60:290, 160:440] = False  # the painted box widened past the blend band
    assert (result[far] == shown[far]).all()  # the upright photo's own pixels
    job = seen[-1]["new_entry"]["job_id"]
    # Kept by backend, owner (this page session) and id.
    kept = app.store.input_for(f"offline-session:session-1-{job}")
    assert kept is not None and Path(kept).read_bytes() == photo.read_bytes()


def test_timeout_keeps_the_job_and_fetch_collects_it(make_studio, servers, tmp_path) -> None:
    app = make_studio({"gate_jobs": True, "sync_threshold": 0.0}, max_wait=0.5)  # held
    with pytest.warns(UserWarning, match="Still running"):  # gradio's warning toast
        seen, error = run(generate(app, tmp_path))
    assert error is None  # not a failure: the job is alive, and kept
    final = seen[-1]
    assert "Still running after the wait limit" in final["status"]
    assert "Fetch result" in final["status"]
    job = final["fetch_job_id"]
    assert job and final["fetch_row"]["visible"] is True
    assert final["new_entry"]["status"] == "pending" and str(final["new_entry"]["job_id"]) == job
    assert job in final["status"]

    assert servers.started[-1].app.state.jobs.release([int(job)]) == [int(job)]
    app.settings = studio.Settings(max_wait=30)
    fetched, error = run(app.fetch(job, progress=Progress(), request=Request()))
    assert error is None
    done = fetched[-1]
    assert done["status"].startswith("✓ Done") and len(done["downloads"]["value"]) == 1
    assert "fetched in" in done["run_info"]
    before, after = done["before_after"]  # the input this server sent is remembered
    assert before != after and Image.open(before).size == Image.open(after).size
    assert done["new_entry"]["update_job"] is True and done["new_entry"]["status"] == "done"
    history = studio.record_history([final["new_entry"]], done["new_entry"])
    assert len(history) == 1 and history[0]["status"] == "done"
    assert history[0]["params"]["prompt"] == "a glass of juice"


def test_cancel_stops_waiting_but_keeps_the_job(make_studio, servers, tmp_path) -> None:
    app = make_studio({"gate_jobs": True, "sync_threshold": 0.0})  # held until released
    request = Request("tab-a")
    gen = generate(app, tmp_path, request=request)
    first = first_change(gen)  # the job exists: its id is reported at once
    assert first["new_entry"]["status"] == "pending"
    assert app.cancel(Request("tab-b")) == "Nothing is running."  # another tab: untouched
    assert app.cancel(request).startswith("Stopping")
    seen, error = run(gen)
    assert error is None  # cancelling is not a failure
    final = seen[-1]
    assert "Stopped waiting for job" in final["status"]
    assert final["new_entry"]["status"] == "pending"
    assert final["fetch_job_id"] == str(first["new_entry"]["job_id"])
    # The job kept running; "Fetch result" collects it.
    servers.started[-1].app.state.jobs.release()
    fetched, error = run(app.fetch(final["fetch_job_id"], progress=Progress(), request=request))
    assert error is None and fetched[-1]["status"].startswith("✓ Done")


def test_failed_job_is_recorded_as_failed(make_studio, tmp_path) -> None:
    app = make_studio({"fail_marker": "EXPLODE", "sync_threshold": 0.0, "latency": 0.5})
    seen, error = run(generate(app, tmp_path, prompt="please EXPLODE"))
    assert error is not None and "The job failed" in error.message
    assert seen[-1]["new_entry"]["status"] == "failed"


def test_wrong_own_key_is_a_plain_message_without_the_key(servers, tmp_path) -> None:
    real = servers(keys=frozenset({"the-right-key-000"}))
    settings = studio.Settings(base_url=real.base_url)
    app = studio.Studio(
        settings,
        backend=studio.Backend(settings, server_factory=lambda: None),
        store=studio.OutputStore(tmp_path / "out"),
    )
    seen, error = run(generate(app, tmp_path, session_key=OWN_KEY))
    assert error is not None and "Wrong API key" in error.message
    assert all(OWN_KEY not in str(s) for s in seen) and OWN_KEY not in error.message


def test_own_key_is_used_and_never_recorded(servers, tmp_path) -> None:
    real = servers(keys=frozenset({OWN_KEY}))
    settings = studio.Settings(base_url=real.base_url)
    app = studio.Studio(
        settings,
        backend=studio.Backend(settings, server_factory=lambda: None),
        store=studio.OutputStore(tmp_path / "out"),
    )
    seen, error = run(generate(app, tmp_path, session_key=OWN_KEY))
    assert error is None
    final = seen[-1]
    assert final["new_entry"]["backend"] == studio.MODE_OWN_KEY
    assert OWN_KEY not in repr(seen)


def test_unreachable_server_says_so(tmp_path) -> None:
    settings = studio.Settings(api_key="k-1", base_url="http://127.0.0.1:9/api")
    app = studio.Studio(settings, store=studio.OutputStore(tmp_path / "out"))
    seen, error = run(generate(app, tmp_path))
    # A visitor on the owner's key is told what they can do, not to check a server.
    assert error is not None and "Cannot reach ModelsLab" in error.message
    assert "running" not in error.message


def test_progress_text_counts_down_the_queue() -> None:
    fraction, text = studio.progress_text(
        ProgressEvent("queued", "Queued as job 4", eta=11.2, job_id=4, fraction=0.5)
    )
    assert text == "Queued as job 4 · about 12 s left" and 0.2 < fraction < 0.9
    _, text = studio.progress_text(ProgressEvent("queued", "Queued as job 4", eta=0.2))
    assert text.endswith("finishing…")
    assert studio.progress_text(ProgressEvent("done", "Done", fraction=1.0))[0] == 1.0


def test_cancel_while_queued_stops_before_anything_is_sent(make_studio, tmp_path) -> None:
    app = make_studio()
    photo = Image.open(PHOTO).convert("RGBA")
    layer = Image.new("RGBA", photo.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).rectangle((0, 0, 99, 99), fill=(255, 0, 0, 153))
    request = Request("tab-q")
    image, mask, _status, _tab = list(
        app.capture(
            {"background": photo, "layers": [layer], "composite": photo}, None, request=request
        )
    )[-1]
    assert app.cancel(request).startswith("Stopping")  # still waiting in gradio's queue
    seen, error = run(app.generate(image, mask, prompt="x", progress=Progress(), request=request))
    assert error is None
    assert "nothing was charged" in seen[-1]["status"]
    assert all(skipped(s["new_entry"]) for s in seen)  # no job, nothing to keep
    # The next request starts clean.
    seen, error = run(app.generate(image, mask, prompt="x", progress=Progress(), request=request))
    assert error is None and seen[-1]["status"].startswith("✓ Done")


def test_cancel_board_is_per_session() -> None:
    board = studio.CancelBoard()
    a, b = board.begin("a"), board.begin("b")
    assert board.cancel("a") and a.is_set() and not b.is_set()
    board.end("a", a)
    assert not board.cancel("a")
    stale = threading.Event()
    board.end("b", stale)  # ending someone else's wait does nothing
    assert board.cancel("b") and b.is_set()


def test_examples_have_their_files() -> None:
    rows = studio.load_examples()
    assert len(rows) == 5
    offline, keyed = studio.load_examples(offline=True), studio.load_examples(offline=False)
    assert len(offline) == 3 and len(keyed) == 2 and sorted(offline + keyed) == sorted(rows)
    assert "plain orange flight suit" in offline[0][2]  # the first a visitor sees: a removal
    assert any("iced latte" in row[2] for row in keyed)
    for image, mask, prompt, _negative in rows:
        assert Path(image).is_file() and Path(mask).is_file() and prompt
        assert Image.open(image).size == Image.open(mask).size
        coverage = (np.asarray(Image.open(mask).convert("L")) > 127).mean()
        assert 0.01 < coverage < 0.5


# -- full resolution and reproducing ------------------------------------------------------
def test_only_masked_generation_returns_full_size_pngs_carrying_their_parameters(
    make_studio, tmp_path
) -> None:
    app = make_studio()
    photo = tmp_path / "big.png"
    Image.open(PHOTO).convert("RGB").resize((2400, 1600)).save(photo)
    mask = tmp_path / "big_mask.png"
    drawn = Image.new("L", (2400, 1600), 0)
    ImageDraw.Draw(drawn).ellipse((1000, 600, 1300, 900), fill=255)
    drawn.save(mask)
    seen, error = run(
        app.generate(
            str(photo),
            str(mask),
            prompt="a red scarf",
            seed=5,
            crop_to_mask=studio.AREA_MASKED,
            mask_padding=40,
            strength=1.0,
            progress=Progress(),
            request=Request(),
        )
    )
    assert error is None, error
    [path] = seen[-1]["downloads"]["value"]
    out = Image.open(path)
    assert out.size == (2400, 1600)
    params = metadata.read_parameters(path)
    assert params["prompt"] == "a red scarf" and params["seed"] == 5
    assert params["mode"] == "masked" and params["mask_padding"] == 40
    assert params["backend"].startswith("offline") and params["request_id"]
    keep = np.asarray(masks.grow(drawn, params["feather"] + 1)) == 0
    assert (np.asarray(out.convert("RGB"))[keep] == np.asarray(Image.open(photo))[keep]).all()
    # A result larger than a screen is shown from previews while its PNG is written:
    # first without downloads, then with them; the slider compares like with like.
    shown, final = seen[-2], seen[-1]
    assert shown["downloads"] == {"__type__": "update", "value": None, "visible": False}
    assert [p for p, _ in shown["gallery"]] == [p for p, _ in final["gallery"]]
    [(preview, caption)] = final["gallery"]
    assert preview.endswith(".preview.jpg") and "2400×1600" in caption
    before, after = final["before_after"]
    assert after == preview
    assert Image.open(before).size == Image.open(after).size == (2048, 1365)
    small = np.asarray(out.convert("RGB").resize((2048, 1365), Image.Resampling.LANCZOS), float)
    assert np.abs(np.asarray(Image.open(after).convert("RGB"), float) - small).mean() < 2
    photo_small = Image.open(photo).convert("RGB").resize((2048, 1365), Image.Resampling.LANCZOS)
    assert np.abs(np.asarray(Image.open(before), float) - np.asarray(photo_small, float)).mean() < 2

    # Loading that PNG refills the form with what produced it.
    current = studio.Form().as_ui()
    values = app.reproduce.load_parameters(path, current)
    loaded = dict(zip(studio.FORM_FIELDS, values, strict=False))
    assert loaded["prompt"] == "a red scarf" and loaded["seed"] == 5
    assert loaded["crop_to_mask"] == studio.AREA_MASKED and loaded["mask_padding"] == 40
    assert loaded["strength"] == 1.0
    assert values[-1].startswith("↩ Loaded the parameters") and "seed 5" in values[-1]


def test_loading_parameters_from_a_plain_png_says_why_and_changes_nothing(tmp_path) -> None:
    app = studio.Studio(studio.Settings())
    plain = tmp_path / "holiday.png"
    Image.new("RGB", (10, 10)).save(plain)
    current = studio.Form(prompt="keep me").as_ui()
    values = app.reproduce.load_parameters(str(plain), current)
    assert all(skipped(v) for v in values[:-1])
    assert "carries no inpainting parameters" in values[-1]


def test_a_job_fetched_later_is_pasted_back_into_the_full_size_photo(
    make_studio, servers, tmp_path
) -> None:
    app = make_studio({"gate_jobs": True, "sync_threshold": 0.0}, max_wait=0.3)  # held
    photo = tmp_path / "wide.png"
    Image.open(PHOTO).convert("RGB").resize((1800, 1200)).save(photo)
    drawn = Image.new("L", (1800, 1200), 0)
    ImageDraw.Draw(drawn).rectangle((700, 400, 1000, 700), fill=255)
    drawn.save(tmp_path / "wide_mask.png")
    with pytest.warns(UserWarning, match="Still running"):
        seen, _ = run(
            app.generate(
                str(photo),
                str(tmp_path / "wide_mask.png"),
                prompt="x",
                strength=1.0,
                progress=Progress(),
                request=Request(),
            )
        )
    job = seen[-1]["fetch_job_id"]
    assert job
    servers.started[-1].app.state.jobs.release()
    app.settings = studio.Settings(max_wait=30)
    fetched, error = run(app.fetch(job, progress=Progress(), request=Request()))
    assert error is None
    [path] = fetched[-1]["downloads"]["value"]
    out = np.asarray(Image.open(path).convert("RGB"))
    assert out.shape == (1200, 1800, 3)  # not the 1024 x 680 the API returned
    keep = np.asarray(masks.grow(drawn, studio.Form().feather_for((1800, 1200)) + 1)) == 0
    assert (out[keep] == np.asarray(Image.open(photo))[keep]).all()
    before, after = fetched[-1]["before_after"]
    assert Image.open(before).size == Image.open(after).size == (1800, 1200)


def test_code_panel_shows_the_request_with_the_key_from_the_environment() -> None:
    app = studio.Studio(
        studio.Settings(), backend=studio.Backend(studio.Settings(), server_factory=lambda: None)
    )
    form = studio.Form(prompt='a "red" scarf', seed=12, crop_to_mask=True, mask_padding=48)
    ui = form.as_ui()
    python, curl, command = app.reproduce.code_for(ui, OWN_KEY)
    assert "crop_to_mask=True" in python and "mask_padding=48" in python
    assert "seed=12" in python and "MODELSLAB_API_KEY" in python
    assert "$MODELSLAB_API_KEY" in curl and '\\"red\\"' in curl
    assert "--crop-to-mask" in command and "--mask-padding=48" in command
    assert OWN_KEY not in python + curl + command
    bad = dict(ui, samples=1.5)
    note, _, _ = app.reproduce.code_for(bad, "")
    assert note.startswith("# Fix the form first")


# -- the job runner ---------------------------------------------------------------------
class FakeClock:
    """Hands out the given times, one per call."""

    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def drive(gen: Iterator[Any]) -> tuple[list[Any], studio.Outcome]:
    """Every value a runner yields, and the outcome it returns."""
    yielded = []
    while True:
        try:
            value = next(gen)
        except StopIteration as done:
            return yielded, done.value
        if value is not None:  # None is a heartbeat
            yielded.append(value)


def test_runner_relays_progress_and_reports_each_new_job_once() -> None:
    events = [
        ProgressEvent("submitting", "Sending"),
        ProgressEvent("queued", "Queued as job 4", job_id=4, eta=3.0),
        ProgressEvent("queued", "Queued as job 4", job_id=4, eta=1.0),
        ProgressEvent("queued", "Queued as job 5", job_id=5),
    ]
    result = object()

    def call(on_progress: Callable[[ProgressEvent], None], cancel: Callable[[], bool]) -> Any:
        assert cancel() is False
        for event in events:
            on_progress(event)
        return result

    seen: list[ProgressEvent] = []
    runner = studio.JobRunner(clock=FakeClock(100.0, 112.5))
    yielded, outcome = drive(runner.run(call, stop=threading.Event(), on_progress=seen.append))
    assert yielded == [4, 5] and outcome.job_ids == [4, 5]
    assert seen == events  # every event, in order, on the caller's thread
    assert outcome.result is result and outcome.error is None
    assert outcome.elapsed == 12.5


def test_runner_keeps_the_job_id_of_a_failure() -> None:
    def call(on_progress: Callable[[ProgressEvent], None], cancel: Callable[[], bool]) -> Any:
        on_progress(ProgressEvent("queued", "Queued as job 8", job_id=8))
        raise APITimeoutError("No answer within 60 s.")

    runner = studio.JobRunner(clock=FakeClock(7.0))
    yielded, outcome = drive(
        runner.run(call, stop=threading.Event(), on_progress=print, started=5.0)
    )
    assert yielded == [8] and isinstance(outcome.error, APITimeoutError)
    assert outcome.job_id == 8 and outcome.elapsed == 2.0  # counted from ``started``
    own = studio.Outcome(error=JobFailedError("failed", job_id=9), job_ids=[8])
    assert own.job_id == 9  # the failure's own id comes first
    assert studio.Outcome().job_id is None


def test_runner_stopped_before_the_start_sends_nothing() -> None:
    stop = threading.Event()
    stop.set()
    yielded, outcome = drive(
        studio.JobRunner(clock=FakeClock(0.0, 0.0)).run(
            lambda *_: pytest.fail("nothing may be sent"), stop=stop, on_progress=print
        )
    )
    assert yielded == [] and isinstance(outcome.error, JobCancelledError)
    assert outcome.error.job_id is None


# -- the message table ----------------------------------------------------------------------
def test_every_library_error_class_has_a_message() -> None:
    import inpaint.errors as errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert studio.messages.template_for(cls.__new__(cls)) is not studio.messages.UNEXPECTED


def test_messages_are_looked_up_by_class_most_specific_first() -> None:
    assert "did not answer in time" in studio.describe_error(APITimeoutError("slow"))
    assert "Server unreachable" in studio.describe_error(APIConnectionError("gone"))
    assert studio.describe_error(InputImageError("not an image")) == "Not an image"

    class NewKindOfFailure(JobFailedError):
        """A class the table does not know: its parent's wording."""

    assert studio.describe_error(NewKindOfFailure("boom", job_id=3)) == "The job failed: boom"
    # The class decides, never the text.
    assert "Wrong API key" not in studio.describe_error(ServerError("HTTP 401 Unauthorized"))
    assert studio.describe_error(RateLimitError("full")).startswith("Rate limited")


def test_a_lost_answer_is_said_whatever_the_class() -> None:
    for exc in (
        ServerError("The server failed (HTTP 502).", may_have_started=True),
        APIConnectionError("The connection broke.", may_have_started=True),
        MalformedResponseError("Not JSON.", may_have_started=True),
    ):
        message = studio.describe_error(exc)
        assert message.startswith("The answer to the request was lost")
        assert exc.message in message and "request history" in message
    assert "lost" not in studio.describe_error(ServerError("The server failed (HTTP 502)."))


# -- the page -------------------------------------------------------------------------------
def test_the_public_endpoint_takes_the_form_by_name() -> None:
    import inspect

    names = list(inspect.signature(studio.Studio.generate).parameters)[1:]
    assert names == [
        "image",
        "mask",
        *studio.FORM_FIELDS,
        "api_key",
        "session_key",
        "visitor_token",
        "progress",
        "request",
        "profile",
    ]
    assert studio.GENERATE_INPUTS == (
        "input_image",
        "input_mask",
        *studio.FORM_FIELDS,
        "api_key",
        "session_key",
        "visitor_token",
    )
    for handler in (studio.Studio.generate, studio.Studio.fetch, studio.Studio.capture):
        assert inspect.isgeneratorfunction(handler)  # gradio streams only declared generators


def test_the_page_keeps_its_ids_and_leaves_the_editor_out_of_realtime_mode() -> None:
    import app as page

    demo = page.build(
        studio.Studio(
            studio.Settings(),
            backend=studio.Backend(studio.Settings(), server_factory=lambda: None),
        )
    )
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    for elem_id in (
        "banner",
        "session-key",
        "editor",
        "prompt",
        "negative-prompt",
        "generate",
        "cancel",
        "status",
        "fetch-row",
        "fetch-job-id",
        "fetch",
        "right-tabs",
        "mask-tab",
        "mask-preview",
        "mask-caption",
        "refresh-preview",
        "area",
        "padding",
        "grow",
        "feather",
        "paste-back",
        "invert",
        "mask-file",
        "result-tab",
        "before-after",
        "gallery",
        "run-info",
        "use-as-input",
        "downloads",
        "info",
        "auto-size",
        "width",
        "height",
        "samples",
        "steps",
        "guidance",
        "strength",
        "seed",
        "reuse-seed",
        "safety",
        "reproduce",
        "load-params",
        "code-python",
        "code-curl",
        "code-cli",
        "history",
        "clear-history",
    ):
        assert elem_id in ids, elem_id
    [editor] = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "editor"]
    listened = {
        (target[1]) for fn in demo.fns.values() for target in fn.targets if target[0] == editor._id
    }
    # change/input would switch the editor to realtime mode, and any event the editor
    # triggers reads (exports) its canvas first: the page follows the pointer on the
    # editor's element instead (studio.browser explains both).
    assert listened == set()
    assert "photo" in ids  # the full-size photo's own component


def test_the_page_reads_the_editor_through_gradio_public_contract_only() -> None:
    """No JavaScript of the page reaches into the editor's internals (the names of
    gradio 6.31's bundle that the page once read): only component values."""
    import app as page

    demo = page.build(
        studio.Studio(
            studio.Settings(),
            backend=studio.Backend(studio.Settings(), server_factory=lambda: None),
        )
    )
    scripts = [fn.js for fn in demo.fns.values() if fn.js] + [browser.EDITOR_JS]
    assert len(scripts) > 10
    internals = ("window.editor", "command_manager", "layer_manager", "draw_textures", "renderer")
    for script in scripts:
        assert not [name for name in internals if name in script], script


def test_no_long_classes_or_functions_in_the_studio() -> None:
    import ast

    root = Path(__file__).resolve().parent.parent
    files = [root / "app.py", *sorted((root / "inpaint" / "studio").rglob("*.py"))]
    too_long = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            limit = {ast.ClassDef: 250, ast.FunctionDef: 80}.get(type(node))
            if limit and node.end_lineno - node.lineno + 1 > limit:
                too_long.append(f"{path.name}:{node.lineno} {node.name}")
    assert too_long == []


def test_a_large_result_is_previewed_first_and_its_png_is_exact(tmp_path) -> None:
    store = studio.OutputStore(tmp_path / "out")
    rng = np.random.default_rng(3)
    result = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), "RGB")
    before = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), "RGB")
    saved = store.save_result(
        None, [result], 9, 1, {"prompt": "x"}, fallback=before, preview_side=128
    )
    assert saved.pending is not None and saved.previews and saved.before_preview
    assert [Image.open(p).size for p in (*saved.previews, saved.before_preview)] == [(128, 96)] * 2
    assert Image.open(saved.previews[0]).format == "JPEG"
    [png] = saved.outputs
    store.ready(png)  # what "Use as input" waits for
    assert (np.asarray(Image.open(png).convert("RGB")) == np.asarray(result)).all()
    assert metadata.read_parameters(png)["prompt"] == "x"
    assert not list(Path(png).parent.glob("*.part"))  # written aside, then renamed
    small = store.save_result(None, [result], 10, 1, {}, preview_side=1024)
    assert small.pending is None and small.previews is None and small.shown == small.outputs
