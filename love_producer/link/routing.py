"""Which CSC actor answers which initial_state request."""

from __future__ import annotations

from collections.abc import Iterable

from love_producer.wire.requests import InitialStateRequest


class RouteTable:
    """Maps the component names in initial_state requests to the actors (by key) that
    registered them. ``all`` is a registration name only: it never routes."""

    def __init__(self) -> None:
        self._names: dict[str, tuple[str, ...]] = {}

    def add(self, key: str, names: Iterable[str]) -> None:
        self._names[key] = tuple(names)

    def remove(self, key: str) -> None:
        self._names.pop(key, None)

    def names(self) -> set[str]:
        return {n for names in self._names.values() for n in names}

    def route(
        self, requests: Iterable[InitialStateRequest]
    ) -> tuple[dict[str, list[InitialStateRequest]], list[InitialStateRequest]]:
        """Split requests into those for registered actors (by key; an actor decides itself
        whether the salindex is its own) and those nobody registered for."""
        by_key: dict[str, list[InitialStateRequest]] = {}
        unrouted: list[InitialStateRequest] = []
        for req in requests:
            if req.csc == "all":
                continue
            keys = [k for k, names in self._names.items() if req.csc in names]
            for k in keys:
                by_key.setdefault(k, []).append(req)
            # Nobody answers this component, or it is a component (not a pseudo-CSC such as
            # ScriptQueueState) with no actor at this salindex: maybe one to start on demand.
            instances = {_index_of(k) for k in keys if _name_of(k) == req.csc}
            if not keys or (instances and req.salindex not in instances):
                unrouted.append(req)
        return by_key, unrouted


def _name_of(key: str) -> str:
    return key.rsplit(":", 1)[0]


def _index_of(key: str) -> int:
    return int(key.rsplit(":", 1)[1])
