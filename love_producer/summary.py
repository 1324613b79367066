"""A live per-component summary computed from what a frontend receives (used by the demo)."""

from __future__ import annotations

from collections import deque

import attrs

SUMMARY_STATES = {1: "DISABLED", 2: "ENABLED", 3: "FAULT", 4: "OFFLINE", 5: "STANDBY"}


@attrs.define
class ComponentLine:
    name: str
    salindex: int
    summary_state: int | None = None
    heartbeat_lost: int | None = None
    frames: int = 0
    arrivals: deque = attrs.field(factory=deque)


class Summary:
    """Feed it the parsed frames a frontend receives; ask it for rows."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self.lines: dict[tuple[str, int], ComponentLine] = {}

    def _line(self, csc: str, salindex: int) -> ComponentLine:
        key = (csc, salindex)
        if key not in self.lines:
            self.lines[key] = ComponentLine(csc, salindex)
        return self.lines[key]

    def feed(self, frame: dict, now: float) -> None:
        data = frame.get("data")
        if not isinstance(data, list):
            return
        for entry in data:
            if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
                continue
            csc, idx = entry.get("csc"), entry.get("salindex")
            if not isinstance(csc, str) or not isinstance(idx, int):
                continue
            streams = entry["data"]
            if csc == "Heartbeat":
                hb = streams.get("stream", {})
                if isinstance(hb, dict) and isinstance(hb.get("csc"), str):
                    line = self._line(hb["csc"], int(hb.get("salindex", 0)))
                    line.heartbeat_lost = hb.get("lost")
                continue
            if csc in ("ScriptQueueState", "ScriptHeartbeats", "Script"):
                continue
            line = self._line(csc, idx)
            for stream, payload in streams.items():
                line.frames += 1
                line.arrivals.append(now)
                if stream == "summaryState" and isinstance(payload, list) and payload:
                    value = payload[0].get("summaryState", {}).get("value")
                    if isinstance(value, int):
                        line.summary_state = value

    def rows(self, now: float) -> list[dict]:
        out = []
        for (csc, idx), line in sorted(self.lines.items()):
            while line.arrivals and line.arrivals[0] < now - self.window:
                line.arrivals.popleft()
            out.append(
                {
                    "component": f"{csc}:{idx}" if idx else csc,
                    "summary_state": SUMMARY_STATES.get(line.summary_state, "-"),
                    "heartbeat": "-"
                    if line.heartbeat_lost is None
                    else ("ok" if line.heartbeat_lost == 0 else f"lost {line.heartbeat_lost}"),
                    "frames_per_s": len(line.arrivals) / self.window,
                    "frames": line.frames,
                }
            )
        return out


def format_table(rows: list[dict], connected: bool, url: str) -> str:
    head = f"love-actors demo  manager {url}  producer {'connected' if connected else 'DOWN'}"
    lines = [
        head,
        "",
        f"{'component':<16}{'state':<10}{'heartbeat':<11}{'frames/s':>9}{'total':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r['component']:<16}{r['summary_state']:<10}{r['heartbeat']:<11}"
            f"{r['frames_per_s']:>9.1f}{r['frames']:>9}"
        )
    return "\n".join(lines)
