"""A live per-component summary computed from what a frontend receives (used by the demo):
state, heartbeat, frame rate, one telemetry value with its recent history, the ScriptQueue's
scripts and the Watcher's alarms."""

from __future__ import annotations

from collections import deque

import attrs

from love_producer.interfaces.interface import ComponentInfo
from love_producer.views.status import SUMMARY_STATES

#: The value worth watching of a few components: (telemetry topic, field); the first element
#: of an array field. Others get the first non-time number of their first telemetry topic.
DEMO_VALUES = {
    "ATDome": ("position", "azimuthPosition"),
    "ATMCS": ("mount_AzEl_Encoders", "elevationCalculatedAngle"),
    "ATPtg": ("currentTargetStatus", "demandAz"),
    "MTHexapod": ("application", "position"),
    "MTMount": ("azimuth", "actualPosition"),
}
SPARKS = "▁▂▃▄▅▆▇█"
HISTORY = 40  # values kept per watched stream (a few seconds at the demo's rates)


@attrs.frozen
class Watched:
    """One telemetry value to show: its topic, field and units."""

    topic: str
    field: str
    units: str


def pick_value(info: ComponentInfo) -> Watched | None:
    """The telemetry value the demo shows for ``info``, or None when it has no number."""
    numeric = ("float", "double", "short", "long", "long long", "int")
    wanted = DEMO_VALUES.get(info.name)
    for topic in info.telemetry:
        for f in topic.fields:
            if f.name.startswith("private_") or f.name == "salIndex":
                continue
            if wanted is not None and (topic.name, f.name) != wanted:
                continue
            if f.sal_type in numeric and (wanted or "timestamp" not in f.name.lower()):
                return Watched(topic.name, f.name, f.units)
    return None


def sparkline(values: list[float]) -> str:
    """``▁▃▅█``: each value's height between the smallest and the largest."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - lo) / span * top) if span else top // 2] for v in values)


@attrs.define
class ComponentLine:
    name: str
    salindex: int
    summary_state: int | None = None
    heartbeat_lost: int | None = None
    frames: int = 0
    arrivals: deque = attrs.field(factory=deque)
    history: deque = attrs.field(factory=lambda: deque(maxlen=HISTORY))


class Summary:
    """Feed it the parsed frames a frontend receives; ask it for rows."""

    def __init__(self, window: float = 5.0, watch: dict[str, Watched] | None = None) -> None:
        self.window = window
        self.watch = watch or {}  # component name -> the value to follow
        self.lines: dict[tuple[str, int], ComponentLine] = {}
        #: queue index -> one line about its scripts
        self.queues: dict[int, str] = {}
        self.alarms: str = ""

    def _scripts(self, salindex: int, payload: dict) -> None:
        current = payload.get("current_scripts") or []
        waiting = payload.get("waiting_scripts") or []
        finished = payload.get("finished_scripts") or []
        parts = []
        if current and isinstance(current[0], dict):
            c = current[0]
            parts.append(f"running {c.get('index')} {c.get('path')} ({c.get('script_state')})")
        else:
            parts.append("idle")
        parts.append(f"{len(waiting)} waiting")
        if finished and isinstance(finished[0], dict):
            f = finished[0]
            parts.append(f"last done {f.get('index')} {f.get('path')} ({f.get('script_state')})")
        self.queues[salindex] = ", ".join(parts)

    def _alarms(self, payload: dict) -> None:
        alarms = payload.get("alarms")
        if not isinstance(alarms, dict):
            return

        def value(alarm: object, field: str) -> object:
            item = alarm.get(field) if isinstance(alarm, dict) else None
            return item.get("value") if isinstance(item, dict) else None

        active = [n for n, a in alarms.items() if (value(a, "severity") or 1) > 1]
        unacked = [n for n in active if not value(alarms[n], "acknowledged")]
        self.alarms = f"{len(active)} active, {len(unacked)} unacknowledged" + (
            f": {', '.join(sorted(active))}" if active else ""
        )

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
            if csc == "ScriptQueueState" and isinstance(streams.get("scriptsStream"), dict):
                self._scripts(idx, streams["scriptsStream"])
            if csc == "Watcher" and isinstance(streams.get("stream"), dict):
                self._alarms(streams["stream"])
            if csc in ("ScriptQueueState", "ScriptHeartbeats", "Script"):
                continue
            line = self._line(csc, idx)
            watched = self.watch.get(csc)
            for stream, payload in streams.items():
                line.frames += 1
                line.arrivals.append(now)
                if watched is not None and stream == watched.topic:
                    value = _number(payload, watched.field)
                    if value is not None:
                        line.history.append(value)
                if stream == "summaryState" and isinstance(payload, list) and payload:
                    value = payload[0].get("summaryState", {}).get("value")
                    if isinstance(value, int):
                        line.summary_state = value

    def rows(self, now: float) -> list[dict]:
        out = []
        for (csc, idx), line in sorted(self.lines.items()):
            while line.arrivals and line.arrivals[0] < now - self.window:
                line.arrivals.popleft()
            watched = self.watch.get(csc)
            out.append(
                {
                    "value": line.history[-1] if line.history else None,
                    "value_name": f"{watched.topic}.{watched.field}" if watched else "",
                    "units": watched.units if watched else "",
                    "history": list(line.history),
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


def _number(payload: object, field: str) -> float | None:
    """``payload[field].value`` as a number (the first element of an array), if it is one."""
    item = payload.get(field) if isinstance(payload, dict) else None
    value = item.get("value") if isinstance(item, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def value_text(row: dict) -> str:
    """``123.40 deg``, or ``-`` while nothing arrived."""
    value = row.get("value")
    if value is None:
        return "-"
    units = row.get("units", "")
    return f"{value:.2f} {units}" if units and units != "unitless" else f"{value:.2f}"


def format_table(
    rows: list[dict],
    connected: bool,
    url: str,
    queues: dict[int, str] | None = None,
    alarms: str = "",
) -> str:
    """The summary as plain text (for a log or a pipe; the terminal gets a live table)."""
    head = f"love-actors demo  manager {url}  producer {'connected' if connected else 'DOWN'}"
    lines = [
        head,
        "",
        f"{'component':<16}{'state':<10}{'heartbeat':<11}{'frames/s':>9}{'total':>9}  value",
    ]
    for r in rows:
        value = ""
        if r.get("value_name"):
            value = f"  {r['value_name']} {value_text(r)} {sparkline(r.get('history', [])[-12:])}"
        lines.append(
            f"{r['component']:<16}{r['summary_state']:<10}{r['heartbeat']:<11}"
            f"{r['frames_per_s']:>9.1f}{r['frames']:>9}{value}"
        )
    for index, text in sorted((queues or {}).items()):
        lines.append(f"\nScriptQueue:{index}  {text}")
    if alarms:
        lines.append(f"Watcher alarms  {alarms}")
    return "\n".join(lines)
