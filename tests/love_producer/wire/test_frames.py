"""Packing frames into manager messages."""

import json

from love_producer.wire.frames import Frame, pack_messages, subscribe_text


def ev(csc, stream, value, idx=0):
    return Frame("event", csc, idx, stream, json.dumps([{"v": value}]))


def tel(csc, stream, value, idx=0):
    return Frame("telemetry", csc, idx, stream, json.dumps({"v": value}))


def streams_in_order(messages):
    """(category, csc, salindex, stream, payload) for every stream of every message."""
    out = []
    for text in messages:
        msg = json.loads(text)
        for entry in msg["data"]:
            for stream, payload in entry["data"].items():
                out.append((msg["category"], entry["csc"], entry["salindex"], stream, payload))
    return out


def test_every_frame_arrives_once_in_order():
    frames = [
        ev("ATDome", "summaryState", 1),
        ev("ATDome", "azimuthState", 2),
        ev("ATDome", "summaryState", 3),  # same stream again: must not overwrite the first
        tel("ATDome", "position", 4),
        ev("Heartbeat", "stream", 5),
        ev("Heartbeat", "stream", 6),
    ]
    messages = pack_messages(frames, producer_snd=12.5)
    got = streams_in_order(messages)
    want = [(f.category, f.csc, f.salindex, f.stream, json.loads(f.payload)) for f in frames]
    assert got == want
    for text in messages:
        msg = json.loads(text)
        assert set(msg) == {"category", "data", "producer_snd"}
        assert msg["producer_snd"] == 12.5
        # A stream never appears twice in one entry (it would be lost in the dict).
        for entry in msg["data"]:
            assert set(entry) == {"csc", "salindex", "data"}


def test_one_category_per_message_and_fewer_messages_than_frames():
    frames = [tel("ATMCS", f"t{i}", i) for i in range(10)] + [ev("ATMCS", "summaryState", 1)]
    messages = pack_messages(frames, 1.0)
    assert len(messages) == 2
    assert [json.loads(m)["category"] for m in messages] == ["telemetry", "event"]
    # Ten streams of one component share one entry.
    assert len(json.loads(messages[0])["data"]) == 1
    assert len(json.loads(messages[0])["data"][0]["data"]) == 10


def test_upstream_mode_one_frame_per_message():
    frames = [tel("ATMCS", f"t{i}", i) for i in range(3)]
    messages = pack_messages(frames, 1.0, max_bytes=0)
    assert len(messages) == 3
    assert streams_in_order(messages) == streams_in_order(pack_messages(frames, 1.0))


def test_size_cap_splits_messages():
    big = "x" * 1000
    frames = [Frame("telemetry", "A", 0, f"s{i}", json.dumps(big)) for i in range(10)]
    messages = pack_messages(frames, 1.0, max_bytes=3000)
    assert 3 <= len(messages) <= 5
    assert all(len(m) < 3000 + 1200 for m in messages)
    assert len(streams_in_order(messages)) == 10


def test_nan_producer_snd_is_still_json():
    messages = pack_messages([tel("A", "s", 1)], float("nan"))
    assert json.loads(messages[0])["producer_snd"] is None


def test_subscribe_frame_matches_spec():
    msg = json.loads(subscribe_text("ATDome", 3.0))
    assert msg == {
        "option": "subscribe",
        "category": "initial_state",
        "csc": "ATDome",
        "salindex": "all",
        "stream": "all",
        "producer_snd": 3.0,
    }
