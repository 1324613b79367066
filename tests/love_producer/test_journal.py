"""The journal format (love_producer.journal): records, parts, merge, bounds, compare."""

from __future__ import annotations

import math

import orjson
import pytest

from actors.edges.catalog import Catalog
from love_producer import journal
from love_producer.kinds import KindSettings
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings, GenericCSC
from love_producer.wire.frames import Frame
from love_producer.wire.requests import InitialStateRequest
from tests.helpers.journal import sample, start_config

# ------------------------------------------------------------------------- encode/decode


def test_step_record_round_trips_samples_exactly():
    samples = [
        sample(100.125, azimuthPosition=0.1 + 0.2, flags=[1, 2, 3], name='é\n"x"'),
        sample(100.5, "summaryState", summaryState=2, big=2**53 + 1, flag=True),
    ]
    line = journal.encode_step(7, 100.75, "wakeup", samples)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    record = journal.decode_record(line, "csc-ATDome-0", 3)
    assert record.kind == "wakeup" and record.seq == 7 and record.gen == 3
    assert record.t == 100.75
    assert list(record.samples) == samples
    assert [list(s.data) for s in record.samples] == [list(s.data) for s in samples]  # order


def test_requests_and_events_round_trip():
    reqs = (InitialStateRequest("ATDome", 0, "summaryState"), InitialStateRequest("X", "all", "a"))
    record = journal.decode_record(journal.encode_requests(1, 5.0, reqs), "csc-ATDome-0", 0)
    assert record.kind == "requests" and record.requests == reqs
    line = journal.encode_event(2, 6.0, "link-disconnected", "closed (1001)")
    record = journal.decode_record(line, journal.MANAGER_CLIENT, 0)
    assert (record.kind, record.detail, record.t) == ("link-disconnected", "closed (1001)", 6.0)


def test_start_config_round_trips(atdome):
    related = {"Script": Catalog.builtin().get("Script")}
    start = journal.StartConfig(
        "ATDome", 0, atdome, CSCSettings(2.0, 3.0, 4.0, 6), KindSettings(3, True), 99.5, related
    )
    line = journal.encode_step(0, 100.0, "start", [], start.to_json())
    assert journal.decode_record(line, "csc-ATDome-0", 0).start == start


def test_header_names_format_and_version(atdome):
    line = journal.encode_header("csc-ATDome-0", 4, 2, 123.0, start_config(atdome).to_json())
    header = journal.decode_header(line)
    assert (header.actor, header.part, header.gen) == ("csc-ATDome-0", 4, 2)
    assert header.start == start_config(atdome)
    d = orjson.loads(line)
    assert d["format"] == "love-actors-journal" and d["version"] == journal.VERSION
    d["version"] = journal.VERSION + 1
    with pytest.raises(journal.JournalError, match="version"):
        journal.decode_header(orjson.dumps(d))
    with pytest.raises(journal.JournalError, match="not a love-actors journal"):
        journal.decode_header(b'{"seq": 0}')


def test_bad_records_raise_journal_error():
    for line in (b"{", b'{"seq":0,"t":1.0,"in":"bogus"}', b'{"seq":0,"in":"wakeup"}'):
        with pytest.raises(journal.JournalError):
            journal.decode_record(line, "a", 0)


def test_non_finite_floats_give_the_same_frame_after_replay(atdome):
    """NaN is recorded as null; the encoder sends both as null, so frames are unchanged."""
    topic = atdome.topic("telemetry", "position")
    data = topic.default_sample()
    data["azimuthPosition"] = math.nan
    live = Sample("ATDome", 0, "telemetry", "position", data, 1.0)
    replayed = journal.decode_record(journal.encode_step(0, 1.0, "wakeup", [live]), "a", 0)
    assert replayed.samples[0].data["azimuthPosition"] is None
    frames = [GenericCSC(atdome, 0).on_samples([s], 1.0) for s in (live, replayed.samples[0])]
    assert frames[0] == frames[1] and '"value":null' in frames[0][0].payload


def test_part_names():
    assert journal.part_name("csc-MTHexapod-1", 12) == "csc-MTHexapod-1.000012.jsonl"
    assert journal.parse_part_name("csc-MTHexapod-1.000012.jsonl") == ("csc-MTHexapod-1", 12)
    assert journal.parse_part_name("manager-client.000000.jsonl") == ("manager-client", 0)
    for other in ("notes.txt", "x.jsonl", "a.b.jsonl", "expected.jsonl"):
        assert journal.parse_part_name(other) is None


# ------------------------------------------------------------------------------- merge


def rec(actor: str, seq: int, t: float, gen: int = 0) -> journal.Record:
    return journal.Record(actor, gen, seq, t, "wakeup")


def test_merge_orders_by_time_then_actor_then_sequence():
    a = [rec("csc-B-0", 0, 1.0), rec("csc-B-0", 1, 2.0), rec("csc-B-0", 2, 2.0)]
    b = [rec("csc-A-0", 0, 2.0), rec("csc-A-0", 1, 3.0)]
    m = [rec("manager-client", 0, 0.5), rec("manager-client", 1, 2.0)]
    merged = [(r.actor, r.seq) for r in journal.merge([a, b, m])]
    assert merged == [
        ("manager-client", 0),
        ("csc-B-0", 0),
        ("csc-A-0", 0),
        ("csc-B-0", 1),
        ("csc-B-0", 2),
        ("manager-client", 1),
        ("csc-A-0", 1),
    ]
    assert [(r.actor, r.seq) for r in journal.merge([m, b, a])] == merged  # input order irrelevant


def test_merge_keeps_each_actors_order_when_its_clock_steps_back():
    a = [rec("csc-A-0", 0, 5.0), rec("csc-A-0", 1, 4.0), rec("csc-A-0", 2, 6.0)]
    b = [rec("csc-B-0", 0, 4.5)]
    merged = list(journal.merge([a, b]))
    assert [r.seq for r in merged if r.actor == "csc-A-0"] == [0, 1, 2]


# ------------------------------------------------------------------------- size bound


def test_parts_to_delete_keeps_each_actors_newest_part():
    parts = [
        journal.PartFile("csc-A-0.000000.jsonl", 100, 1.0),
        journal.PartFile("csc-A-0.000001.jsonl", 100, 3.0),
        journal.PartFile("csc-A-0.000002.jsonl", 100, 5.0),  # newest of A: open
        journal.PartFile("csc-B-0.000000.jsonl", 100, 2.0),
        journal.PartFile("csc-B-0.000001.jsonl", 100, 4.0),  # newest of B: open
    ]
    assert journal.parts_to_delete(parts, 500) == []
    assert journal.parts_to_delete(parts, 400) == ["csc-A-0.000000.jsonl"]
    assert journal.parts_to_delete(parts, 250) == [
        "csc-A-0.000000.jsonl",
        "csc-B-0.000000.jsonl",
        "csc-A-0.000001.jsonl",
    ]
    assert len(journal.parts_to_delete(parts, 0)) == 3  # the open parts stay


# -------------------------------------------------------------------------- compare


def test_compare_finds_the_first_difference():
    a = ["x\n", "y\n", "z\n"]
    assert journal.compare(a, ["x", "y", "z"]) is None
    m = journal.compare(a, ["x", "Y", "z"])
    assert (m.index, m.position, m.expected, m.actual) == (1, 2, "y", "Y")
    m = journal.compare(a, ["x"])
    assert (m.position, m.expected, m.actual) == (2, "y", None)
    m = journal.compare(a[:1], ["x", "extra"])
    assert (m.position, m.expected, m.actual) == (2, None, "extra")
    text = journal.compare(['{"a":1,"b":2}'], ['{"a":1,"b":3}']).describe()
    assert "frame 1" in text and "from character 12" in text and "(no more" not in text


def test_compare_sees_json_values_not_spacing_but_key_order_and_numbers():
    line = '{"t":1.5,"payload":{"a":[1,2],"b":"x"}}'
    assert journal.compare([line], ['{ "t": 1.5, "payload": {"a": [1, 2], "b": "x"} }']) is None
    assert journal.compare([line], ['{"t":1.50,"payload":{"a":[1,2],"b":"x"}}']) is None
    assert journal.compare([line], ['{"payload":{"a":[1,2],"b":"x"},"t":1.5}']) is not None
    assert journal.compare([line], ['{"t":1.5,"payload":{"a":[2,1],"b":"x"}}']) is not None
    assert journal.compare(["not json"], ["not  json"]) is not None


def test_frame_line_keeps_the_payload_text():
    frame = Frame("event", "ATDome", 0, "summaryState", '[{"summaryState":{"value":2.50}}]')
    line = journal.frame_line(12.5, "csc-ATDome-0", frame)
    assert line.endswith('"payload":[{"summaryState":{"value":2.50}}]}')
    assert orjson.loads(line)["t"] == 12.5 and orjson.loads(line)["actor"] == "csc-ATDome-0"
