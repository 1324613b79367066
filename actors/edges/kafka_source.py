"""SAL read straight from Kafka (``--source kafka``): salobj's records without salobj.

`KafkaSource` follows the `actors.edges.sources.SampleSource` contract and delivers what
salobj Remotes would (``spec/salobj-kafka-wire.md`` §5): the same fields, types and private
fields, each event topic's history at start, the index filter, and salobj's out-of-order
rule. One consumer and one thread serve the component and every related component read with
it (the ScriptQueue's scripts), where salobj runs a Remote, a consumer and its threads each.

It uses the broker and the registry read-only: partitions are ``assign()``-ed (no consumer
group joins, nothing is committed), no topic is created, and writer schemas are fetched by id
(a salobj Remote, even read-only, creates topics and registers every schema, W10). A topic
that does not exist yet (its component never ran) is looked for again every few seconds and
read from its first record once it appears.

Commands (the ScriptQueue's hydration: ``showQueue``...) are written to the command topics as
salobj's Remote writes them, with the schema the component registered at its start (read by
subject, so this needs broker write on those topics only); their acks are read from
``ackcmd`` and counted. Only kinds that send commands get a producer.
"""

from __future__ import annotations

import getpass
import io
import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
from types import ModuleType
from typing import Any

from actors.edges.kafka_env import KafkaConfigError, KafkaSettings
from actors.edges.schema_registry import RegistryClient, RegistryError
from actors.edges.source_base import ThreadFedSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo, TopicInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.kafka_wire import (
    BEGINNING,
    SEQ_MAX,
    HistoryWindow,
    LiveFilter,
    Projection,
    command_seq_range,
    kafka_topic,
    private_values,
    project,
    record_key,
    rev_code,
    start_plan,
    subject,
)
from love_producer.sal.samples import TAI_MINUS_UTC, Sample

log = logging.getLogger("love_actors.kafka")

INSTALL_HINT = "--source kafka needs confluent-kafka and fastavro: pip install 'love-actors[kafka]'"

#: ackcmd codes that end a command (``xml/sal_enums.py``): 303 done, the rest failed.
_DONE = 303
_FINAL = {303, -300, -301, -302, -303, -304, 302}
#: Longest wait between two looks for topics that do not exist yet.
MISSING_RETRY_MAX = 10.0


class KafkaUnavailable(RuntimeError):
    """confluent-kafka or fastavro cannot be imported."""


class KafkaSourceFailed(RuntimeError):
    """The source failed (its start, or its thread); ``__cause__`` holds why."""


def import_kafka() -> tuple[ModuleType, ModuleType]:
    """Import ``confluent_kafka`` and ``fastavro`` or raise `KafkaUnavailable`."""
    try:
        import confluent_kafka  # optional (the kafka extra): only --source kafka needs it
        import fastavro  # optional, as confluent_kafka
    except ImportError as e:
        raise KafkaUnavailable(f"{e}: {INSTALL_HINT}") from e
    return confluent_kafka, fastavro


class _Binding:
    """One interface topic of one component instance, bound to its Kafka topic."""

    __slots__ = ("component", "index", "indexed", "kind", "topic", "key", "filter", "history")

    def __init__(self, component: str, index: int, indexed: bool, kind: str, topic: TopicInfo):
        self.component = component
        self.index = index
        self.indexed = indexed
        self.kind = kind
        self.topic = topic
        self.key = (component, kind, topic.name)
        self.filter = LiveFilter(index)
        self.history: HistoryWindow | None = None


class KafkaSource(ThreadFedSource):
    """SAL samples of one component instance (and its related components) read from Kafka.

    Parameters
    ----------
    component : ComponentId
        The component instance (index 0 when not indexed).
    info : ComponentInfo
        Its interface: samples carry its fields, in order; other topics are not read.
    start_time : float
        When the actor started (kept for the `open_source` signature).
    related : dict, optional
        Interfaces of other components by name, for ``extra_components``.
    settings : KafkaSettings, optional
        Where SAL lives; read from the ``LSST_*`` environment when None.
    want_commands : bool
        Write commands (`command`); only kinds that send commands need it.
    extra_components : tuple of str
        Other components read at index 0 (every instance) by the same consumer.
    start_timeout : float
        Longest wait for the broker's metadata and watermarks at start.
    """

    Failed = KafkaSourceFailed

    def __init__(
        self,
        component: ComponentId,
        info: ComponentInfo,
        start_time: float,
        related: dict | None = None,
        *,
        settings: KafkaSettings | None = None,
        want_commands: bool = False,
        extra_components: tuple[str, ...] = (),
        start_timeout: float = 30.0,
        close_timeout: float = 5.0,
    ) -> None:
        info.check_index(component.index)
        self.kafka, self.avro = import_kafka()
        try:
            self.settings = settings if settings is not None else KafkaSettings.from_env()
        except KafkaConfigError as e:
            raise KafkaSourceFailed(str(e)) from None
        super().__init__(component, info)
        self.start_time = start_time
        self.related = dict(related or {})
        self.want_commands = want_commands
        self.start_timeout = start_timeout
        self.close_timeout = close_timeout

        self.registry = RegistryClient(self.settings.registry_url)
        self._closed = threading.Event()
        self._to_send: queue.SimpleQueue[SalCommand] = queue.SimpleQueue()
        self._parsed: dict[int, Any] = {}
        self._projections: dict[tuple[int, int], Projection] = {}
        self._pending_history: dict[str, int] = {}
        self._commands: dict[int, str] = {}  # private_seqNum -> command name, awaiting acks
        self._seq: dict[str, int] = {}
        self._ack_topic: str | None = None
        self._producer: Any = None
        self._identity = f"{getpass.getuser()}@{socket.getfqdn()}"

        self._by_topic: dict[str, list[_Binding]] = {}
        self._bind(info.name, component.index, info)
        for name in extra_components:
            extra = self.related.get(name)
            if extra is None:
                log.warning("%s: no interface for %s: not read", component, name)
                continue
            self._bind(name, 0, extra)
        if want_commands:
            self._ack_topic = kafka_topic(self.settings.subname, info.name, "ackcmd", "ackcmd")
        self._thread = threading.Thread(target=self._run, name="kafka-reader", daemon=True)
        self._thread.start()

    def _bind(self, name: str, index: int, info: ComponentInfo) -> None:
        for kind, topics in (("event", info.events), ("telemetry", info.telemetry)):
            for topic in topics:
                binding = _Binding(name, index, info.indexed, kind, topic)
                where = kafka_topic(self.settings.subname, name, kind, topic.name)
                self._by_topic.setdefault(where, []).append(binding)

    # --------------------------------------------------------------- SampleSource contract

    def command(self, cmd: SalCommand, now: float) -> None:
        """Write ``cmd`` as salobj's Remote would, from the reader thread (the registry is
        asked for its schema: never in the actor's thread); the outcome is logged and
        counted."""
        if not self.want_commands or self._closed.is_set():
            log.warning("%s: cannot send %s (read-only source)", self.component, cmd.name)
            self.counts["commands_rejected"] += 1
            return
        self._to_send.put(cmd)

    def close(self) -> None:
        """Stop the reader thread and close the consumer. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join(self.close_timeout)
        if self._thread.is_alive():
            log.warning(
                "%s: the Kafka reader did not stop within %.1f s",
                self.component,
                self.close_timeout,
            )
        if self._producer is not None:
            self._producer.flush(self.close_timeout)
        self._queue.close()
        self.started.set()

    # ------------------------------------------------------------------ reader thread

    def _run(self) -> None:
        consumer = None
        try:
            config = self.settings.consumer(f"love-actors-{uuid.uuid4().hex[:12]}")
            config["logger"] = log
            consumer = self.kafka.Consumer(config)
            missing = self._assign_existing(consumer)
            if not self._pending_history:
                self.started.set()
            log.info(
                "%s: reading %d Kafka topics (%d not created yet)",
                self.component,
                len(self._by_topic) - len(missing),
                len(missing),
            )
            self._read(consumer, missing)
        except Exception as e:
            if not self._closed.is_set():
                log.error("%s: Kafka source failed: %s", self.component, e)
                self.failed = e
                self._queue.wake()
        finally:
            self.started.set()
            if consumer is not None:
                try:
                    consumer.close()
                except Exception:
                    pass

    def _existing_topics(self, consumer: Any, timeout: float) -> set[str]:
        try:
            return set(consumer.list_topics(timeout=timeout).topics)
        except self.kafka.KafkaException as e:
            raise KafkaSourceFailed(
                f"Kafka broker {self.settings.broker} unreachable ({e.args[0].str()})"
            ) from None

    def _assign_existing(self, consumer: Any) -> set[str]:
        """Assign every existing topic where salobj would start; the rest are missing."""
        existing = self._existing_topics(consumer, self.start_timeout)
        partitions = []
        missing = set()
        TopicPartition = self.kafka.TopicPartition
        for where, bindings in self._by_topic.items():
            if where not in existing:
                missing.add(where)
                continue
            lo, hi = consumer.get_watermark_offsets(
                TopicPartition(where, 0), timeout=self.start_timeout, cached=False
            )
            first = bindings[0]
            plan = start_plan(
                lo,
                hi,
                wants_history=first.kind == "event",
                indexed=first.indexed,
                depth=self.settings.history_depth(first.component),
            )
            if plan.history_end is not None:
                self._pending_history[where] = plan.history_end
                for b in bindings:
                    b.history = HistoryWindow(b.indexed, b.index, plan.history_end)
            offset = self.kafka.OFFSET_BEGINNING if plan.start == BEGINNING else plan.start
            partitions.append(TopicPartition(where, 0, offset))
        if self._ack_topic is not None and self._ack_topic in existing:
            partitions.append(TopicPartition(self._ack_topic, 0, self.kafka.OFFSET_END))
        consumer.assign(partitions)
        return missing

    def _read(self, consumer: Any, missing: set[str]) -> None:
        retry = 1.0
        look_at = time.monotonic() + retry
        while not self._closed.is_set():
            for message in consumer.consume(num_messages=500, timeout=0.1):
                self._handle(message)
            self._send_commands()
            if self._producer is not None:
                self._producer.poll(0)
            if missing and time.monotonic() >= look_at:
                found = missing & self._existing_topics(consumer, 5.0)
                if found:
                    TopicPartition = self.kafka.TopicPartition
                    consumer.incremental_assign(
                        [TopicPartition(t, 0, self.kafka.OFFSET_BEGINNING) for t in found]
                    )
                    missing -= found
                    log.info("%s: %d more Kafka topics appeared", self.component, len(found))
                retry = min(retry * 2, MISSING_RETRY_MAX)
                look_at = time.monotonic() + retry

    def _handle(self, message: Any) -> None:
        error = message.error()
        if error is not None:
            if error.code() != self.kafka.KafkaError._PARTITION_EOF:
                self.counts["kafka_errors"] += 1
                if self.counts["kafka_errors"] == 1 or self.counts["kafka_errors"] % 1000 == 0:
                    log.warning("%s: Kafka: %s", self.component, error.str())
            return
        where = message.topic()
        if where == self._ack_topic:
            self._handle_ack(message.value())
            return
        bindings = self._by_topic.get(where)
        if not bindings:
            return
        self.counts["records"] += 1
        offset = message.offset()
        history_end = self._pending_history.get(where)
        in_history = history_end is not None and offset <= history_end
        try:
            schema_id, record = self._decode(message.value())
        except Exception as e:
            for b in bindings:
                self._record_error(b, e)
            record = None
        for b in bindings:
            if record is not None:
                self._offer(b, schema_id, record, offset, in_history)
        if in_history and offset >= history_end:
            # Delivered (or skipped, for an unreadable record): this topic's history is done.
            for b in bindings:
                b.history = None
            del self._pending_history[where]
            if not self._pending_history:
                self.started.set()

    def _decode(self, value: bytes | None) -> tuple[int, dict]:
        if not value or len(value) < 5 or value[0] != 0:
            raise ValueError("not a schema-registry framed Avro record")
        schema_id = int.from_bytes(value[1:5], "big")
        parsed = self._parsed.get(schema_id)
        if parsed is None:
            parsed = self.avro.parse_schema(self.registry.schema(schema_id))
            self._parsed[schema_id] = parsed
        record = self.avro.schemaless_reader(io.BytesIO(value[5:]), parsed, None)
        if not isinstance(record, dict):
            raise ValueError("not an Avro record")
        return schema_id, record

    def _offer(
        self, b: _Binding, schema_id: int, record: dict, offset: int, in_history: bool
    ) -> None:
        projection = self._projections.get((schema_id, id(b)))
        if projection is None:
            fields = self._parsed[schema_id].get("fields", ())
            projection = project(fields, b.topic)
            self._projections[(schema_id, id(b))] = projection
        if projection.error is not None:
            self._record_error(b, ValueError(projection.error))
            return
        if in_history and b.history is not None:
            b.filter.admit(record, in_history=True)  # remembers the stamp, as salobj does
            ready = b.history.add(offset, record)
            for r in ready or ():
                self._deliver(b, projection, r)
            return
        if b.filter.admit(record):
            self._deliver(b, projection, record)
        else:
            self.counts["dropped_filtered"] += 1

    def _deliver(self, b: _Binding, projection: Projection, record: dict) -> None:
        data = projection.apply(record)
        now = time.time()
        data["private_rcvStamp"] = now + TAI_MINUS_UTC
        index = int(data.get("salIndex", 0)) if b.indexed else 0
        self._latest[b.key] = data
        self.counts["samples"] += 1
        self._queue.put(Sample(b.component, index, b.kind, b.topic.name, data, now))

    def _record_error(self, b: _Binding, e: Exception) -> None:
        self.counts["conversion_errors"] += 1
        self.topic_errors[b.key] += 1
        n = self.topic_errors[b.key]
        if n == 1 or n % 1000 == 0:
            log.error(
                "%s %s %s: record not readable (%s: %s); %d so far on this topic",
                b.component,
                b.kind,
                b.topic.name,
                type(e).__name__,
                e,
                n,
            )

    # ------------------------------------------------------------------------ commands

    def _send_commands(self) -> None:
        while True:
            try:
                cmd = self._to_send.get_nowait()
            except queue.Empty:
                return
            try:
                self._write_command(cmd)
            except Exception as e:  # the registry or the broker: one command, never the rest
                log.warning("%s: command %s not sent: %s", self.component, cmd.name, e)
                self.counts["commands_failed"] += 1

    def _write_command(self, cmd: SalCommand) -> None:
        info = self.info if cmd.component == self.info.name else self.related.get(cmd.component)
        topic = info.topic("command", cmd.name) if info is not None else None
        if info is None or topic is None:
            log.warning("%s: unknown command %s.%s", self.component, cmd.component, cmd.name)
            self.counts["commands_rejected"] += 1
            return
        where = kafka_topic(self.settings.subname, cmd.component, "command", cmd.name)
        # The schema the component registered for it (written as the component reads it).
        latest = self.registry.latest(subject(where))
        schema = latest["schema"]
        parsed = self._parsed.get(latest["id"])
        if parsed is None:
            parsed = self.avro.parse_schema(schema)
            self._parsed[latest["id"]] = parsed
        seq = self._next_seq(info, cmd.name)
        tai = time.time() + TAI_MINUS_UTC
        record = {f["name"]: f.get("default") for f in schema["fields"]}
        record.update({k: v for k, v in cmd.fields.items() if k in record})
        record.update(private_values(tai, seq, rev_code(schema), self._identity, os.getpid()))
        if "salIndex" in record:
            record["salIndex"] = cmd.index
        body = io.BytesIO()
        body.write(b"\0" + int(latest["id"]).to_bytes(4, "big"))
        self.avro.schemaless_writer(body, parsed, record)
        if self._producer is None:
            config = self.settings.producer()
            config["logger"] = log
            self._producer = self.kafka.Producer(config)
        key = record_key(cmd.component, cmd.index, info.indexed, "command", cmd.name)
        self._commands[seq] = cmd.name
        self._producer.produce(where, key=key, value=body.getvalue())
        self.counts["commands_sent"] += 1

    def _next_seq(self, info: ComponentInfo, command: str) -> int:
        span = command_seq_range([t.name for t in info.commands], command)
        seq = self._seq.get(command)
        seq = random.choice(span) if seq is None else seq + 1
        if seq not in span or seq > SEQ_MAX:
            seq = span.start
        self._seq[command] = seq
        return seq

    def _handle_ack(self, value: bytes | None) -> None:
        try:
            _, ack = self._decode(value)
        except Exception:
            self.counts["ack_errors"] += 1
            return
        if ack.get("identity") != self._identity or ack.get("origin") != os.getpid():
            return
        name = self._commands.get(ack.get("private_seqNum"))
        code = ack.get("ack")
        if name is None or code not in _FINAL:
            return
        del self._commands[ack["private_seqNum"]]
        if code == _DONE:
            self.counts["commands_done"] += 1
        else:
            self.counts["commands_failed"] += 1
            log.warning(
                "%s: command %s failed: ack=%s result=%r",
                self.component,
                name,
                code,
                ack.get("result", ""),
            )


__all__ = ["KafkaSource", "KafkaSourceFailed", "KafkaUnavailable", "RegistryError"]
