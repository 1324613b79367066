"""Tests of the Watcher simulator, alone and driving the Watcher state machine."""

from __future__ import annotations

import json

from actors.edges.catalog import Catalog
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.sim.watcher import ALARM_NAMES, CYCLE_LENGTH, CYCLE_START, SimulatedWatcher
from love_producer.state.watcher_state import WatcherCSC

WATCHER = Catalog.builtin().get("Watcher")
T0 = 1_764_000_000.0


def key(s: Sample) -> tuple:
    return (s.rcv_time, s.topic, json.dumps(s.data, sort_keys=True))


def alarms(samples: list[Sample]) -> list[dict]:
    return [s.data for s in samples if s.topic == "alarm"]


def test_same_samples_whatever_the_chunking_and_valid_fields() -> None:
    end = T0 + CYCLE_START + 2 * CYCLE_LENGTH
    one = SimulatedWatcher(WATCHER, 5, T0).advance(end)
    sim, chunked, t = SimulatedWatcher(WATCHER, 5, T0), [], T0
    while t < end:
        t = min(end, t + 1.3)
        chunked += sim.advance(t)
    assert [key(s) for s in chunked] == [key(s) for s in one]
    topic = WATCHER.topic("event", "alarm")
    for data in alarms(one):
        assert list(data) == list(topic.field_names)
        assert type(data["acknowledged"]) is bool and type(data["severity"]) is int
    assert {a["name"] for a in alarms(one)} == set(ALARM_NAMES)


def test_each_alarm_is_raised_escalated_acknowledged_and_cleared() -> None:
    samples = SimulatedWatcher(WATCHER, 5, T0).advance(T0 + CYCLE_START + CYCLE_LENGTH)
    for name in ALARM_NAMES:
        steps = [(a["severity"], a["acknowledged"]) for a in alarms(samples) if a["name"] == name]
        assert len(steps) == 4
        assert steps[0] == (2, False)
        assert steps[1][0] in (3, 4) and not steps[1][1]
        assert steps[2] == (steps[1][0], True)
        assert steps[3] == (1, False)


def test_show_alarms_republishes_every_alarm_at_its_time() -> None:
    sim = SimulatedWatcher(WATCHER, 5, T0)
    before = {a["name"]: a for a in alarms(sim.advance(T0 + 40))}
    sim.command(SalCommand("Watcher", 0, "showAlarms", {}), T0 + 40.5)
    sim.command(SalCommand("Watcher", 0, "acknowledge", {"name": "x"}), T0 + 40.5)
    replies = [s for s in sim.advance(T0 + 40.5) if s.topic == "alarm"]
    assert all(s.rcv_time == T0 + 40.5 for s in replies)
    assert sorted(s.data["name"] for s in replies) == sorted(before)
    for s in replies:
        ignore = (
            "private_sndStamp",
            "private_rcvStamp",
            "private_efdStamp",
            "private_kafkaStamp",
            "private_seqNum",
        )
        same = {k: v for k, v in s.data.items() if k not in ignore}
        assert same == {k: v for k, v in before[s.data["name"]].items() if k not in ignore}


def test_an_alarm_goes_raised_then_acknowledged_in_the_watcher_stream() -> None:
    sim = SimulatedWatcher(WATCHER, 5, T0)
    w = WatcherCSC(WATCHER, 0, start_time=T0)
    seen: list[tuple[int, bool]] = []
    t = T0
    while t <= T0 + CYCLE_START + CYCLE_LENGTH:
        for f in w.on_samples(sim.advance(t), t):
            if f.stream == "stream":
                table = json.loads(f.payload)["alarms"]
                a = table.get("Enabled.ATDome")
                if a is not None:
                    state = (a["severity"]["value"], a["acknowledged"]["value"])
                    if not seen or seen[-1] != state:
                        seen.append(state)
        for cmd in w.take_commands():
            sim.command(cmd, t)
        t += 0.5
    assert seen[0] == (2, False)
    assert any(ack for _, ack in seen)
    assert seen[-1] == (1, False)
