"""The fetch schedule, run against a simulated clock (no sleeping, no timing asserts)."""

from __future__ import annotations

import math

import pytest

from inpaint.polling import MAX_INTERVAL, PollSchedule


def simulate(
    eta: float | None, finishes_at: float, request: float = 0.03
) -> tuple[int, float, list[float]]:
    """Calls made, lateness, and the gaps between calls for a job ending at ``finishes_at``."""
    schedule = PollSchedule(eta)
    now = schedule.first_delay()
    calls, gaps = 0, []
    while True:
        calls += 1
        if now >= finishes_at:
            return calls, now - finishes_at, gaps
        gap = schedule.next_delay(now) + request
        gaps.append(gap)
        now += gap


@pytest.mark.parametrize("duration", [0.4, 2.1, 9.7, 10.1, 30.1, 121.5])
def test_an_accurate_eta_is_collected_within_half_a_second(duration):
    calls, late, _ = simulate(math.ceil(duration), duration)
    assert late <= 0.55
    assert calls <= 3


@pytest.mark.parametrize("duration", [2.1, 10.1, 30.1])
def test_an_eta_of_half_the_real_time_stays_within_the_call_budget(duration):
    calls, late, _ = simulate(math.ceil(duration / 2), duration)
    assert calls <= 15
    assert late <= max(0.55, 0.07 * duration + 0.1)


def test_long_jobs_are_polled_at_most_every_15_seconds_and_rarely():
    calls, _late, gaps = simulate(10, 1800)
    assert max(gaps) <= MAX_INTERVAL + 0.1
    assert calls <= 1800 / MAX_INTERVAL + 40  # mostly at the 15 s ceiling


def test_without_an_eta_the_first_poll_is_at_two_seconds_then_not_faster_than_1s():
    schedule = PollSchedule(None)
    assert schedule.first_delay() == 2.0
    assert all(schedule.next_delay(t) >= 1.0 for t in (2, 5, 10))


def test_a_zero_eta_still_waits_half_a_second():
    assert PollSchedule(0).first_delay() == 0.5
