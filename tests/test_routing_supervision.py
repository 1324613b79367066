from love_producer.fleet.supervision import RestartPolicy, on_demand_match
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


def test_restart_delay_doubles_then_resets_after_a_stable_run():
    p = RestartPolicy(initial=0.5, maximum=4.0, stable_after=60.0)
    p.started("A", 0.0)
    delays = []
    now = 0.0
    for _ in range(5):
        now += 1.0
        delays.append(p.delay_after_death("A", now))
        p.started("A", now)
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]
    p.started("A", 100.0)
    assert p.delay_after_death("A", 200.0) == 0.5


def test_on_demand_patterns():
    assert on_demand_match("MT*", "MTMount")
    assert not on_demand_match("MT*", "ATDome")
    assert on_demand_match("AT*, MTMount", "MTMount")
    assert on_demand_match("*", "Anything")
    assert not on_demand_match(None, "MTMount")
    assert not on_demand_match("", "MTMount")
