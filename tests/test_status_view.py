from love_producer.fleet.status import combine_status
from love_producer.link.rate import RateMeter
from love_producer.views.status import host_entry, status_document


def test_rate_over_the_window_and_zero_when_idle():
    m = RateMeter(window=5.0)
    assert m.rate(0.0) == 0.0
    for i in range(11):
        m.add(float(i), 100 * i)  # 100 frames per second for 10 s
    assert abs(m.rate(10.0) - 100.0) < 1.0
    assert m.rate(30.0) == 0.0  # nothing sent for longer than the window


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


def test_combine_status_single_host_and_leader():
    replies = [
        ("", "manager_client", {"connected": True, "pid": 1}),
        ("", "csc", {"key": "MTHexapod:1"}),
        ("", "csc", {"key": "ATDome:0"}),
    ]
    st = combine_status(replies)
    assert st["manager"] == {"connected": True, "pid": 1}
    assert [c["key"] for c in st["components"]] == ["ATDome:0", "MTHexapod:1"]
    assert st["by_host"] == {}

    replies = [
        ("at", "manager_client", {"connected": True}),
        ("at", "csc", {"key": "ATMCS:0"}),
        ("at", "csc", {"key": "ATDome:0", "pipe_dropped": 4}),
        ("mt", "csc", {"key": "MTHexapod:1"}),  # its manager client did not answer
    ]
    st = combine_status(replies, {"leader": "", "at": "AT*", "mt": "MT*"}, own_host="leader")
    assert st["by_host"] == {
        "at": {
            "manager": {"connected": True},
            "components": ["ATDome:0", "ATMCS:0"],
            "pipe_dropped": 4,
            "patterns": "AT*",
        },
        "leader": {"manager": {}, "components": [], "pipe_dropped": 0, "patterns": ""},
        "mt": {"manager": {}, "components": ["MTHexapod:1"], "pipe_dropped": 0, "patterns": "MT*"},
    }
    assert st["manager"] == {}  # the leader runs no manager client of its own here
