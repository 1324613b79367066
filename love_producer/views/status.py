"""The shape ``love-actors status --json`` prints: one object with a ``hosts`` list (the form the
multi-host system will fill with one entry per member; a single host gives one entry)."""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Events per second over a sliding window, from (time, running total) samples."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._points: deque[tuple[float, int]] = deque()

    def add(self, t: float, total: int) -> None:
        self._points.append((t, total))
        while len(self._points) > 2 and self._points[1][0] < t - self.window:
            self._points.popleft()

    def rate(self, now: float) -> float:
        if not self._points:
            return 0.0
        t0, n0 = self._points[0]
        t1, n1 = self._points[-1]
        if now - t1 > self.window or t1 <= t0:
            return 0.0  # nothing sent lately
        return (n1 - n0) / max(now - t0, 1e-9)


def host_entry(status: dict, address: str) -> dict:
    """One host's line of the status: its components as ``Name:index``, the manager link."""
    manager = status.get("manager", {})
    return {
        "address": address,
        "components": sorted(c["key"] for c in status.get("components", []) if "key" in c),
        "connected": bool(manager.get("connected")),
        "frames_per_s": round(float(manager.get("frames_per_s", 0.0)), 1),
        "dropped": int(manager.get("events_dropped", 0)),
        "telemetry_replaced": int(manager.get("telemetry_replaced", 0)),
        "on_demand": status.get("on_demand", []),
    }


def status_document(status: dict, address: str) -> dict:
    """``address`` names the single host; with several hosts (``by_host``) each is named by
    its id."""
    by_host = status.get("by_host") or {}
    if not by_host:
        return {"hosts": [host_entry(status, address)], "detail": status}
    hosts = []
    for host, part in sorted(by_host.items()):
        entry = host_entry(
            {
                "manager": part.get("manager", {}),
                "components": [{"key": k} for k in part.get("components", [])],
            },
            host,
        )
        entry["patterns"] = part.get("patterns", "")
        hosts.append(entry)
    return {"hosts": hosts, "unplaced": status.get("unplaced", []), "detail": status}


def combine_status(
    replies: list[tuple[str, str, dict]],
    patterns: dict[str, str] | None = None,
    own_host: str = "",
) -> dict:
    """The Factory's status from its children's replies ``(host, kind, status)``.

    ``patterns`` (host -> component patterns) is given on a convention leader only: then the
    result also has ``by_host``, one entry per known host, even one that did not answer.
    """
    managers = {h: st for h, kind, st in replies if kind == "manager_client"}
    csc = [(h, st) for h, kind, st in replies if kind == "csc"]
    by_host = {}
    if patterns is not None:
        for host in sorted(set(patterns) | set(managers)):
            by_host[host] = {
                "manager": managers.get(host, {}),
                "components": sorted(st.get("key", "") for h, st in csc if h == host),
                "patterns": patterns.get(host, ""),
            }
    return {
        "by_host": by_host,
        "manager": managers.get("", managers.get(own_host, {})),
        "components": sorted((st for _, st in csc), key=lambda st: st.get("key", "")),
    }
