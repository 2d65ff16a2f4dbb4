"""The API key stays secret, and two visitors stay apart.

A real ``python -m inpaint.server`` (subprocess, keys from ``INPAINT_SERVER_KEYS``)
stands in for ModelsLab, and a real ``python app.py`` (subprocess) talks to it with
a sentinel key in ``MODELSLAB_API_KEY``. Everything a user or an operator can see
is collected (both processes' stdout/stderr and logging, the page's HTML and text,
its local storage, every message shown, the history, the request shown in the
info panel, gradio's API recorder, what ``gradio_client`` receives, error messages)
and the sentinel must appear in none of it. Then two browser contexts with their
own typed keys must not see each other's key, history or results.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from gradio_client import Client, handle_file
from playwright.sync_api import Browser, Page, expect

from tests.app_process import ARTIFACTS, ROOT, App, artifact_name, free_port
from tests.conftest import poll

SENTINEL = "sk-SENTINEL-4b1d9e7a2c5f8e3d6a0b9c1f"  # the operator's key (environment)
KEY_A = "sk-visitor-A-71c3e9d2b8a4f6e0"  # typed by visitor A
KEY_B = "sk-visitor-B-5e2a8c0f4d9b1e73"  # typed by visitor B
SECRETS = (SENTINEL, KEY_A, KEY_B)
EXAMPLE_PROMPT = "a tall glass of iced latte"
PHOTO = ROOT / "examples" / "coffee.png"
MASK = ROOT / "examples" / "coffee_mask.png"
VIEWPORT = {"width": 1400, "height": 1000}


@dataclass
class Server:
    """``python -m inpaint.server`` as a subprocess, its output in a file."""

    url: str
    proc: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[Server]:
    """Accepts exactly the three keys; logs at debug level, so there is much to check."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = {**os.environ, "INPAINT_SERVER_KEYS": ",".join(SECRETS)}
    log_path = ARTIFACTS / f"{artifact_name('keyed-server')}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            # The quick engine: secrets are under test here, not the fill.
            [sys.executable, "-m", "inpaint.server", "--port", str(port), "--engine", "quick"]
            + ["--log-level", "debug"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}/api", proc, log_path)

    def up() -> bool:
        assert proc.poll() is None, server.output()
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok
        except requests.RequestException:
            return False

    try:
        poll(up, timeout=60, interval=0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def keyed_app(keyed_server: Server) -> Iterator[App]:
    """The studio with the sentinel as its configured key, talking to that server."""
    app = App("keyed-app", MODELSLAB_API_KEY=SENTINEL, MODELSLAB_BASE_URL=keyed_server.url)
    try:
        app.wait_until_ready()
        yield app
    finally:
        app.stop()


@dataclass
class Seen:
    """Everything collected from one visit, by where it was seen."""

    places: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, text: str) -> None:
        self.places[where] = self.places.get(where, "") + "\n" + text

    def leaks(self, secret: str) -> list[str]:
        return [where for where, text in self.places.items() if secret in text]


def collect(page: Page, seen: Seen, label: str) -> None:
    seen.add(f"{label}: page HTML", page.content())
    seen.add(f"{label}: page text", page.locator("body").inner_text())
    seen.add(
        f"{label}: local storage",
        page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))"),
    )
    seen.add(
        f"{label}: session storage",
        page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))"),
    )


def generate_example(page: Page) -> str:
    """Run the coffee example; returns the job id shown."""
    page.get_by_text(EXAMPLE_PROMPT).first.click()
    expect(page.locator("#mask-caption")).to_contain_text(
        "from the uploaded mask file", timeout=60_000
    )
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    return page.locator("#run-info code").last.inner_text()


def paste(page: Page, selector: str, text: str) -> None:
    """Put ``text`` on the clipboard and paste it with Ctrl+V, as a person does."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.locator(selector).focus()
    page.keyboard.press("Control+V")
    expect(page.locator(selector)).to_have_value(text)


def open_page(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    expect(page.locator("#generate")).to_be_visible()
    return page


def test_no_secret_anywhere_a_user_or_operator_looks(
    browser: Browser, keyed_app: App, keyed_server: Server
) -> None:
    seen = Seen()
    page = open_page(browser, keyed_app.url)
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    expect(page.locator("#banner")).to_contain_text("with the key configured on this server")

    # Gradio's API recorder writes replay code for everything done from now on.
    page.get_by_text("Use via API").click()
    page.get_by_text("API Recorder").first.click()
    page.keyboard.press("Escape")

    # 1. A generation with the server's key; the request shown in the info panel.
    job = generate_example(page)
    page.get_by_text("Request sent and response meta").click()
    expect(page.locator("#info")).to_contain_text("guidance_scale")
    seen.add("info panel", page.locator("#info").inner_text())
    collect(page, seen, "after a generation")

    # 2. The visitor types a key (the sentinel itself) and generates with it.
    page.locator("#session-key input").fill(SENTINEL)
    expect(page.locator("#banner")).to_contain_text("with your own key")
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    collect(page, seen, "after a generation with a typed key")

    # 3. Errors: nothing painted, and a job id the server does not know.
    page.locator("#prompt textarea").fill("")
    page.locator("#generate").click()
    expect(page.locator("#status")).to_contain_text("Empty prompt")
    seen.add("status message", page.locator("#status").inner_text())

    # The recorded API calls, as the recorder shows them.
    page.get_by_text("Recording API Calls").click()
    expect(page.locator("#num-recorded-api-calls")).to_be_visible()
    seen.add("API recorder", page.locator("body").inner_text())
    seen.add("API recorder HTML", page.content())
    page.keyboard.press("Escape")

    # The history after a reload (what the browser kept), and its restore.
    page.reload()
    expect(page.locator("#history")).to_contain_text(job)
    seen.add("history", page.locator("#history").inner_text())
    collect(page, seen, "after a reload")
    seen.add("browser console", "\n".join(messages))
    page.context.close()

    # gradio_client, as an API user: outputs (info JSON included) and error messages.
    client = Client(keyed_app.url, verbose=False)
    outputs = client.predict(
        image=handle_file(str(PHOTO)),
        mask=handle_file(str(MASK)),
        prompt="a red scarf",
        seed=3,
        api_name="/inpaint",
    )
    seen.add("gradio_client outputs", repr(outputs))
    for call in (
        {"job_id": "999999", "api_name": "/fetch_result"},
        {
            "image": handle_file(str(PHOTO)),
            "mask": handle_file(str(MASK)),
            "prompt": "x",
            "guidance_scale": 7,
            "api_name": "/inpaint",
        },
    ):
        with pytest.raises(Exception) as info:
            client.predict(**call)
        seen.add("gradio_client errors", f"{info.value}\n{info.value!r}")
    assert "999999" in seen.places["gradio_client errors"]  # the refusal did arrive

    # What the server side publishes without a key: the page, its config, the API info.
    for path in ("", "config", "gradio_api/info"):
        seen.add(f"GET /{path}", requests.get(keyed_app.url + path, timeout=10).text)

    # The operator's view: both processes' output (stdout, stderr, logging).
    seen.add("app output", keyed_app.output())
    seen.add("server output", keyed_server.output())
    assert "Using ModelsLab at" in keyed_app.output()
    assert "/files/uploads/" in keyed_server.output()  # it logs what it fetches

    assert len(seen.places) > 15
    assert seen.leaks(SENTINEL) == []


def test_two_visitors_with_their_own_keys_stay_apart(
    browser: Browser, keyed_app: App, keyed_server: Server
) -> None:
    pages = {"A": open_page(browser, keyed_app.url), "B": open_page(browser, keyed_app.url)}
    keys = {"A": KEY_A, "B": KEY_B}
    jobs: dict[str, str] = {}
    files: dict[str, str] = {}
    for who, page in pages.items():
        if who == "A":  # pasted, as keys usually arrive (this once went unnoticed)
            paste(page, "#session-key input", keys[who])
        else:
            page.locator("#session-key input").fill(keys[who])
        expect(page.locator("#banner")).to_contain_text("with your own key")
        jobs[who] = generate_example(page)
        link = page.locator("#downloads a").first
        expect(link).to_be_visible()
        files[who] = (link.get_attribute("href") or "").rsplit("/", 2)[-2]  # the run folder
        assert files[who]
    assert jobs["A"] != jobs["B"]

    for who, page in pages.items():
        other = "B" if who == "A" else "A"
        page.reload()  # what each browser kept
        expect(page.locator("#history")).to_contain_text(jobs[who])
        history = page.locator("#history").inner_text()
        assert jobs[other] not in history.split()
        seen = Seen()
        collect(page, seen, who)
        assert seen.leaks(keys[other]) == [] and seen.leaks(SENTINEL) == []
        assert not any(files[other] in text for text in seen.places.values())
        # A reload forgets the typed key: the tab is back on the server's key.
        expect(page.locator("#banner")).to_contain_text("with the key configured on this server")
        page.context.close()

    # The API keeps jobs per key, too: B's key cannot fetch A's job.
    refused = requests.post(
        f"{keyed_server.url}/v6/image_editing/fetch/{jobs['A']}", json={"key": KEY_B}, timeout=10
    )
    assert refused.json()["status"] == "error"
    mine = requests.post(
        f"{keyed_server.url}/v6/image_editing/fetch/{jobs['A']}", json={"key": KEY_A}, timeout=10
    )
    assert mine.json()["status"] == "success", "A's job did not run on A's own key"


def test_dotenv_files_are_ignored_by_git() -> None:
    """``.env`` (the real key) never gets committed; the template does."""

    def ignored(name: str) -> bool:
        return (
            subprocess.run(["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT).returncode
            == 0
        )

    for name in (".env", ".env.local", ".env.production", "sub/.env"):
        assert ignored(name), name
    assert not ignored(".env.example")
