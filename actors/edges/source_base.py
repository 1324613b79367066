"""What every SAL source offers the CSC actor (`SampleSource`), and what polled sources share."""

from __future__ import annotations

from typing import Protocol

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

    def latest(self, kind: str, topic: str) -> dict | None:
        return self._latest.get((kind, topic))

    def _remember(self, samples: list[Sample]) -> list[Sample]:
        for s in samples:
            if s.component == self.info.name:
                self._latest[(s.kind, s.topic)] = s.data
        return samples

    def close(self) -> None:
        self._closed = True
