from love_producer.link.recent_events import RecentEvents
from love_producer.wire.frames import Frame


def ev(value: int) -> Frame:
    return Frame("event", "ScriptQueue", 1, "queue", str(value))


def test_events_of_the_window_in_order_telemetry_never() -> None:
    recent = RecentEvents(window=5.0)
    recent.add([ev(1), Frame("telemetry", "ATDome", 0, "position", "{}")], 0.0)
    recent.add([ev(2), ev(3)], 3.0)
    assert [f.payload for f in recent.frames(4.0)] == ["1", "2", "3"]
    assert [f.payload for f in recent.frames(6.0)] == ["2", "3"]  # 1 is older than 5 s
    assert recent.frames(9.0) == []


def test_the_number_kept_is_bounded() -> None:
    recent = RecentEvents(window=60.0, max_frames=10)
    recent.add([ev(i) for i in range(100)], 0.0)
    assert [f.payload for f in recent.frames(1.0)] == [str(i) for i in range(90, 100)]
