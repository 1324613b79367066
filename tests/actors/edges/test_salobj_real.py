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

    def make_source(self):
        return SalobjSource(self.component, self.info, time.time())

    def open(self):
        source = self.make_source()
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

    def make_source(self):
        return KafkaSource(self.component, self.info, time.time())


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
