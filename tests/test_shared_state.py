"""The shared state's rules on every store (memory, SQLite file, real redis-server).

Quotas refuse a batch whole and say how many jobs are left and when the count
resets; spent jobs stay counted, unspent ones come back; windows roll with the
(injected) clock; job slots keep their size, their order and owners' caps.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inpaint.shared import (
    Claim,
    QuotaExceeded,
    QuotaSyntaxError,
    SharedState,
    SharedStateError,
    Window,
    key_id,
    open_state,
    parse_quota,
)
from inpaint.slots import JobSlots, OwnedSlots


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 6, 20, 48, 0, tzinfo=UTC))


@pytest.fixture(params=["memory", "sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[SharedState]:
    url = {
        "memory": None,
        "sqlite": f"sqlite:///{tmp_path / 'state.db'}",
        "redis": request.getfixturevalue("redis_url") if request.param == "redis" else None,
    }[request.param]
    opened = open_state(url, clock=clock)
    yield opened
    opened.close()


def unique(label: str) -> str:
    """Names of their own: the Redis server is shared by the session's tests."""
    return f"{label}-{uuid.uuid4().hex[:8]}"


# -- quotas as text -----------------------------------------------------------------------
def test_quotas_are_read_from_text() -> None:
    assert parse_quota("20/day") == parse_quota(" 20 per Day ")
    assert (parse_quota("20/day").limit, parse_quota("20/day").period) == (20, Window.DAY)
    assert parse_quota("5/hour").period is Window.HOUR and str(parse_quota("5/h")) == "5/hour"
    for bad in ("", "twenty/day", "5/week", "-1/day", "3.5/hour"):
        with pytest.raises(QuotaSyntaxError) as caught:
            parse_quota(bad, source="STUDIO_VISITOR_QUOTA")
        assert str(caught.value).startswith("STUDIO_VISITOR_QUOTA must be")
        assert repr(bad) in str(caught.value) and "20/day" in str(caught.value)


# -- the ledger -----------------------------------------------------------------------------
def test_a_batch_that_does_not_fit_is_refused_whole(state: SharedState, clock: Clock) -> None:
    visitor = Claim(unique("visitor"), 10, Window.DAY)
    budget = Claim(unique("budget"), 100, Window.DAY)
    with state.ledger.reserve([visitor, budget], 6) as first:
        first.spend(6)
    assert state.ledger.remaining([visitor, budget]) == [4, 94]
    with pytest.raises(QuotaExceeded) as caught:
        state.ledger.reserve([visitor, budget], 6)
    refused = caught.value
    assert (refused.counter, refused.needed, refused.left) == (visitor.counter, 6, 4)
    assert refused.resets_at == datetime(2026, 12, 7, tzinfo=UTC)
    assert refused.sentence() == (
        "This needs 6 jobs; you have 4 left today; the count resets at 00:00 UTC (in 3 h 12 min)."
    )
    assert str(refused) == refused.sentence()
    # Nothing was added to either counter, the budget included.
    assert state.ledger.remaining([visitor, budget]) == [4, 94]


def test_the_budget_refusal_names_the_budget(state: SharedState, clock: Clock) -> None:
    visitor = Claim(unique("visitor"), 20, Window.DAY)
    budget = Claim(unique("budget"), 3, Window.HOUR)
    with pytest.raises(QuotaExceeded) as caught:
        state.ledger.reserve([visitor, budget], 4)
    assert caught.value.counter == budget.counter and caught.value.left == 3
    assert caught.value.sentence("this Space's budget") == (
        "This needs 4 jobs; this Space's budget has 3 left this hour; "
        "the count resets at 21:00 UTC (in 12 min)."
    )
    with state.ledger.reserve([budget], 3) as spent:
        spent.spend(3)
    with pytest.raises(QuotaExceeded, match="This needs 1 job; you have none left this hour"):
        state.ledger.reserve([visitor, budget], 1)
    assert state.ledger.remaining([visitor]) == [20]


def test_only_submitted_jobs_stay_counted(state: SharedState) -> None:
    claim = Claim(unique("visitor"), 5, Window.DAY)
    with state.ledger.reserve([claim], 4) as reservation:
        assert state.ledger.remaining([claim]) == [1]  # set aside while the batch runs
        reservation.spend()  # submitted (whatever became of it later: it counts)
        with pytest.raises(ValueError, match="3 of 4 are left"):
            reservation.spend(4)
    assert state.ledger.remaining([claim]) == [4]  # the three never sent came back
    with pytest.raises(RuntimeError), state.ledger.reserve([claim], 2):
        raise RuntimeError("failed before anything was sent")
    assert state.ledger.remaining([claim]) == [4]
    reservation.close()  # closing twice gives nothing back twice
    assert state.ledger.used([claim]) == [1]


def test_windows_roll_with_the_clock(state: SharedState, clock: Clock) -> None:
    hourly = Claim(unique("visitor"), 2, Window.HOUR)
    daily = Claim(unique("budget"), 3, Window.DAY)
    state.ledger.reserve([hourly, daily], 2).spend(2)
    with pytest.raises(QuotaExceeded):
        state.ledger.reserve([hourly], 1)
    late = state.ledger.reserve([daily], 1)  # reserved at 20:48, closed after the hour
    clock.advance(minutes=12)  # 21:00: a new hour, the same day
    assert state.ledger.remaining([hourly, daily]) == [2, 0]
    late.close()  # given back to the window it was taken from
    assert state.ledger.remaining([hourly, daily]) == [2, 1]
    clock.advance(hours=3)  # 00:00 the next day
    assert state.ledger.remaining([hourly, daily]) == [2, 3]
    with state.ledger.reserve([hourly, daily], 2) as reservation:
        reservation.spend(2)
    assert state.ledger.remaining([hourly, daily]) == [0, 1]


def test_concurrent_reservations_never_pass_the_budget(state: SharedState) -> None:
    budget = Claim(unique("budget"), 10, Window.DAY)
    granted: list[int] = []

    def visitor(n: int) -> None:
        for _ in range(6):
            try:
                state.ledger.reserve([Claim(f"v{n}", 100, Window.DAY), budget], 1).spend()
                granted.append(n)
            except QuotaExceeded:
                pass

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(granted) == 10 and state.ledger.remaining([budget]) == [0]


# -- job slots --------------------------------------------------------------------------------
def test_slots_hold_their_size_and_come_back(state: SharedState) -> None:
    slots = state.slots(unique("key"), 2)
    assert state.slots(slots.name, 2) is slots  # one object per pool: one line of waiters
    first, second = slots.try_acquire(), slots.try_acquire()
    assert first is not None and second is not None and first != second
    assert slots.try_acquire() is None and slots.free == 0
    assert slots.acquire(cancel=lambda: True, poll=0.01) is None
    slots.release(first)
    assert slots.free == 1
    with pytest.raises(RuntimeError, match="not taken"):
        slots.release(first)
    slots.release(second)
    assert slots.free == 2 and slots.held_here == 0


def _wait_for(condition, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not condition():
            assert not deadline.wait(0.01), f"timed out waiting for {what}"
    finally:
        timer.cancel()


def test_waiters_in_one_process_are_served_in_order(state: SharedState) -> None:
    slots = state.slots(unique("key"), 1)
    first = slots.try_acquire()
    assert first is not None
    order: list[int] = []

    def waiter(n: int) -> None:
        hold = slots.acquire(poll=0.05)
        assert hold is not None
        order.append(n)
        slots.release(hold)

    threads = []
    for n in range(4):
        threads.append(threading.Thread(target=waiter, args=(n,)))
        threads[-1].start()
        _wait_for(lambda n=n: len(slots._waiting) == n + 1, "the waiter to queue")
    assert slots.try_acquire() is None  # someone is waiting: no overtaking
    slots.release(first)
    for thread in threads:
        thread.join(20)
    assert order == [0, 1, 2, 3] and slots.free == 1


def test_an_owner_at_its_cap_waits_without_blocking_others(state: SharedState) -> None:
    slots = state.slots(unique("key"), 3)
    alice = OwnedSlots(slots, "alice", 1)
    held = alice.try_acquire()
    assert held is not None and held.owner == "alice"
    assert alice.try_acquire() is None  # at her cap although a slot is free
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(alice.acquire(poll=0.05)))
    thread.start()
    _wait_for(lambda: slots._waiting and slots._waiting[0].capped, "alice's waiter to be capped")
    bob = slots.try_acquire(owner="bob", owner_limit=1)  # not stuck behind alice
    assert bob is not None
    assert slots.acquire(owner="carol", owner_limit=2, poll=0.05) is not None
    assert not got  # alice is still waiting for her own slot
    slots.release(held)
    thread.join(20)
    assert got and got[0] is not None and slots.free == 0


def test_the_in_process_pool_keeps_owner_caps_too() -> None:
    slots = JobSlots(2)
    alice = OwnedSlots(slots, "alice", 1)
    held = alice.try_acquire()
    assert held is not None and alice.try_acquire() is None
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(alice.acquire(poll=0.05)))
    thread.start()
    _wait_for(lambda: len(slots._waiting) == 1, "alice's second request to wait")
    bob = slots.acquire(owner="bob", owner_limit=1, poll=0.05)  # goes ahead of her
    assert bob is not None and not got and slots.free == 0
    slots.release(held)  # below her cap again: her waiting request takes it
    thread.join(20)
    assert got and getattr(got[0], "owner", None) == "alice" and slots.free == 0


# -- opening ----------------------------------------------------------------------------------
def test_bad_urls_are_one_sentence_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(SharedStateError) as caught:
        open_state("postgres://admin:s3cret@db.example/x")
    assert "postgres://db.example/x" in str(caught.value) and "s3cret" not in str(caught.value)
    with pytest.raises(SharedStateError, match="three slashes"):
        open_state("sqlite://state.db")
    with pytest.raises(SharedStateError) as caught:
        open_state("redis://user:s3cret@127.0.0.1:1/0")  # nothing listens on port 1
    message = str(caught.value)
    assert "could not be reached" in message and "s3cret" not in message
    assert "redis://127.0.0.1:1/0" in message


def test_a_redis_that_goes_away_is_a_sentence_not_a_traceback() -> None:
    from tests.redis_server import RedisServer

    with RedisServer() as server:
        state = open_state(server.url.replace("redis://", "redis://:pw-secret@"))
        state.ledger.reserve([Claim("visitor", 5, Window.DAY)], 1).spend()
        server.stop()
        with pytest.raises(SharedStateError) as caught:
            state.ledger.reserve([Claim("visitor", 5, Window.DAY)], 1)
        with pytest.raises(SharedStateError):
            state.slots("pool", 2).try_acquire()
    assert str(caught.value).startswith(f"The shared state at {server.url} could not be reached")
    assert "pw-secret" not in str(caught.value)


def test_redis_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the package were not installed
    with pytest.raises(SharedStateError, match=r"needs the redis package: pip install"):
        open_state("redis://:pw@127.0.0.1:6379/0")
    assert open_state(None).kind == "memory"


def test_sqlite_paths_are_relative_to_the_data_folder(tmp_path: Path) -> None:
    assert open_state("sqlite:///counts.db", data_dir=tmp_path).kind == "sqlite"
    assert (tmp_path / "counts.db").exists()
    open_state("sqlite://", data_dir=tmp_path / "data")
    assert (tmp_path / "data" / "shared-state.db").exists()
    with pytest.raises(SharedStateError, match="names no file"):
        open_state("sqlite://")


def test_counts_survive_reopening_the_file(tmp_path: Path, clock: Clock) -> None:
    url, claim = f"sqlite:///{tmp_path / 'state.db'}", Claim("visitor", 3, Window.DAY)
    open_state(url, clock=clock).ledger.reserve([claim], 2).spend(2)
    assert open_state(url, clock=clock).ledger.remaining([claim]) == [1]


def test_a_key_id_names_the_key_without_showing_it() -> None:
    key = "sk-live-abcdef1234567890"
    assert key_id(key) == key_id(f" {key} ") != key_id("another-key")
    assert key not in key_id(key) and "abcdef" not in key_id(key)


# -- the library's clients --------------------------------------------------------------------
def test_clients_take_a_pool_under_either_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from inpaint import ModelsLabClient
    from inpaint.errors import ParameterError
    from inpaint.slots import JobSlots

    monkeypatch.delenv("INPAINT_SLOTS_URL", raising=False)
    pool = JobSlots(3)
    assert ModelsLabClient(api_key="k-1", slots=pool).job_slots is pool
    assert ModelsLabClient(api_key="k-1", job_slots=pool).slots is pool
    assert ModelsLabClient(api_key="k-1").slots is None
    with pytest.raises(ParameterError, match="not both"):
        ModelsLabClient(api_key="k-1", slots=pool, job_slots=JobSlots(1))


def test_inpaint_slots_url_shares_one_pool_per_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from inpaint import ModelsLabClient
    from inpaint.errors import ParameterError
    from inpaint.shared import SharedSlots

    monkeypatch.setenv("INPAINT_SLOTS_URL", f"sqlite:///{tmp_path / 'slots.db'}")
    monkeypatch.setenv("INPAINT_QUEUE_LIMIT", "3")
    one, two = ModelsLabClient(api_key="k-secret-1"), ModelsLabClient(api_key="k-secret-1")
    assert isinstance(one.slots, SharedSlots) and one.slots is two.slots
    assert one.slots.size == 3 and one.slots.name == key_id("k-secret-1")
    assert ModelsLabClient(api_key="k-secret-2").slots is not one.slots
    monkeypatch.delenv("INPAINT_QUEUE_LIMIT")
    assert ModelsLabClient(api_key="k-secret-3").slots.size == 5  # type: ignore[union-attr]
    monkeypatch.setenv("INPAINT_QUEUE_LIMIT", "lots")
    with pytest.raises(ParameterError, match="INPAINT_QUEUE_LIMIT must be a whole number"):
        ModelsLabClient(api_key="k-secret-1")


def test_the_command_line_says_what_is_wrong_with_the_slots_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    from inpaint.cli import main

    examples = Path(__file__).resolve().parent.parent / "examples"
    monkeypatch.setenv("MODELSLAB_API_KEY", "k-test-1")
    monkeypatch.setenv("INPAINT_SLOTS_URL", "postgres://user:pw-secret@db/x")
    common = ["--image", str(examples / "coffee.png"), "--mask", str(examples / "coffee_mask.png")]
    common += ["--prompt", "x", "--base-url", "http://127.0.0.1:9"]
    for argv in (
        [*common, "--out", str(tmp_path / "o.png")],
        ["sweep", *common, "--vary", "seed=1,2", "--out", str(tmp_path / "sweep"), "--yes"],
    ):
        err = io.StringIO()
        assert main(argv, stdout=io.StringIO(), stderr=err) == 2
        assert err.getvalue().startswith("error: INPAINT_SLOTS_URL: the shared state URL")
        assert "pw-secret" not in err.getvalue() and "Traceback" not in err.getvalue()
