"""The status document (love_producer.views.status)."""

from love_producer.views.status import first_contact, host_entry, plural, status_document


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
