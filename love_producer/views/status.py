"""The shape ``love-actors status --json`` prints: one object with a ``hosts`` list (one entry
per member host; a single host gives one entry)."""

from __future__ import annotations


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


def format_status_line(st: dict) -> str:
    m = st.get("manager", {})
    parts = [
        f"manager {'up' if m.get('connected') else 'DOWN'}",
        f"sent {m.get('frames_sent', 0)} frames ({m.get('frames_per_s', 0.0):.0f}/s)",
        f"dropped {m.get('events_dropped', 0)}",
    ]
    pipe_dropped = sum(int(c.get("pipe_dropped", 0)) for c in st.get("components", []))
    if pipe_dropped:
        parts.append(f"{pipe_dropped} frames dropped in frame pipes (the manager link is behind)")
    for c in st.get("components", []):
        hb = "ok" if not c.get("heartbeat_lost") else f"lost {c.get('heartbeat_lost')}"
        parts.append(f"{c.get('key')}: state {c.get('summary_state')} hb {hb}")
    return "; ".join(parts)


def managers(st: dict) -> list[dict]:
    """Every manager link in a status: this host's and, on a leader, each member's."""
    found = [st.get("manager") or {}]
    found += [(part.get("manager") or {}) for part in (st.get("by_host") or {}).values()]
    return [m for m in found if m]


def first_contact(st: dict) -> tuple[str, str]:
    """How far a starting run has got: ``("fatal", why)`` when a manager refused the
    settings, ``("streaming", "")`` once a link has sent frames (or is up with nothing to
    send yet), else ``("waiting", what for)``."""
    links = managers(st)
    for m in links:
        if m.get("fatal"):
            return "fatal", m["fatal"]
    up = [m for m in links if m.get("connected")]
    if any(m.get("frames_sent", 0) > 0 for m in up) or (up and not st.get("components")):
        return "streaming", ""
    if up:
        return "waiting", "connected; waiting for the first frames"
    errors = [m["last_error"] for m in links if m.get("last_error")]
    return "waiting", "waiting for the manager" + (f" ({errors[0]})" if errors else "")
