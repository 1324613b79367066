"""Tests of the Watcher state machine (love_producer.state.watcher_state); payloads by
hand (§3.10)."""

from __future__ import annotations

import json

from actors.edges.catalog import Catalog
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.state.watcher_state import WatcherCSC
from love_producer.wire.requests import InitialStateRequest

WATCHER = Catalog.builtin().get("Watcher")
PRIVATE = [
    "private_sndStamp",
    "private_rcvStamp",
    "private_efdStamp",
    "private_kafkaStamp",
    "private_seqNum",
    "private_revCode",
    "private_identity",
    "private_origin",
]
ALARM_FIELDS = [
    ("name", "String", ""),
    ("severity", "Int", 0),
    ("reason", "String", ""),
    ("maxSeverity", "Int", 0),
    ("acknowledged", "Int", False),
    ("acknowledgedBy", "String", ""),
    ("escalatedId", "String", ""),
    ("escalateTo", "String", ""),
    ("mutedSeverity", "Int", 0),
    ("mutedBy", "String", ""),
    ("timestampSeverityOldest", "Float", 0.0),
    ("timestampSeverityNewest", "Float", 0.0),
    ("timestampMaxSeverity", "Float", 0.0),
    ("timestampAcknowledged", "Float", 0.0),
    ("timestampAutoAcknowledge", "Float", 0.0),
    ("timestampAutoUnacknowledge", "Float", 0.0),
    ("timestampEscalate", "Float", 0.0),
    ("timestampUnmute", "Float", 0.0),
]

_seq = {"n": 0}


def alarm(t: float, name: str, **fields: object) -> Sample:
    _seq["n"] += 1
    data = {"private_sndStamp": t + 37.0, "private_seqNum": _seq["n"], "name": name, **fields}
    return Sample("Watcher", 0, "event", "alarm", data, t)


def expected_template(t: float, seq: int, name: str, **fields: object) -> dict:
    """The §3.10 field template, built by hand: private fields, then every alarm field."""
    units = {
        "private_sndStamp": "second",
        "private_rcvStamp": "second",
        "private_efdStamp": "second",
        "private_kafkaStamp": "second",
    }
    out: dict = {}
    for p in PRIVATE:
        default = (
            0
            if p in ("private_seqNum", "private_origin")
            else ("" if p in ("private_revCode", "private_identity") else 0.0)
        )
        dt = (
            "Int"
            if isinstance(default, int)
            else ("String" if isinstance(default, str) else "Float")
        )
        out[p] = {"value": default, "dataType": dt, "units": units.get(p, "unitless")}
    out["private_sndStamp"]["value"] = t + 37.0
    out["private_seqNum"]["value"] = seq
    values = {"name": name, **fields}
    for fname, dt, default in ALARM_FIELDS:
        unit = "second" if fname.startswith("timestamp") else "unitless"
        out[fname] = {"value": values.get(fname, default), "dataType": dt, "units": unit}
    return out


def stream_payload(frames) -> dict:
    [frame] = [f for f in frames if f.stream == "stream"]
    assert (frame.category, frame.csc, frame.salindex) == ("event", "Watcher", 0)
    return json.loads(frame.payload)


def test_first_sample_asks_for_every_alarm_once() -> None:
    w = WatcherCSC(WATCHER, 0)
    w.on_samples([Sample("Watcher", 0, "event", "heartbeat", {}, 1.0)], 1.0)
    assert w.take_commands() == [SalCommand("Watcher", 0, "showAlarms", {})]
    w.on_samples([alarm(2.0, "Enabled.ATDome", severity=2)], 2.0)
    assert w.take_commands() == []


def test_alarm_is_forwarded_then_the_whole_table_pushed_live() -> None:
    w = WatcherCSC(WATCHER, 0)
    _seq["n"] = 0
    out = w.on_samples([alarm(1.0, "Enabled.ATDome", severity=3, maxSeverity=3)], 1.0)
    assert [(f.csc, f.stream) for f in out] == [("Watcher", "alarm"), ("Watcher", "stream")]
    one = expected_template(1.0, 1, "Enabled.ATDome", severity=3, maxSeverity=3)
    assert stream_payload(out) == {"alarms": {"Enabled.ATDome": one}}
    assert list(stream_payload(out)["alarms"]["Enabled.ATDome"]) == [
        *PRIVATE,
        *(f for f, _, _ in ALARM_FIELDS),
    ]
    # the raw alarm event keeps its list shape; the table holds the list's item
    assert json.loads(out[0].payload) == [one]

    out = w.on_samples([alarm(2.0, "Heartbeat.ATMCS", severity=2)], 2.0)
    two = expected_template(2.0, 2, "Heartbeat.ATMCS", severity=2)
    assert stream_payload(out) == {"alarms": {"Enabled.ATDome": one, "Heartbeat.ATMCS": two}}

    out = w.on_samples(
        [alarm(3.0, "Enabled.ATDome", severity=3, acknowledged=True, acknowledgedBy="me")], 3.0
    )
    acked = expected_template(
        3.0, 3, "Enabled.ATDome", severity=3, acknowledged=True, acknowledgedBy="me"
    )
    alarms = stream_payload(out)["alarms"]
    assert list(alarms) == ["Enabled.ATDome", "Heartbeat.ATMCS"]
    assert alarms == {"Enabled.ATDome": acked, "Heartbeat.ATMCS": two}
    assert w.status()["alarms"] == 2


def test_stream_is_answered_on_initial_state() -> None:
    w = WatcherCSC(WATCHER, 0)
    assert w.on_request(InitialStateRequest("Watcher", 0, "stream"), 1.0) == []
    w.on_samples([alarm(1.0, "Enabled.ATDome", severity=2)], 1.0)
    [frame] = w.on_request(InitialStateRequest("Watcher", 0, "stream"), 5.0)
    assert list(json.loads(frame.payload)["alarms"]) == ["Enabled.ATDome"]
    assert w.on_request(InitialStateRequest("Watcher", 1, "stream"), 5.0) == []


def test_alarm_without_a_name_does_not_enter_the_table() -> None:
    w = WatcherCSC(WATCHER, 0)
    s = Sample("Watcher", 0, "event", "alarm", {"private_seqNum": 1, "name": 5}, 1.0)
    out = w.on_samples([s], 1.0)
    assert [(f.csc, f.stream) for f in out] == [("Watcher", "alarm")]
    assert w.alarms == {}
