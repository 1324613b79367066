"""Journals as SAL sources: `JournalFileSource` (``--source replay``: a recorded journal
played back as a SAL source) and `JournalSource` (the feed of a replayed CSC actor).

The samples a journal recorded for one component are delivered again, in recorded order, with
their recorded spacing (``speed`` 1) or as fast as they are drained (``speed`` 0). Whatever
recorded them (simulator, salobj, another replay) plays back the same way.
"""

from __future__ import annotations

from collections import deque

import attrs

from actors.edges.journal_files import journal_parts, read_actor
from actors.edges.source_base import PolledSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.journal import JournalError, csc_actor_name
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample


class JournalFileSource(PolledSource):
    """Samples of ``component`` from the journal in ``folder``.

    Raises
    ------
    JournalError
        When the folder holds no journal for this component.
    """

    def __init__(
        self,
        component: ComponentId,
        info: ComponentInfo,
        folder: str,
        start_time: float,
        speed: float = 1.0,
    ) -> None:
        actor = csc_actor_name(component.name, component.index)
        parts = journal_parts(folder)
        if actor not in parts:
            raise JournalError(f"{folder} holds no journal for {component}")
        super().__init__(info)
        self.speed = speed
        items: list[tuple[float, Sample]] = []
        for record in read_actor(actor, parts[actor]):
            items += [(record.t, s) for s in record.samples]
        if not items:
            raise JournalError(f"the journal of {component} in {folder} holds no samples")
        t0 = items[0][0]
        self.start_time = start_time
        # Recorded times, made relative to the first record and rescaled to this run's clock.
        self._items = deque((t - t0, s) for t, s in items)
        self._events = deque(off for off, s in self._items if s.kind == "event")

    def drain(self, now: float) -> list[Sample]:
        if self._closed:
            return []
        elapsed = (now - self.start_time) * self.speed if self.speed > 0 else float("inf")
        out = []
        while self._items and self._items[0][0] <= elapsed:
            offset, sample = self._items.popleft()
            t = self.start_time + (offset / self.speed if self.speed > 0 else 0.0)
            out.append(attrs.evolve(sample, rcv_time=min(t, now)))
        while self._events and self._events[0] <= elapsed:
            self._events.popleft()
        return self._remember(out)

    def event_due(self, t: float) -> float | None:
        if self._closed or self.speed <= 0 or not self._events:
            return None
        return max(t, self.start_time + self._events[0] / self.speed)

    def command(self, cmd: SalCommand, now: float) -> None:
        pass  # what the command caused, if anything, is already in the journal


class JournalSource:
    """Samples recorded in a journal (``love_producer.journal``), fed before each replayed
    message: `drain` returns what the live source returned at that point; commands are ignored
    (their answers, if any, are already in the journal as samples)."""

    def __init__(self) -> None:
        self._pending: list[Sample] = []

    def feed(self, samples) -> None:
        self._pending = list(samples)

    def fileno(self) -> int | None:
        return None

    def due_after(self, t: float, span: float) -> float | None:
        return None  # replay: the journal's records drive the steps

    def drain(self, now: float) -> list[Sample]:
        out, self._pending = self._pending, []
        return out

    def command(self, cmd: SalCommand, now: float) -> None:
        pass

    def close(self) -> None:
        pass
