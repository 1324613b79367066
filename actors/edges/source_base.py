"""What every SAL source offers the CSC actor (`SampleSource`), and what polled sources share."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Protocol

from actors.edges.wake_queue import WakeQueue
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample


class SourceError(RuntimeError):
    """A source cannot be opened."""


class SampleSource(Protocol):
    def fileno(self) -> int | None: ...

    def due_after(self, t: float, span: float) -> float | None: ...

    def drain(self, now: float) -> list[Sample]: ...

    def command(self, cmd: SalCommand, now: float) -> None: ...

    def close(self) -> None: ...


class PolledSource:
    """What sources driven by the actor's clock share: no file to watch, the interface they
    were opened with, the latest sample per topic, and a close that stops delivery."""

    def __init__(self, info: ComponentInfo) -> None:
        self.info = info
        self._latest: dict[tuple[str, str], dict] = {}
        self._closed = False

    def describe(self) -> ComponentInfo:
        return self.info

    def fileno(self) -> int | None:
        return None

    def due_after(self, t: float, span: float) -> float | None:
        """When a sample is due at or after ``t``, if known
        (``love_producer.link.poll_schedule``)."""
        return None

    def event_due(self, t: float) -> float | None:
        """When the next event (heartbeats aside) is due at or after ``t``, if known: the
        actor drains then as well, so events go out on arrival."""
        return None

    def latest(self, kind: str, topic: str) -> dict | None:
        return self._latest.get((kind, topic))

    def _remember(self, samples: list[Sample]) -> list[Sample]:
        for s in samples:
            if s.component == self.info.name:
                self._latest[(s.kind, s.topic)] = s.data
        return samples

    def close(self) -> None:
        self._closed = True


class ThreadFedSource:
    """What sources fed by a reader thread share (salobj, Kafka): samples handed over through
    a `WakeQueue` whose descriptor wakes the actor, the latest data per topic, and a failure
    of the thread raised by the next `drain` as ``Failed`` (set by each subclass)."""

    Failed: type[Exception] = SourceError

    def __init__(self, component: ComponentId, info: ComponentInfo) -> None:
        self.component = component
        self.info = info
        #: None while healthy; the exception that stopped the source otherwise.
        self.failed: BaseException | None = None
        #: Set once the start is over: history delivered, or the start failed.
        self.started = threading.Event()
        #: Counters: samples, conversion_errors, commands_*, and the source's own.
        self.counts: Counter[str] = Counter()
        #: Samples that could not be read or converted, by ``(component, kind, topic)``.
        self.topic_errors: Counter[tuple[str, str, str]] = Counter()
        self._queue = WakeQueue()
        self._latest: dict[tuple[str, str, str], dict] = {}

    def describe(self) -> ComponentInfo:
        """The interface samples are delivered by."""
        return self.info

    def due_after(self, t: float, span: float) -> float | None:
        return None  # not polled: samples wake the actor through fileno()

    def fileno(self) -> int | None:
        return self._queue.fileno()

    def drain(self, now: float) -> list[Sample]:
        """Every sample queued since the previous call, in arrival order; raises ``Failed``
        once the source has failed (``failed`` is its cause)."""
        out = self._queue.drain()
        if self.failed is not None:
            raise self.Failed(f"{self.component}: {self.failed}") from self.failed
        return out

    def latest(self, kind: str, topic: str, component: str | None = None) -> dict | None:
        """Data of the newest sample delivered for a topic, or None (a copy: the reader
        thread's objects stay its own)."""
        data = self._latest.get((component or self.component.name, kind, topic))
        return dict(data) if data is not None else None
