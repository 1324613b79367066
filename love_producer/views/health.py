"""Health, readiness and metrics of a running system, from its status document (what
``--http-port`` serves at ``/healthz``, ``/readyz`` and ``/metrics``).

Pure: the status and its age come in, verdicts and metric samples go out; the HTTP edge
(`actors.edges.health_server`) renders them.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from love_producer.views.status import component_name, managers

#: A status older than this means the actor system no longer answers.
STALE_AFTER = 15.0


def healthy(st: dict | None, age: float, expected: Iterable[str]) -> tuple[bool, str]:
    """The actor system answers and every component ``expected`` (keys) answers too."""
    if st is None:
        return False, "the actor system does not answer"
    if age > STALE_AFTER:
        return False, f"the actor system has not answered for {age:.0f} s"
    present = {c.get("key") for c in st.get("components", [])}
    silent = sorted(set(st.get("unanswered", [])) | (set(expected) - present))
    silent = [k for k in silent if not k.startswith("<")]  # links count for readiness
    if silent:
        return False, "not answering: " + ", ".join(component_name(k) for k in silent)
    return True, "ok"


def ready(st: dict | None) -> tuple[bool, str]:
    """Every manager link is connected."""
    links = managers(st or {})
    if not links:
        return False, "no manager link yet"
    down = [m for m in links if not m.get("connected")]
    if down:
        why = [f"{m.get('url', '?')} ({m.get('fatal') or m.get('last_error') or 'connecting'})"
               for m in down]  # fmt: skip
        return False, "not connected: " + ", ".join(why)
    return True, "ok"


@attrs.frozen
class Sample:
    """One metric sample: ``kind`` is ``counter`` (name without ``_total``) or ``gauge``."""

    name: str
    kind: str
    help: str
    labels: tuple[tuple[str, str], ...]
    value: float


def metric_samples(st: dict, now: float) -> list[Sample]:
    """Prometheus samples of a status document, at time ``now`` (Unix seconds)."""
    out: list[Sample] = []

    def add(name: str, kind: str, help: str, value: object, **labels: str) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(Sample(name, kind, help, tuple(sorted(labels.items())), float(value)))

    for m in managers(st):
        url = str(m.get("url", ""))
        add("love_actors_link_up", "gauge", "1 while the manager link is connected",
            1 if m.get("connected") else 0, url=url)  # fmt: skip
        add("love_actors_link_frames_sent", "counter", "Frames sent to the manager",
            m.get("frames_sent", 0), url=url)  # fmt: skip
        add("love_actors_link_messages_sent", "counter", "Websocket messages sent",
            m.get("messages_sent", 0), url=url)  # fmt: skip
        add("love_actors_link_reconnects", "counter", "Connections after the first",
            max(0, int(m.get("connects", 0)) - 1), url=url)  # fmt: skip
        add("love_actors_events_dropped", "counter", "Event frames dropped by a full outbox",
            m.get("events_dropped", 0), url=url)  # fmt: skip
        for stream, count in (m.get("dropped_by_stream") or {}).items():
            add("love_actors_stream_dropped", "counter",
                "Frames of one stream dropped by a full outbox",
                count, url=url, stream=str(stream))  # fmt: skip
        add("love_actors_telemetry_superseded", "counter",
            "Telemetry frames replaced in the outbox by a newer one of their stream",
            m.get("telemetry_replaced", 0), url=url)  # fmt: skip
        add("love_actors_link_queued", "gauge", "Frames waiting for the manager",
            m.get("queued", 0), url=url)  # fmt: skip
    for c in st.get("components", []):
        name = component_name(str(c.get("key", "?")))
        for category, count in (c.get("frames_out") or {}).items():
            add("love_actors_frames_sent", "counter", "Frames a component made, by category",
                count, component=name, category=str(category))  # fmt: skip
        add("love_actors_samples_received", "counter", "SAL samples taken in",
            c.get("samples_in", 0), component=name)  # fmt: skip
        add("love_actors_telemetry_coalesced", "counter",
            "Telemetry samples superseded by a newer one before they were sent",
            c.get("telemetry_coalesced", 0), component=name)  # fmt: skip
        add("love_actors_pipe_dropped", "counter", "Frames a full frame pipe refused",
            c.get("pipe_dropped", 0), component=name)  # fmt: skip
        add("love_actors_summary_state", "gauge", "summaryState (salobj State: 2 = ENABLED)",
            c.get("summary_state"), component=name)  # fmt: skip
        last = c.get("last_heartbeat")
        if isinstance(last, int | float):
            add("love_actors_heartbeat_age_seconds", "gauge", "Seconds since the last heartbeat",
                max(0.0, now - last), component=name)  # fmt: skip
        add("love_actors_heartbeats_lost", "gauge", "Heartbeat periods missed in a row",
            c.get("heartbeat_lost", 0), component=name)  # fmt: skip
        add("love_actors_sample_lag_seconds", "gauge",
            "From the last sample's send stamp to its reception", c.get("lag_s"),
            component=name)  # fmt: skip
    add("love_actors_components", "gauge", "Components answering status",
        len(st.get("components", [])))  # fmt: skip
    return out
