from actors.edges.catalog import Catalog
from love_producer.views.summary import Summary, Watched, format_table, pick_value, sparkline


def event(csc, idx, stream, payload):
    return {"category": "event", "data": [{"csc": csc, "salindex": idx, "data": {stream: payload}}]}


def test_rows_from_frames():
    s = Summary(window=5.0)
    s.feed(event("ATDome", 0, "summaryState", [{"summaryState": {"value": 2}}]), 100.0)
    s.feed(
        {
            "category": "telemetry",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"position": {}, "other": {}}}],
        },
        101.0,
    )
    s.feed(event("Heartbeat", 0, "stream", {"csc": "ATDome", "salindex": 0, "lost": 3}), 101.0)
    s.feed({"data": "Successfully subscribed to x"}, 101.0)  # confirmations are ignored
    (row,) = s.rows(102.0)
    assert row == {
        "value": None,
        "value_name": "",
        "units": "",
        "history": [],
        "component": "ATDome",
        "summary_state": "ENABLED",
        "heartbeat": "lost 3",
        "frames_per_s": 3 / 5.0,
        "frames": 3,
    }
    assert s.rows(200.0)[0]["frames_per_s"] == 0.0  # the window has passed


def test_queue_and_alarm_lines():
    s = Summary()
    script = {"index": 100002, "path": "a.py", "script_state": "RUNNING"}
    done = {"index": 100001, "path": "b.py", "script_state": "DONE"}
    s.feed(
        event(
            "ScriptQueueState",
            1,
            "scriptsStream",
            {"current_scripts": [script], "waiting_scripts": [{}, {}], "finished_scripts": [done]},
        ),
        1,
    )
    alarm = {"severity": {"value": 3}, "acknowledged": {"value": False}}
    cleared = {"severity": {"value": 1}, "acknowledged": {"value": False}}
    s.feed(event("Watcher", 0, "stream", {"alarms": {"A.x": alarm, "B.y": cleared}}), 1)
    assert s.queues[1] == "running 100002 a.py (RUNNING), 2 waiting, last done 100001 b.py (DONE)"
    assert s.alarms == "1 active, 1 unacknowledged: A.x"
    text = format_table(s.rows(1), True, "ws://h", s.queues, s.alarms)
    assert "ScriptQueue:1  running 100002" in text and "Watcher alarms  1 active" in text
    # ScriptQueueState is a pseudo-CSC: no row of its own; the Watcher's stream is the Watcher's.
    assert [r["component"] for r in s.rows(1)] == ["Watcher"]


def telemetry(csc, idx, topic, **fields):
    data = {k: {"value": v, "dataType": "Float", "units": "deg"} for k, v in fields.items()}
    return {"category": "telemetry", "data": [{"csc": csc, "salindex": idx, "data": {topic: data}}]}


def test_the_watched_value_and_its_history() -> None:
    watch = {"ATDome": Watched("position", "azimuthPosition", "deg")}
    s = Summary(watch=watch)
    for i, az in enumerate([10.0, 12.5, 11.0]):
        s.feed(telemetry("ATDome", 0, "position", azimuthPosition=az, other=1.0), float(i))
    s.feed(telemetry("ATDome", 0, "position", azimuthPosition="not a number"), 4.0)
    (row,) = s.rows(5.0)
    assert row["value"] == 11.0 and row["history"] == [10.0, 12.5, 11.0]
    assert (row["value_name"], row["units"]) == ("position.azimuthPosition", "deg")
    text = format_table(s.rows(5.0), True, "ws://h")
    assert "position.azimuthPosition" in text and "11.00 deg" in text and "▁█" in text


def test_pick_value_prefers_the_known_ones_and_falls_back_to_a_number() -> None:
    catalog = Catalog.builtin()
    assert pick_value(catalog.get("ATDome")) == Watched("position", "azimuthPosition", "deg")
    assert pick_value(catalog.get("MTHexapod")).field == "position"
    test = pick_value(catalog.get("Test"))
    assert test is not None and "timestamp" not in test.field.lower()
    assert pick_value(catalog.get("ScriptQueue")) is None  # no telemetry


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([3.0, 3.0]) == "▄▄"
