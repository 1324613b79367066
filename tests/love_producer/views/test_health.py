"""Health, readiness and metrics from a status document (love_producer.views.health)."""

from __future__ import annotations

from love_producer.views.health import STALE_AFTER, healthy, metric_samples, ready

ST = {
    "managers": [
        {"url": "ws://a", "connected": True, "frames_sent": 10, "messages_sent": 3,
         "connects": 2, "events_dropped": 1, "telemetry_replaced": 4, "queued": 0},
    ],
    "components": [
        {"key": "ATDome:0", "frames_out": {"event": 5, "telemetry": 7}, "samples_in": 20,
         "summary_state": 2, "last_heartbeat": 99.0, "heartbeat_lost": 0, "lag_s": 0.004,
         "telemetry_coalesced": 3, "pipe_dropped": 0},
    ],
    "unanswered": [],
}  # fmt: skip


def test_healthy_needs_a_fresh_answer_from_every_component() -> None:
    assert healthy(ST, 1.0, ["ATDome:0"]) == (True, "ok")
    assert healthy(None, 0.0, []) == (False, "the actor system does not answer")
    assert healthy(ST, STALE_AFTER + 1, ["ATDome:0"])[0] is False
    ok, why = healthy(ST, 1.0, ["ATDome:0", "MTHexapod:1"])
    assert not ok and why == "not answering: MTHexapod:1"
    ok, why = healthy({**ST, "unanswered": ["ATDome:0", "<manager-client>"]}, 1.0, ["ATDome:0"])
    assert not ok and why == "not answering: ATDome"


def test_ready_needs_every_link_up() -> None:
    assert ready(ST) == (True, "ok")
    down = {"managers": [ST["managers"][0], {"url": "ws://b", "last_error": "connection refused"}]}
    assert ready(down) == (False, "not connected: ws://b (connection refused)")
    assert ready({}) == (False, "no manager link yet")


def test_metric_samples() -> None:
    by = {(s.name, s.labels): s for s in metric_samples(ST, now=100.0)}
    assert by[("love_actors_link_up", (("url", "ws://a"),))].value == 1
    assert by[("love_actors_link_reconnects", (("url", "ws://a"),))].value == 1
    sent = by[("love_actors_frames_sent", (("category", "telemetry"), ("component", "ATDome")))]
    assert sent.kind == "counter" and sent.value == 7
    assert by[("love_actors_heartbeat_age_seconds", (("component", "ATDome"),))].value == 1.0
    assert by[("love_actors_summary_state", (("component", "ATDome"),))].value == 2
    assert by[("love_actors_sample_lag_seconds", (("component", "ATDome"),))].value == 0.004
    assert by[("love_actors_telemetry_superseded", (("url", "ws://a"),))].value == 4
