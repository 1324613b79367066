"""When a polled source is drained next (love_producer.link.poll_schedule)."""

from __future__ import annotations

import math

import pytest

from love_producer.link.poll_schedule import EARLY, SLACK, PollSchedule, next_poll


def test_without_a_due_time_every_interval() -> None:
    assert next_poll(10.0, 0.1, lambda t, span: None) == pytest.approx(10.1)


def test_drains_right_after_the_due_sample() -> None:
    asked = []

    def due_after(t: float, span: float) -> float:
        asked.append((t, span))
        return 10.25

    assert next_poll(10.0, 0.1, due_after) == pytest.approx(10.25 + SLACK)
    # it asks from a little before one interval on, for one interval's span
    assert asked == [(pytest.approx(10.0 + (1 - EARLY) * 0.1), 0.1)]


def test_never_sooner_than_the_earliest_drain() -> None:
    earliest = 10.0 + (1 - EARLY) * 0.1
    # a sample already due (the source answers with the time it was asked about)
    assert next_poll(10.0, 0.1, lambda t, span: t) == pytest.approx(earliest + SLACK)
    # and a source answering with an earlier time is not believed
    assert next_poll(10.0, 0.1, lambda t, span: 9.0) == pytest.approx(earliest)


def _grid(t: float, span: float) -> float:
    """A source publishing every 0.1 s on whole tenths."""
    return math.ceil(round(t * 10, 9)) / 10


def test_schedule_stays_on_the_source_ticks_when_wake_ups_come_late() -> None:
    sched = PollSchedule(0.1)
    sched.drained(10.0)
    polls = []
    for late in (0.0, 0.03, 0.0, 0.06, 0.01):
        due = sched.plan(_grid, heartbeat_due=100.0)
        polls.append(round(due, 3))
        assert sched.drains_at(due + late)
        sched.drained(due + late)  # the wake-up came late; the schedule does not move with it
    assert polls == [10.101, 10.201, 10.301, 10.401, 10.501]


def test_heartbeat_window_close_drains_without_moving_the_schedule() -> None:
    sched = PollSchedule(0.1)
    sched.drained(10.0)
    assert sched.plan(_grid, heartbeat_due=10.05) == 10.05
    assert not sched.drains_at(10.04)  # a state deadline before it: no drain
    assert sched.drains_at(10.05)
    sched.drained(10.05)
    assert sched.plan(_grid, heartbeat_due=12.05) == pytest.approx(10.1 + SLACK)


def test_an_event_due_between_polls_is_drained_on_arrival_without_moving_the_polls() -> None:
    sched = PollSchedule(0.1)
    sched.drained(10.0)
    assert sched.plan(_grid, heartbeat_due=12.0, event_due=10.031) == pytest.approx(10.031 + SLACK)
    assert sched.drains_at(10.031 + SLACK)
    sched.drained(10.031 + SLACK)  # the event's drain, before the poll
    # the poll grid is where it was: the next drain is the poll at 10.1
    assert sched.plan(_grid, heartbeat_due=12.0) == pytest.approx(10.1 + SLACK)
    # an event due after the poll leaves the poll first
    assert sched.plan(_grid, heartbeat_due=12.0, event_due=10.5) == pytest.approx(10.1 + SLACK)
