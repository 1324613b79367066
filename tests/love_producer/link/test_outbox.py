from love_producer.link.outbox import MAX_DROP_STREAMS, Outbox
from love_producer.wire.frames import Frame


def tel(stream, value):
    return Frame("telemetry", "A", 0, stream, str(value))


def ev(stream, value):
    return Frame("event", "A", 0, stream, str(value))


def test_latest_telemetry_wins_and_is_counted():
    box = Outbox()
    box.put([tel("p", 1), tel("q", 1), tel("p", 2)])
    out = box.take()
    assert [(f.stream, f.payload) for f in out] == [("q", "1"), ("p", "2")]
    assert box.stats.telemetry_replaced == 1
    assert len(box) == 0


def test_events_keep_order_and_come_first():
    box = Outbox()
    box.put([tel("p", 1), ev("a", 1), ev("a", 2), ev("b", 3)])
    out = box.take()
    assert [(f.category, f.payload) for f in out] == [
        ("event", "1"),
        ("event", "2"),
        ("event", "3"),
        ("telemetry", "1"),
    ]


def test_bounded_events_drop_oldest_and_count():
    box = Outbox(max_events=3)
    box.put([ev("a", i) for i in range(5)])
    assert [f.payload for f in box.take()] == ["2", "3", "4"]
    assert box.dropped == 2


def test_take_limit_leaves_the_rest():
    box = Outbox()
    box.put([ev("a", i) for i in range(5)])
    assert len(box.take(max_frames=2)) == 2
    assert [f.payload for f in box.take()] == ["2", "3", "4"]
    assert box.stats.sent == 5


def test_drops_are_counted_per_stream_and_the_stream_names_bounded():
    box = Outbox(max_events=2)
    box.put([ev("a", 1), ev("b", 1), ev("a", 2), ev("a", 3)])
    assert box.dropped_by_stream == {"A:0/a": 1, "A:0/b": 1}
    many = Outbox(max_events=1)
    many.put([ev(f"s{i}", i) for i in range(MAX_DROP_STREAMS + 10)])
    assert len(many.dropped_by_stream) == MAX_DROP_STREAMS + 1
    assert many.dropped_by_stream["other"] == 9
    assert sum(many.dropped_by_stream.values()) == many.dropped
