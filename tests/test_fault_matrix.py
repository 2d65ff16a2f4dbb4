"""Every API fault of issue 4, through the library and through the studio.

Each scenario scripts ``FaultServer`` (real HTTP on 127.0.0.1) and says what must
happen: the library recovers (``ok``) or raises one ``ModelsLabError`` subclass
within a bounded time, with a plain message and without the key; the studio shows
one plain sentence (no traceback) and, when the API had accepted the job, keeps
its id visible and in the history as pending so it can still be fetched.

``tests/test_client_faults.py`` holds the finer checks of single behaviours
(backoff timing, Retry-After, request bodies); this file is the matrix.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from inpaint import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    DownloadError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    ModelsLabClient,
    ModelsLabError,
    ServerError,
    studio,
)
from inpaint import job as job_module
from tests.bad_inputs import bomb_png, box_mask, encode, photo
from tests.conftest import poll
from tests.fault_server import Canned, FaultServer

KEY = "sk-SENTINEL-fault-matrix-7f3a9c1e5b"
INPAINT = "/api/v6/image_editing/inpaint"
FETCH = "/api/v6/image_editing/fetch/77"
TIMEOUT = 0.5  # per HTTP request
MAX_WAIT = 1.0  # for a queued job
BOUND = 20.0  # seconds: no scenario may take longer (generous: a shared 2-core machine)
PLAIN_FORBIDDEN = ("Traceback", 'File "', "site-packages", "Exception")
IMAGE = photo()
MASK = box_mask()


@pytest.fixture(autouse=True)
def short_future_link_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    """A future link that stays 404 is retried for at least ``FUTURE_LINK_PATIENCE_MIN``
    (4 s) before the job is reported lost; how it is reported is what this matrix checks,
    so the floor is half a second here (the retry loop is the same)."""
    monkeypatch.setattr(job_module, "FUTURE_LINK_PATIENCE_MIN", 0.5)


def output_png() -> bytes:
    return encode(photo((96, 64)))


def success(fs: FaultServer, outputs: list[str] | None = None, job: int = 42) -> Canned:
    return Canned(
        200,
        {
            "status": "success",
            "id": job,
            "generationTime": 1.0,
            "output": [fs.root + "/files/out.png"] if outputs is None else outputs,
            "meta": {"seed": 9},
        },
    )


def processing(fs: FaultServer, future: str = "/files/future.png") -> Canned:
    return Canned(
        200,
        {
            "status": "processing",
            "id": 77,
            "eta": 0,
            "output": [],
            "fetch_result": fs.base_url + "/v6/image_editing/fetch/77",
            "future_links": [fs.root + future],
        },
    )


@dataclass(frozen=True)
class Scenario:
    """``script`` sets the server's answers; ``raises`` None means the library recovers."""

    name: str
    script: Callable[[FaultServer], None]
    raises: type[ModelsLabError] | None = None
    words: str = ""  # in the library's message
    job: int | None = None  # the API had accepted this job: its id must survive
    inpaint_posts: int | None = None  # how many times the job was submitted


def _script(
    **paths: list[Canned] | Callable[[FaultServer], list[Canned]],
) -> Callable[[FaultServer], None]:
    def apply(fs: FaultServer) -> None:
        for path, answers in paths.items():
            real = {"inpaint": INPAINT, "fetch": FETCH}.get(path, "/files/" + path)
            fs.script(real, *(answers(fs) if callable(answers) else answers))

    return apply


SCENARIOS = [
    Scenario(
        "429-with-retry-after-then-success",
        _script(
            inpaint=lambda fs: [
                Canned(429, {"status": "error", "message": "queue full", "retry_after": 1}),
                success(fs),
            ]
        ),
        inpaint_posts=2,
    ),
    Scenario(
        "500-and-503-then-success",
        _script(
            inpaint=lambda fs: [
                Canned(500, {"status": "error", "message": "boom"}),
                Canned(503, "<html>busy</html>"),
                success(fs),
            ]
        ),
        inpaint_posts=3,
    ),
    Scenario(
        "hangs-past-the-read-timeout",
        _script(inpaint=[Canned(200, {"status": "success"}, delay=TIMEOUT + 1.0)]),
        APITimeoutError,
        "within",
        inpaint_posts=1,
    ),
    Scenario(
        "fetch-hangs-past-the-read-timeout",
        _script(
            inpaint=lambda fs: [processing(fs)],
            fetch=[Canned(200, {"status": "processing"}, delay=TIMEOUT + 1.0)],
        ),
        JobTimeoutError,
        "77",
        job=77,
    ),
    Scenario(
        "connection-dropped-mid-response",
        _script(
            inpaint=[
                Canned(200, {"status": "success", "id": 5, "output": ["x" * 400]}, drop_after=40)
            ]
        ),
        APIConnectionError,
        "may",
        inpaint_posts=1,
    ),
    Scenario(
        "fetch-connection-dropped-then-success",
        _script(
            inpaint=lambda fs: [processing(fs)],
            fetch=lambda fs: [
                Canned(200, {"status": "processing", "message": "x" * 200}, drop_after=30),
                success(fs),
            ],
        ),
    ),
    Scenario(
        "html-error-page",
        _script(inpaint=[Canned(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")]),
        ServerError,
        "502",
    ),
    Scenario(
        "200-with-an-html-page",
        _script(inpaint=[Canned(200, "<!doctype html><html><body>Welcome to nginx</body></html>")]),
        MalformedResponseError,
        "HTML",
    ),
    Scenario(
        "200-with-non-json",
        _script(inpaint=[Canned(200, "status=ok; id=5", content_type="text/plain")]),
        MalformedResponseError,
        "not JSON",
    ),
    Scenario(
        "error-status-with-legacy-messege",
        _script(
            inpaint=[Canned(200, {"status": "error", "messege": "Model is loading, retry shortly"})]
        ),
        BadRequestError,
        "Model is loading",
    ),
    Scenario(
        "processing-forever",
        _script(inpaint=lambda fs: [processing(fs)], fetch=[Canned(200, {"status": "processing"})]),
        JobTimeoutError,
        "77",
        job=77,
    ),
    Scenario(
        "failed-from-fetch",
        _script(
            inpaint=lambda fs: [processing(fs)],
            fetch=[Canned(200, {"status": "failed", "message": "the GPU fell over"})],
        ),
        JobFailedError,
        "GPU fell over",
        job=77,
    ),
    Scenario(
        "future-links-404-for-a-while",
        _script(
            inpaint=lambda fs: [processing(fs)],
            fetch=lambda fs: [success(fs, outputs=[], job=77)],
            **{
                "future.png": [
                    Canned(404, {"status": "error"}),
                    Canned(404, "not yet"),
                    Canned(200, output_png(), content_type="image/png"),
                ]
            },
        ),
    ),
    Scenario(
        "future-links-404-forever",
        _script(
            inpaint=lambda fs: [processing(fs)],
            fetch=lambda fs: [success(fs, outputs=[], job=77)],
            **{"future.png": [Canned(404, {"status": "error"})]},
        ),
        DownloadError,
        "404",
        job=77,
    ),
    Scenario(
        "output-far-larger-than-an-image",
        _script(
            inpaint=lambda fs: [success(fs, outputs=[fs.root + "/files/huge.png"])],
            **{"huge.png": [Canned(200, stream=120 << 20)]},
        ),
        DownloadError,
        "limit",
        job=42,
    ),
    Scenario(
        "output-is-a-decompression-bomb",
        _script(
            inpaint=lambda fs: [success(fs, outputs=[fs.root + "/files/bomb.png"])],
            **{"bomb.png": [Canned(200, bomb_png(), content_type="image/png")]},
        ),
        DownloadError,
        "too large",
        job=42,
    ),
]


@pytest.fixture
def fs() -> Iterator[FaultServer]:
    with FaultServer() as server:
        server.script("/files/out.png", Canned(200, output_png(), content_type="image/png"))
        yield server


def client_for(fs: FaultServer) -> ModelsLabClient:
    return ModelsLabClient(
        api_key=KEY, base_url=fs.base_url, timeout=TIMEOUT, max_wait=MAX_WAIT, max_retries=2
    )


def assert_plain(message: str) -> None:
    for word in PLAIN_FORBIDDEN:
        assert word not in message, message
    assert KEY not in message
    assert 0 < len(message) < 400, message


# -- the library -------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_library(scenario: Scenario, fs: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    scenario.script(fs)
    started = time.monotonic()
    with client_for(fs) as client:
        if scenario.raises is None:
            result = client.inpaint(IMAGE, MASK, prompt="a cat", transport="base64")
            assert result.images[0].size == (96, 64)
        else:
            with pytest.raises(ModelsLabError) as info:
                client.inpaint(IMAGE, MASK, prompt="a cat", transport="base64")
            exc = info.value
            assert type(exc) is scenario.raises, repr(exc)
            assert scenario.words.lower() in str(exc).lower(), str(exc)
            assert_plain(str(exc))
            assert KEY not in repr(exc) and KEY not in str(exc.body)
            if scenario.job is not None:
                assert getattr(exc, "job_id", None) == scenario.job, repr(exc)
    assert time.monotonic() - started < BOUND
    if scenario.inpaint_posts is not None:
        assert len(fs.requests_to(INPAINT)) == scenario.inpaint_posts
    assert KEY not in caplog.text


def test_a_huge_output_is_not_read_past_the_cap(fs: FaultServer) -> None:
    """The 40 MB cap stops the download early: the server could not send all 120 MB."""
    SCENARIOS[[s.name for s in SCENARIOS].index("output-far-larger-than-an-image")].script(fs)
    with client_for(fs) as client, pytest.raises(DownloadError, match="40 MB"):
        client.inpaint(IMAGE, MASK, prompt="a cat", transport="base64")
    sent = poll(lambda: fs.streamed)  # the server notices the closed connection a bit later
    assert sent[0] < 100 << 20


# -- the studio --------------------------------------------------------------------------
class FaultBackend(studio.Backend):
    """The studio's backend with the client bounds of this file (the app's own are
    60 s per request, too long to wait for in a test)."""

    def client(self, session_key: str | None = None, visitor: Any = None) -> ModelsLabClient:
        return ModelsLabClient(
            api_key=self.settings.api_key,
            base_url=self.modelslab_url,
            timeout=TIMEOUT,
            max_wait=MAX_WAIT,
            max_retries=2,
        )


class Progress:
    def __call__(self, fraction: float, desc: str = "") -> None:
        self.last = desc


def run_studio(fs: FaultServer, tmp_path: Path) -> tuple[list[dict[str, Any]], gr.Error | None]:
    settings = studio.Settings(api_key=KEY, base_url=fs.base_url, max_wait=MAX_WAIT)
    app = studio.Studio(
        settings, backend=FaultBackend(settings), store=studio.OutputStore(tmp_path / "out")
    )
    image, mask = tmp_path / "image.png", tmp_path / "mask.png"
    IMAGE.save(image)
    MASK.save(mask)
    seen: list[dict[str, Any]] = []
    try:
        for values in app.generate(
            str(image), str(mask), prompt="a cat", transport="base64", progress=Progress()
        ):
            seen.append(dict(zip(studio.GENERATE_OUTPUTS, values, strict=True)))
    except gr.Error as exc:
        return seen, exc
    return seen, None


# A job past the wait limit is a gr.Warning, which warns when no page is attached.
@pytest.mark.filterwarnings("ignore:Still running after the wait limit:UserWarning")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_studio(scenario: Scenario, fs: FaultServer, tmp_path: Path) -> None:
    scenario.script(fs)
    started = time.monotonic()
    seen, error = run_studio(fs, tmp_path)
    assert time.monotonic() - started < BOUND
    last = seen[-1]
    if scenario.raises is None:
        assert error is None
        assert "Done" in last["status"]
        return
    statuses = [s["status"] for s in seen if isinstance(s["status"], str)]
    shown = statuses[-1]
    assert_plain(shown)
    if error is not None:  # a timed-out job is a warning, not an error
        assert_plain(error.message)
    if scenario.job is not None:
        job = str(scenario.job)
        assert f"job {job}" in shown.lower(), shown
        entry = last["new_entry"]
        assert str(entry["job_id"]) == job
        if isinstance(scenario.raises, type) and issubclass(scenario.raises, JobFailedError):
            assert entry["status"] == "failed"  # nothing left to fetch
        else:
            assert entry["status"] == "pending"
            assert last["fetch_job_id"] == job
            assert "Fetch result" in shown, shown
    text = repr(seen) + repr(error)
    assert KEY not in text


def test_studio_scrubs_a_key_echoed_by_the_api(fs: FaultServer, tmp_path: Path) -> None:
    """An API that quotes the key back: the page shows the refusal, never the key."""
    fs.script(INPAINT, Canned(401, {"status": "error", "message": f"key {KEY} is invalid"}))
    seen, error = run_studio(fs, tmp_path)
    # The owner's key was refused: the visitor is told what they can do about it.
    assert error is not None and "This Space's ModelsLab key was refused" in error.message
    assert "MODELSLAB_API_KEY" not in error.message and "your own key" in error.message
    assert KEY not in error.message and "***" in error.message
    assert all(KEY not in repr(s) for s in seen)
