"""How salobj 8 lays SAL out on Kafka, as plain values (``spec/salobj-kafka-wire.md``).

The Kafka reader (`actors.edges.kafka_source`) and the test writer
(`actors.devtools.sal_writer`) share these facts: topic names, record keys, Avro schemas built
from an interface, where a reader starts on a partition, which history records it delivers and
which live records it drops. No I/O and no clock: callers pass offsets, records and times.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import attrs

from love_producer.interfaces.interface import ComponentInfo, FieldInfo, TopicInfo, private_fields

#: SAL's look-back (in offsets, all indices together) for the history of an indexed component.
MAX_HISTORY_READ = 500

#: Avro type of each IDL type (``xml/field_info.py`` in ts_xml).
AVRO_TYPE: dict[str, str] = {
    "boolean": "boolean",
    "byte": "int",
    "short": "int",
    "int": "int",
    "long": "int",  # SAL's long is 32-bit
    "long long": "long",
    "unsigned short": "int",
    "unsigned int": "long",
    "unsigned long": "long",
    "unsigned long long": "long",
    "float": "float",
    "double": "double",
    "string": "string",
}

#: Avro types a reader of the first accepts from a writer of the second (Avro promotion).
PROMOTES: dict[str, frozenset[str]] = {
    "boolean": frozenset({"boolean"}),
    "int": frozenset({"int"}),
    "long": frozenset({"int", "long"}),
    "float": frozenset({"int", "long", "float"}),
    "double": frozenset({"int", "long", "float", "double"}),
    "string": frozenset({"string"}),
}

_SAL_PREFIX = {"telemetry": "", "event": "logevent_", "command": "command_"}


def sal_name(kind: str, topic: str) -> str:
    """The SAL name of a topic: ``position``, ``logevent_summaryState``, ``command_start``,
    ``ackcmd`` (``kind`` "ackcmd")."""
    if kind == "ackcmd":
        return "ackcmd"
    return _SAL_PREFIX[kind] + topic


def kafka_topic(subname: str, component: str, kind: str, topic: str) -> str:
    """``lsst.<subname>.<Component>.<sal_name>``: one Kafka topic for every index."""
    return f"lsst.{subname}.{component}.{sal_name(kind, topic)}"


def subject(kafka_topic_name: str) -> str:
    """The registry subject of a topic's values (TopicNameStrategy)."""
    return f"{kafka_topic_name}-value"


def record_key(component: str, index: int, indexed: bool, kind: str, topic: str) -> bytes:
    """The record key salobj writes: empty for telemetry, else a JSON text with single spaces
    (on compacted event topics Kafka keeps the newest record per key)."""
    if kind == "telemetry":
        return b""
    name = sal_name(kind, topic)
    if indexed:
        text = f'{{ "name": "{component}", "index": {index}, "topic": "{name}" }}'
    else:
        text = f'{{ "name": "{component}", "topic": "{name}" }}'
    return text.encode()


# ------------------------------------------------------------------------------ schemas


def ackcmd_topic(indexed: bool) -> TopicInfo:
    """The ``ackcmd`` topic every component has."""
    fields = private_fields(indexed) + (
        FieldInfo("ack", "long"),
        FieldInfo("error", "long"),
        FieldInfo("result", "string"),
        FieldInfo("identity", "string"),
        FieldInfo("origin", "long"),
        FieldInfo("cmdtype", "long"),
        FieldInfo("timeout", "double", units="second"),
    )
    return TopicInfo("ackcmd", "event", fields)


def _field_schema(f: FieldInfo) -> dict:
    avro = AVRO_TYPE[f.sal_type]
    scalar = f.default_value() if f.count == 1 else f.python_type()
    if f.count > 1 and f.sal_type != "string":
        return {
            "name": f.name,
            "type": {"type": "array", "items": avro},
            "default": [scalar] * f.count,
            "description": "",
            "units": f.units,
        }
    return {"name": f.name, "type": avro, "default": scalar, "description": "", "units": f.units}


def avro_schema(component: ComponentInfo, kind: str, topic: TopicInfo) -> dict:
    """The record schema salobj registers for a topic, keys in salobj's order. The namespace
    is ``lsst.sal.<Component>`` whatever the subname. Descriptions are empty: the interfaces
    carry facts only (they do not change what a record's bytes hold)."""
    return {
        "type": "record",
        "name": sal_name(kind, topic.name),
        "namespace": f"lsst.sal.{component.name}",
        "fields": [_field_schema(f) for f in topic.fields],
        "description": "",
    }


def schema_text(schema: dict) -> str:
    """The string registered: ``json.dumps`` with default separators, ASCII only."""
    return json.dumps(schema)


def rev_code(schema: dict) -> str:
    """``private_revCode``: the first 8 hex digits of MD5 over ``json.dumps(schema, indent=4)``."""
    return hashlib.md5(json.dumps(schema, indent=4).encode()).hexdigest()[:8]


def avro_type_name(avro_type: object) -> str:
    """``int``, ``string``... or ``array:<items>`` of a field's schema type."""
    if isinstance(avro_type, dict):
        if avro_type.get("type") == "array":
            return "array:" + avro_type_name(avro_type.get("items"))
        return str(avro_type.get("type"))
    return str(avro_type)


@attrs.frozen
class Projection:
    """How records of one writer schema become samples of one interface topic (Avro schema
    resolution, done once per schema id): fields the writer lacks take their default, extra
    writer fields are dropped. ``error`` says why no record of this schema can be read."""

    names: tuple[str, ...]
    missing: dict = attrs.field(factory=dict)
    error: str | None = None

    def apply(self, record: dict) -> dict:
        missing = self.missing
        return {n: (missing[n] if n in missing else record[n]) for n in self.names}


def project(writer_fields: Iterable[dict], topic: TopicInfo) -> Projection:
    """The `Projection` from a writer schema's ``fields`` onto ``topic``'s fields."""
    writer = {f.get("name"): avro_type_name(f.get("type")) for f in writer_fields}
    missing: dict[str, object] = {}
    for f in topic.fields:
        want = _field_schema(f)
        want_type = avro_type_name(want["type"])
        have = writer.get(f.name)
        if have is None:
            missing[f.name] = want["default"]
            continue
        w_items, _, w_scalar = want_type.rpartition(":")
        h_items, _, h_scalar = have.rpartition(":")
        if w_items != h_items or h_scalar not in PROMOTES.get(w_scalar, frozenset()):
            return Projection(topic.field_names, error=f"{f.name} is {have}, not {want_type}")
    return Projection(topic.field_names, missing)


# ------------------------------------------------------------------------------ reading

#: Where a partition starts when it should be read from its first record.
BEGINNING = "beginning"


@attrs.frozen
class StartPlan:
    """Where a reader starts on a partition and up to which offset it reads history.

    ``start`` is an offset or `BEGINNING`; ``history_end`` is the offset of the last history
    record (``hi - 1``) or None when no history is pending."""

    start: int | str
    history_end: int | None


def start_plan(lo: int, hi: int, wants_history: bool, indexed: bool, depth: int) -> StartPlan:
    """Where to start on a partition with watermarks ``(lo, hi)`` (``sal_info.py`` on_assign):
    an empty partition from its beginning; without history at ``hi``; a non-indexed
    component's history is its last record; an indexed one's reads back ``depth`` offsets
    (every index together)."""
    if hi <= 0:
        return StartPlan(BEGINNING, None)
    if not wants_history:
        return StartPlan(hi, None)
    start = hi - (depth if indexed else 1)
    return StartPlan(BEGINNING if start <= lo else start, hi - 1)


class HistoryWindow:
    """The history of one event topic as a Remote of ``index`` delivers it: a non-indexed
    component's last record; for an indexed one the latest record per ``salIndex`` (only
    ``index``'s unless it is 0), queued in order of each index's first appearance."""

    def __init__(self, indexed: bool, index: int, end: int) -> None:
        self.indexed = indexed
        self.index = index
        self.end = end
        self._latest: dict[int, dict] = {}

    def add(self, offset: int, record: dict) -> list[dict] | None:
        """Take the record at ``offset``; returns the history to deliver once ``offset``
        reaches the end, else None."""
        if not self.indexed:
            if offset >= self.end:
                return [record]
            return None
        sal_index = int(record.get("salIndex", 0))
        if self.index == 0 or sal_index == self.index:
            # dicts keep the first insertion's order: the order of first appearance.
            self._latest[sal_index] = record
        if offset >= self.end:
            return list(self._latest.values())
        return None


class LiveFilter:
    """The live-record rules of a salobj reader, per topic: drop a record whose
    ``private_sndStamp`` is strictly older than the last seen for its ``salIndex`` (except
    while history is read), then drop other indices when the reader has an index."""

    def __init__(self, index: int) -> None:
        self.index = index
        self._last: dict[int, float] = {}

    def admit(self, record: dict, in_history: bool = False) -> bool:
        sal_index = int(record.get("salIndex", 0))
        stamp = record.get("private_sndStamp", 0.0)
        last = self._last.get(sal_index)
        if not in_history and last is not None and stamp < last:
            return False
        self._last[sal_index] = stamp
        return self.index == 0 or sal_index == self.index


# ------------------------------------------------------------------------------ writing

#: Largest ``private_seqNum`` before it wraps to 1.
SEQ_MAX = 2**31 - 1


def command_seq_range(command_names: Iterable[str], command: str) -> range:
    """The ``private_seqNum`` range a commander uses for ``command`` (``remote_command.py``):
    the component's sorted command names split ``1..2**31-1`` into equal parts."""
    names = sorted(command_names)
    size = SEQ_MAX // len(names)
    k = names.index(command)
    return range(k * size + 1, (k + 1) * size + 1)


def cmdtype(component: ComponentInfo, command: str) -> int:
    """``ackcmd.cmdtype`` of a command: its position among *all* the component's SAL names
    (ackcmd, telemetry, commands and events together), sorted."""
    names = sorted(
        ["ackcmd"]
        + [sal_name("telemetry", t.name) for t in component.telemetry]
        + [sal_name("command", t.name) for t in component.commands]
        + [sal_name("event", t.name) for t in component.events]
    )
    return names.index(sal_name("command", command))


def stamp(
    topic: TopicInfo,
    values: dict,
    *,
    tai: float,
    seq_num: int,
    rev: str,
    identity: str,
    origin: int,
    index: int,
    tai_minus_utc: float = 37.0,
) -> dict:
    """A whole record as a salobj writer puts it on the wire: every field (defaults for the
    ones not in ``values``), the private fields stamped at ``tai`` (rcvStamp 0, kafkaStamp
    equal to sndStamp, efdStamp in UTC), ``salIndex`` when the index is not 0."""
    record = topic.default_sample()
    record.update({k: v for k, v in values.items() if k in record})
    record.update(private_values(tai, seq_num, rev, identity, origin, tai_minus_utc))
    if "salIndex" in record and index != 0:
        record["salIndex"] = index
    return record


def private_values(
    tai: float, seq_num: int, rev: str, identity: str, origin: int, tai_minus_utc: float = 37.0
) -> dict:
    """The private fields a writer stamps at ``tai``: rcvStamp 0 (the reader sets it),
    kafkaStamp equal to sndStamp, efdStamp in UTC."""
    return {
        "private_sndStamp": tai,
        "private_rcvStamp": 0.0,
        "private_efdStamp": tai - tai_minus_utc,
        "private_kafkaStamp": tai,
        "private_seqNum": seq_num,
        "private_revCode": rev,
        "private_identity": identity,
        "private_origin": origin,
    }
