from love_producer.fleet.placement import HostSlot, choose_host, plan_rebalance


def test_fit_by_pattern_and_spread_by_load():
    hosts = {
        "a": HostSlot("a", "AT*"),
        "b": HostSlot("b", "MT*,ATDome"),
        "c": HostSlot("c", "*", capacity=1),
    }
    assert choose_host("MTMount", hosts) in ("b", "c")
    hosts["c"].components.add("X:0")  # c is full now
    assert choose_host("MTMount", hosts) == "b"
    assert choose_host("ATMCS", hosts) == "a"
    hosts["a"].components |= {"ATMCS:0", "ATPtg:0"}
    assert choose_host("ATDome", hosts) == "b"  # fits both; b has fewer
    assert choose_host("ESS", hosts) is None


def test_rebalance_evens_out_only_where_patterns_allow():
    hosts = {
        "a": HostSlot("a", "AT*", components={"ATDome:0", "ATMCS:0", "ATPtg:0"}),
        "b": HostSlot("b", "AT*"),
        "c": HostSlot("c", "MT*"),
    }
    moves = plan_rebalance(hosts)
    assert all(dst == "b" and src == "a" for _, src, dst in moves)  # c may not run AT*
    assert len(moves) == 1  # 3/0 -> 2/1; 2/1 is even enough
    assert hosts["a"].components == {"ATDome:0", "ATMCS:0", "ATPtg:0"}  # plan only


def test_rebalance_respects_capacity_and_does_nothing_when_even():
    hosts = {
        "a": HostSlot("a", "*", components={"X:0", "Y:0", "Z:0", "W:0"}),
        "b": HostSlot("b", "*", capacity=1),
    }
    assert [m[2] for m in plan_rebalance(hosts)] == ["b"]
    even = {
        "a": HostSlot("a", "*", components={"X:0"}),
        "b": HostSlot("b", "*", components={"Y:0"}),
    }
    assert plan_rebalance(even) == []
