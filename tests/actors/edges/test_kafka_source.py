"""The Kafka reader (`actors.edges.kafka_source`) over a real broker: what production meets
beyond the source contract (``tests/actors/edges/test_source_contract.py`` runs that one).

Each test gets its own tansu broker and registry stand-in on loopback (`LocalKafka`), and
writes with `SalWriter`, which writes records as salobj's Controller does.
"""

from __future__ import annotations

import io
import json
import os
import time

import pytest

from actors.devtools.local_kafka import BrokerUnavailable, LocalKafka, SalWriter
from actors.edges.catalog import Catalog
from actors.edges.kafka_env import KafkaSettings
from actors.edges.kafka_source import KafkaSource, KafkaSourceFailed, KafkaUnavailable
from love_producer.interfaces.component_id import ComponentId
from love_producer.sal.commands import SalCommand
from love_producer.sal.dedup import SampleFilter
from love_producer.sal.kafka_wire import avro_schema, command_seq_range, kafka_topic
from tests.actors.edges.test_source_contract import TIMEOUT, seen, wait_samples

pytestmark = pytest.mark.kafka

CATALOG = Catalog.builtin()
TEST = CATALOG.get("Test")
TEST_ID = ComponentId("Test", 1)


@pytest.fixture
def kafka():
    try:
        with LocalKafka() as k:
            yield k
    except (BrokerUnavailable, KafkaUnavailable) as e:
        pytest.skip(f"no local Kafka: {e}")


@pytest.fixture
def open_source(kafka):
    sources: list[KafkaSource] = []

    def open_(name: str = "Test", index: int = 1, wait: bool = True, **kw) -> KafkaSource:
        kw.setdefault("settings", kafka.settings())
        source = KafkaSource(ComponentId(name, index), CATALOG.get(name), time.time(), **kw)
        sources.append(source)
        if wait:
            assert source.started.wait(TIMEOUT) and source.failed is None
        return source

    yield open_
    for source in sources:
        source.close()


def writer(kafka, name: str = "Test", index: int = 1, **kw) -> SalWriter:
    return SalWriter(kafka.settings(), CATALOG.get(name), index, **kw)


def values(samples, topic: str, field: str, kind: str = "event") -> list:
    return [s.data[field] for s in seen(samples, kind, topic)]


def test_an_instance_reads_its_own_index_only(kafka, open_source) -> None:
    one, two = writer(kafka, index=1), writer(kafka, index=2)
    one.write("evt_logLevel", level=11)
    two.write("evt_logLevel", level=22)
    one.flush(), two.flush()
    source = open_source(index=1)
    samples = wait_samples(source, lambda s: seen(s, "event", "logLevel"))
    two.write("evt_logLevel", level=23)
    two.write("tel_scalars", int0=2)
    one.write("evt_logLevel", level=12)
    one.write("tel_scalars", int0=1)
    one.flush(), two.flush()
    samples += wait_samples(
        source,
        lambda s: seen(s, "telemetry", "scalars") and 12 in values(s, "logLevel", "level"),
    )
    samples += source.drain(time.time())
    samples = SampleFilter().admit(samples)
    assert values(samples, "logLevel", "level") == [11, 12]
    assert values(samples, "scalars", "int0", "telemetry") == [1]
    assert {s.index for s in samples} == {1}
    assert source.counts["dropped_filtered"] >= 2  # index 2's records were read and dropped


def test_related_components_are_read_at_every_index(kafka, open_source) -> None:
    """A ScriptQueue's source also reads every Script instance (the kinds' related names)."""
    scripts = {i: writer(kafka, "Script", i) for i in (100001, 100002)}
    for i, w in scripts.items():
        w.write("evt_state", state=i % 10)
        w.flush()
    related = {"Script": CATALOG.get("Script")}
    source = open_source("ScriptQueue", 1, related=related, extra_components=("Script",))
    samples = wait_samples(source, lambda s: len(seen(s, "event", "state")) >= 2)
    assert sorted((s.component, s.index) for s in seen(samples, "event", "state")) == [
        ("Script", 100001),
        ("Script", 100002),
    ]
    scripts[100002].write("evt_state", state=7)
    scripts[100002].flush()
    samples = wait_samples(source, lambda s: seen(s, "event", "state"))
    assert [(s.index, s.data["state"]) for s in samples] == [(100002, 7)]


def test_a_component_restarted_under_the_reader_keeps_streaming(kafka, open_source) -> None:
    """A restarted CSC is a new writer: new pid, seqNum from 1 again, later stamps."""
    first = writer(kafka, origin=1001)
    for level in (1, 2, 3):
        first.write("evt_logLevel", level=level)
    first.flush()
    source = open_source()
    samples = wait_samples(source, lambda s: seen(s, "event", "logLevel"))
    again = writer(kafka, origin=1002)
    again.write("evt_logLevel", level=4)
    again.write("evt_logLevel", level=5)
    again.flush()
    samples += wait_samples(source, lambda s: len(seen(s, "event", "logLevel")) >= 2)
    admitted = SampleFilter().admit(samples)
    assert values(admitted, "logLevel", "level") == [3, 4, 5]
    assert values(admitted, "logLevel", "private_seqNum") == [3, 1, 2]
    assert values(admitted, "logLevel", "private_origin") == [1001, 1002, 1002]


def test_late_joiners_get_the_history_of_every_event_topic(kafka, open_source) -> None:
    w = writer(kafka)
    for state in (5, 1, 2):
        w.write("evt_summaryState", summaryState=state)
    w.write("evt_logLevel", level=20)
    w.write("tel_scalars", int0=9)  # telemetry has no history
    w.flush()
    early = open_source()
    w.write("evt_summaryState", summaryState=3)
    w.flush()
    wait_samples(early, lambda s: values(s, "summaryState", "summaryState")[-1:] == [3])
    late = open_source()
    samples = wait_samples(late, lambda s: seen(s, "event", "logLevel"))
    samples += late.drain(time.time())
    assert values(samples, "summaryState", "summaryState") == [3]
    assert values(samples, "logLevel", "level") == [20]
    assert seen(samples, "telemetry", "scalars") == []


def test_reads_with_a_registry_that_refuses_writes_and_creates_no_topic(kafka) -> None:
    """W10: no registration, no topic creation, no consumer group to join."""
    w = writer(kafka)
    w.write("evt_summaryState", summaryState=2)
    w.flush()
    registry = kafka.registry.registry
    registry.read_only = True
    before = dict(registry.calls)
    admin = pytest.importorskip("confluent_kafka.admin").AdminClient(kafka.settings().base_config())
    topics_before = set(admin.list_topics(timeout=10).topics)
    source = KafkaSource(TEST_ID, TEST, time.time(), settings=kafka.settings())
    try:
        assert source.started.wait(TIMEOUT) and source.failed is None
        samples = wait_samples(source, lambda s: seen(s, "event", "summaryState"))
        assert values(samples, "summaryState", "summaryState") == [2]
        calls = {k: v - before.get(k, 0) for k, v in registry.calls.items()}
        assert {k for k, v in calls.items() if v} == {"GET schema"}
        assert set(admin.list_topics(timeout=10).topics) == topics_before
    finally:
        source.close()


def test_topics_created_after_the_start_are_read_from_their_first_record(
    kafka, open_source
) -> None:
    source = open_source()  # nothing written yet: every topic is missing
    w = writer(kafka)
    for i in range(3):
        w.write("evt_scalars", int0=i)
    w.flush()
    samples = wait_samples(source, lambda s: len(seen(s, "event", "scalars")) >= 3, 30.0)
    assert values(samples, "scalars", "int0") == [0, 1, 2]


def test_an_older_writer_schema_reads_with_defaults(kafka, open_source) -> None:
    """Schema evolution: fields the writer lacks take their default, extra ones drop."""
    w = writer(kafka)
    topic = TEST.topic("event", "scalars")
    schema = avro_schema(TEST, "event", topic)
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in ("int0", "string0")]
    schema["fields"].append({"name": "extra0", "type": "double", "default": 0.0})
    w.prepare("event", topic, schema)
    source = open_source()
    w.write("evt_scalars", int0=5, double0=2.5)
    w.flush()
    samples = wait_samples(source, lambda s: seen(s, "event", "scalars"))
    (sample,) = seen(samples, "event", "scalars")
    assert sample.data["int0"] == 0 and sample.data["double0"] == 2.5
    assert list(sample.data) == list(topic.field_names)


def test_an_unreadable_topic_is_isolated_and_counted(kafka, open_source) -> None:
    w = writer(kafka)
    topic = TEST.topic("event", "scalars")
    schema = avro_schema(TEST, "event", topic)
    for f in schema["fields"]:
        if f["name"] == "float0":
            f["type"], f["default"] = "string", ""
    w.prepare("event", topic, schema)
    source = open_source()
    w.write("evt_scalars", float0="not a float")
    w.write("evt_logLevel", level=7)
    w.flush()
    samples = wait_samples(source, lambda s: seen(s, "event", "logLevel"))
    assert seen(samples, "event", "scalars") == []
    assert source.counts["conversion_errors"] == 1
    assert source.topic_errors[("Test", "event", "scalars")] == 1


def test_an_unreachable_broker_fails_the_source_with_the_address(open_source) -> None:
    settings = KafkaSettings(subname="x", broker="127.0.0.1:1", registry_url="http://127.0.0.1:1")
    source = open_source(settings=settings, wait=False, start_timeout=1.0)
    assert source.started.wait(TIMEOUT)
    with pytest.raises(KafkaSourceFailed, match="127.0.0.1:1 unreachable"):
        wait_samples(source, lambda s: False, TIMEOUT)


def test_script_queue_commands_are_written_as_salobj_writes_them(kafka, open_source) -> None:
    """Hydration commands go to the command topic with the schema the CSC registered, and
    their acks (read from ackcmd, matched by identity, pid and seqNum) are counted."""
    confluent_kafka = pytest.importorskip("confluent_kafka")
    fastavro = pytest.importorskip("fastavro")
    sq_info = CATALOG.get("ScriptQueue")
    csc = writer(kafka, "ScriptQueue", 1)  # what the CSC registers at its start
    csc.prepare("command", sq_info.topic("command", "showSchema"))
    csc.write("ackcmd", ack=303)  # the ack topic exists once the CSC has answered anything
    csc.flush()
    source = open_source("ScriptQueue", 1, want_commands=True)
    source.command(
        SalCommand("ScriptQueue", 1, "showSchema", {"isStandard": True, "path": "a.py"}), 0
    )
    source.command(
        SalCommand("ScriptQueue", 1, "showSchema", {"isStandard": False, "path": "b.py"}), 0
    )

    where = kafka_topic(kafka.subname, "ScriptQueue", "command", "showSchema")
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": kafka.broker_addr, "group.id": "t", "enable.auto.commit": False}
    )
    consumer.assign([confluent_kafka.TopicPartition(where, 0, confluent_kafka.OFFSET_BEGINNING)])
    records = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(records) < 2 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            value = message.value()
            schema = kafka.registry.registry.texts[int.from_bytes(value[1:5], "big")]
            parsed = fastavro.parse_schema(json.loads(schema))
            records.append(
                (message.key(), fastavro.schemaless_reader(io.BytesIO(value[5:]), parsed))
            )
    finally:
        consumer.close()
    assert len(records) == 2
    key, first = records[0]
    assert key == b'{ "name": "ScriptQueue", "index": 1, "topic": "command_showSchema" }'
    assert (first["isStandard"], first["path"], first["salIndex"]) == (True, "a.py", 1)
    assert first["private_origin"] == os.getpid() and "@" in first["private_identity"]
    assert first["private_seqNum"] in command_seq_range(
        [t.name for t in sq_info.commands], "showSchema"
    )
    assert records[1][1]["private_seqNum"] == first["private_seqNum"] + 1
    assert first["private_rcvStamp"] == 0.0
    assert first["private_efdStamp"] == first["private_sndStamp"] - 37.0

    for (_, cmd), code in zip(records, (303, -302), strict=True):
        csc.write(
            "ackcmd",
            ack=code,
            identity=cmd["private_identity"],
            origin=cmd["private_origin"],
            private_seqNum=cmd["private_seqNum"],
            result="Done" if code == 303 else "Failed: Unknown script b.py",
        )
    csc.write("ackcmd", ack=303, identity="someone@else", origin=1, private_seqNum=1)
    csc.flush()
    deadline = time.monotonic() + TIMEOUT
    while source.counts["commands_done"] + source.counts["commands_failed"] < 2:
        assert time.monotonic() < deadline, dict(source.counts)
        time.sleep(0.05)
    assert (source.counts["commands_done"], source.counts["commands_failed"]) == (1, 1)
