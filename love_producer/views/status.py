"""The shape ``love-actors status --json`` prints: one object with a ``hosts`` list (one entry
per member host; a single host gives one entry)."""

from __future__ import annotations

import datetime


def plural(n: int, noun: str) -> str:
    """``1 component``, ``2 components``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def host_entry(status: dict, address: str) -> dict:
    """One host's line of the status: its components as ``Name:index``, the manager link."""
    manager = status.get("manager", {})
    return {
        "address": address,
        "components": sorted(c["key"] for c in status.get("components", []) if "key" in c),
        "connected": bool(manager.get("connected")),
        "frames_per_s": round(float(manager.get("frames_per_s", 0.0)), 1),
        "dropped": int(manager.get("events_dropped", 0)),
        "pipe_dropped": sum(int(c.get("pipe_dropped", 0)) for c in status.get("components", [])),
        "telemetry_replaced": int(manager.get("telemetry_replaced", 0)),
        "on_demand": status.get("on_demand", []),
        "links": [
            {
                "url": m.get("url", ""),
                "connected": bool(m.get("connected")),
                "frames_per_s": round(float(m.get("frames_per_s", 0.0)), 1),
                "dropped": int(m.get("events_dropped", 0)),
            }
            for m in (status.get("managers") or ([manager] if manager else []))
        ],
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
        entry["pipe_dropped"] = int(part.get("pipe_dropped", 0))
        hosts.append(entry)
    return {"hosts": hosts, "unplaced": status.get("unplaced", []), "detail": status}


#: salobj's ``State`` (``summaryState.summaryState``).
SUMMARY_STATES = {1: "DISABLED", 2: "ENABLED", 3: "FAULT", 4: "OFFLINE", 5: "STANDBY"}
_LINK_WORDS = {
    "connected": "manager connected",
    "connecting": "manager connecting",
    "retrying": "manager not connected",
    "failed": "manager refused the settings",
}


def state_name(value: object) -> str:
    """``ENABLED`` for 2; ``no summaryState yet`` for None; the number when unknown."""
    if value is None:
        return "no summaryState yet"
    return SUMMARY_STATES.get(value, f"summaryState {value}")  # type: ignore[call-overload]


def component_name(key: str) -> str:
    """``ATDome`` for ``ATDome:0``, ``MTHexapod:1`` as it is."""
    return key[:-2] if key.endswith(":0") else key


def duration(seconds: float) -> str:
    """``12 s``, ``3 min``, ``2 h 5 min``."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def clock(t: float) -> str:
    """UTC time of day of Unix time ``t``."""
    return datetime.datetime.fromtimestamp(t, tz=datetime.UTC).strftime("%H:%M:%S UTC")


def link_text(m: dict, now: float) -> str:
    """``manager connected since 06:41:24 UTC (12 s)``; why, when not connected."""
    state = m.get("state") or ("connected" if m.get("connected") else "retrying")
    text = _LINK_WORDS.get(state, f"manager {state}")
    if state != "connected" and (m.get("fatal") or m.get("last_error")):
        text += f" ({m.get('fatal') or m.get('last_error')})"
    since = m.get("state_since")
    if isinstance(since, int | float):
        text += f" since {clock(since)} ({duration(now - since)})"
    return text


def heartbeat_text(c: dict, now: float) -> str:
    lost, last = c.get("heartbeat_lost") or 0, c.get("last_heartbeat")
    if lost:
        return f"heartbeat lost ({lost} missed)"
    if isinstance(last, int | float):
        return f"heartbeat {max(0.0, now - last):.1f} s ago"
    return "no heartbeat yet"


def format_status_line(st: dict, now: float) -> str:
    """One line for an operator: the manager link, then each component's state."""
    links = st.get("managers") or [st.get("manager", {})]
    parts = []
    for m in links:
        sent = plural(int(m.get("frames_sent", 0)), "frame")
        where = f" {m['url']}" if len(links) > 1 and m.get("url") else ""
        parts += [
            link_text(m, now).replace("manager", f"manager{where}", 1),
            f"sent {sent} ({m.get('frames_per_s', 0.0):.0f}/s)",
            f"{plural(int(m.get('events_dropped', 0)), 'event')} dropped",
        ]
    pipe_dropped = sum(int(c.get("pipe_dropped", 0)) for c in st.get("components", []))
    if pipe_dropped:
        parts.append(f"{pipe_dropped} frames dropped in frame pipes (the manager link is behind)")
    line = "; ".join(parts)
    for c in st.get("components", []):
        name = component_name(str(c.get("key", "?")))
        line += f" | {name} {state_name(c.get('summary_state'))}, {heartbeat_text(c, now)}"
    return line


def managers(st: dict) -> list[dict]:
    """Every manager link in a status: this host's and, on a leader, each member's."""
    found = list(st.get("managers") or [st.get("manager") or {}])
    for part in (st.get("by_host") or {}).values():
        found += part.get("managers") or [part.get("manager") or {}]
    return [m for m in found if m]


def first_contact(st: dict) -> tuple[str, str]:
    """How far a starting run has got: ``("fatal", why)`` when a manager refused the
    settings, ``("streaming", "")`` once a link has sent frames (or is up with nothing to
    send yet), else ``("waiting", what for)``."""
    links = managers(st)
    for m in links:
        if m.get("fatal"):
            where = f" ({m['url']})" if len(links) > 1 and m.get("url") else ""
            return "fatal", m["fatal"] + where
    up = [m for m in links if m.get("connected")]
    down = [m for m in links if not m.get("connected")]
    if up and not down:
        if any(m.get("frames_sent", 0) > 0 for m in up) or not st.get("components"):
            return "streaming", ""
        return "waiting", "connected; waiting for the first frames"
    errors = [m["last_error"] for m in down if m.get("last_error")]
    what = "the manager" if len(links) <= 1 else f"{plural(len(down), 'manager')} of {len(links)}"
    return "waiting", f"waiting for {what}" + (f" ({errors[0]})" if errors else "")
