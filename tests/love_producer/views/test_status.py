"""The status document (love_producer.views.status)."""

from love_producer.views.status import host_entry, status_document


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
