"""initial_state requests under floods (`love_producer.link.request_gate`)."""

from __future__ import annotations

from love_producer.link.request_gate import RequestGate
from love_producer.wire.requests import InitialStateRequest


def req(csc: str = "ATDome", index: int = 0, event: str = "summaryState") -> InitialStateRequest:
    return InitialStateRequest(csc, index, event)


def run_until_quiet(gate: RequestGate, t: float, step: float = 0.01) -> tuple[list, float]:
    out = []
    while (at := gate.next_release()) is not None:
        t = max(t + step, at)
        out += gate.release(t)
    return out, t


def test_a_first_request_goes_through_at_once() -> None:
    gate = RequestGate()
    assert gate.offer([req()], 0.0) == [req()]
    assert gate.next_release() is None


def test_repeats_within_the_window_are_answered_once_when_it_ends() -> None:
    gate = RequestGate(window=1.0)
    assert gate.offer([req()], 10.0) == [req()]
    for t in (10.1, 10.5, 10.9):
        assert gate.offer([req()], t) == []
    assert gate.next_release() == 11.0
    assert gate.release(10.99) == []
    assert gate.release(11.0) == [req()]  # once, for the three requests of the window
    assert gate.counts == {"forwarded": 2, "merged": 2, "dropped": 0}
    assert gate.offer([req()], 12.5) == [req()]  # after the window: at once again


def test_other_streams_are_not_held_back_by_a_repeated_one() -> None:
    gate = RequestGate(window=1.0)
    gate.offer([req()], 0.0)
    assert gate.offer([req(), req(event="heartbeat"), req("MTMount")], 0.2) == [
        req(event="heartbeat"),
        req("MTMount"),
    ]


def test_a_ten_second_flood_is_bounded_and_over_seconds_after_it_ends() -> None:
    """10 s of 10,000 requests/s over 1,000 streams (what many screens re-subscribing do)."""
    gate = RequestGate(window=1.0, per_second=500.0, burst=1000.0)
    streams = [req("ESS", i % 100 + 1, f"e{i // 100}") for i in range(1000)]
    forwarded: list = []
    t = 0.0
    for step in range(1000):  # every 10 ms, 100 requests
        t = step * 0.01
        forwarded += gate.offer(streams[(step * 100) % 1000 : (step * 100) % 1000 + 100], t)
        forwarded += gate.release(t)
    flood_end = t
    rest, quiet_at = run_until_quiet(gate, t)
    forwarded += rest
    assert len(forwarded) <= 1000 + 500 * quiet_at  # never beyond the rate
    assert len(forwarded) < 100_000 / 10  # a tenth of the requests at most
    assert quiet_at - flood_end < 3.0, quiet_at - flood_end  # the flood's effect ends soon
    assert {(r.csc, r.salindex, r.event_name) for r in rest} <= {
        (r.csc, r.salindex, r.event_name) for r in streams
    }
    # every stream requested during the flood was answered after its last request
    assert {(r.csc, r.salindex, r.event_name) for r in forwarded} == {
        (r.csc, r.salindex, r.event_name) for r in streams
    }
    assert gate.counts["merged"] > 90_000


def test_beyond_the_waiting_bound_requests_are_dropped_and_counted() -> None:
    gate = RequestGate(per_second=1.0, burst=1.0, max_waiting=10)
    out = gate.offer([req("Test", i) for i in range(1, 101)], 0.0)
    assert len(out) == 1
    assert gate.waiting == 9 and gate.counts["dropped"] == 90
