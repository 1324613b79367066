"""Supervision policy of the Factory: restart delays and on-demand eligibility."""

from __future__ import annotations

import fnmatch

import attrs


@attrs.define
class RestartPolicy:
    """Restart a dead actor after a delay that doubles with each death in a row (up to
    ``maximum``) and falls back to ``initial`` once it has lived ``stable_after`` seconds."""

    initial: float = 0.5
    maximum: float = 30.0
    stable_after: float = 60.0
    _deaths: dict[str, int] = attrs.field(factory=dict)
    _started: dict[str, float] = attrs.field(factory=dict)

    def started(self, key: str, now: float) -> None:
        self._started[key] = now

    def delay_after_death(self, key: str, now: float) -> float:
        lived = now - self._started.get(key, now)
        deaths = 0 if lived >= self.stable_after else self._deaths.get(key, 0)
        self._deaths[key] = deaths + 1
        return min(self.maximum, self.initial * 2**deaths)


def on_demand_match(pattern: str | None, name: str) -> bool:
    """True when ``name`` matches one of the comma-separated shell patterns."""
    if not pattern:
        return False
    return any(fnmatch.fnmatchcase(name, p.strip()) for p in pattern.split(",") if p.strip())
