from love_producer.fleet.liveness import HostLiveness


def test_silent_hosts_are_lost_and_answers_keep_them():
    live = HostLiveness(limit=6.0)
    assert live.lost(["a", "b"], 100.0) == []  # first look starts their clocks
    live.seen("a", 105.0)
    assert live.lost(["a", "b"], 106.5) == ["b"]  # b silent 6.5 s, a answered 1.5 s ago
    live.forget("b")
    assert live.lost(["a", "b"], 107.0) == []  # forgotten: a fresh clock if it comes back
    assert live.lost(["a"], 111.5) == ["a"]
