"""Which host runs which component: the members whose patterns fit, the least loaded first."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .supervision import on_demand_match


@attrs.define
class HostSlot:
    """A member as placement sees it."""

    host: str
    patterns: str  # comma-separated shell patterns of component names this host may run
    capacity: int = 1000
    components: set[str] = attrs.field(factory=set)

    def fits(self, name: str) -> bool:
        return on_demand_match(self.patterns, name) and len(self.components) < self.capacity


def choose_host(name: str, hosts: Mapping[str, HostSlot]) -> str | None:
    """The fitting host with the fewest components (ties: host id order), or None."""
    fitting = [h for h in hosts.values() if h.fits(name)]
    if not fitting:
        return None
    return min(fitting, key=lambda h: (len(h.components), h.host)).host
