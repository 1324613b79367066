"""Tests of the ScriptQueue simulator, alone and driving the ScriptQueue state machine."""

from __future__ import annotations

import json

from actors.edges.catalog import Catalog
from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.sim.scriptqueue import CYCLE_LENGTH, CYCLE_START, SimulatedScriptQueue
from love_producer.state.scriptqueue_state import ScriptQueueCSC

CATALOG = Catalog.builtin()
SQ = CATALOG.get("ScriptQueue")
SCRIPT = CATALOG.get("Script")
T0 = 1_764_000_000.0

# salobj Python types of the SAL types used by these interfaces
_TYPES = {
    "boolean": bool,
    "byte": int,
    "short": int,
    "int": int,
    "long": int,
    "double": float,
    "float": float,
    "string": str,
}


def make(seed: int = 3, index: int = 1) -> SimulatedScriptQueue:
    return SimulatedScriptQueue(SQ, SCRIPT, index, seed, T0)


def key(s: Sample) -> tuple:
    return (s.rcv_time, s.component, s.index, s.topic, json.dumps(s.data, sort_keys=True))


def check_valid(s: Sample, info: ComponentInfo) -> None:
    topic = info.topic("event", s.topic)
    assert topic is not None, s.topic
    assert list(s.data) == list(topic.field_names)
    for f in topic.fields:
        v = s.data[f.name]
        kind = _TYPES[f.sal_type]
        if f.count > 1:
            assert isinstance(v, list) and len(v) == f.count, (s.topic, f.name)
            assert all(type(x) is kind for x in v), (s.topic, f.name)
        else:
            ok = type(v) is kind or (kind is float and type(v) is int)
            assert ok, (s.topic, f.name, v)


def test_same_samples_whatever_the_chunking() -> None:
    end = T0 + CYCLE_START + 2 * CYCLE_LENGTH + 5
    one = make().advance(end)
    sim, chunked, t = make(), [], T0 - 1
    while t < end:
        t = min(end, t + 0.7)
        chunked += sim.advance(t)
    assert [key(s) for s in chunked] == [key(s) for s in one]
    assert [s.rcv_time for s in one] == sorted(s.rcv_time for s in one)
    assert [key(s) for s in make(seed=4).advance(end)] != [key(s) for s in one]


def test_samples_are_valid_for_the_interfaces() -> None:
    samples = make().advance(T0 + CYCLE_START + CYCLE_LENGTH)
    components = {s.component for s in samples}
    assert components == {"ScriptQueue", "Script"}
    for s in samples:
        check_valid(s, SQ if s.component == "ScriptQueue" else SCRIPT)
        assert s.data.get("salIndex") == s.index
        if s.component == "Script":
            assert 100_000 < s.index < 200_000
        else:
            assert s.index == 1


def test_a_cycle_has_done_pause_stop_and_failure() -> None:
    samples = make().advance(T0 + CYCLE_START + CYCLE_LENGTH)
    states = [s.data["state"] for s in samples if s.topic == "state"]
    for value in (8, 4, 9, 10):  # DONE, PAUSED, STOPPED, FAILED
        assert value in states
    queues = [s.data for s in samples if s.topic == "queue"]
    assert any(q["running"] is False for q in queues)
    assert queues[-1]["running"] is True
    assert queues[-1]["pastSalIndices"][:4] == [100004, 100003, 100002, 100001]
    errors = [s.data for s in samples if s.topic == "logMessage" and s.data["level"] >= 40]
    assert errors and errors[0]["traceback"].startswith("Traceback")
    hb = [s for s in samples if s.component == "Script" and s.topic == "heartbeat"]
    assert {s.index for s in hb} == {100001, 100002, 100003, 100004}


def test_the_next_cycle_uses_new_script_indices() -> None:
    samples = make().advance(T0 + CYCLE_START + 2 * CYCLE_LENGTH)
    indices = {s.index for s in samples if s.component == "Script"}
    assert indices == set(range(100001, 100009))


def test_commands_are_answered_with_events_at_their_time() -> None:
    sim = make()
    sim.advance(T0 + 30)
    sim.command(SalCommand("ScriptQueue", 1, "showQueue", {}), T0 + 31.3)
    sim.command(SalCommand("ScriptQueue", 1, "showScript", {"scriptSalIndex": 100002}), T0 + 31.3)
    sim.command(
        SalCommand(
            "ScriptQueue", 1, "showSchema", {"isStandard": False, "path": "test/no_config.py"}
        ),
        T0 + 31.3,
    )
    sim.command(
        SalCommand("ScriptQueue", 1, "showSchema", {"isStandard": True, "path": "nope.py"}),
        T0 + 31.3,
    )
    sim.command(SalCommand("ScriptQueue", 2, "showQueue", {}), T0 + 31.3)  # another queue
    replies = [s for s in sim.advance(T0 + 31.3) if s.rcv_time == T0 + 31.3]
    assert [s.topic for s in replies] == ["queue", "script", "configSchema"]
    assert replies[1].data["scriptSalIndex"] == 100002
    assert replies[1].data["path"] != ""
    assert replies[2].data["configSchema"] == ""
    assert replies[2].data["path"] == "test/no_config.py"


def run(
    sq: ScriptQueueCSC, sim: SimulatedScriptQueue, start: float, end: float, step: float = 0.25
) -> list:
    """Drive the state machine with the simulator from ``start``, as the actor would."""
    frames, t = [], start
    sim.advance(start - step)  # anything before the producer started is lost
    while t <= end:
        frames += sq.on_samples(sim.advance(t), t)
        frames += sq.tick(t)
        for cmd in sq.take_commands():
            sim.command(cmd, t)
        t += step
    return frames


def test_a_script_goes_waiting_current_finished_done_in_scripts_stream() -> None:
    sim = make()
    sq = ScriptQueueCSC(SQ, 1, start_time=T0, script_info=SCRIPT)
    frames = run(sq, sim, T0, T0 + CYCLE_START + 30)
    where = []
    for f in frames:
        if f.stream != "scriptsStream":
            continue
        p = json.loads(f.payload)
        for place in ("waiting_scripts", "current_scripts", "finished_scripts"):
            for s in p[place]:
                if s["index"] == 100001 and (not where or where[-1][0] != place):
                    where.append((place, s["script_state"]))
    assert [w[0] for w in where] == ["waiting_scripts", "current_scripts", "finished_scripts"]
    assert where[-1][1] == "DONE"
    log = [f for f in frames if f.csc == "Script" and f.salindex == 100001]
    assert [json.loads(f.payload)[0]["message"]["value"] for f in log][0] == "Run started"


def test_a_late_producer_gets_details_of_scripts_known_before_it_started() -> None:
    sim = make()
    start = T0 + CYCLE_START + 40  # first script finished, second running
    sq = ScriptQueueCSC(SQ, 1, start_time=start, script_info=SCRIPT, update_schemas_on_start=True)
    run(sq, sim, start, start + 2)
    scripts = json.loads(sq.pseudo_streams["scriptsStream"].payload)
    finished = scripts["finished_scripts"]
    assert [s["index"] for s in finished] == [100001]
    assert finished[0]["script_state"] == "DONE" and finished[0]["path"] != "UNKNOWN"
    assert [s["index"] for s in scripts["current_scripts"]] == [100002]
    assert all(
        s["type"] in ("standard", "external")
        for s in scripts["waiting_scripts"] + scripts["current_scripts"]
    )
    avail = json.loads(sq.pseudo_streams["availableScriptsStream"].payload)["available_scripts"]
    schemas = {a["path"]: a["configSchema"] for a in avail}
    assert schemas["test/no_config.py"] == "# empty schema"
    assert schemas["auxtel/track_target.py"].startswith("$schema")
    assert sq.status()["schema_fetch_failed"] == 0
