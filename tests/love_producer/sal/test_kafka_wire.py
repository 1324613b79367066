"""salobj's Kafka layout (`love_producer.sal.kafka_wire`), checked against the values the wire
spec saw on the wire (``spec/salobj-kafka-wire.md``), not against this code's own output."""

from __future__ import annotations

import io

import pytest

from actors.edges.catalog import Catalog
from love_producer.sal.kafka_wire import (
    BEGINNING,
    HistoryWindow,
    LiveFilter,
    avro_schema,
    cmdtype,
    command_seq_range,
    kafka_topic,
    project,
    record_key,
    stamp,
    start_plan,
    subject,
)

CATALOG = Catalog.builtin()
TEST = CATALOG.get("Test")
SCRIPT_QUEUE = CATALOG.get("ScriptQueue")


def test_topic_names_and_subjects() -> None:
    assert kafka_topic("wire4", "Test", "telemetry", "scalars") == "lsst.wire4.Test.scalars"
    assert (
        kafka_topic("wire4", "Test", "event", "summaryState")
        == "lsst.wire4.Test.logevent_summaryState"
    )
    assert (
        kafka_topic("wire4", "Test", "command", "setScalars")
        == "lsst.wire4.Test.command_setScalars"
    )
    assert kafka_topic("sal", "ATDome", "ackcmd", "ackcmd") == "lsst.sal.ATDome.ackcmd"
    assert (
        subject("lsst.wire4.Test.logevent_summaryState")
        == "lsst.wire4.Test.logevent_summaryState-value"
    )


def test_record_keys_are_byte_for_byte_salobjs() -> None:
    assert record_key("Test", 1, True, "telemetry", "scalars") == b""
    assert (
        record_key("Test", 1, True, "event", "summaryState")
        == b'{ "name": "Test", "index": 1, "topic": "logevent_summaryState" }'
    )
    assert (
        record_key("ATDome", 0, False, "event", "summaryState")
        == b'{ "name": "ATDome", "topic": "logevent_summaryState" }'
    )


def test_a_summary_state_record_encodes_to_the_bytes_seen_on_the_wire() -> None:
    """The live ``Test:1`` summaryState record of the spec (§3.5), 59 bytes with id 12."""
    fastavro = pytest.importorskip("fastavro", reason="the kafka extra is not installed")
    topic = TEST.topic("event", "summaryState")
    schema = avro_schema(TEST, "event", topic)
    assert schema["namespace"] == "lsst.sal.Test" and schema["name"] == "logevent_summaryState"
    record = stamp(
        topic,
        {"summaryState": 2},
        tai=1796175950.8891554,
        seq_num=3,
        rev="3259752e",
        identity="Test:1",
        origin=14759,
        index=1,
    )
    assert record["private_rcvStamp"] == 0.0
    assert record["private_kafkaStamp"] == record["private_sndStamp"]
    assert record["private_efdStamp"] == record["private_sndStamp"] - 37.0
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), record)
    framed = b"\0" + (12).to_bytes(4, "big") + body.getvalue()
    expected = bytes.fromhex(
        "00 0000000c 02 ece7b813dec3da41 0000000000000000 ece7780adec3da41 ece7b813dec3da41 06 10"
    )
    expected += b"3259752e" + b"\x0c" + b"Test:1" + bytes.fromhex("cee601 04")
    assert len(framed) == 59
    assert framed == expected
    decoded = fastavro.schemaless_reader(io.BytesIO(framed[5:]), fastavro.parse_schema(schema))
    assert decoded == record


def test_array_fields_and_types_follow_ts_xml() -> None:
    arrays = avro_schema(TEST, "telemetry", TEST.topic("telemetry", "arrays"))
    fields = {f["name"]: f for f in arrays["fields"]}
    assert fields["double0"]["type"] == {"type": "array", "items": "double"}
    assert fields["double0"]["default"] == [0.0] * len(fields["double0"]["default"])
    assert fields["unsignedInt0"]["type"] == {"type": "array", "items": "long"}
    scalars = {
        f["name"]: f for f in avro_schema(TEST, "event", TEST.topic("event", "scalars"))["fields"]
    }
    assert scalars["long0"]["type"] == "int"  # SAL long is 32-bit
    assert scalars["longLong0"]["type"] == "long"
    assert scalars["float0"]["type"] == "float"
    assert scalars["string0"]["type"] == "string" and scalars["string0"]["default"] == ""
    assert [f["name"] for f in arrays["fields"]][:2] == ["salIndex", "private_sndStamp"]


def test_command_ids_and_ack_cmdtypes_match_the_live_values() -> None:
    test_commands = [t.name for t in TEST.commands]
    assert 1308149492 in command_seq_range(test_commands, "setScalars")  # k=6 of N=10
    sq_commands = [t.name for t in SCRIPT_QUEUE.commands]
    show_schema = command_seq_range(sq_commands, "showSchema")
    assert 1519068052 in show_schema and 1519068053 in show_schema
    spans = [command_seq_range(test_commands, n) for n in sorted(test_commands)]
    assert spans[0].start == 1
    assert all(a.stop == b.start for a, b in zip(spans, spans[1:], strict=False))
    assert [cmdtype(TEST, n) for n in ("setArrays", "setScalars", "start", "wait")] == [
        6,
        8,
        10,
        11,
    ]
    names = ("showAvailableScripts", "showQueue", "showSchema")
    assert [cmdtype(SCRIPT_QUEUE, n) for n in names] == [10, 11, 12]


# ------------------------------------------------------------------------------ reading


def test_start_plans() -> None:
    assert start_plan(0, 0, True, True, 500) == start_plan(0, 0, False, False, 1)
    assert start_plan(0, 0, True, True, 500).start == BEGINNING  # empty: from the start
    assert start_plan(0, 9, False, True, 500).start == 9  # telemetry: from now
    non_indexed = start_plan(0, 3, True, False, 500)
    assert (non_indexed.start, non_indexed.history_end) == (2, 2)
    indexed = start_plan(0, 602, True, True, 500)
    assert (indexed.start, indexed.history_end) == (102, 601)
    assert start_plan(0, 602, True, True, 700).start == BEGINNING
    assert start_plan(1, 602, True, True, 601).start == BEGINNING  # start (1) <= lo (1)


def history(records: list[dict], index: int, depth: int, indexed: bool = True) -> list[dict]:
    plan = start_plan(0, len(records), True, indexed, depth)
    first = 0 if plan.start == BEGINNING else plan.start
    window = HistoryWindow(indexed, index, plan.history_end)
    out = None
    for offset in range(first, len(records)):
        out = window.add(offset, records[offset])
    return out or []


def rec(index: int, seq: int, stamp_: float = 0.0) -> dict:
    return {"salIndex": index, "private_seqNum": seq, "private_sndStamp": stamp_}


def test_history_is_what_a_remote_delivers() -> None:
    """The spec's live table (§5.4): records of idx 8 then 9."""
    two = [rec(8, 1), rec(9, 1)]
    assert [r["salIndex"] for r in history(two, 0, 500)] == [8, 9]
    assert [r["salIndex"] for r in history(two, 9, 500)] == [9]
    long = two + [rec(9, 2 + i) for i in range(600)]  # idx 8 is 601 back, hi = 602
    assert [(r["salIndex"], r["private_seqNum"]) for r in history(long, 0, 500)] == [(9, 601)]
    assert [r["salIndex"] for r in history(long, 0, 700)] == [8, 9]
    assert history(long, 8, 500) == []
    states = [{"summaryState": s, "private_seqNum": i + 1} for i, s in enumerate((5, 1, 2))]
    assert history(states, 0, 500, indexed=False) == [states[-1]]


def test_live_filter_rules() -> None:
    """The spec's live results (§5.5), Remote(Test, 0) and Remote(Test, 8)."""
    every, eight = LiveFilter(0), LiveFilter(8)
    t = 1000.0
    for f in (every, eight):
        assert f.admit(rec(8, 1, t))
        assert not f.admit(rec(8, 2, t - 1))  # strictly older: discarded
        assert f.admit(rec(8, 1, t))  # an exact duplicate passes (equal stamps)
    assert every.admit(rec(7, 1, t - 1000))  # the first of an index always passes
    assert not eight.admit(rec(7, 1, t - 1000))  # other index: filtered
    history_filter = LiveFilter(0)
    assert history_filter.admit(rec(8, 1, t))
    assert history_filter.admit(rec(8, 2, t - 5), in_history=True)  # not checked in history
    assert not history_filter.admit(rec(8, 3, t - 6))  # but its stamp counts afterwards


def test_projection_resolves_schemas_as_avro_does() -> None:
    topic = TEST.topic("event", "scalars")
    writer = [f for f in avro_schema(TEST, "event", topic)["fields"] if f["name"] != "int0"]
    writer.append({"name": "extra0", "type": "double", "default": 0.0})
    projection = project(writer, topic)
    assert projection.error is None
    record = {f["name"]: f["default"] for f in writer}
    record["extra0"] = 5.0
    data = projection.apply(record)
    assert list(data) == list(topic.field_names)
    assert data["int0"] == 0 and "extra0" not in data
    promoted = [dict(f, type="int") if f["name"] == "longLong0" else f for f in writer]
    assert project(promoted, topic).error is None  # int -> long is a promotion
    wrong = [dict(f, type="string") if f["name"] == "float0" else f for f in writer]
    assert project(wrong, topic).error == "float0 is string, not float"
