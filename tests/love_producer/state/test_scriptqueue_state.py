"""Tests of the ScriptQueue state machine (love_producer.state.scriptqueue_state), with
explicit times.

Expected payloads are written out by hand from spec §3.7-3.9 and §5.
"""

from __future__ import annotations

import json

import pytest

from actors.edges.catalog import Catalog
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.state.scriptqueue_state import (
    AvailableScripts,
    QueueModel,
    SchemaFetch,
    ScriptQueueCSC,
    append_log,
    apply_available,
    apply_config_schema,
    apply_queue,
    apply_script,
    apply_script_heartbeat,
    apply_script_topic,
    fetch_arrived,
    fetch_expire,
    fetch_launch,
    heartbeat_round,
    plan_fetch,
)
from love_producer.wire.frames import Frame
from love_producer.wire.requests import InitialStateRequest

CATALOG = Catalog.builtin()
SQ_INFO = CATALOG.get("ScriptQueue")
SCRIPT_INFO = CATALOG.get("Script")
TAI = 37.0

#: Key order of a <script> (spec §3.7).
SCRIPT_KEYS = [
    "remote",
    "setup",
    "index",
    "path",
    "type",
    "process_state",
    "script_state",
    "timestampConfigureEnd",
    "timestampConfigureStart",
    "timestampProcessEnd",
    "timestampProcessStart",
    "timestampRunStart",
    "expected_duration",
    "last_checkpoint",
    "description",
    "classname",
    "remotes",
    "last_heartbeat_timestamp",
    "lost_heartbeats",
    "pause_checkpoints",
    "stop_checkpoints",
    "log_level",
]


def script_dict(index: int, **changes: object) -> dict:
    """A <script> with the defaults of spec §3.7, then ``changes``."""
    d = {
        "remote": None,
        "setup": True,
        "index": index,
        "path": "UNKNOWN",
        "type": "UNKNOWN",
        "process_state": "UNKNOWN",
        "script_state": "UNKNOWN",
        "timestampConfigureEnd": 0,
        "timestampConfigureStart": 0,
        "timestampProcessEnd": 0,
        "timestampProcessStart": 0,
        "timestampRunStart": 0,
        "expected_duration": 0,
        "last_checkpoint": "",
        "description": "",
        "classname": "",
        "remotes": "",
        "last_heartbeat_timestamp": 0,
        "lost_heartbeats": 0,
        "pause_checkpoints": "",
        "stop_checkpoints": "",
        "log_level": 20,
    }
    d.update(changes)
    return d


class Feed:
    """Builds samples with increasing private_seqNum per (component, index, topic)."""

    def __init__(self) -> None:
        self.counts: dict[tuple, int] = {}

    def sample(self, component: str, index: int, topic: str, t: float, **fields: object) -> Sample:
        key = (component, index, topic)
        seq = self.counts[key] = self.counts.get(key, 0) + 1
        data = {"salIndex": index, "private_sndStamp": t + TAI, "private_seqNum": seq, **fields}
        return Sample(component, index, "event", topic, data, t)

    def sq(self, topic: str, t: float, **fields: object) -> Sample:
        return self.sample("ScriptQueue", 1, topic, t, **fields)

    def script(self, index: int, topic: str, t: float, **fields: object) -> Sample:
        return self.sample("Script", index, topic, t, **fields)

    def queue(
        self,
        t: float,
        current: int = 0,
        waiting: tuple[int, ...] = (),
        past: tuple[int, ...] = (),
        enabled: bool = True,
        running: bool = True,
    ) -> Sample:
        return self.sq("queue", t, **queue_fields(current, waiting, past, enabled, running))


def queue_fields(
    current: int = 0,
    waiting: tuple[int, ...] = (),
    past: tuple[int, ...] = (),
    enabled: bool = True,
    running: bool = True,
) -> dict:
    return {
        "enabled": enabled,
        "running": running,
        "currentSalIndex": current,
        "length": len(waiting),
        "salIndices": list(waiting) + [0] * (400 - len(waiting)),
        "pastLength": len(past),
        "pastSalIndices": list(past) + [0] * (400 - len(past)),
    }


def script_fields(index: int, process: int, state: int, path: str = "std.py", **more) -> dict:
    fields = {
        "cmdId": 1,
        "scriptSalIndex": index,
        "isStandard": True,
        "path": path,
        "timestampProcessStart": 10.0,
        "timestampConfigureStart": 11.0,
        "timestampConfigureEnd": 12.0,
        "timestampRunStart": 0.0,
        "timestampProcessEnd": 0.0,
        "processState": process,
        "scriptState": state,
    }
    fields.update(more)
    return fields


def make(**kwargs) -> ScriptQueueCSC:
    return ScriptQueueCSC(SQ_INFO, 1, start_time=0.0, script_info=SCRIPT_INFO, **kwargs)


def streams(frames: list[Frame]) -> list[tuple[str, str]]:
    return [(f.csc, f.stream) for f in frames]


def payload(frame: Frame) -> object:
    return json.loads(frame.payload)


def last(frames: list[Frame], stream: str) -> dict:
    found = [f for f in frames if f.stream == stream]
    assert found, f"no {stream} frame in {streams(frames)}"
    return payload(found[-1])


# ----------------------------------------------------------------------- names, hydration


def test_reply_and_registration_names() -> None:
    sq = make()
    assert sq.reply_names == ("ScriptQueue", "ScriptQueueState", "Script")
    assert sq.registration_names() == ("all", "ScriptQueue", "ScriptQueueState", "Script")


def test_first_sample_asks_for_queue_and_available_scripts_once() -> None:
    sq, feed = make(), Feed()
    assert sq.take_commands() == []
    sq.on_samples([feed.sq("summaryState", 1.0, summaryState=2)], 1.0)
    assert sq.take_commands() == [
        SalCommand("ScriptQueue", 1, "showQueue", {}),
        SalCommand("ScriptQueue", 1, "showAvailableScripts", {}),
    ]
    assert sq.take_commands() == []  # taken means cleared
    sq.on_samples([feed.sq("summaryState", 2.0, summaryState=1)], 2.0)
    assert sq.take_commands() == []


# ----------------------------------------------------------------------------- queue


def test_queue_sends_raw_event_then_state_then_scripts_stream() -> None:
    sq, feed = make(), Feed()
    out = sq.on_samples([feed.queue(1.0, current=100002, waiting=(100003,), past=(100001,))], 1.0)
    assert streams(out) == [
        ("ScriptQueue", "queue"),
        ("ScriptQueueState", "stateStream"),
        ("ScriptQueueState", "scriptsStream"),
    ]
    assert all(f.salindex == 1 and f.category == "event" for f in out)
    assert payload(out[1]) == {"enabled": True, "running": True}
    scripts = payload(out[2])
    assert scripts == {
        "current_scripts": [script_dict(100002)],
        "waiting_scripts": [script_dict(100003)],
        "finished_scripts": [script_dict(100001)],
    }
    assert list(scripts["current_scripts"][0]) == SCRIPT_KEYS
    assert list(scripts) == ["current_scripts", "waiting_scripts", "finished_scripts"]


def test_queue_names_undescribed_scripts_so_show_script_is_sent_once_each() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002, waiting=(100003,), past=(100001,))], 1.0)
    cmds = [c for c in sq.take_commands() if c.name == "showScript"]
    assert cmds == [
        SalCommand("ScriptQueue", 1, "showScript", {"scriptSalIndex": i})
        for i in (100002, 100003, 100001)
    ]
    sq.on_samples([feed.queue(2.0, current=100003, past=(100002, 100001))], 2.0)
    assert sq.take_commands() == []


def test_unchanged_derived_streams_are_not_sent_again() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002)], 1.0)
    out = sq.on_samples([feed.queue(2.0, current=100002)], 2.0)
    assert streams(out) == [("ScriptQueue", "queue")]
    out = sq.on_samples([feed.queue(3.0, current=100002, running=False)], 3.0)
    assert streams(out) == [("ScriptQueue", "queue"), ("ScriptQueueState", "stateStream")]
    assert payload(out[1]) == {"enabled": True, "running": False}


def test_queue_with_bad_values_keeps_only_valid_indices() -> None:
    data = {
        "enabled": 1,
        "running": "yes",
        "currentSalIndex": -5,
        "length": 10,  # longer than the list
        "salIndices": [100004, "x", 0, 100004, 100005],
        "pastLength": 3,
        "pastSalIndices": None,
    }
    model = apply_queue(QueueModel(), data, 10)
    assert (model.enabled, model.running) == (True, False)
    assert model.current == ()
    assert model.waiting == (100004, 100005)
    assert model.finished == ()


# ---------------------------------------------------------------------------- script


def test_script_event_fills_the_entry() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002)], 1.0)
    fields = script_fields(100002, 3, 3, path="auxtel/slew.py", timestampRunStart=13.5)
    out = sq.on_samples([feed.sq("script", 2.0, **fields)], 2.0)
    assert streams(out) == [("ScriptQueue", "script"), ("ScriptQueueState", "scriptsStream")]
    expected = script_dict(
        100002,
        path="auxtel/slew.py",
        type="standard",
        process_state="RUNNING",
        script_state="RUNNING",
        timestampConfigureEnd=12.0,
        timestampConfigureStart=11.0,
        timestampProcessEnd=0.0,
        timestampProcessStart=10.0,
        timestampRunStart=13.5,
    )
    assert payload(out[1])["current_scripts"] == [expected]


@pytest.mark.parametrize(
    ("process", "state", "names"),
    [
        (4, 8, ("DONE", "DONE")),
        (5, 11, ("LOADFAILED", "CONFIGURE_FAILED")),
        (7, 9, ("TERMINATED", "STOPPED")),
        (0, 0, ("UNKNOWN", "UNKNOWN")),
        (99, -1, ("UNKNOWN", "UNKNOWN")),  # unknown values do not raise (W9)
        ("2", 2.0, ("UNKNOWN", "UNKNOWN")),
    ],
)
def test_script_enum_names(process: object, state: object, names: tuple[str, str]) -> None:
    model = apply_script(QueueModel(), script_fields(100002, process, state))  # type: ignore[arg-type]
    entry = model.scripts[100002]
    assert (entry.process_state, entry.script_state) == names


def test_script_before_queue_is_kept_and_gets_heartbeat_and_log_entries() -> None:
    """The upstream ordering bug (§5.5, W9): a script event first, then the queue."""
    sq, feed = make(), Feed()
    sq.on_samples([feed.sq("script", 1.0, **script_fields(100007, 2, 2, path="a.py"))], 1.0)
    sq.take_commands()
    out = sq.on_samples([feed.queue(2.0, waiting=(100007,))], 2.0)
    assert last(out, "scriptsStream")["waiting_scripts"] == [
        script_dict(
            100007,
            path="a.py",
            type="standard",
            process_state="CONFIGURED",
            script_state="CONFIGURED",
            timestampConfigureEnd=12.0,
            timestampConfigureStart=11.0,
            timestampProcessEnd=0.0,
            timestampProcessStart=10.0,
            timestampRunStart=0.0,
        )
    ]
    assert sq.take_commands() == []  # described already: no showScript
    beats = [f for f in sq.tick(2.0) if f.csc == "ScriptHeartbeats"]
    assert [payload(f)["script_heartbeat"]["salindex"] for f in beats] == [100007]
    log = sq.on_samples([feed.script(100007, "logMessage", 3.0, message="hi")], 3.0)
    assert streams(log) == [("Script", "logMessage")]


def test_script_removed_while_waiting_is_forgotten_without_error() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100001, waiting=(100002, 100003))], 1.0)
    sq.on_samples([feed.script(100003, "heartbeat", 1.5)], 1.5)
    sq.on_samples([feed.script(100003, "logMessage", 1.6, message="x")], 1.6)
    out = sq.on_samples([feed.queue(2.0, current=100001, waiting=(100002,))], 2.0)
    assert last(out, "scriptsStream")["waiting_scripts"] == [script_dict(100002)]
    assert 100003 not in sq.model.scripts
    assert 100003 not in sq.model.beats
    assert 100003 not in sq.model.logs
    # its later events are ignored: it is older than the newest listed script
    assert sq.on_samples([feed.script(100003, "state", 3.0, state=3)], 3.0) == []
    beats = [
        payload(f)["script_heartbeat"]["salindex"]
        for f in sq.tick(4.0)
        if f.csc == "ScriptHeartbeats"
    ]
    assert beats == [100001, 100002]


def test_finished_window_forgets_older_scripts_everywhere() -> None:
    sq, feed = make(finished_list_size=2), Feed()
    sq.on_samples([feed.queue(1.0, current=100003, past=(100002, 100001))], 1.0)
    sq.on_samples([feed.script(100001, "logMessage", 1.5, message="old")], 1.5)
    assert len(sq.model.logs[100001]) == 1
    out = sq.on_samples([feed.queue(2.0, past=(100003, 100002, 100001))], 2.0)
    scripts = last(out, "scriptsStream")
    assert [s["index"] for s in scripts["finished_scripts"]] == [100003, 100002]
    assert scripts["current_scripts"] == []
    for table in (sq.model.scripts, sq.model.beats, sq.model.logs):
        assert 100001 not in table
    assert sq.on_samples([feed.script(100001, "description", 3.0, description="d")], 3.0) == []
    assert sq.status()["scripts_tracked"] == 2


def test_finished_list_size_zero_shows_no_finished_script() -> None:
    model = apply_queue(QueueModel(), queue_fields(past=(100002, 100001)), 0)
    assert model.finished == () and model.scripts == {}


# --------------------------------------------------------------------------- Script events


def test_script_detail_events_update_scripts_stream_and_are_not_forwarded() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002)], 1.0)
    samples = [
        feed.script(100002, "state", 2.0, state=4, lastCheckpoint="start"),
        feed.script(100002, "metadata", 2.1, duration=42.5),
        feed.script(
            100002,
            "description",
            2.2,
            description="Slew",
            classname="Slew",
            remotes="ATPtg,ATMCS",
            help="not shown",
        ),
        feed.script(100002, "checkpoints", 2.3, pause="start", stop="end"),
        feed.script(100002, "logLevel", 2.4, level=10),
    ]
    out = sq.on_samples(samples, 2.5)
    assert streams(out) == [("ScriptQueueState", "scriptsStream")] * 5
    assert payload(out[-1])["current_scripts"] == [
        script_dict(
            100002,
            script_state="PAUSED",
            last_checkpoint="start",
            expected_duration=42.5,
            description="Slew",
            classname="Slew",
            remotes="ATPtg,ATMCS",
            pause_checkpoints="start",
            stop_checkpoints="end",
            log_level=10,
        )
    ]


def test_unknown_script_state_value_is_unknown() -> None:
    model = apply_queue(QueueModel(), queue_fields(current=100002), 10)
    model = apply_script_topic(model, 100002, "state", {"state": 42, "lastCheckpoint": "c"})
    assert model.scripts[100002].script_state == "UNKNOWN"
    assert model.scripts[100002].last_checkpoint == "c"


def test_script_samples_of_other_queues_are_ignored() -> None:
    sq, feed = make(), Feed()
    out = sq.on_samples([feed.script(200001, "state", 1.0, state=3)], 1.0)
    assert out == []
    assert 200001 not in sq.model.scripts
    assert sq.status()["script_samples_ignored"] == 1


def test_duplicate_script_samples_are_dropped() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002)], 1.0)
    s = feed.script(100002, "logMessage", 2.0, message="once")
    assert len(sq.on_samples([s, s], 2.0)) == 1


# ----------------------------------------------------------------------------- logMessage


def test_log_message_frame_payload() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100013)], 1.0)
    s = feed.script(
        100013,
        "logMessage",
        2.0,
        name="LoveStdScript",
        level=20,
        message="Run started",
        timestamp=1764132049.9,
    )
    [frame] = sq.on_samples([s], 2.0)
    assert (frame.category, frame.csc, frame.salindex, frame.stream) == (
        "event",
        "Script",
        100013,
        "logMessage",
    )
    [fields] = payload(frame)
    assert list(fields)[:2] == ["salIndex", "private_sndStamp"]
    assert fields["salIndex"] == {"value": 100013, "dataType": "Int", "units": "unitless"}
    assert fields["message"] == {"value": "Run started", "dataType": "String", "units": "unitless"}
    assert fields["level"] == {"value": 20, "dataType": "Int", "units": "unitless"}
    assert fields["timestamp"]["value"] == 1764132049.9


def test_log_messages_live_for_active_scripts_buffered_for_finished() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100003, waiting=(100004,), past=(100002,))], 1.0)
    assert len(sq.on_samples([feed.script(100003, "logMessage", 2.0, message="c")], 2.0)) == 1
    assert len(sq.on_samples([feed.script(100004, "logMessage", 2.0, message="w")], 2.0)) == 1
    assert sq.on_samples([feed.script(100002, "logMessage", 2.0, message="f")], 2.0) == []
    assert len(sq.model.logs[100002]) == 1


def test_log_request_replays_the_last_20_of_the_current_script_whatever_the_salindex() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100003, waiting=(100004,))], 1.0)
    for k in range(25):
        sq.on_samples([feed.script(100003, "logMessage", 2.0 + k, message=f"m{k}")], 2.0 + k)
    sq.on_samples([feed.script(100004, "logMessage", 30.0, message="waiting")], 30.0)
    for salindex in (100003, 0, "all"):
        out = sq.on_request(InitialStateRequest("Script", salindex, "logMessage"), 40.0)
        assert [payload(f)[0]["message"]["value"] for f in out] == [f"m{k}" for k in range(5, 25)]
    assert sq.on_request(InitialStateRequest("Script", 100003, "state"), 40.0) == []


# ---------------------------------------------------------------------------- heartbeats


def test_script_heartbeats_every_two_seconds_for_current_and_waiting() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(0.5, current=100002, waiting=(100003,), past=(100001,))], 0.5)
    assert sq.next_deadline() == 2.0
    sq.on_samples([feed.script(100002, "heartbeat", 1.5)], 1.5)
    out = [f for f in sq.tick(2.0) if f.csc == "ScriptHeartbeats"]
    assert [(f.category, f.salindex, f.stream) for f in out] == [("event", 1, "stream")] * 2
    assert [payload(f) for f in out] == [
        {"script_heartbeat": {"salindex": 100002, "lost": 0, "last_heartbeat_timestamp": 1.5}},
        {"script_heartbeat": {"salindex": 100003, "lost": 1, "last_heartbeat_timestamp": -1.0}},
    ]
    assert sq.next_deadline() == 4.0
    # 1.5 is older than 10 - 5 - 2: lost grows; never heard from: grows again
    out = [payload(f)["script_heartbeat"] for f in sq.tick(10.0) if f.csc == "ScriptHeartbeats"]
    assert [(b["salindex"], b["lost"]) for b in out] == [(100002, 1), (100003, 2)]
    sq.on_samples([feed.script(100003, "heartbeat", 11.0)], 11.0)
    out = [payload(f)["script_heartbeat"] for f in sq.tick(12.0) if f.csc == "ScriptHeartbeats"]
    assert [(b["salindex"], b["lost"]) for b in out] == [(100002, 2), (100003, 0)]


def test_no_script_heartbeats_before_their_period() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(0.5, current=100002)], 0.5)
    assert [f for f in sq.tick(1.9) if f.csc == "ScriptHeartbeats"] == []


# --------------------------------------------------------------------- available scripts


def test_available_scripts_stream_shape_and_order() -> None:
    sq, feed = make(), Feed()
    out = sq.on_samples(
        [feed.sq("availableScripts", 1.0, standard="b.py:a.py", external="x/y.py")], 1.0
    )
    assert streams(out) == [
        ("ScriptQueue", "availableScripts"),
        ("ScriptQueueState", "availableScriptsStream"),
    ]
    assert payload(out[1]) == {
        "available_scripts": [
            {"type": "standard", "path": "b.py", "configSchema": ""},
            {"type": "standard", "path": "a.py", "configSchema": ""},
            {"type": "external", "path": "x/y.py", "configSchema": ""},
        ]
    }
    out = sq.on_samples(
        [feed.sq("configSchema", 2.0, isStandard=True, path="a.py", configSchema="type: object")],
        2.0,
    )
    assert last(out, "availableScriptsStream")["available_scripts"][1] == {
        "type": "standard",
        "path": "a.py",
        "configSchema": "type: object",
    }
    out = sq.on_samples(
        [feed.sq("configSchema", 3.0, isStandard=False, path="x/y.py", configSchema="")], 3.0
    )
    assert last(out, "availableScriptsStream")["available_scripts"][2] == {
        "type": "external",
        "path": "x/y.py",
        "configSchema": "# empty schema",
    }


def test_empty_available_lists_add_no_empty_path() -> None:
    avail = apply_available(AvailableScripts(), {"standard": "", "external": "::"})
    assert (dict(avail.standard), dict(avail.external)) == ({}, {})
    avail = apply_available(AvailableScripts(), {"standard": "a.py::b.py:", "external": None})
    assert list(avail.standard) == ["a.py", "b.py"]


def test_available_scripts_are_pruned_and_known_schemas_kept() -> None:
    avail = apply_available(AvailableScripts(), {"standard": "a.py:b.py", "external": "e.py"})
    avail = apply_config_schema(avail, {"isStandard": True, "path": "b.py", "configSchema": "s"})
    avail = apply_available(avail, {"standard": "b.py:c.py", "external": ""})
    assert dict(avail.standard) == {"b.py": "s", "c.py": ""}
    assert dict(avail.external) == {}


def test_config_schema_for_unknown_path_is_added_and_without_path_ignored() -> None:
    avail = apply_config_schema(
        AvailableScripts(), {"isStandard": False, "path": "new.py", "configSchema": "t"}
    )
    assert dict(avail.external) == {"new.py": "t"}
    same = apply_config_schema(avail, {"isStandard": True, "path": "", "configSchema": "t"})
    assert same == avail


# --------------------------------------------------------------------------- schema fetch


def _schema_cmds(cmds: list[SalCommand]) -> list[tuple[bool, str]]:
    return [(c.fields["isStandard"], c.fields["path"]) for c in cmds if c.name == "showSchema"]


def test_no_schema_fetch_without_the_option() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.sq("availableScripts", 1.0, standard="a.py:b.py", external="")], 1.0)
    assert _schema_cmds(sq.take_commands()) == []


def test_schema_fetch_two_at_a_time_and_one_stream_at_the_end() -> None:
    sq, feed = make(update_schemas_on_start=True), Feed()
    out = sq.on_samples(
        [feed.sq("availableScripts", 1.0, standard="a.py:b.py", external="c.py")], 1.0
    )
    assert streams(out)[-1] == ("ScriptQueueState", "availableScriptsStream")
    assert _schema_cmds(sq.take_commands()) == [(True, "a.py"), (True, "b.py")]
    assert sq.next_deadline() <= 21.0
    out = sq.on_samples(
        [feed.sq("configSchema", 2.0, isStandard=True, path="a.py", configSchema="A")], 2.0
    )
    assert streams(out) == [("ScriptQueue", "configSchema")]  # held back during the pass
    assert _schema_cmds(sq.take_commands()) == [(False, "c.py")]
    sq.on_samples(
        [feed.sq("configSchema", 3.0, isStandard=True, path="b.py", configSchema="B")], 3.0
    )
    out = sq.on_samples(
        [feed.sq("configSchema", 4.0, isStandard=False, path="c.py", configSchema="C")], 4.0
    )
    assert [
        s["configSchema"] for s in last(out, "availableScriptsStream")["available_scripts"]
    ] == ["A", "B", "C"]
    assert sq.take_commands() == []
    assert not sq.fetch.active


def test_schema_fetch_times_out_after_20_s_in_tick() -> None:
    sq, feed = make(update_schemas_on_start=True), Feed()
    sq.on_samples([feed.sq("availableScripts", 1.0, standard="a.py:b.py:c.py")], 1.0)
    assert _schema_cmds(sq.take_commands()) == [(True, "a.py"), (True, "b.py")]
    sq.tick(20.9)
    assert _schema_cmds(sq.take_commands()) == []
    sq.tick(21.0)
    assert _schema_cmds(sq.take_commands()) == [(True, "c.py")]
    assert sq.status()["schema_fetch_failed"] == 2
    out = sq.tick(41.0)
    assert sq.status()["schema_fetch_failed"] == 3
    assert not sq.fetch.active
    # nothing new was learned: the stream already sent is not sent again
    assert [f for f in out if f.stream == "availableScriptsStream"] == []


def test_new_available_scripts_cancel_the_fetch_pass() -> None:
    sq, feed = make(update_schemas_on_start=True), Feed()
    sq.on_samples([feed.sq("availableScripts", 1.0, standard="a.py:b.py:c.py")], 1.0)
    sq.take_commands()
    sq.on_samples([feed.sq("availableScripts", 2.0, standard="d.py")], 2.0)
    assert _schema_cmds(sq.take_commands()) == [(True, "d.py")]
    assert list(sq.fetch.outstanding) == [(True, "d.py")]
    assert sq.fetch.queued == ()


def test_fetch_pure_steps() -> None:
    avail = AvailableScripts(standard={"a": "", "b": "known"}, external={"c": "", "d": ""})
    fetch = plan_fetch(avail)
    assert fetch.queued == ((True, "a"), (False, "c"), (False, "d"))
    fetch, started = fetch_launch(fetch, 5.0, limit=2, timeout=20.0)
    assert started == [(True, "a"), (False, "c")]
    assert dict(fetch.outstanding) == {(True, "a"): 25.0, (False, "c"): 25.0}
    assert fetch_launch(fetch, 6.0, limit=2)[1] == []
    fetch = fetch_arrived(fetch, (False, "d"))  # answered before being asked: not fetched
    assert fetch.queued == ()
    fetch, failed = fetch_expire(fetch, 25.0)
    assert failed == 2 and not fetch.active
    assert fetch_arrived(SchemaFetch(), None) == SchemaFetch()


# ----------------------------------------------------------------------------- requests


def test_initial_state_requests_for_derived_streams() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100002)], 1.0)
    for csc in ("ScriptQueueState", "ScriptQueue"):
        [frame] = sq.on_request(InitialStateRequest(csc, 1, "stateStream"), 5.0)
        assert (frame.csc, frame.stream) == ("ScriptQueueState", "stateStream")
        assert payload(frame) == {"enabled": True, "running": True}
    assert sq.on_request(InitialStateRequest("ScriptQueueState", 2, "stateStream"), 5.0) == []
    assert sq.on_request(InitialStateRequest("ScriptQueueState", "all", "stateStream"), 5.0) == []
    [raw] = sq.on_request(InitialStateRequest("ScriptQueue", 1, "queue"), 5.0)
    assert raw.csc == "ScriptQueue"
    every = sq.on_request(InitialStateRequest("ScriptQueueState", 1, "all"), 5.0)
    assert streams(every) == [
        ("ScriptQueueState", "stateStream"),
        ("ScriptQueueState", "scriptsStream"),
    ]


def test_script_newer_than_the_queue_waits_unlisted_then_shows_with_its_details() -> None:
    sq, feed = make(), Feed()
    sq.on_samples([feed.queue(1.0, current=100001)], 1.0)
    out = sq.on_samples([feed.sq("script", 2.0, **script_fields(100002, 1, 1))], 2.0)
    assert streams(out) == [("ScriptQueue", "script")]  # not listed yet: nothing to show
    out = sq.on_samples([feed.queue(3.0, current=100001, waiting=(100002,))], 3.0)
    [waiting] = last(out, "scriptsStream")["waiting_scripts"]
    assert (waiting["index"], waiting["process_state"], waiting["path"]) == (
        100002,
        "LOADING",
        "std.py",
    )


def test_script_event_of_a_forgotten_script_is_ignored() -> None:
    """e.g. another client's showScript for an old script (W9: no dangling entry)."""
    sq, feed = make(finished_list_size=1), Feed()
    sq.on_samples([feed.queue(1.0, past=(100005, 100004))], 1.0)
    out = sq.on_samples([feed.sq("script", 2.0, **script_fields(100004, 4, 8))], 2.0)
    assert streams(out) == [("ScriptQueue", "script")]
    assert 100004 not in sq.model.scripts


def test_pure_heartbeat_and_log_transitions() -> None:
    model = apply_queue(QueueModel(), queue_fields(current=100002, past=(100001,)), 10)
    model = apply_script_heartbeat(model, 100002, 50.0)
    assert model.beats[100002].last == 50.0
    assert apply_script_heartbeat(model, 99, 50.0) is model  # older than the queue: untracked
    model, reported = heartbeat_round(model, 56.9)
    assert reported == [100002] and model.beats[100002].lost == 0
    model, _ = heartbeat_round(model, 57.1)  # 50.0 < 57.1 - 5 - 2
    assert model.beats[100002].lost == 1
    frames = [Frame("event", "Script", 100001, "logMessage", str(k)) for k in range(3)]
    for f in frames:
        model = append_log(model, 100001, f, size=2)
    assert model.logs[100001] == tuple(frames[1:])
    assert append_log(model, 42, frames[0]) is model
