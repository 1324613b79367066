"""The source contract against real salobj 8 and Kafka, with salobj's own ``TestCsc``.

Runs only where ``lsst.ts.salobj`` imports and a broker is configured
(``LSST_KAFKA_BROKER_ADDR``, plus ``LSST_SCHEMA_REGISTRY_URL`` if not the default), as in
Rubin's conda environment: ``pytest -m salobj tests/test_salobj_real.py``. Elsewhere every
test is reported as skipped with the reason. Like salobj's own tests, each harness uses a
random topic subname (``set_test_topic_subname(randomize=True)``) and a random CSC index.
"""

from __future__ import annotations

import importlib.util
import os
import random
import threading
import time

import pytest

from actors.edges.catalog import Catalog
from actors.edges.kafka_source import KafkaSource
from actors.edges.salobj_source import SalobjSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.sal.commands import SalCommand
from love_producer.sal.dedup import SampleFilter
from tests.actors.edges.test_source_contract import (
    SourceContract,
    Until,
    WriterContract,
    wait_samples,
)
from tests.helpers.salobj_csc import CscProcess

TIMEOUT = 60.0  # topic creation and schema registration take a while on first use


def _why_not_runnable() -> str | None:
    try:
        found = importlib.util.find_spec("lsst.ts.salobj") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        return "lsst.ts.salobj is not installed (it comes from Rubin's conda channel lsstts)"
    if not os.environ.get("LSST_KAFKA_BROKER_ADDR"):
        return "no Kafka broker configured (set LSST_KAFKA_BROKER_ADDR)"
    return None


pytestmark = [
    pytest.mark.salobj,
    pytest.mark.skipif(_why_not_runnable() is not None, reason=str(_why_not_runnable())),
]


class RealHarness:
    """A ``TestCsc`` (salobj's test component) in its own process (salobj's CSCs install
    signal handlers: main thread only), written to by the test, read by the salobj source."""

    writes = True
    corrupts = False  # Avro will not carry a malformed sample

    def __init__(self) -> None:
        from lsst.ts import salobj

        self.salobj = salobj
        salobj.set_test_topic_subname(randomize=True)
        self.component = ComponentId("Test", random.randint(1, 2**31 - 1))
        self.info = Catalog.builtin().get("Test")
        self.csc: CscProcess | None = None
        self._csc_lock = threading.Lock()  # the W8 test writes from a second thread
        self.sources: list = []

    def _ensure_csc(self) -> None:
        with self._csc_lock:
            if self.csc is None:
                self.csc = CscProcess(self.component.index, timeout=TIMEOUT)

    def write(self, attr: str, **fields) -> None:
        self._ensure_csc()
        self.csc.write(attr, **fields)

    def before_open(self) -> set[str]:
        self._ensure_csc()  # a CSC writes these when it starts
        return {"softwareVersions", "logLevel", "summaryState"}

    def make_source(self, component: ComponentId | None = None, **kw):
        return SalobjSource(component or self.component, self.info, time.time(), **kw)

    def open(self, component: ComponentId | None = None, **kw):
        source = self.make_source(component, **kw)
        self.sources.append(source)
        assert source.started.wait(TIMEOUT) and source.failed is None, source.failed
        self._ensure_csc()
        return source

    def publish(self) -> None:
        for i in range(3):
            self.write("evt_logLevel", level=10 + i)
            self.write("tel_scalars", int0=i)

    def later(self) -> float:
        return time.time()

    def collect(self, source, until: Until, timeout: float = TIMEOUT) -> list:
        return wait_samples(source, until, timeout)

    def restart_csc(self) -> None:
        """The component restarts under the reader: a new process, seqNums from 1."""
        with self._csc_lock:
            if self.csc is not None:
                self.csc.close()
            self.csc = CscProcess(self.component.index, timeout=TIMEOUT)

    def close(self) -> None:
        for source in self.sources:
            source.close()
        if self.csc is not None:
            self.csc.close()


class RealKafkaHarness(RealHarness):
    """The same TestCsc (real salobj writing), read by ``--source kafka``."""

    def make_source(self, component: ComponentId | None = None, **kw):
        return KafkaSource(component or self.component, self.info, time.time(), **kw)


@pytest.fixture(params=[RealHarness, RealKafkaHarness], ids=["salobj", "kafka"])
def real_harness(request):
    harness = request.param()
    yield harness
    harness.close()


class TestRealSalobj(SourceContract, WriterContract):
    @pytest.fixture
    def harness(self, real_harness):
        return real_harness

    @pytest.fixture
    def harness_describe(self, real_harness):
        return real_harness

    @pytest.fixture
    def harness_latest(self, real_harness):
        return real_harness

    @pytest.fixture
    def harness_close(self, real_harness):
        return real_harness

    @pytest.fixture
    def writer(self, real_harness):
        return real_harness


# ------------------------------------------------------------------ what production meets


def levels(samples, index: int | None = None) -> list[int]:
    return [
        s.data["level"]
        for s in samples
        if s.kind == "event" and s.topic == "logLevel" and (index is None or s.index == index)
    ]


def test_a_command_is_answered_by_the_csc_and_its_ack_counted(real_harness) -> None:
    """Hydration as the ScriptQueue's works: a command out, the CSC's answer back as an
    event, the final ack counted (TestCsc's setScalars writes the scalars event)."""
    h = real_harness
    h.before_open()
    source = h.open(want_commands=True)
    source.command(SalCommand("Test", h.component.index, "setScalars", {"int0": 4242}), 0.0)
    samples = h.collect(
        source,
        lambda s: any(x.topic == "scalars" and x.data["int0"] == 4242 for x in s),
    )
    assert any(
        x.kind == "event" and x.topic == "scalars" and x.data["int0"] == 4242 for x in samples
    )
    deadline = time.monotonic() + TIMEOUT
    while source.counts["commands_done"] < 1:
        assert time.monotonic() < deadline, dict(source.counts)
        assert not source.counts["commands_failed"], dict(source.counts)
        time.sleep(0.05)


def test_an_instance_reads_its_own_index_only(real_harness) -> None:
    h = real_harness
    h.before_open()
    other = CscProcess(h.component.index % (2**31 - 2) + 1, timeout=TIMEOUT)
    try:
        source = h.open()
        other.write("evt_logLevel", level=31)
        h.write("evt_logLevel", level=21)
        samples = h.collect(source, lambda s: 21 in levels(s))
        assert {x.index for x in samples} == {h.component.index}
        assert 31 not in levels(samples)
    finally:
        other.close()


def test_a_component_restarted_under_the_reader_keeps_streaming(real_harness) -> None:
    """A restarted CSC writes its start-up events again with seqNums from 1."""
    h = real_harness
    h.before_open()
    source = h.open()
    for level in (11, 12, 13):
        h.write("evt_logLevel", level=level)
    before = h.collect(source, lambda s: 13 in levels(s))
    h.restart_csc()
    h.write("evt_logLevel", level=14)
    after = h.collect(source, lambda s: 14 in levels(s))
    admitted = SampleFilter().admit(before + after)
    assert levels(admitted)[-1] == 14
    seq = {x.data["level"]: x.data["private_seqNum"] for x in admitted if x.topic == "logLevel"}
    assert seq[14] < seq[13]  # the new process counts from 1 again
    states = [x for x in after if x.topic == "summaryState"]
    assert states, "the restarted CSC's summaryState was not delivered"


def test_a_registry_that_refuses_writes_stops_salobj_but_not_the_kafka_reader(monkeypatch):
    """W10 with real salobj: even a read-only Remote registers every schema and its start
    fails where the registry refuses writes; the Kafka reader only reads schemas by id."""
    from actors.devtools.local_kafka import LocalKafka

    info = Catalog.builtin().get("Test")
    with LocalKafka() as kafka:
        for key, value in kafka.env().items():
            monkeypatch.setenv(key, value)
        component = ComponentId("Test", random.randint(1, 2**31 - 1))
        csc = CscProcess(component.index, timeout=TIMEOUT)  # registers its schemas
        try:
            csc.write("evt_logLevel", level=33)
            registry = kafka.registry.registry
            registry.read_only = True
            salobj_source = SalobjSource(component, info, time.time(), start_timeout=TIMEOUT)
            try:
                assert salobj_source.started.wait(TIMEOUT)
                assert salobj_source.failed is not None and "403" in str(salobj_source.failed)
            finally:
                salobj_source.close()
            refused = registry.calls["refused"]
            assert refused > 0
            kafka_source = KafkaSource(component, info, time.time())
            try:
                samples = wait_samples(kafka_source, lambda s: 33 in levels(s), TIMEOUT)
                assert levels(samples) == [33]
            finally:
                kafka_source.close()
            assert registry.calls["refused"] == refused  # the reader asked for no write
        finally:
            csc.close()
