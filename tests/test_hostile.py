"""A public studio as a hostile visitor sees it: job ids, leaving, credentials, URLs, bounds.

Everything here runs over real HTTP: a real ``python -m inpaint.server`` (the
stand-in for ModelsLab, its access log counting what reached it), a real
``python app.py``, ``gradio_client`` and raw queue calls. Unit checks of the
pieces (the id rule, the scrubber, the address rule) sit next to them.
"""

from __future__ import annotations

import json
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
from gradio_client import Client, handle_file

from inpaint import ModelsLabClient, contract, netguard
from inpaint.errors import ParameterError
from inpaint.http import Scrubber, redact_url
from tests.app_process import ARTIFACTS, ROOT, App, artifact_name, free_port
from tests.conftest import endpoint, poll
from tests.fault_server import Canned, FaultServer
from tests.gate import RemoteGate

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
    log_path = ARTIFACTS / f"{artifact_name(name)}.log"
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


# -- the studio on a gated keyed server ------------------------------------------------------
# After the held jobs are let through, a studio that had not stopped would send its next
# job within one poll (at most about a second here): nothing new for this long is "stopped".
QUIET = 3.0


@pytest.fixture(scope="module")
def gated_studio() -> Iterator[tuple[App, LoggedServer, RemoteGate]]:
    """The studio on the owner's key, in front of a server whose jobs wait at a gate
    until the test lets them through (``--gate``): a job "runs" exactly as long as a
    test needs, with no simulated latency to wait out."""
    server = start_server("hostile-server", "--gate", "--sync-threshold", "0")
    # Two job slots: a comparison sends its cells two at a time.
    app = App(
        "hostile-app",
        MODELSLAB_API_KEY=KEY,
        MODELSLAB_BASE_URL=server.url,
        STUDIO_CONCURRENCY_LIMIT="2",
    )
    try:
        app.wait_until_ready()
        yield app, server, RemoteGate(server.root)
    finally:
        app.stop()
        stop_server(server)


@pytest.fixture
def slow_studio(
    gated_studio: tuple[App, LoggedServer, RemoteGate],
) -> Iterator[tuple[App, LoggedServer]]:
    """The gated studio for one test; whatever it left held is let through afterwards,
    so the next test starts with an empty, closed gate."""
    yield gated_studio[0], gated_studio[1]
    gate = gated_studio[2]
    gate.open()
    poll(lambda: gate.unfinished() == 0, timeout=60)
    gate.close()


# The visitor: it says "listening" once the studio's messages about its job reach it
# (its status is one only the event stream tells), i.e. once the studio can tell that
# it left. Killed before that, gradio cannot know the visitor is gone.
CLIENT_SCRIPT = """
import sys, time
from gradio_client import Client, handle_file
from gradio_client.utils import Status
client = Client(sys.argv[1], verbose=False)
job = client.submit(handle_file(sys.argv[2]), "more table", 1200, 800, 1200, 800, 32, "colour",
                    api_name="/outpaint")
streamed = {Status.IN_QUEUE, Status.PROCESSING, Status.ITERATING, Status.PROGRESS}
while job.status().code not in streamed and not job.done():
    time.sleep(0.02)  # the client's own state, set by its stream reader thread
print("listening", flush=True)
job.result()
"""


def test_a_killed_client_stops_the_rest_of_its_outpaint(slow_studio, gated_studio) -> None:
    """20 tiles asked; the client is SIGKILLed once the first job reached the server and
    the client hears about its job (before that, its leaving is invisible to gradio)."""
    app, server = slow_studio
    gate = gated_studio[2]
    before = server.jobs_received()
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT_SCRIPT, app.url, str(PHOTO)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline().strip() == "listening"  # its stream is open
        gate.wait(1)  # a tile's job is held at the server
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=10)
    # The studio learns that its visitor left while the job is still held (from the
    # event's generator being closed, or from the session ending, whichever gradio
    # does first: under load it may not close the generator at all) ...
    poll(lambda: "visitor left" in app.output(), 60)
    at_kill = server.jobs_received()
    # ... and once the held jobs end, it sends nothing more.
    gate.open()
    poll(lambda: gate.unfinished() == 0, timeout=60)
    final = settled(server.jobs_received, quiet=QUIET)
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
            client.jobs.fetch(bad)
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


# -- credentials in the base URL ---------------------------------------------------------
PASSWORD = "pw-4c2e9b7d1a"


def test_the_scrubber_strips_url_credentials_and_query_secrets() -> None:
    scrub = Scrubber()
    text = f"Cannot reach http://alice:{PASSWORD}@api.example.com/api?key=k-123&size=2 now"
    cleaned = scrub(text)
    assert PASSWORD not in cleaned and "alice" not in cleaned and "k-123" not in cleaned
    assert "api.example.com/api?key=***&size=2" in cleaned
    assert scrub({"url": f"https://u:{PASSWORD}@h/x?token=t0k"}) == {
        "url": "https://***@h/x?token=***"
    }
    assert redact_url("https://h.example/a.png?X-Amz-Signature=abc") == (
        "https://h.example/a.png?X-Amz-Signature=abc"  # a signed link stays usable
    )


def test_credentials_in_the_base_url_appear_nowhere(tmp_path: Path) -> None:
    """Banner (gradio's public /config), the unreachable message, the Reproduce code, logs."""
    from inpaint.studio import OutputStore, Settings, Studio
    from inpaint.studio.form import FORM_FIELDS, Form

    base = f"http://alice:{PASSWORD}@127.0.0.1:9/api"  # port 9: nothing listens
    app = App("hostile-credentials", MODELSLAB_API_KEY=KEY, MODELSLAB_BASE_URL=base)
    try:
        app.wait_until_ready()
        config = requests.get(app.url + "config", timeout=10).text
        assert "127.0.0.1:9" in config  # the banner names the host ...
        client = Client(app.url, verbose=False)
        with pytest.raises(Exception) as refused:
            client.predict(
                handle_file(str(PHOTO)),
                handle_file(str(ROOT / "examples" / "coffee_mask.png")),
                "a cup",
                api_name="/inpaint",
            )
        message = str(refused.value)
        assert "127.0.0.1" in message
        shown = config + message + app.output()
    finally:
        app.stop()
    studio = Studio(Settings(api_key=KEY, base_url=base), store=OutputStore(tmp_path))
    ui = Form(prompt="a cup").as_ui()
    for code in studio.reproduce.code_for({name: ui[name] for name in FORM_FIELDS}):
        assert "127.0.0.1:9" in code
        shown += code
    assert PASSWORD not in shown and "alice" not in shown and KEY not in shown


# -- URLs a visitor gives the local server ------------------------------------------------
def test_addresses_inside_a_network_are_not_public() -> None:
    for inside in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.5",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "224.0.0.1",
    ):
        assert not netguard.is_public_address(inside), inside
    assert netguard.is_public_address("93.184.216.34")
    assert netguard.is_public_address("2606:4700::1111")
    with pytest.raises(netguard.BlockedURL):
        netguard.resolve("http://localhost:80/x")
    with pytest.raises(netguard.BlockedURL):
        netguard.resolve("file:///etc/passwd")


def _inpaint_body(examples, **overrides):
    from tests.test_server import body

    return body(examples, key="k", **overrides)


def test_the_local_server_fetches_no_internal_url_and_answers_every_failure_alike(
    make_server, examples
) -> None:
    """A listening port, a closed port, a 404 and a private address all read the same."""
    server = make_server(keys=frozenset({"k"}))
    with FaultServer() as inside:
        inside.script("/photo.png", Canned(200, examples.png("chelsea"), content_type="image/png"))
        inside.script("/missing.png", Canned(404, "no"))
        answers = []
        for url in (
            inside.root + "/photo.png",  # a real image, on loopback
            inside.root + "/missing.png",
            "http://127.0.0.1:9/closed.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1:6379/",
        ):
            reply = requests.post(
                endpoint(server, "inpaint"),
                json=_inpaint_body(examples, init_image=url),
                timeout=30,
            )
            assert reply.status_code == 400
            answers.append(reply.json()["message"])
        assert inside.seen == []  # not even the request for the real image went out
    assert len(set(answers)) == 1, answers
    assert answers[0] == "Unable to fetch image from provided URL (init_image)."


def test_the_local_server_follows_no_redirect_even_where_private_fetching_is_allowed(
    make_server, examples
) -> None:
    server = make_server(keys=frozenset({"k"}), allow_private_fetch=True)
    with FaultServer() as inside:
        inside.script("/photo.png", Canned(200, examples.png("chelsea"), content_type="image/png"))
        inside.script("/bounce", Canned(302, "", headers={"Location": inside.root + "/photo.png"}))
        fine = requests.post(
            endpoint(server, "inpaint"),
            json=_inpaint_body(examples, init_image=inside.root + "/photo.png"),
            timeout=30,
        )
        assert fine.status_code == 200, fine.text  # the test flag lets loopback through
        bounced = requests.post(
            endpoint(server, "inpaint"),
            json=_inpaint_body(examples, init_image=inside.root + "/bounce"),
            timeout=30,
        )
        assert bounced.status_code == 400
        assert [s.path for s in inside.seen] == ["/photo.png", "/bounce"]


def test_the_local_server_posts_no_webhook_inward(make_server, examples) -> None:
    server = make_server(keys=frozenset({"k"}))
    with FaultServer() as inside:
        inside.script("/hook", Canned(200, {"ok": True}))
        answer = requests.post(
            endpoint(server, "inpaint"),
            json=_inpaint_body(examples, webhook=inside.root + "/hook"),
            timeout=30,
        ).json()
        assert answer["status"] == "success"

        def settled_status() -> str | None:
            state = requests.post(
                endpoint(server, f"fetch/{answer['id']}"), json={"key": "k"}, timeout=10
            ).json()
            return None if state["webhook_status"] == "pending" else state["webhook_status"]

        assert poll(settled_status) == "failed"
        assert inside.seen == []


def test_the_studio_refuses_an_inward_webhook_on_the_owners_key(slow_studio) -> None:
    app, server = slow_studio
    before = server.jobs_received()
    client = Client(app.url, verbose=False)
    for hook in ("http://127.0.0.1:8080/hook", "http://169.254.169.254/", "http://localhost/x"):
        with pytest.raises(Exception, match="webhook must be a public"):
            client.predict(
                handle_file(str(PHOTO)),
                handle_file(str(ROOT / "examples" / "coffee_mask.png")),
                "a cup",
                webhook=hook,
                api_name="/inpaint",
            )
    assert server.jobs_received() == before


# -- bounds ----------------------------------------------------------------------------------
def test_an_upload_over_25_mb_is_refused(slow_studio) -> None:
    app, _ = slow_studio
    big = b"\0" * (26 * 1024 * 1024)
    refused = requests.post(
        app.url + "gradio_api/upload", files={"files": ("big.png", big)}, timeout=60
    )
    assert refused.status_code == 413, refused.text[:200]
    fine = requests.post(
        app.url + "gradio_api/upload", files={"files": ("ok.png", PHOTO.read_bytes())}, timeout=60
    )
    assert fine.status_code == 200


def test_a_prompt_over_2000_characters_is_refused_before_anything_is_sent(
    slow_studio, server
) -> None:
    app, logged = slow_studio
    before = logged.jobs_received()
    client = Client(app.url, verbose=False)
    with pytest.raises(Exception, match="2001 characters long: at most 2000"):
        client.predict(
            handle_file(str(PHOTO)),
            handle_file(str(ROOT / "examples" / "coffee_mask.png")),
            "x" * 2001,
            api_name="/inpaint",
        )
    assert logged.jobs_received() == before
    # The local server refuses it too (the API contract gives no limit; ours is 2000).
    reply = requests.post(
        endpoint(server, "inpaint"), json={"key": "k", "prompt": "x" * 2001}, timeout=30
    )
    assert reply.status_code == 400 and "at most 2000" in reply.json()["message"]


def test_the_offline_fill_has_a_budget(make_server, examples) -> None:
    small = make_server(max_hole_megapixels=0.01)
    reply = requests.post(
        endpoint(small, "inpaint"), json=_inpaint_body(examples, samples=4), timeout=30
    )
    assert reply.status_code == 400
    assert "too large for this server" in reply.json()["message"]


def test_the_bundled_server_takes_only_its_own_key(examples) -> None:
    from inpaint.offline import OFFLINE_KEY, start_local_server

    running = start_local_server()
    try:
        url = running.base_url + "/v6/image_editing/fetch/1"
        assert requests.post(url, json={"key": "anything"}, timeout=10).status_code == 401
        assert requests.post(url, json={"key": OFFLINE_KEY}, timeout=10).status_code == 400
    finally:
        running.stop()
    assert OFFLINE_KEY != "offline-demo" and len(OFFLINE_KEY) > 20


def test_a_server_open_to_the_network_needs_keys() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inpaint.server", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "INPAINT_SERVER_KEYS"},
    )
    assert done.returncode == 2 and "--keys" in done.stderr


# -- "private" events are reachable by raw queue calls: each is bounded like a public one --
COMPARE_FN = "run"  # the comparison's event (api_visibility "private")


def upload_file(app: App, path: Path) -> dict:
    reply = requests.post(
        app.url + "gradio_api/upload", files={"files": (path.name, path.read_bytes())}, timeout=30
    )
    reply.raise_for_status()
    return {"path": reply.json()[0], "meta": {"_type": "gradio.FileData"}}


def fn_index(app: App, api_name: str) -> int:
    config = requests.get(app.url + "config", timeout=10).json()
    (found,) = [d["id"] for d in config["dependencies"] if d.get("api_name") == api_name]
    return found


def compare_data(app: App, values: str) -> list:
    photo = upload_file(app, PHOTO)
    mask = upload_file(app, ROOT / "examples" / "coffee_mask.png")
    editor = {"background": photo, "layers": [], "composite": None}
    from inpaint.studio.form import FORM_FIELDS, Form

    ui = Form(prompt="a cup", crop_to_mask=False).as_ui()  # the page's fresh values
    form = [ui[name] for name in FORM_FIELDS]
    # COMPARE_INPUTS: a script's api_key, then the tab's key and the browser's token (states).
    return [editor, mask, "strength", values, "none", "", "", None, None, *form]


def raw_join(app: App, fn: int, data: list, session: str) -> requests.Response:
    """What any HTTP client can do: join the queue by function index, then listen."""
    joined = requests.post(
        app.url + "gradio_api/queue/join",
        json={"data": data, "fn_index": fn, "session_hash": session, "event_data": None},
        timeout=30,
    )
    assert joined.status_code == 200, joined.text
    return requests.get(
        app.url + "gradio_api/queue/data",
        params={"session_hash": session},
        stream=True,
        timeout=120,
    )


def messages(stream: requests.Response) -> Iterator[dict]:
    for line in stream.iter_lines():
        if line.startswith(b"data:"):
            yield json.loads(line[5:])


def test_gradio_client_cannot_name_a_private_event_but_raw_calls_reach_it(slow_studio) -> None:
    app, server = slow_studio
    fn = fn_index(app, COMPARE_FN)
    api = Client(app.url, verbose=False).view_api(print_info=False, return_format="dict")
    assert "/" + COMPARE_FN not in api["named_endpoints"]  # hidden from scripts' API ...
    before = server.jobs_received()
    values = ", ".join(f"{0.1 + i * 0.02:.2f}" for i in range(40))  # 40 cells
    with raw_join(app, fn, compare_data(app, values), "raw-compare-big") as stream:
        done = next(m for m in messages(stream) if m.get("msg") == "process_completed")
    # Reached, and refused by the handler's own bound: nothing was sent.
    assert done["success"] is False
    assert "compare at most 36" in json.dumps(done)
    assert server.jobs_received() == before


def test_a_comparison_whose_listener_left_stops_sending(slow_studio, gated_studio) -> None:
    app, server = slow_studio
    gate = gated_studio[2]
    fn = fn_index(app, COMPARE_FN)
    before = server.jobs_received()
    values = ", ".join(f"{0.1 + i * 0.05:.2f}" for i in range(12))  # 12 cells
    stream = raw_join(app, fn, compare_data(app, values), "raw-compare-leaves")
    try:
        gate.wait(1)  # the first wave's jobs are held at the server
    finally:
        stream.close()  # the connection goes away, as a killed script's would
    # It stopped while the first wave was still held, not when a cell came back:
    # no cell was done.
    stopped = poll(lambda: re.search(r"comparison stopped: cells (\{.*\})", app.output()), 60)
    assert json.loads(stopped[1].replace("'", '"'))["done"] == 0, stopped[0]
    # Cells run two at a time: the first wave (sent together) and at most one more job.
    gate.open()
    poll(lambda: gate.unfinished() == 0, timeout=60)
    final = settled(server.jobs_received, quiet=QUIET)
    assert final - before <= 3, f"{final - before} of 12 cells were sent; the caller had left"


def test_closing_a_tab_stops_that_tabs_work_only(tmp_path: Path) -> None:
    """gradio's ``unload`` ends the session: its outpaint and comparison learn it."""
    from types import SimpleNamespace

    from inpaint.studio import OutputStore, Settings, Studio

    studio = Studio(Settings(), store=OutputStore(tmp_path))
    outpaint = studio.generation.board.arm("tab-1")
    other = studio.generation.board.arm("tab-2")
    comparison = studio.compare._begin("tab-1")
    studio.end_session(SimpleNamespace(session_hash="tab-1"))
    assert outpaint.is_set() and comparison.is_set()
    assert not other.is_set()


def test_a_history_entry_with_a_path_for_an_id_is_not_offered_for_fetching() -> None:
    """The history lives in the browser: a tampered entry fills no "Fetch result"."""
    import gradio as gr

    from inpaint.studio.form import EXTEND_FIELDS, FORM_FIELDS
    from inpaint.studio.history import handler as history

    def restored(job_id: str) -> object:
        entry = {"status": "pending", "job_id": job_id, "params": {"prompt": "x"}}
        event = gr.SelectData(None, {"index": [0, 0], "value": ""})
        return history.restore([entry], event)[len(FORM_FIELDS) + len(EXTEND_FIELDS)]

    assert restored("1234") == "1234"
    assert restored("../inpaint") == gr.skip()


def test_at_most_two_outpaints_run_at_once(slow_studio, gated_studio) -> None:
    """Three visitors extend at once: two run, the third waits in gradio's queue."""
    from gradio_client.utils import Status

    app, _ = slow_studio
    gate = gated_studio[2]
    jobs = [
        Client(app.url, verbose=False).submit(
            handle_file(str(PHOTO)), "more table", 0, 0, 64, 0, api_name="/outpaint"
        )
        for _ in range(3)
    ]
    # Two outpaints' jobs are held at the server: the third outpaint waits in the queue
    # (gradio's, so nothing of it reaches the server) for as long as they are held.
    first_two = gate.wait(2)
    waiting = poll(
        lambda: [job for job in jobs if job.status().code == Status.IN_QUEUE], timeout=60
    )
    assert len(waiting) == 1
    assert gate.waiting() == first_two and gate.unfinished() == 2
    gate.release(first_two)
    (third,) = gate.wait(1)  # its turn came once one of the two ended
    assert third not in first_two
    gate.release([third])
    for job in jobs:
        job.result(timeout=120)  # each one finished well


def test_an_api_answer_whose_id_is_not_digits_is_malformed() -> None:
    """A job id from the server's answer builds a fetch URL too: checked the same way."""
    from inpaint.errors import MalformedResponseError

    client = ModelsLabClient(api_key=KEY, base_url="http://127.0.0.1:9/api")
    with pytest.raises(MalformedResponseError, match="not a number") as info:
        client.jobs.job({"status": "processing", "id": "../../health"})
    assert info.value.may_have_started  # it was an answer to a paid request
    assert client.jobs.job({"status": "processing", "id": 42}).fetch_url.endswith("/fetch/42")


def test_the_queue_refuses_a_flood_at_once(slow_studio, gated_studio) -> None:
    """64 events may wait; the next one is refused ("queue full") instead of waiting."""
    from inpaint.studio.limits import QUEUE_MAX_SIZE

    app, _ = slow_studio
    gate = gated_studio[2]
    config = requests.get(app.url + "config", timeout=10).json()
    (outpaint,) = [d for d in config["dependencies"] if d.get("api_name") == "outpaint"]
    # Two real outpaints hold the outpaint line (their jobs held at the server) ...
    busy = [
        Client(app.url, verbose=False).submit(
            handle_file(str(PHOTO)), "more table", 0, 0, 64, 0, api_name="/outpaint"
        )
        for _ in range(2)
    ]
    gate.wait(2)
    # ... so these wait (no photo: each is refused in a moment once its turn comes).
    codes = []
    for n in range(QUEUE_MAX_SIZE + 3):
        joined = requests.post(
            app.url + "gradio_api/queue/join",
            json={
                "data": [None] * len(outpaint["inputs"]),
                "fn_index": outpaint["id"],
                "session_hash": f"flood-{n}",
            },
            timeout=30,
        )
        codes.append(joined.status_code)
    assert codes[:QUEUE_MAX_SIZE] == [200] * QUEUE_MAX_SIZE
    assert set(codes[QUEUE_MAX_SIZE:]) == {503}
    gate.open()
    for job in busy:
        job.result(timeout=120)
