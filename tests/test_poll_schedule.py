"""When a polled source is drained next (love_producer.poll_schedule)."""

from __future__ import annotations

import pytest

from love_producer.poll_schedule import EARLY, SLACK, next_poll


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
