"""Host identity in a multi-host actor system: the capability keys each member advertises, and
the check Thespian runs to place an actor on the host the Factory chose."""

from __future__ import annotations

from love_producer.fleet.core import HostInfo

HOST = "love-actors.host"  # the member's id (its --name, default the host name)
PATTERNS = "love-actors.patterns"  # component-name patterns it may run
MANAGER_URL = "love-actors.manager_url"  # its manager (credentials come from its environment)
SOURCE = "love-actors.source"  # its SAL source kind
SALOBJ = "love-actors.salobj"  # whether lsst.ts.salobj imports there


def fits_host(capabilities: dict, requirements: dict | None) -> bool:
    """``actorSystemCapabilityCheck`` of actors the Factory places: on the required host only;
    anywhere when no host is required (single host)."""
    if not requirements or HOST not in requirements:
        return True
    return capabilities.get(HOST) == requirements[HOST]


def on_host(host: str | None) -> dict | None:
    """``targetActorRequirements`` for ``host`` (None: wherever the Factory runs)."""
    return {HOST: host} if host else None


def capacity_of(capabilities: dict) -> int:
    """The ``capacity`` capability (``--capability capacity=N``): most components a host runs."""
    try:
        return max(0, int(capabilities.get("capacity", 1000)))
    except (TypeError, ValueError):
        return 1000


def host_info(capabilities: dict) -> HostInfo:
    """What the fleet needs to know of a member, from its capabilities."""
    return HostInfo(
        patterns=capabilities.get(PATTERNS, ""),
        capacity=capacity_of(capabilities),
        manager_url=capabilities.get(MANAGER_URL, ""),
        source=capabilities.get(SOURCE),
    )
