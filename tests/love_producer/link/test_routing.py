from love_producer.link.routing import RouteTable
from love_producer.wire.requests import InitialStateRequest


def req(csc, idx, name="summaryState"):
    return InitialStateRequest(csc=csc, salindex=idx, event_name=name)


def test_routes_by_registered_name():
    t = RouteTable()
    t.add("ATDome:0", ("all", "ATDome"))
    t.add("ScriptQueue:1", ("all", "ScriptQueue", "ScriptQueueState", "Script"))
    by_key, unrouted = t.route(
        [req("ATDome", 0), req("ScriptQueueState", 1), req("Script", 100012)]
    )
    assert [r.csc for r in by_key["ATDome:0"]] == ["ATDome"]
    assert [r.csc for r in by_key["ScriptQueue:1"]] == ["ScriptQueueState", "Script"]
    assert unrouted == []  # pseudo-CSCs never ask for a new actor


def test_unknown_component_and_unknown_instance_are_unrouted():
    t = RouteTable()
    t.add("MTHexapod:1", ("all", "MTHexapod"))
    by_key, unrouted = t.route([req("MTMount", 0), req("MTHexapod", 2), req("MTHexapod", 1)])
    assert [(r.csc, r.salindex) for r in unrouted] == [("MTMount", 0), ("MTHexapod", 2)]
    # The registered actor still sees every request for its name; it checks the index itself.
    assert len(by_key["MTHexapod:1"]) == 2


def test_all_is_never_routed():
    t = RouteTable()
    t.add("ATDome:0", ("all", "ATDome"))
    by_key, unrouted = t.route([req("all", "all")])
    assert by_key == {} and unrouted == []


def test_remove():
    t = RouteTable()
    t.add("ATDome:0", ("all", "ATDome"))
    t.remove("ATDome:0")
    assert t.names() == set()
