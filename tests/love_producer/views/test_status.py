"""The status document (love_producer.views.status)."""

from love_producer.views.status import (
    duration,
    first_contact,
    format_status_line,
    host_entry,
    plural,
    state_name,
    status_document,
)


def test_host_entry_shape():
    status = {
        "host": "h1",
        "manager": {
            "connected": True,
            "frames_per_s": 12.34,
            "events_dropped": 2,
            "telemetry_replaced": 7,
        },
        "components": [{"key": "MTHexapod:1", "pipe_dropped": 3}, {"key": "ATDome:0"}],
        "on_demand": ["ATMCS:0"],
    }
    doc = status_document(status, "h1:1900")
    assert doc["detail"] is status
    assert doc["hosts"] == [
        {
            "address": "h1:1900",
            "components": ["ATDome:0", "MTHexapod:1"],
            "connected": True,
            "frames_per_s": 12.3,
            "dropped": 2,
            "pipe_dropped": 3,
            "telemetry_replaced": 7,
            "on_demand": ["ATMCS:0"],
            "links": [{"url": "", "connected": True, "frames_per_s": 12.3, "dropped": 2}],
        }
    ]
    assert host_entry({}, "x")["connected"] is False


def test_first_contact_waits_streams_or_fails() -> None:
    comp = [{"key": "ATDome:0"}]
    assert first_contact({"manager": {}, "components": comp}) == (
        "waiting",
        "waiting for the manager",
    )
    down = {"manager": {"connected": False, "last_error": "connection refused"}, "components": comp}
    assert first_contact(down) == ("waiting", "waiting for the manager (connection refused)")
    up = {"manager": {"connected": True, "frames_sent": 0}, "components": comp}
    assert first_contact(up)[0] == "waiting"
    assert first_contact({**up, "components": []}) == ("streaming", "")  # nothing to send yet
    sent = {"manager": {"connected": True, "frames_sent": 3}, "components": comp}
    assert first_contact(sent) == ("streaming", "")
    refused = {"manager": {"fatal": "HTTP 403: check X"}, "components": comp}
    assert first_contact(refused) == ("fatal", "HTTP 403: check X")
    # A leader without a link of its own streams through its members'.
    leader = {
        "manager": {},
        "by_host": {"at": {"manager": {"connected": True, "frames_sent": 9}}},
        "components": comp,
    }
    assert first_contact(leader) == ("streaming", "")


def test_plural() -> None:
    assert (plural(1, "component"), plural(0, "component"), plural(2, "frame")) == (
        "1 component",
        "0 components",
        "2 frames",
    )


def test_the_status_line_speaks_the_operators_language() -> None:
    now = 1_800_000_100.0
    st = {
        "manager": {
            "connected": True, "state": "connected", "state_since": 1_800_000_000.0,
            "frames_sent": 1, "frames_per_s": 11.4, "events_dropped": 0,
        },
        "components": [
            {"key": "ATDome:0", "summary_state": 2, "last_heartbeat": now - 0.42},
            {"key": "MTHexapod:1", "summary_state": None, "last_heartbeat": None},
            {"key": "Watcher:0", "summary_state": 5, "heartbeat_lost": 3},
        ],
    }  # fmt: skip
    assert format_status_line(st, now) == (
        "manager connected since 08:00:00 UTC (100 s); sent 1 frame (11/s); 0 events dropped"
        " | ATDome ENABLED, heartbeat 0.4 s ago"
        " | MTHexapod:1 no summaryState yet, no heartbeat yet"
        " | Watcher STANDBY, heartbeat lost (3 missed)"
    )
    down = {"manager": {"state": "retrying", "last_error": "connection refused",
                        "state_since": now - 600}}  # fmt: skip
    assert format_status_line(down, now).startswith(
        "manager not connected (connection refused) since 07:51:40 UTC (10 min)"
    )
    assert state_name(9) == "summaryState 9" and duration(7500) == "2 h 5 min"
