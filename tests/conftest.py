"""Shared fixtures: real local servers on 127.0.0.1 and the example images.

Servers are real (uvicorn on an ephemeral port, spoken to over HTTP); nothing
here mocks ``requests``.

Engines: PatchMatch costs 0.5-5 s a job, OpenCV Telea (the server's ``quick``
engine) tens of milliseconds. Tests of the plumbing (HTTP, statuses, queues,
faults, the CLI, the studio's flows, sweeps, resources) run on the quick
engine: ``server``, ``make_server`` (unless given a ``ServerConfig`` or an
``engine``) and, through ``INPAINT_OFFLINE_ENGINE`` set for the whole session,
every offline backend the library, CLI and studio start (``python app.py``
included). A test that judges the picture or what the engine reports (seeds,
samples, texture, ghosts, seams) asks for PatchMatch: ``patchmatch_server``,
``make_server(engine="patchmatch")``, ``App(..., INPAINT_OFFLINE_ENGINE="patchmatch")``
or ``monkeypatch.setenv(ENGINE_VARIABLE, "patchmatch")``.
"""

from __future__ import annotations

import base64
import io
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from PIL import Image, ImageDraw

from inpaint.offline import ENGINE_VARIABLE
from inpaint.server import RunningServer, ServerConfig, serve_in_background
from tests import app_process
from tests.app_process import App

if TYPE_CHECKING:  # imported where a browser is started: unit tests never load playwright
    from playwright.sync_api import Browser

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# The engine of the plumbing tests' servers (see the module docstring).
PLUMBING_ENGINE = "quick"


@pytest.fixture(scope="session", autouse=True)
def quick_offline_backends() -> Iterator[None]:
    """Offline backends started by the library, CLI and studio (also as subprocesses,
    which inherit the environment) use the quick engine unless a test asks otherwise."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENGINE_VARIABLE, PLUMBING_ENGINE)
        yield


@pytest.fixture(scope="session", autouse=True)
def forked_apps() -> Iterator[None]:
    """Apps started by the tests are forked from a process that has imported gradio
    once (tests/app_zygote.py), not started from a bare interpreter each time."""
    app_process.FORK_APPS = True
    try:
        yield
    finally:
        app_process.FORK_APPS = False
        app_process.stop_zygote()


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One server for the session: no latency, any non-empty key, the quick engine."""
    running = serve_in_background(ServerConfig(latency=0.0, engine=PLUMBING_ENGINE))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def patchmatch_server() -> Iterator[RunningServer]:
    """The default server (PatchMatch) for the session: for tests that judge the fill."""
    running = serve_in_background(ServerConfig(latency=0.0))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    """Start servers with a custom config: ``make_server(latency=1.0)`` or ``make_server(cfg)``.

    Settings without an ``engine`` get the quick one; a ``ServerConfig`` is used
    as given (PatchMatch unless it says otherwise). Every server started is
    stopped at teardown.
    """
    started: list[RunningServer] = []

    def factory(config: ServerConfig | None = None, **settings: Any) -> RunningServer:
        if config is None:
            config = ServerConfig(**{"engine": PLUMBING_ENGINE, **settings})
        elif settings:
            raise TypeError("pass either a ServerConfig or settings, not both")
        running = serve_in_background(config)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


class ExampleImages:
    """The example photos and matching masks, as bytes and data URIs."""

    def png(self, name: str = "chelsea") -> bytes:
        return (EXAMPLES / f"{name}.png").read_bytes()

    def image(self, name: str = "chelsea") -> Image.Image:
        return Image.open(EXAMPLES / f"{name}.png").convert("RGB")

    def mask_image(
        self, name: str = "chelsea", box: tuple[float, float, float, float] = (0.3, 0.2, 0.6, 0.6)
    ) -> Image.Image:
        """White ellipse (repaint) inside ``box`` (fractions of the size) on black."""
        width, height = self.image(name).size
        mask = Image.new("L", (width, height), 0)
        left, top, right, bottom = box
        ImageDraw.Draw(mask).ellipse(
            (left * width, top * height, right * width, bottom * height), fill=255
        )
        return mask

    def mask_png(self, name: str = "chelsea", **kwargs: Any) -> bytes:
        return png_bytes(self.mask_image(name, **kwargs))

    def data_uri(self, name: str = "chelsea") -> str:
        return data_uri(self.png(name))

    def mask_data_uri(self, name: str = "chelsea", **kwargs: Any) -> str:
        return data_uri(self.mask_png(name, **kwargs))


@pytest.fixture(scope="session")
def examples() -> ExampleImages:
    return ExampleImages()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Lanes by what a test needs: ``browser`` (Chromium) and ``app`` (a ``python app.py``
    subprocess) are marked from the fixtures they use, so ``-m "not browser"`` is the
    fast lane without anyone remembering to tag a test.

    Under pytest-xdist ``scripts/test`` runs ``-n 2 --dist loadfile``: a module's
    tests stay on one worker, so a module-scoped fixture (a browser, an app
    started for the module) starts once. (``--dist loadgroup`` with groups
    marked here split the modules anyway from pytest 9.2 on, which no longer
    reads the node id xdist rewrites: pytest-dev/pytest-xdist#1386.) Modules
    that drive Chromium run first (``--no-loadscope-reorder`` keeps this order;
    xdist would put the modules with the most tests first): they are the
    longest, and a long module started last leaves one worker running it
    alone at the end.
    """
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "offline_app" in fixtures or "browser" in fixtures:
            item.add_marker(pytest.mark.app)
    in_browser = {_module(item.nodeid) for item in items if "browser" in item.keywords}
    items.sort(key=lambda item: _module(item.nodeid) not in in_browser)  # stable


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


_WORKERS_OF_MODULE: dict[str, set[str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Under pytest-xdist (in the controller), which worker ran each module's tests."""
    worker = getattr(getattr(report, "node", None), "gateway", None)
    if worker is not None and report.when == "call":
        _WORKERS_OF_MODULE.setdefault(_module(report.nodeid), set()).add(worker.id)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a module was split across workers: its module-scoped
    fixtures (a browser, apps) then start once per worker, quietly costing
    minutes, as they did when ``--dist loadgroup`` stopped grouping."""
    split = sorted(m for m, workers in _WORKERS_OF_MODULE.items() if len(workers) > 1)
    if split:
        print(f"\nModules run on more than one worker: {', '.join(split)}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- helpers shared by the server tests -------------------------------------------
def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def endpoint(running: RunningServer, name: str) -> str:
    return f"{running.base_url}/v6/image_editing/{name}"


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def poll(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def fetch_until_done(url: str, key: str, timeout: float = 20.0) -> dict[str, Any]:
    """Poll a fetch URL until the job is no longer processing; return the last answer."""

    def check() -> dict[str, Any] | None:
        response = requests.post(url, json={"key": key}, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        return None if body["status"] == "processing" else body

    return poll(check, timeout=timeout)


# -- the studio as a subprocess -------------------------------------------------------
@pytest.fixture(scope="session")
def offline_app() -> Iterator[App]:
    """``python app.py`` in offline mode, shared by every module that needs the page or
    its API (started once: each start costs seconds)."""
    app = App("app")
    try:
        app.wait_until_ready()
        yield app
    finally:
        app.stop()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (Playwright cannot download browsers here), one per module: the
    sync API's event loop must not outlive the module that needs it."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium must be installed (apt-get install chromium)"
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server for the session (tests/redis_server.py): ``redis://127.0.0.1:PORT/0``.

    Tests share it, so each uses its own names (counters, slot pools).
    """
    from tests.redis_server import RedisServer

    with RedisServer() as running:
        yield running.url
