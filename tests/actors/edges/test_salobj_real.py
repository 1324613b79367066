"""The source contract against real salobj 8 and Kafka, with salobj's own ``TestCsc``.

Runs only where ``lsst.ts.salobj`` imports and a broker is configured
(``LSST_KAFKA_BROKER_ADDR``, plus ``LSST_SCHEMA_REGISTRY_URL`` if not the default), as in
Rubin's conda environment: ``pytest -m salobj tests/test_salobj_real.py``. Elsewhere every
test is reported as skipped with the reason. Like salobj's own tests, each harness uses a
random topic subname (``set_test_topic_subname(randomize=True)``) and a random CSC index.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import threading
import time

import pytest

from actors.edges.catalog import Catalog
from actors.edges.salobj_source import SalobjSource
from love_producer.interfaces.component_id import ComponentId
from tests.actors.edges.test_source_contract import (
    SourceContract,
    Until,
    WriterContract,
    wait_samples,
)

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


class _LoopThread:
    """An asyncio loop in a thread, for the TestCsc (the source has its own loop thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = TIMEOUT):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


class RealHarness:
    """A ``TestCsc`` (salobj's test component) written to by the test, read by the source."""

    writes = True
    corrupts = False  # Avro will not carry a malformed sample

    def __init__(self) -> None:
        from lsst.ts import salobj

        self.salobj = salobj
        salobj.set_test_topic_subname(randomize=True)
        self.component = ComponentId("Test", random.randint(1, 2**31 - 1))
        self.info = Catalog.builtin().get("Test")
        self.csc_loop = _LoopThread()
        self.csc = None
        self._csc_lock = threading.Lock()  # the W8 test writes from a second thread
        self.sources: list[SalobjSource] = []

    def _ensure_csc(self) -> None:
        async def make():
            csc = self.salobj.TestCsc(
                index=self.component.index, initial_state=self.salobj.State.ENABLED
            )
            await csc.start_task
            return csc

        with self._csc_lock:
            if self.csc is None:
                self.csc = self.csc_loop.run(make())

    def write(self, attr: str, **fields) -> None:
        self._ensure_csc()
        self.csc_loop.run(getattr(self.csc, attr).set_write(**fields))

    def before_open(self) -> set[str]:
        self._ensure_csc()  # a CSC writes these when it starts
        return {"softwareVersions", "logLevel", "summaryState"}

    def open(self) -> SalobjSource:
        source = SalobjSource(self.component, self.info, time.time())
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

    def close(self) -> None:
        for source in self.sources:
            source.close()
        if self.csc is not None:
            self.csc_loop.run(self.csc.close())
        self.csc_loop.stop()


@pytest.fixture
def real_harness():
    harness = RealHarness()
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
