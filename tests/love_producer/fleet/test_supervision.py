from love_producer.fleet.supervision import RestartPolicy, on_demand_match
from love_producer.wire.requests import InitialStateRequest


def req(csc, idx, name="summaryState"):
    return InitialStateRequest(csc=csc, salindex=idx, event_name=name)


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
