"""SAL sources as the CSC actor sees them: something to drain samples from.

`open_source` picks the implementation. The simulator is polled (it produces samples for the
time it is asked about); thread-fed sources (salobj) also expose a file descriptor that becomes
readable when samples wait, for ``ThespianWatch``.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from actors.messages import SourceConfig
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.sim.component import SimulatedComponent
from love_producer.sim.scriptqueue import SimulatedScriptQueue
from love_producer.sim.watcher import SimulatedWatcher


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


class SimSource(PolledSource):
    """Simulated component: samples up to ``now`` on every drain."""

    def __init__(
        self,
        component: ComponentId,
        info: ComponentInfo,
        config: SourceConfig,
        start_time: float,
        related: dict | None = None,
    ) -> None:
        # Each component gets its own stream of values, stable for a given --seed.
        seed = config.seed * 1_000_003 + zlib.crc32(component.key.encode())
        related = related or {}
        if info.name == "ScriptQueue" and "Script" in related:
            self.sim = SimulatedScriptQueue(
                info, related["Script"], component.index, seed, start_time, config.sim
            )
        elif info.name == "Watcher":
            self.sim = SimulatedWatcher(info, seed, start_time, config.sim)
        else:
            self.sim = SimulatedComponent(info, component.index, seed, start_time, config.sim)
        super().__init__(info)

    def drain(self, now: float) -> list[Sample]:
        return [] if self._closed else self._remember(self.sim.advance(now))

    def due_after(self, t: float, span: float) -> float | None:
        due_after = getattr(self.sim, "due_after", None)  # the generic simulator knows
        return None if self._closed or due_after is None else due_after(t, span)

    def command(self, cmd: SalCommand, now: float) -> None:
        if hasattr(self.sim, "command") and not self._closed:
            self.sim.command(cmd, now)


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


def open_source(
    component: ComponentId,
    info: ComponentInfo,
    config: SourceConfig,
    start_time: float,
    related: dict | None = None,
) -> SampleSource:
    if config.kind == "sim":
        return SimSource(component, info, config, start_time, related)
    if config.kind == "journal":
        return JournalSource()
    if config.kind == "replay":
        from actors.edges.journal_source import JournalFileSource
        from love_producer.journal import JournalError

        try:
            return JournalFileSource(
                component, info, config.journal_dir, start_time, config.replay_speed
            )
        except JournalError as e:
            raise SourceError(str(e)) from e
    if config.kind == "salobj":
        from actors.edges.salobj_source import SalobjSource, SalobjUnavailable
        from love_producer.kinds import RELATED

        try:
            return SalobjSource(
                component,
                info,
                start_time,
                related,
                # Only the ScriptQueue sends commands (showSchema, hydration); every other
                # remote is read-only (W10).
                want_commands=info.name == "ScriptQueue",
                extra_remotes=tuple(RELATED.get(info.name, ())),
            )
        except SalobjUnavailable as e:
            raise SourceError(str(e)) from e
    raise SourceError(f"unknown source {config.kind!r}")
