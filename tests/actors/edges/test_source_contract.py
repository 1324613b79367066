"""One contract for every SAL source (``actors.edges.sources.SampleSource``), run against
each source.

A *harness* opens a source of the component ``Test:1`` and knows how to make it publish. To
add a source, write a harness class and add one line to `HARNESSES`. The contract comes in
mixins, so the real-salobj tier (`tests.actors.edges.test_salobj_real`) runs the same tests:

* `SourceContract`, for every source: the interface, sample shape, order, latest value,
  history, close; the simulator shows them through what it publishes by itself;
* `WriterContract`, for sources fed by a writer a test controls (salobj, its double);
* `CorruptionContract`, for sources a malformed sample can be injected into.

Samples are awaited on the source's ``fileno()`` with ``select`` and a deadline; a polled
source (``fileno() is None``, the simulator) is driven by a virtual clock instead.
"""

from __future__ import annotations

import select
import shutil
import tempfile
import threading
import time
import types
from collections.abc import Callable

import pytest

from actors.devtools.local_kafka import BrokerUnavailable, LocalKafka, SalWriter
from actors.edges.catalog import Catalog
from actors.edges.journal_files import make_recorder
from actors.edges.journal_source import JournalFileSource
from actors.edges.kafka_source import KafkaSource, KafkaUnavailable
from actors.edges.salobj_source import SalobjSource
from actors.edges.settings import RecordConfig, SourceConfig
from actors.edges.sim_source import SimSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.journal import StartConfig, csc_actor_name
from love_producer.kinds import KindSettings
from love_producer.sal.dedup import SampleFilter
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings
from tests.helpers.salobj_double import SalobjDouble

CATALOG = Catalog.builtin()
TEST_ID = ComponentId("Test", 1)
TIMEOUT = 10.0

Until = Callable[[list[Sample]], bool]


def seen(samples: list[Sample], kind: str, topic: str) -> list[Sample]:
    return [s for s in samples if s.kind == kind and s.topic == topic]


def wait_samples(source, until: Until, timeout: float = TIMEOUT) -> list[Sample]:
    """Drain a watched source (``fileno()`` not None) until ``until(samples)`` or fail."""
    samples: list[Sample] = []
    deadline = time.monotonic() + timeout
    while not until(samples):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out; got {[(s.kind, s.topic) for s in samples]}")
        fd = source.fileno()
        assert fd is not None, "source closed while waiting"
        select.select([fd], [], [], remaining)
        samples += source.drain(time.time())
    return samples


# ------------------------------------------------------------------------------ harnesses


class SimHarness:
    """The simulator: no external writer; time is virtual (0.25 s steps)."""

    writes = False
    corrupts = False
    start = 1_700_000_000.0

    def __init__(self) -> None:
        self.component = TEST_ID
        self.info = CATALOG.get("Test")
        self.now = self.start

    def before_open(self) -> set[str]:
        # The simulator publishes its start-up (history) events on the first drain.
        return {"softwareVersions", "logLevel", "simulationMode", "summaryState"}

    def open(self):
        return SimSource(self.component, self.info, SourceConfig(), self.start)

    def publish(self) -> None:
        pass  # it publishes by itself as time passes

    def later(self) -> float:
        """A ``now`` by which the source has published more."""
        return self.now + 5.0

    def collect(self, source, until: Until, timeout: float = 30.0) -> list[Sample]:
        samples: list[Sample] = []
        end = self.now + timeout
        while not until(samples):
            assert self.now < end, f"no match in {timeout} simulated seconds"
            samples += source.drain(self.now)
            self.now += 0.25
        return samples

    def close(self) -> None:
        pass


class WatchedHarness:
    """What harnesses of thread-fed sources share: real time, and samples awaited on the
    source's file descriptor."""

    def later(self) -> float:
        return time.time()

    def collect(self, source, until: Until, timeout: float = TIMEOUT) -> list[Sample]:
        return wait_samples(source, until, timeout)


class DoubleHarness(WatchedHarness):
    """The salobj adapter over the in-memory salobj double."""

    writes = True
    corrupts = True

    def __init__(self) -> None:
        self.component = TEST_ID
        self.info = CATALOG.get("Test")
        self.double = SalobjDouble({"Test": self.info, "Script": CATALOG.get("Script")})
        self.sources: list[SalobjSource] = []

    def write(self, attr: str, **fields) -> None:
        self.double.write("Test", self.component.index, attr, **fields)

    def write_bad(self, attr: str) -> None:
        self.double.write_raw("Test", attr, types.SimpleNamespace(salIndex=1, junk=True))

    def before_open(self) -> set[str]:
        self.write("evt_softwareVersions", cscVersion="1.0")
        self.write("evt_summaryState", summaryState=5)
        return {"softwareVersions", "summaryState"}

    def open(self) -> SalobjSource:
        source = SalobjSource(self.component, self.info, time.time(), salobj=self.double)
        self.sources.append(source)
        # Live writes must follow the start, or they are history (telemetry has none).
        assert source.started.wait(TIMEOUT) and source.failed is None
        return source

    def publish(self) -> None:
        for i in range(3):
            self.write("evt_heartbeat", heartbeat=True)
            self.write("evt_logLevel", level=10 + i)
            self.write("tel_scalars", int0=i)

    def close(self) -> None:
        for source in self.sources:
            source.close()


class KafkaHarness(WatchedHarness):
    """The Kafka reader (``--source kafka``) over a real broker (tansu) and the registry
    stand-in on loopback, fed by `SalWriter` (records as salobj's Controller writes them)."""

    writes = True
    corrupts = True

    def __init__(self) -> None:
        self.component = TEST_ID
        self.info = CATALOG.get("Test")
        self.sources: list = []
        self.kafka = None
        self.writer = None
        try:
            self.kafka = LocalKafka().__enter__()
        except (BrokerUnavailable, KafkaUnavailable) as e:
            pytest.skip(f"no local Kafka: {e}")
        self.writer = SalWriter(self.kafka.settings(), self.info, self.component.index)

    def write(self, attr: str, **fields) -> None:
        self.writer.write(attr, **fields)
        self.writer.flush()

    def write_bad(self, attr: str) -> None:
        self.writer.write_raw(attr, b"\0\0\0\0\x01not avro")
        self.writer.flush()

    def before_open(self) -> set[str]:
        self.write("evt_softwareVersions", cscVersion="1.0")
        self.write("evt_summaryState", summaryState=5)
        return {"softwareVersions", "summaryState"}

    def open(self):
        source = KafkaSource(self.component, self.info, time.time(), settings=self.kafka.settings())
        self.sources.append(source)
        assert source.started.wait(TIMEOUT) and source.failed is None
        return source

    def publish(self) -> None:
        for i in range(3):
            self.writer.write("evt_heartbeat", heartbeat=True)
            self.writer.write("evt_logLevel", level=10 + i)
            self.writer.write("tel_scalars", int0=i)
        self.writer.flush()

    def close(self) -> None:
        for source in self.sources:
            source.close()
        if self.kafka is not None:
            self.kafka.close()


class JournalHarness(SimHarness):
    """The journal source (``--source replay``): a recorded simulator run played back.

    The journal is recorded the way a live CSC actor records it
    (`actors.edges.journal_files`), so this
    also checks that what was recorded is what plays back.
    """

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="love-journal-")
        recorder = make_recorder(
            RecordConfig(self.folder),
            csc_actor_name(self.component.name, self.component.index),
            StartConfig(
                self.component.name,
                self.component.index,
                self.info,
                CSCSettings(),
                KindSettings(),
                self.start,
                {},
            ),
        )
        sim = SimSource(self.component, self.info, SourceConfig(), self.start)
        t = self.start
        while t < self.start + 60.0:
            recorder.step("wakeup", t, sim.drain(t))
            t += 0.25
        recorder.close()

    def open(self):
        return JournalFileSource(self.component, self.info, self.folder, self.start, speed=1.0)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


#: Source name -> harness class. Adding a source is one line here.
HARNESSES: dict[str, type] = {
    "sim": SimHarness,
    "journal": JournalHarness,
    "salobj-double": DoubleHarness,
    "kafka": KafkaHarness,
}

#: What a source does not do yet, by source name and contract point (strict xfail markers, so
#: they show when the gap closes and the marker must go). Empty: every source has it all.
SIM_GAPS: dict[str, tuple[str, type]] = {}


def harness_params(capability: str | None = None, gap: str | None = None) -> list:
    params = []
    for name, cls in HARNESSES.items():
        if capability is not None and not getattr(cls, capability):
            continue
        marks = []
        if name == "sim" and gap in SIM_GAPS:
            reason, raises = SIM_GAPS[gap]
            marks.append(pytest.mark.xfail(reason=reason, raises=raises, strict=True))
        params.append(pytest.param(cls, id=name, marks=marks))
    return params


def make_harness(request):
    harness = request.param()
    request.addfinalizer(harness.close)
    return harness


# ------------------------------------------------------------------------------ contract


class SourceContract:
    """Properties every source has. Subclasses provide a ``harness`` fixture."""

    def test_describe_is_the_interface(self, harness_describe) -> None:
        h = harness_describe
        source = h.open()
        assert source.describe() == h.info

    def test_samples_match_the_interface(self, harness) -> None:
        h = harness
        source = h.open()
        h.publish()
        samples = h.collect(source, lambda s: any(x.kind == "telemetry" for x in s) and len(s) >= 5)
        for s in samples:
            assert isinstance(s, Sample)
            assert (s.component, s.index) == (h.info.name, h.component.index)
            topic = h.info.topic(s.kind, s.topic)
            assert topic is not None, f"{s.kind} {s.topic} is not in the interface"
            assert list(s.data) == list(topic.field_names), s.topic
            assert isinstance(s.rcv_time, float)

    def test_events_in_order_per_topic(self, harness) -> None:
        h = harness
        source = h.open()
        h.publish()
        samples = h.collect(source, lambda s: len(seen(s, "event", "heartbeat")) >= 3)
        by_topic: dict[tuple[str, str], list[Sample]] = {}
        for s in samples:
            by_topic.setdefault((s.kind, s.topic), []).append(s)
        for key, items in by_topic.items():
            seqs = [s.data["private_seqNum"] for s in items]
            assert seqs == sorted(set(seqs)), f"{key}: {seqs}"
            snds = [s.data["private_sndStamp"] for s in items]
            assert snds == sorted(snds), key

    def test_latest_is_the_last_delivered(self, harness_latest) -> None:
        h = harness_latest
        source = h.open()
        h.publish()
        samples = h.collect(source, lambda s: len(seen(s, "event", "heartbeat")) >= 3)
        last = {(s.kind, s.topic): s.data for s in samples}
        for (kind, topic), data in last.items():
            assert source.latest(kind, topic) == data, topic
        assert source.latest("event", "no_such_topic") is None

    def test_history_is_delivered_after_open(self, harness) -> None:
        h = harness
        expected = h.before_open()
        source = h.open()
        samples = h.collect(source, lambda s: expected <= {x.topic for x in s if x.kind == "event"})
        for topic in expected:
            # A source may deliver history twice (salobj: callback and get()); the one
            # de-duplication rule the state machines apply leaves exactly one.
            copies = seen(samples, "event", topic)
            assert copies, f"{topic} history not delivered"
            assert len(SampleFilter().admit(copies)) == 1, f"{topic} history not delivered once"

    def test_close_stops_delivery_and_is_idempotent(self, harness_close) -> None:
        h = harness_close
        source = h.open()
        h.publish()
        h.collect(source, lambda s: len(s) > 0)
        source.close()
        source.close()
        assert source.fileno() is None
        h.publish()
        assert source.drain(h.later()) == []


class WriterContract:
    """Properties shown by writing chosen samples. Subclasses provide ``writer``.

    "Exactly once" is what the state machine sees: what the source delivers after the one
    de-duplication rule (`love_producer.sal.dedup`), which the state machines apply."""

    def test_history_then_live_exactly_once(self, writer) -> None:
        h = writer
        h.write("evt_logLevel", level=1)
        h.write("evt_logLevel", level=2)  # history keeps the newest only
        source = h.open()
        samples = h.collect(source, lambda s: seen(s, "event", "logLevel"))
        h.write("evt_logLevel", level=3)
        samples += h.collect(source, lambda s: seen(s, "event", "logLevel"))
        admitted = SampleFilter().admit(samples)
        assert [s.data["level"] for s in seen(admitted, "event", "logLevel")] == [2, 3]

    def test_events_arrive_in_write_order(self, writer) -> None:
        h = writer
        source = h.open()
        h.collect(source, lambda s: True)
        for i in range(40):
            h.write("evt_scalars", int0=i)
        samples = h.collect(source, lambda s: len(seen(s, "event", "scalars")) >= 40)
        assert [s.data["int0"] for s in seen(samples, "event", "scalars")] == list(range(40))

    def test_no_event_lost_between_history_and_live(self, writer) -> None:
        """W8: events written while the source starts are all delivered from the first
        one delivered on (history is the last one written before the reader joined)."""
        h = writer
        count = 60  # below salobj's queue length (100), which drops the oldest beyond
        done = threading.Event()

        def write_all() -> None:
            for i in range(count):
                h.write("evt_scalars", int0=i)
            done.set()

        writer_thread = threading.Thread(target=write_all)
        writer_thread.start()
        try:
            source = h.open()
            samples = h.collect(
                source,
                lambda s: any(x.data["int0"] == count - 1 for x in seen(s, "event", "scalars")),
            )
        finally:
            writer_thread.join(TIMEOUT)
        assert done.is_set()
        admitted = SampleFilter().admit(samples)
        values = [s.data["int0"] for s in seen(admitted, "event", "scalars")]
        assert values == list(range(values[0], count)), values


class CorruptionContract:
    """A malformed sample on one topic does not stop the others. Needs ``corruptor``."""

    def test_bad_sample_does_not_stop_other_topics(self, corruptor) -> None:
        h = corruptor
        source = h.open()
        h.collect(source, lambda s: True)
        h.write_bad("evt_scalars")
        h.write("evt_logLevel", level=7)
        h.write("evt_scalars", int0=8)
        samples = h.collect(
            source,
            lambda s: seen(s, "event", "logLevel") and seen(s, "event", "scalars"),
        )
        assert [s.data["level"] for s in seen(samples, "event", "logLevel")] == [7]
        assert [s.data["int0"] for s in seen(samples, "event", "scalars")] == [8]


# ------------------------------------------------------------------------------ the runs


class TestEverySource(SourceContract):
    @pytest.fixture(params=harness_params())
    def harness(self, request):
        return make_harness(request)

    @pytest.fixture(params=harness_params(gap="describe"))
    def harness_describe(self, request):
        return make_harness(request)

    @pytest.fixture(params=harness_params(gap="latest"))
    def harness_latest(self, request):
        return make_harness(request)

    @pytest.fixture(params=harness_params(gap="close"))
    def harness_close(self, request):
        return make_harness(request)


class TestWrittenSources(WriterContract):
    @pytest.fixture(params=harness_params("writes"))
    def writer(self, request):
        return make_harness(request)


class TestCorruptibleSources(CorruptionContract):
    @pytest.fixture(params=harness_params("corrupts"))
    def corruptor(self, request):
        return make_harness(request)


def test_every_harness_describes_the_same_component() -> None:
    """Guards the registry: each harness opens ``Test:1`` with the catalog interface."""
    for cls in HARNESSES.values():
        h = cls()
        try:
            assert h.component == TEST_ID
            assert isinstance(h.info, ComponentInfo) and h.info == CATALOG.get("Test")
        finally:
            h.close()
