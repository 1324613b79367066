"""The Factory's combined status (love_producer.fleet.status)."""

from love_producer.fleet.status import combine_status


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
            "managers": [{"connected": True}],
            "components": ["ATDome:0", "ATMCS:0"],
            "pipe_dropped": 4,
            "patterns": "AT*",
        },
        "leader": {
            "manager": {},
            "managers": [],
            "components": [],
            "pipe_dropped": 0,
            "patterns": "",
        },
        "mt": {
            "manager": {},
            "managers": [],
            "components": ["MTHexapod:1"],
            "pipe_dropped": 0,
            "patterns": "MT*",
        },
    }
    assert st["manager"] == {}  # the leader runs no manager client of its own here


def test_every_link_of_a_host_is_in_the_status() -> None:
    replies = [
        ("", "manager_client", {"url": "ws://b/queue", "connected": False}),
        ("", "manager_client", {"url": "ws://a/producers", "connected": True}),
    ]
    st = combine_status(replies)
    assert [m["url"] for m in st["managers"]] == ["ws://a/producers", "ws://b/queue"]
