from love_producer.views.summary import Summary, format_table


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
