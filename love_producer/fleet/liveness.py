"""Which member hosts still answer: the leader's own heartbeat bookkeeping (Thespian notices a
dead host only after minutes and never reports the children it ran)."""

from __future__ import annotations

#: How often the leader asks every member, and how long a member may stay silent.
PING_PERIOD = 1.0
SILENCE_LIMIT = 6.0


class HostLiveness:
    """Last answer per host; a host silent for longer than ``limit`` is lost."""

    def __init__(self, limit: float = SILENCE_LIMIT) -> None:
        self.limit = limit
        self._seen: dict[str, float] = {}

    def seen(self, host: str, now: float) -> None:
        self._seen[host] = now

    def forget(self, host: str) -> None:
        self._seen.pop(host, None)

    def lost(self, hosts, now: float) -> list[str]:
        """The hosts among ``hosts`` silent too long (a host never seen starts its clock now)."""
        return [h for h in hosts if now - self._seen.setdefault(h, now) > self.limit]
