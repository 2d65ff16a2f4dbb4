"""A public Space: who may spend the owner's key, how much, and what is counted.

Real processes over real HTTP: the project's local server (in this process, on
127.0.0.1) stands in for ModelsLab with an owner's key and a visitor's key,
``python app.py`` runs with the owner's key pointed at it, and visitors are
``gradio_client`` sessions, some behind a "proxy" (the ``X-Forwarded-For`` header
from 127.0.0.1, trusted only when the app is told to). What the server received is
read from its own job table, per key.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from inpaint.outpaint import Extension, tiles
from inpaint.server import ServerConfig
from inpaint.server.jobs import owner_of
from tests.app_process import ROOT, App

OWNER = "sk-owner-0b7f3c9e1a2d4e6f"
VISITOR = "sk-visitor-5d8e2a1c9b7f3e40"
PHOTO = ROOT / "examples" / "chelsea.png"
MASK = ROOT / "examples" / "chelsea_mask.png"


def sent(server, key: str) -> int:
    """Jobs the server accepted from ``key`` (its own table, not the app's word)."""
    return sum(1 for job in server.app.state.jobs.held() if job.owner == owner_of(key))


def client(app: App, address: str | None = None) -> Client:
    headers = {"X-Forwarded-For": address} if address else None
    return Client(app.url, verbose=False, headers=headers)


def inpaint(c: Client, **extra) -> object:
    return c.predict(
        image=handle_file(str(PHOTO)),
        mask=handle_file(str(MASK)),
        prompt="a cushion",
        api_name="/inpaint",
        **extra,
    )


def refusal(call) -> str:
    """The message of a refused call (gradio_client raises AppError with it)."""
    with pytest.raises(Exception) as caught:
        call()
    return str(caught.value)


@pytest.fixture(scope="module")
def keyed_server(make_server_module) -> object:
    return make_server_module(keys=frozenset({OWNER, VISITOR}))


@pytest.fixture(scope="module")
def make_server_module() -> Iterator:
    from inpaint.server import serve_in_background

    started = []

    def factory(**settings):
        running = serve_in_background(ServerConfig(engine="quick", **settings))
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


def start(name: str, server, **env: str) -> App:
    app = App(name, MODELSLAB_API_KEY=OWNER, MODELSLAB_BASE_URL=server.base_url, **env)
    app.wait_until_ready()
    return app


@pytest.fixture(scope="module")
def quota_app(keyed_server) -> Iterator[App]:
    app = start(
        "public-quota",
        keyed_server,
        STUDIO_VISITOR_QUOTA="3/day",
        STUDIO_TRUSTED_PROXIES="127.0.0.1",
    )
    yield app
    app.stop()


def test_a_visitor_gets_their_quota_and_not_one_job_more(quota_app: App, keyed_server) -> None:
    before = sent(keyed_server, OWNER)
    alice = client(quota_app, "198.51.100.7")
    for _ in range(3):
        inpaint(alice)
    assert sent(keyed_server, OWNER) == before + 3
    message = refusal(lambda: inpaint(alice))
    assert "This needs 1 job" in message and "none left today" in message, message
    assert "resets at 00:00 UTC" in message
    # A new session from the same address is the same visitor.
    message = refusal(lambda: inpaint(client(quota_app, "198.51.100.7")))
    assert "none left today" in message
    assert sent(keyed_server, OWNER) == before + 3

    # Another address through the trusted proxy has its own 3; samples count as jobs.
    bob = client(quota_app, "198.51.100.8")
    inpaint(bob, samples=2)
    message = refusal(lambda: inpaint(bob, samples=2))
    assert "This needs 2 jobs" in message and "1 left today" in message, message
    inpaint(bob)
    # Requests on the server: 3 + 1 of two samples + 1 (the quota counted 3 + 2 + 1).
    assert sent(keyed_server, OWNER) == before + 5


def test_a_visitors_own_key_is_not_counted_or_refused(quota_app: App, keyed_server) -> None:
    carol = client(quota_app, "198.51.100.9")
    for _ in range(3):
        inpaint(carol)
    assert "none left" in refusal(lambda: inpaint(carol))
    owner_before, own_before = sent(keyed_server, OWNER), sent(keyed_server, VISITOR)
    for _ in range(2):
        inpaint(carol, api_key=VISITOR)
    assert sent(keyed_server, VISITOR) == own_before + 2
    assert sent(keyed_server, OWNER) == owner_before


def test_a_batch_that_does_not_fit_sends_nothing(quota_app: App, keyed_server) -> None:
    # An extension of more tiles than the visitor's 3 jobs: refused whole.
    amounts = (400, 400, 400, 400)
    with Image.open(PHOTO) as photo:
        with_tiles = len(list(tiles(photo.size, Extension(*amounts))))
    assert with_tiles > 3
    dave = client(quota_app, "198.51.100.10")
    before = sent(keyed_server, OWNER)
    message = refusal(
        lambda: dave.predict(
            image=handle_file(str(PHOTO)),
            prompt="more of the room",
            left=amounts[0],
            top=amounts[1],
            right=amounts[2],
            bottom=amounts[3],
            api_name="/outpaint",
        )
    )
    assert f"This needs {with_tiles} jobs" in message and "3 left" in message, message
    assert sent(keyed_server, OWNER) == before


def test_an_untrusted_peer_cannot_mint_visitors_and_counts_survive_a_restart(
    keyed_server, tmp_path: Path
) -> None:
    env = {"STUDIO_VISITOR_QUOTA": "2/day", "STUDIO_DATA_DIR": str(tmp_path)}
    app = start("public-untrusted", keyed_server, **env)
    try:
        before = sent(keyed_server, OWNER)
        inpaint(client(app, "203.0.113.1"))
        inpaint(client(app, "203.0.113.2"))
        # No trusted proxy: the header is ignored, all three are 127.0.0.1.
        assert "none left" in refusal(lambda: inpaint(client(app, "203.0.113.3")))
        assert sent(keyed_server, OWNER) == before + 2
    finally:
        app.stop()
    # The same data folder after a restart: the day's count is still there.
    again = start("public-untrusted-restarted", keyed_server, **env)
    try:
        assert "none left" in refusal(lambda: inpaint(client(again)))
        assert sent(keyed_server, OWNER) == before + 2
    finally:
        again.stop()


def test_the_daily_budget_holds_across_visitors(keyed_server) -> None:
    app = start(
        "public-budget",
        keyed_server,
        STUDIO_DAILY_BUDGET="4",
        STUDIO_TRUSTED_PROXIES="127.0.0.1",
    )
    try:
        before = sent(keyed_server, OWNER)
        # Three visitors, two sessions each (a session keeps only its latest result).
        sessions = [client(app, f"192.0.2.{i}") for i in range(1, 4) for _ in range(2)]
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(_attempt, sessions))
        assert outcomes.count("done") == 4, outcomes
        refused = [o for o in outcomes if o != "done"]
        assert all("this Space's daily budget" in o for o in refused), refused
        assert sent(keyed_server, OWNER) == before + 4
    finally:
        app.stop()


@pytest.mark.parametrize("access", ["nobody", "signed-in"])
def test_closed_policies_send_nothing_on_the_owners_key(keyed_server, access: str) -> None:
    app = start(f"public-{access}", keyed_server, STUDIO_OWNER_KEY_ACCESS=access)
    try:
        before, own = sent(keyed_server, OWNER), sent(keyed_server, VISITOR)
        message = refusal(lambda: inpaint(client(app)))
        assert "Nothing was sent" in message and "your own" in message, message
        assert sent(keyed_server, OWNER) == before
        # A visitor who brings a key is served, on that key.
        inpaint(client(app), api_key=VISITOR)
        assert sent(keyed_server, VISITOR) == own + 1
        assert sent(keyed_server, OWNER) == before
    finally:
        app.stop()


def test_replicas_share_one_queue_limit_and_a_killed_one_gives_its_places_back(
    make_server_module, redis_url: str
) -> None:
    """Three studios on one Redis and one key with a queue limit of 3.

    The server holds every job at its gate until the test lets it through, so the
    key's 3 places are provably full (3 jobs held) while 9 more calls wait for them.
    """
    server = make_server_module(
        keys=frozenset({OWNER}), queue_limit=3, workers=3, gate_jobs=True, sync_threshold=0.0
    )
    jobs = server.app.state.jobs
    env = {
        "STUDIO_STATE_URL": redis_url,
        "STUDIO_CONCURRENCY_LIMIT": "3",
        "STUDIO_VISITOR_CONCURRENCY": "3",
        "STUDIO_SLOT_LEASE": "3",
        "STUDIO_VISITOR_QUOTA": "100/day",
        "STUDIO_DAILY_BUDGET": "30",
    }
    apps = [
        App(f"replica-{i}", MODELSLAB_API_KEY=OWNER, MODELSLAB_BASE_URL=server.base_url, **env)
        for i in range(3)
    ]
    try:
        for app in apps:
            app.wait_until_ready()
        users = [client(apps[i % 3], None) for i in range(12)]
        with ThreadPoolExecutor(12) as pool:
            calls = [pool.submit(_attempt, c) for c in users]
            try:
                released = 0
                while released < 12:  # in waves: 3 held (the key's every place), then let go
                    wave = jobs.wait_at_gate(min(3, 12 - released), timeout=60)
                    assert len(wave) <= 3, wave
                    released += len(jobs.release(wave))
            finally:
                jobs.open_gate()  # a failure above must not leave the calls waiting
            outcomes = [call.result() for call in calls]
        assert outcomes == ["done"] * 12, outcomes
        counts = jobs.counts()
        assert counts["peak_queued"] <= 3, counts
        assert counts["rejected"] == 0, counts  # no 429 at all, so none reached a user

        # A replica killed while it holds places: the others get them back in a lease.
        victim = apps[0]
        slow = client(victim)
        jobs.close_gate()
        with ThreadPoolExecutor(3) as pool:
            pending = [pool.submit(_attempt, slow) for _ in range(3)]
            try:
                jobs.wait_at_gate(3, timeout=60)  # its three jobs hold every place
                victim.proc.send_signal(signal.SIGKILL)
            finally:
                jobs.open_gate()  # the dead replica's jobs end; later ones run at once
            for future in pending:
                future.result()
        survivors = [client(apps[1 + i % 2]) for i in range(6)]
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(_attempt, survivors))
        assert outcomes == ["done"] * 6, outcomes
        # The budget held across the replicas: never more than 30 jobs on the key.
        assert sent(server, OWNER) <= 30
        assert jobs.counts()["peak_queued"] <= 3
    finally:
        for app in apps:
            app.stop()


def _attempt(c: Client) -> str:
    try:
        inpaint(c)
        return "done"
    except Exception as exc:
        return str(exc)
