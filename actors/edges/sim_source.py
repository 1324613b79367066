"""``--source sim``: a simulated component (`love_producer.sim`), polled on the actor's clock."""

from __future__ import annotations

import zlib

from actors.edges.settings import SourceConfig
from actors.edges.source_base import PolledSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.kinds import kind_of
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample


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
        self.sim = kind_of(info.name).make_simulator(
            info, component.index, seed, start_time, config.sim, related or {}
        )
        super().__init__(info)

    def drain(self, now: float) -> list[Sample]:
        return [] if self._closed else self._remember(self.sim.advance(now))

    def due_after(self, t: float, span: float) -> float | None:
        due_after = getattr(self.sim, "due_after", None)  # the generic simulator knows
        return None if self._closed or due_after is None else due_after(t, span)

    def event_due(self, t: float) -> float | None:
        event_due_after = getattr(self.sim, "event_due_after", None)
        return None if self._closed or event_due_after is None else event_due_after(t)

    def set_rate_scale(self, scale: float) -> None:
        """Change the telemetry rates from now on (simulators that can; the others keep
        theirs)."""
        sim = getattr(self.sim, "generic", self.sim)  # ScriptQueue, Watcher: their generic part
        rescale = getattr(sim, "set_rate_scale", None)
        if rescale is not None:
            rescale(scale)

    def command(self, cmd: SalCommand, now: float) -> None:
        if hasattr(self.sim, "command") and not self._closed:
            self.sim.command(cmd, now)
