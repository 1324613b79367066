"""Which host runs which component: the members whose patterns fit, the least loaded first."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from love_producer.fleet.supervision import on_demand_match


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


def plan_rebalance(hosts: Mapping[str, HostSlot]) -> list[tuple[str, str, str]]:
    """Moves ``(component key, from host, to host)`` that even out the load: while some host
    runs at least two more components than a host that could take one of them, move one.
    Only on request (``love-actors rebalance``): moving a component restarts its stream."""
    load = {h: set(slot.components) for h, slot in hosts.items()}
    moves: list[tuple[str, str, str]] = []
    for _ in range(sum(len(c) for c in load.values())):
        best = None
        for src in sorted(load, key=lambda h: (-len(load[h]), h)):
            for key in sorted(load[src]):
                name = key.rsplit(":", 1)[0]
                targets = [
                    h
                    for h, slot in hosts.items()
                    if h != src
                    and on_demand_match(slot.patterns, name)
                    and len(load[h]) < slot.capacity
                    and len(load[h]) + 1 < len(load[src])
                ]
                if targets:
                    best = (key, src, min(targets, key=lambda h: (len(load[h]), h)))
                    break
            if best:
                break
        if best is None:
            break
        key, src, dst = best
        load[src].discard(key)
        load[dst].add(key)
        moves.append(best)
    return moves
