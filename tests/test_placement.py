from love_producer.placement import HostSlot, choose_host


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
