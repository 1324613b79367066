"""Tests of the generic CSC state machine (love_producer.state.csc_state), driven with
explicit times."""

from __future__ import annotations

import json
import random

import pytest

from love_producer.interfaces.interface import ComponentInfo, FieldInfo, TopicInfo, private_fields
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import (
    MAX_PAYLOAD_CHARS,
    RATE_TOLERANCE,
    CSCSettings,
    GenericCSC,
)
from love_producer.wire.frames import Frame
from love_producer.wire.requests import InitialStateRequest

TAI = 37.0


def _topic(name: str, kind: str, indexed: bool, *fields: FieldInfo) -> TopicInfo:
    return TopicInfo(name, kind, private_fields(indexed) + fields)  # type: ignore[arg-type]


def component(name: str = "ATDome", indexed: bool = False) -> ComponentInfo:
    return ComponentInfo(
        name,
        "any" if indexed else "no",
        telemetry=(
            _topic(
                "position", "telemetry", indexed, FieldInfo("azimuthPosition", "double", 1, "deg")
            ),
            _topic("doorEncoder", "telemetry", indexed, FieldInfo("counts", "long")),
        ),
        events=(
            _topic("summaryState", "event", indexed, FieldInfo("summaryState", "long")),
            _topic("heartbeat", "event", indexed),
            _topic("logLevel", "event", indexed, FieldInfo("level", "long")),
        ),
    )


ATDOME = component()
SQ = component("ScriptQueue", indexed=True)


class Seq:
    """Sample factory with increasing private_seqNum per topic."""

    def __init__(self, name: str = "ATDome", index: int = 0) -> None:
        self.name, self.index = name, index
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str, topic: str, t: float, **fields: object) -> Sample:
        seq = self.counts[topic] = self.counts.get(topic, 0) + 1
        data = {"private_sndStamp": t - 0.01 + TAI, "private_seqNum": seq, **fields}
        if self.index:
            data = {"salIndex": self.index, **data}
        return Sample(self.name, self.index, kind, topic, data, t)  # type: ignore[arg-type]


def payload(frame: Frame) -> object:
    return json.loads(frame.payload)


def values(frame: Frame) -> dict[str, object]:
    """Field name -> value of a telemetry (dict) or event (list) payload."""
    p = payload(frame)
    fields = p[0] if isinstance(p, list) else p
    return {k: v["value"] for k, v in fields.items()}


def run(csc: GenericCSC, timeline: list[tuple[float, list[Sample]]], until: float):
    """Feed samples at their times and tick at every deadline, as the actor's timer would.

    Returns (time, frame) pairs.
    """
    out: list[tuple[float, Frame]] = []

    def tick_until(t: float) -> None:
        while (deadline := csc.next_deadline()) <= t:
            out.extend((deadline, f) for f in csc.tick(deadline))

    for t, samples in timeline:
        tick_until(t)
        out.extend((t, f) for f in csc.on_samples(samples, t))
    tick_until(until)
    return out


def heartbeats(seq: Seq, times) -> list[tuple[float, list[Sample]]]:
    return [(t, [seq("event", "heartbeat", t)]) for t in times]


def merged(*timelines):
    return sorted((item for tl in timelines for item in tl), key=lambda item: item[0])


# ------------------------------------------------------------------------------------ events


def test_event_frame_is_list_payload_with_component_envelope() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    (frame,) = csc.on_samples([s("event", "summaryState", 1.0, summaryState=2)], 1.0)
    assert (frame.category, frame.csc, frame.salindex, frame.stream) == (
        "event",
        "ATDome",
        0,
        "summaryState",
    )
    p = payload(frame)
    assert isinstance(p, list) and len(p) == 1
    assert p[0]["summaryState"] == {"value": 2, "dataType": "Int", "units": "unitless"}
    assert p[0]["private_seqNum"] == {"value": 1, "dataType": "Int", "units": "unitless"}
    assert list(p[0])[0] == "private_sndStamp"
    assert csc.status()["summary_state"] == 2


def test_heartbeat_event_is_not_forwarded_but_recorded() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    assert csc.on_samples([Seq()("event", "heartbeat", 1.25)], 1.3) == []
    assert csc.status()["last_heartbeat"] == 1.25
    assert csc.cached_frames() == []


def test_indexed_component_uses_its_index_and_ignores_other_instances() -> None:
    csc = GenericCSC(SQ, 1, CSCSettings(), start_time=0.0)
    mine, other = Seq("ScriptQueue", 1), Seq("ScriptQueue", 2)
    frames = csc.on_samples(
        [
            other("event", "summaryState", 1.0, summaryState=5),
            mine("event", "summaryState", 1.0, summaryState=2),
            Seq("ATDome")("event", "summaryState", 1.0, summaryState=3),
        ],
        1.0,
    )
    assert len(frames) == 1
    assert frames[0].salindex == 1 and frames[0].csc == "ScriptQueue"
    assert values(frames[0])["salIndex"] == 1
    assert values(frames[0])["summaryState"] == 2
    assert csc.status()["summary_state"] == 2
    assert csc.status()["samples_in"] == 1


def test_duplicate_history_sample_is_dropped() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    first = s("event", "logLevel", 1.0, level=20)
    again = Sample(first.component, first.index, "event", "logLevel", dict(first.data), 1.1)
    assert len(csc.on_samples([first], 1.0)) == 1
    assert csc.on_samples([again], 1.1) == []
    assert len(csc.on_samples([s("event", "logLevel", 1.2, level=30)], 1.2)) == 1
    # Same seqNum but another sndStamp (a restarted writer) is not a duplicate.
    restarted = dict(first.data, private_sndStamp=99.0)
    assert len(csc.on_samples([Sample("ATDome", 0, "event", "logLevel", restarted, 1.3)], 1.3)) == 1
    assert csc.status()["duplicates_dropped"] == 1


def test_duplicate_telemetry_sample_is_dropped() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=0), start_time=0.0)
    sample = Seq()("telemetry", "position", 1.0, azimuthPosition=3.0)
    assert len(csc.on_samples([sample, sample], 1.0)) == 1
    assert csc.status()["duplicates_dropped"] == 1


def test_unknown_topic_is_counted_and_does_not_stop_the_batch() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    frames = csc.on_samples(
        [
            s("event", "noSuchEvent", 1.0),
            s("telemetry", "summaryState", 1.0),  # an event name as telemetry
            s("event", "summaryState", 1.0, summaryState=1),
        ],
        1.0,
    )
    assert [f.stream for f in frames] == ["summaryState"]
    assert csc.status()["unknown_topics"] == 2


def test_encoding_error_on_one_topic_does_not_stop_the_others() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    frames = csc.on_samples(
        [
            s("event", "logLevel", 1.0, level=object()),
            s("telemetry", "position", 1.0, azimuthPosition=object()),
            s("event", "summaryState", 1.0, summaryState=1),
            s("telemetry", "doorEncoder", 1.0, counts=4),
        ],
        1.0,
    )
    assert [f.stream for f in frames] == ["summaryState", "doorEncoder"]
    assert csc.status()["encoding_errors"] == 2
    # The broken topic keeps working for good samples.
    (frame,) = csc.on_samples([s("event", "logLevel", 2.0, level=10)], 2.0)
    assert values(frame)["level"] == 10


def test_after_event_hook_frames_follow_the_event_frame() -> None:
    derived = Frame("event", "ATDomeState", 0, "stream", '{"n":1}')

    class WithHook(GenericCSC):
        def _after_event(self, sample: Sample, now: float) -> list[Frame]:
            if sample.topic == "logLevel":
                raise RuntimeError("hook failure")
            return [derived]

    csc = WithHook(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    frames = csc.on_samples(
        [s("event", "summaryState", 1.0, summaryState=1), s("event", "logLevel", 1.0, level=1)],
        1.0,
    )
    assert [f.stream for f in frames] == ["summaryState", "stream", "logLevel"]
    assert frames[1] is derived
    assert csc.status()["hook_errors"] == 1


# --------------------------------------------------------------------------------- telemetry


def test_telemetry_frame_is_dict_payload() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    (frame,) = csc.on_samples([Seq()("telemetry", "position", 0.5, azimuthPosition=212.5)], 0.5)
    assert (frame.category, frame.csc, frame.salindex, frame.stream) == (
        "telemetry",
        "ATDome",
        0,
        "position",
    )
    p = payload(frame)
    assert isinstance(p, dict)
    assert p["azimuthPosition"] == {"value": 212.5, "dataType": "Float", "units": "deg"}


def test_telemetry_is_coalesced_to_max_rate_and_latest_value_wins() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=10.0), start_time=0.0)
    s = Seq()
    times = [i * 0.05 for i in range(20)]  # 20 samples in [0, 1)
    timeline = [
        (t, [s("telemetry", "position", t, azimuthPosition=float(i))]) for i, t in enumerate(times)
    ]
    sent = [(t, f) for t, f in run(csc, timeline, until=1.5) if f.category == "telemetry"]

    # The limit's virtual schedule (GCRA): frames at least (1 - tolerance) intervals apart, and
    # in any window of W seconds at most floor((W + tolerance * T) / T) + 1 frames (T = 0.1).
    send_times = [t for t, _ in sent]
    gaps = [b - a for a, b in zip(send_times, send_times[1:], strict=False)]
    assert min(gaps) >= 0.1 * (1 - RATE_TOLERANCE) - 1e-9
    for start in send_times:
        assert sum(start <= t < start + 1.0 for t in send_times) <= 11
        assert sum(start <= t < start + 0.5 for t in send_times) <= 6
    assert 10 <= len(send_times) <= 12  # 10 Hz over [0, 1), the burst, the last one by tick
    # The last value is the one sent last, and sent values only move forward.
    sent_values = [values(f)["azimuthPosition"] for _, f in sent]
    assert sent_values[-1] == 19.0
    assert sent_values == sorted(set(sent_values))
    assert sent_values[0] == 0.0
    # Nothing is lost but replaced samples.
    assert len(sent) + csc.status()["telemetry_coalesced"] == 20
    assert csc.status()["frames_out"]["telemetry"] == len(sent)


def test_long_run_telemetry_rate_never_exceeds_the_limit() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=10.0), start_time=0.0)
    s = Seq()
    rng = random.Random(3)
    # 30 s of a 20 Hz stream delivered with up to 5 ms of jitter.
    times = [i * 0.05 + rng.uniform(0.0, 0.005) for i in range(600)]
    timeline = [(t, [s("telemetry", "position", t, azimuthPosition=float(t))]) for t in times]
    sent = [t for t, f in run(csc, timeline, until=31.0) if f.category == "telemetry"]
    assert 295 <= len(sent) <= 301  # 10 Hz over 30 s, plus the one burst the tolerance allows


def test_stream_at_the_limit_rate_with_jitter_is_never_held_back() -> None:
    """A 10 Hz stream under a 10 Hz limit, delivered with jitter: every sample goes out the
    moment it arrives (no coalescing, no extra wake-up for a pending sample)."""
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=10.0), start_time=0.0)
    s = Seq()
    rng = random.Random(5)
    for i in range(200):
        t = 0.1 * i + rng.uniform(0.0, 0.008)
        frames = csc.on_samples([s("telemetry", "position", t, azimuthPosition=float(i))], t)
        assert [values(f)["azimuthPosition"] for f in frames] == [float(i)], i
    assert csc.status()["telemetry_coalesced"] == 0


def test_only_the_newest_sample_of_a_drained_batch_is_sent() -> None:
    """Samples drained together: the newest of each telemetry topic goes out now; older ones
    are coalesced, not sent first (which would hold the newest back an interval)."""
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=10.0), start_time=0.0)
    s = Seq()
    batch = [s("telemetry", "position", 0.05 * i, azimuthPosition=float(i)) for i in range(3)]
    frames = csc.on_samples(batch, 0.11)
    assert [values(f)["azimuthPosition"] for f in frames] == [2.0]
    assert csc.status()["telemetry_coalesced"] == 2
    assert csc.next_deadline() > 1.0  # nothing left pending


def test_pending_telemetry_is_sent_by_tick_when_due() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=4.0), start_time=0.0)
    s = Seq()
    assert len(csc.on_samples([s("telemetry", "position", 1.0, azimuthPosition=1.0)], 1.0)) == 1
    assert csc.on_samples([s("telemetry", "position", 1.1, azimuthPosition=2.0)], 1.1) == []
    due = 1.0 + 0.25 * (1 - RATE_TOLERANCE)
    assert csc.next_deadline() == pytest.approx(due)
    assert csc.tick(due - 0.01) == []
    (frame,) = csc.tick(due)
    assert values(frame)["azimuthPosition"] == 2.0
    assert csc.tick(1.3) == []


def test_coalesced_sample_is_never_encoded() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=10.0), start_time=0.0)
    s = Seq()
    csc.on_samples([s("telemetry", "position", 1.0, azimuthPosition=1.0)], 1.0)
    bad = s("telemetry", "position", 1.02, azimuthPosition=object())  # cannot be encoded
    good = s("telemetry", "position", 1.04, azimuthPosition=3.0)
    assert csc.on_samples([bad, good], 1.04) == []
    (frame,) = csc.tick(1.1)
    assert values(frame)["azimuthPosition"] == 3.0
    assert csc.status()["encoding_errors"] == 0
    assert csc.status()["telemetry_coalesced"] == 1


def test_streams_are_rate_limited_independently() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=1.0), start_time=0.0)
    s = Seq()
    frames = csc.on_samples(
        [
            s("telemetry", "position", 1.0, azimuthPosition=1.0),
            s("telemetry", "doorEncoder", 1.0, counts=1),
            s("telemetry", "position", 1.0, azimuthPosition=2.0),
        ],
        1.0,
    )
    # The newest position of the batch goes out (at its place in the batch), and doorEncoder
    # is not held back by position's limit.
    assert [f.stream for f in frames] == ["doorEncoder", "position"]
    assert values(frames[1])["azimuthPosition"] == 2.0


def test_max_rate_zero_means_unlimited() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=0.0), start_time=0.0)
    s = Seq()
    batch = [s("telemetry", "position", 1.0, azimuthPosition=float(i)) for i in range(5)]
    frames = csc.on_samples(batch, 1.0)
    assert [values(f)["azimuthPosition"] for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_refresh_every_2s_while_alive_and_none_once_heartbeat_is_lost() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    timeline = merged(
        [(0.2, [s("telemetry", "position", 0.2, azimuthPosition=7.0)])],
        heartbeats(s, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]),  # then the CSC dies
    )
    out = run(csc, timeline, until=20.0)
    tel = [(t, f) for t, f in out if f.category == "telemetry"]
    # Sent at 0.2, refreshed at 2.2, 4.2 and 6.2 (the window ending at 6.0 had a heartbeat);
    # the window ending at 8.0 had none: no refresh after that.
    assert [t for t, _ in tel] == pytest.approx([0.2, 2.2, 4.2, 6.2])
    assert all(f == tel[0][1] for _, f in tel)  # the refresh re-sends the same frame
    assert csc.status()["telemetry_refreshed"] == 3
    lost = [payload(f)["lost"] for _, f in out if f.csc == "Heartbeat"]
    assert lost == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]  # frames at 2, 4, ... 20

    # The CSC comes back: refreshes resume once a heartbeat window closes with a heartbeat.
    out2 = run(csc, heartbeats(s, [20.5, 21.5, 22.5, 23.5]), until=25.0)
    tel2 = [t for t, f in out2 if f.category == "telemetry"]
    assert tel2 == pytest.approx([22.0, 24.0])


def test_no_refresh_for_a_component_that_never_sent_a_heartbeat() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    out = run(csc, [(0.2, [s("telemetry", "position", 0.2, azimuthPosition=1.0)])], until=10.0)
    assert [t for t, f in out if f.category == "telemetry"] == [0.2]


def test_fresh_samples_are_sent_even_when_heartbeat_is_lost() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    csc.tick(2.0)
    csc.tick(4.0)
    assert csc.heartbeat_lost == 2
    assert len(csc.on_samples([s("telemetry", "position", 4.5, azimuthPosition=1.0)], 4.5)) == 1


# --------------------------------------------------------------------------------- heartbeat


def heartbeat_payloads(out) -> list[dict]:
    return [payload(f) for _, f in out if f.csc == "Heartbeat"]


def test_heartbeat_frame_shape() -> None:
    csc = GenericCSC(SQ, 3, CSCSettings(), start_time=100.0)
    assert csc.next_deadline() == 102.0
    assert csc.tick(101.9) == []
    (frame,) = csc.tick(102.0)
    assert (frame.category, frame.csc, frame.salindex, frame.stream) == (
        "event",
        "Heartbeat",
        0,
        "stream",
    )
    p = payload(frame)
    assert p == {
        "csc": "ScriptQueue",
        "salindex": 3,
        "lost": 1,
        "last_heartbeat_timestamp": -1,
        "max_lost_heartbeats": 5,
    }
    assert list(p) == ["csc", "salindex", "lost", "last_heartbeat_timestamp", "max_lost_heartbeats"]


def test_heartbeat_lost_counts_up_and_resets_on_a_heartbeat() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    out = run(csc, heartbeats(s, [0.7, 6.5]), until=10.0)
    got = [(p["lost"], p["last_heartbeat_timestamp"]) for p in heartbeat_payloads(out)]
    assert got == [(0, 0.7), (1, 0.7), (2, 0.7), (0, 6.5), (1, 6.5)]
    assert [t for t, f in out if f.csc == "Heartbeat"] == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert csc.status()["heartbeat_lost"] == 1
    assert csc.status()["last_heartbeat"] == 6.5


def test_heartbeat_max_lost_comes_from_settings() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(max_lost_heartbeats=7), start_time=0.0)
    (frame,) = csc.tick(2.0)
    assert payload(frame)["max_lost_heartbeats"] == 7


def test_heartbeat_schedule_does_not_drift() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    assert len(csc.tick(2.3)) == 1  # a late timer
    assert csc.next_deadline() == 4.0
    assert csc.tick(3.9) == []
    assert len(csc.tick(4.0)) == 1
    assert csc.next_deadline() == 6.0


def test_heartbeat_far_behind_skips_ahead_and_counts_missed_windows() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    frames = csc.tick(9.0)  # windows ending at 2, 4, 6 and 8 all passed
    assert len(frames) == 1
    assert payload(frames[0])["lost"] == 4
    assert csc.next_deadline() == 11.0


def test_next_deadline_is_the_earliest_job() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=5.0), start_time=0.0)
    s = Seq()
    assert csc.next_deadline() == 2.0
    csc.on_samples([s("telemetry", "position", 1.0, azimuthPosition=1.0)], 1.0)
    assert csc.next_deadline() == 2.0  # nothing pending; a refresh would be at 3.0
    csc.on_samples([s("telemetry", "position", 1.05, azimuthPosition=2.0)], 1.05)
    assert csc.next_deadline() == pytest.approx(1.0 + 0.2 * (1 - RATE_TOLERANCE))
    assert csc.next_deadline(pending=False) == 2.0  # a reader that polls leaves it to its poll


# --------------------------------------------------------------------------- initial_state


def feed_events(csc: GenericCSC) -> dict[str, Frame]:
    s = Seq(csc.name, csc.index)
    out = {}
    for topic, fields in [
        ("summaryState", {"summaryState": 1}),
        ("logLevel", {"level": 20}),
        ("summaryState", {"summaryState": 2}),
    ]:
        (frame,) = csc.on_samples([s("event", topic, 1.0, **fields)], 1.0)
        out[topic] = frame
    csc.on_samples([s("telemetry", "position", 1.0, azimuthPosition=1.0)], 1.0)
    csc.on_samples([s("event", "heartbeat", 1.0)], 1.0)
    return out


def test_initial_state_reply_is_the_cached_frame() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    last = feed_events(csc)
    reply = csc.on_request(InitialStateRequest("ATDome", 0, "summaryState"), 5.0)
    assert reply == [last["summaryState"]]
    assert values(reply[0])["summaryState"] == 2
    assert reply[0].category == "event"


@pytest.mark.parametrize(
    "req",
    [
        InitialStateRequest("ATMCS", 0, "summaryState"),  # another component
        InitialStateRequest("Heartbeat", 0, "summaryState"),
        InitialStateRequest("ATDome", 1, "summaryState"),  # another index
        InitialStateRequest("ATDome", "all", "summaryState"),  # "all" never matches an index
        InitialStateRequest("ATDome", 0, "errorCode"),  # never received / unknown
        InitialStateRequest("ATDome", 0, "position"),  # telemetry is not cached
        InitialStateRequest("ATDome", 0, "heartbeat"),  # never forwarded
    ],
)
def test_initial_state_requests_without_reply(req: InitialStateRequest) -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    feed_events(csc)
    assert csc.on_request(req, 5.0) == []


def test_initial_state_before_any_event_has_no_reply() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    assert csc.on_request(InitialStateRequest("ATDome", 0, "summaryState"), 1.0) == []
    assert csc.on_request(InitialStateRequest("ATDome", 0, "all"), 1.0) == []


def test_initial_state_all_event_names() -> None:
    csc = GenericCSC(SQ, 2, CSCSettings(), start_time=0.0)
    last = feed_events(csc)
    reply = csc.on_request(InitialStateRequest("ScriptQueue", 2, "all"), 5.0)
    assert reply == [last["summaryState"], last["logLevel"]]


def test_initial_state_pseudo_stream_for_any_reply_name() -> None:
    csc = GenericCSC(SQ, 2, CSCSettings(), start_time=0.0)
    csc.reply_names = ("ScriptQueue", "ScriptQueueState")
    state = Frame("event", "ScriptQueueState", 2, "stateStream", '{"enabled":true}')
    csc.pseudo_streams["stateStream"] = state
    for name in ("ScriptQueue", "ScriptQueueState"):
        assert csc.on_request(InitialStateRequest(name, 2, "stateStream"), 1.0) == [state]
    assert csc.on_request(InitialStateRequest("Script", 2, "stateStream"), 1.0) == []
    assert csc.on_request(InitialStateRequest("ScriptQueueState", 2, "all"), 1.0) == [state]
    assert csc.registration_names() == ("all", "ScriptQueue", "ScriptQueueState")


def test_cached_frames_in_first_arrival_order_then_pseudo_streams() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    last = feed_events(csc)
    pseudo = Frame("event", "ATDome", 0, "stream", "{}")
    csc.pseudo_streams["stream"] = pseudo
    assert csc.cached_frames() == [last["summaryState"], last["logLevel"], pseudo]


def test_registration_names_and_status() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    feed_events(csc)
    csc.on_request(InitialStateRequest("ATDome", 0, "logLevel"), 2.0)
    assert csc.registration_names() == ("all", "ATDome")
    st = csc.status()
    assert st["name"] == "ATDome" and st["index"] == 0
    assert st["summary_state"] == 2
    assert st["samples_in"] == 5
    assert st["frames_out"] == {"event": 4, "telemetry": 1}
    assert st["last_heartbeat"] == 1.0
    assert st["heartbeat_lost"] == 0


def strict_json(text: str):
    """json.loads that refuses NaN and the infinities (not JSON, though Python writes them)."""

    def refuse(name: str):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_hostile_samples_give_strict_json_and_the_component_keeps_streaming() -> None:
    """#16: NaN, infinities, wrong types, missing and extra fields, unknown topics, a 10 MB
    sample: every frame is strict JSON, bad topics are counted, good samples still flow."""
    csc = GenericCSC(ATDOME, 0, CSCSettings(telemetry_max_rate=0), start_time=0.0)
    s = Seq()
    frames = []
    t = 1.0
    for value in (float("nan"), float("inf"), float("-inf"), "a string", [1, 2], {"a": 1}):
        frames += csc.on_samples([s("telemetry", "position", t, azimuthPosition=value)], t)
        t += 1.0
    frames += csc.on_samples([s("telemetry", "position", t)], t)  # the field is missing
    t += 1.0
    frames += csc.on_samples([s("telemetry", "position", t, azimuthPosition=1.0, extra=2)], t)
    t += 1.0
    frames += csc.on_samples([s("event", "noSuchEvent", t, x=float("nan"))], t)
    big = "x" * (10 * 1024 * 1024)
    frames += csc.on_samples([s("event", "logLevel", t, level=big)], t)
    t += 1.0
    (good,) = csc.on_samples([s("telemetry", "position", t, azimuthPosition=2.5)], t)
    for frame in frames + [good]:
        strict_json(frame.payload)  # raises on NaN or Infinity
    nan_frame = strict_json(frames[0].payload)
    assert nan_frame["azimuthPosition"]["value"] is None  # NaN goes out as null
    assert "extra" not in strict_json(frames[7].payload)
    assert strict_json(good.payload)["azimuthPosition"]["value"] == 2.5
    assert csc.status()["unknown_topics"] == 1
    assert max(len(f.payload) for f in frames) < 11 * 1024 * 1024  # 10 MB goes out


def test_a_payload_beyond_the_managers_limit_is_dropped_and_counted() -> None:
    csc = GenericCSC(ATDOME, 0, CSCSettings(), start_time=0.0)
    s = Seq()
    huge = "x" * (MAX_PAYLOAD_CHARS + 1)
    assert csc.on_samples([s("event", "logLevel", 1.0, level=huge)], 1.0) == []
    assert csc.status()["oversized_dropped"] == 1
    (frame,) = csc.on_samples([s("event", "logLevel", 2.0, level=3)], 2.0)
    assert values(frame)["level"] == 3
