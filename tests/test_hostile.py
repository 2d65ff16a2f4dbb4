"""A public studio as a hostile visitor sees it: job ids, leaving, credentials, URLs, bounds.

Everything here runs over real HTTP: a real ``python -m inpaint.server`` (the
stand-in for ModelsLab, its access log counting what reached it), a real
``python app.py``, ``gradio_client`` and raw queue calls. Unit checks of the
pieces (the id rule, the scrubber, the address rule) sit next to them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from gradio_client import Client

from inpaint import ModelsLabClient, contract
from inpaint.errors import ParameterError
from tests.app_process import ARTIFACTS, ROOT, App, free_port
from tests.conftest import poll
from tests.fault_server import Canned, FaultServer

KEY = "sk-hostile-owner-7d1c4e9a0b"
PHOTO = ROOT / "examples" / "coffee.png"
INPAINT_LINE = re.compile(r"inpaint\.server: job \d+ accepted")


@dataclass
class LoggedServer:
    """``python -m inpaint.server`` whose access log says what reached it."""

    url: str
    root: str
    proc: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def jobs_received(self) -> int:
        return len(INPAINT_LINE.findall(self.output()))


def start_server(name: str, *flags: str) -> LoggedServer:
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / f"{name}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inpaint.server",
                "--port",
                str(port),
                "--keys",
                KEY,
                "--engine",
                "quick",
                "--log-level",
                "info",
                *flags,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    root = f"http://127.0.0.1:{port}"
    server = LoggedServer(root + "/api", root, proc, log_path)

    def up() -> bool:
        assert proc.poll() is None, server.output()
        try:
            return requests.get(root + "/health", timeout=2).ok
        except requests.RequestException:
            return False

    poll(up, timeout=60, interval=0.2)
    return server


def stop_server(server: LoggedServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()


def settled(count: Callable[[], int], quiet: float, timeout: float = 90.0) -> int:
    """``count()`` once it has not changed for ``quiet`` seconds (polled, bounded)."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the count never settled"
        time.sleep(0.2)  # polling interval, not synchronisation
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


# -- the studio on a slow keyed server -----------------------------------------------------
LATENCY = 2.0  # seconds per job on the server: an outpaint of 20 tiles takes 40 s


@pytest.fixture(scope="module")
def slow_studio() -> Iterator[tuple[App, LoggedServer]]:
    server = start_server("hostile-server", "--latency", str(LATENCY), "--sync-threshold", "0")
    app = App("hostile-app", MODELSLAB_API_KEY=KEY, MODELSLAB_BASE_URL=server.url)
    try:
        app.wait_until_ready()
        yield app, server
    finally:
        app.stop()
        stop_server(server)


CLIENT_SCRIPT = """
import sys
from gradio_client import Client, handle_file
client = Client(sys.argv[1], verbose=False)
job = client.submit(handle_file(sys.argv[2]), "more table", 1200, 800, 1200, 800, 32, "colour",
                    api_name="/outpaint")
job.result()
"""


def test_a_killed_client_stops_the_rest_of_its_outpaint(slow_studio) -> None:
    """20 tiles asked; the client is SIGKILLed once the first job reached the server."""
    app, server = slow_studio
    before = server.jobs_received()
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT_SCRIPT, app.url, str(PHOTO)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        poll(lambda: server.jobs_received() > before, timeout=60, interval=0.1)
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=10)
    at_kill = server.jobs_received()
    # Nothing new for three job-times: the outpaint has stopped sending.
    final = settled(server.jobs_received, quiet=3 * LATENCY)
    assert final - at_kill <= 2, f"{final - at_kill} jobs were sent after the client left"
    assert final - before < 20
    assert "Traceback" not in app.output()


# -- job ids ---------------------------------------------------------------------------------
HOSTILE_IDS = ["../../../../health", "../inpaint", "12/../../inpaint", "1 2", "١٢", "-1", "1e3", ""]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_the_library_refuses_a_job_id_that_is_not_digits_before_any_request(bad: str) -> None:
    with FaultServer() as fs:
        fs.script("/", Canned(200, {"status": "success", "output": []}))
        client = ModelsLabClient(api_key=KEY, base_url=fs.base_url)
        with pytest.raises(ParameterError, match="job id is 1 to 18 digits"):
            client.fetch_result(bad)
        with pytest.raises(ParameterError):
            client.fetch(bad)
        with pytest.raises(ValueError):  # a plain ValueError to those who catch that
            client.transport.fetch_url(bad)
        assert fs.seen == []  # nothing reached the server
    assert contract.job_id(" 1234 ") == "1234" and contract.job_id(7) == "7"
    with pytest.raises(ParameterError):
        contract.job_id("1" * 19)


def test_the_cli_refuses_a_path_as_a_job_id() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inpaint", "--fetch", "../inpaint", "--out", "x.png"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MODELSLAB_API_KEY": KEY, "MODELSLAB_BASE_URL": "http://127.0.0.1:9"},
    )
    assert done.returncode == 2 and "1 to 18 digits" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_studio_refuses_hostile_job_ids_and_sends_nothing() -> None:
    """The studio's /fetch_result, on the owner's key, in front of a server that records all."""
    with FaultServer() as fs:
        fs.script("/", Canned(200, {"status": "success", "output": []}))
        app = App("hostile-ids", MODELSLAB_API_KEY=KEY, MODELSLAB_BASE_URL=fs.base_url)
        try:
            app.wait_until_ready()
            client = Client(app.url, verbose=False)
            for bad in ("../../../../health", "../inpaint", "7/../../inpaint"):
                with pytest.raises(Exception, match="1 to 18 digits"):
                    client.predict(bad, api_name="/fetch_result")
            assert fs.seen == []  # not one request, with or without the key
        finally:
            app.stop()


def test_ending_a_request_raises_its_stop_flag() -> None:
    """The worker of a request whose page went away learns it from this flag."""
    from inpaint.studio.progress import CancelBoard

    board = CancelBoard()
    armed = board.arm("tab")
    assert board.begin("tab") is armed and not armed.is_set()
    board.end("tab", armed)
    assert armed.is_set()
    assert board.cancel("tab") is False  # gone from the board too


# -- kept results ----------------------------------------------------------------------------
def test_a_flood_of_free_captures_never_evicts_a_paid_result(tmp_path: Path) -> None:
    """70 captures from 70 new sessions (free events) leave the victim's result alone;
    the captures themselves stay bounded."""
    from PIL import Image

    from inpaint.studio.store import CAPTURES_TOTAL, SESSIONS_KEPT, OutputStore

    store = OutputStore(tmp_path)
    photo = Image.new("RGB", (64, 48), (200, 10, 10))
    _, shown = store.save_run(photo, [photo], 1, 1, session="victim")
    store.delivered("victim", shown)
    for n in range(max(70, CAPTURES_TOTAL + 10)):
        store.save_inputs(photo, photo.convert("L"), session=f"script-{n}")
    assert Path(shown[0]).is_file()
    captures = [p for p in (tmp_path / "inputs").iterdir() if p.is_dir()]
    assert len(captures) == CAPTURES_TOTAL
    # Results are still bounded: SESSIONS_KEPT newer results do push it out.
    for n in range(SESSIONS_KEPT):
        store.save_run(photo, [photo], n, 1, session=f"payer-{n}")
    assert not Path(shown[0]).exists()
