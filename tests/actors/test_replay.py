"""Replay of journals: the golden corpus (tests/replay/<case>/, made by scripts/make_golden.py
from real runs), determinism, mismatch reports, and a recording made through the live actor."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from thespian.actors import ActorExitRequest, ActorSystem, ActorTypeDispatcher, WakeupMessage

from actors.app import cli
from actors.csc_actor import CSCActor
from actors.edges.catalog import Catalog
from actors.edges.journal_files import read_journal
from actors.edges.settings import RecordConfig, SourceConfig
from actors.messages import FrameBatch, ManagerConnected, Requests, StartCSC
from actors.replay import Replay, replay_lines
from love_producer import journal
from love_producer.interfaces.component_id import ComponentId
from love_producer.sim.component import SimSettings
from love_producer.state.csc_state import CSCSettings, GenericCSC
from love_producer.wire.requests import InitialStateRequest
from tests.helpers.proc_helpers import run_cli

CORPUS = Path(__file__).resolve().parents[1] / "replay"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.jsonl").is_file())


def replayed_text(folder: Path) -> str:
    return "".join(line + "\n" for line, _ in replay_lines(str(folder)))


def test_the_corpus_covers_the_required_cases():
    assert set(CASES) >= {
        "generic_states",
        "initial_state",
        "manager_outage",
        "scriptqueue",
        "watcher",
    }


@pytest.mark.parametrize("case", CASES)
def test_replay_equals_golden_byte_for_byte_and_twice(case):
    expected = (CORPUS / case / "expected.jsonl").read_bytes()
    first = replayed_text(CORPUS / case / "journal")
    assert first.encode() == expected
    assert replayed_text(CORPUS / case / "journal") == first


def event_values(case: str, csc: str, stream: str, field: str) -> list:
    out = []
    for line in (CORPUS / case / "expected.jsonl").read_text().splitlines():
        d = json.loads(line)
        if d["csc"] == csc and d["stream"] == stream:
            payload = d["payload"]
            out.append(payload[0][field]["value"] if isinstance(payload, list) else payload[field])
    return out


def test_golden_cases_show_what_they_are_named_after():
    """Guards against a corpus regenerated into something that no longer covers its case."""
    assert event_values("generic_states", "ATDome", "summaryState", "summaryState")[:3] == [5, 1, 2]
    lost = event_values("generic_states", "Heartbeat", "stream", "lost")
    assert max(lost) >= 2 and lost[-1] == 0  # lost during the silent window, then recovered
    records = list(read_journal(str(CORPUS / "initial_state" / "journal")))
    csc = [r for r in records if r.actor == "csc-ATDome-0"]
    first_sample = next(i for i, r in enumerate(csc) if r.samples)
    kinds = [r.kind for r in csc]
    assert "requests" in kinds[:first_sample] and "requests" in kinds[first_sample:]
    outage = [r.kind for r in read_journal(str(CORPUS / "manager_outage" / "journal"))]
    assert outage.count("connected") == 2 and "link-disconnected" in outage
    states = event_values("scriptqueue", "ScriptQueue", "script", "scriptState")
    assert {3, 8, 9, 10} <= set(states)  # RUNNING, DONE, STOPPED, FAILED
    assert False in event_values("scriptqueue", "ScriptQueue", "queue", "running")  # paused
    acks = event_values("watcher", "Watcher", "alarm", "acknowledged")
    assert False in acks and True in acks


def test_replay_does_not_depend_on_hash_seed_or_process(tmp_path):
    """Two replays in fresh processes with different hash seeds write the golden bytes."""
    case = CORPUS / "manager_outage"
    for seed in ("1", "12345"):
        out = tmp_path / f"out{seed}.jsonl"
        result = run_cli(
            "replay",
            str(case / "journal"),
            "-o",
            str(out),
            "--expect",
            str(case / "expected.jsonl"),
            env={"PYTHONHASHSEED": seed},
        )
        assert result.returncode == 0, result.stderr
        assert "replay identical" in result.stderr
        assert out.read_bytes() == (case / "expected.jsonl").read_bytes()


# ------------------------------------------------------------------------- mismatches


def first_index(case: str, predicate) -> int:
    lines = (CORPUS / case / "expected.jsonl").read_text().splitlines()
    return next(i for i, line in enumerate(lines) if predicate(json.loads(line)))


def test_a_changed_heartbeat_period_fails_and_names_the_first_difference(
    monkeypatch, capsys, tmp_path
):
    case = CORPUS / "generic_states"
    settings = journal.CSCSettings

    def patched(**kw):
        return settings(**{**kw, "heartbeat_period": kw["heartbeat_period"] * 1.5})

    monkeypatch.setattr(journal, "CSCSettings", patched)
    rc = cli.main(
        [
            "replay",
            str(case / "journal"),
            "--expect",
            str(case / "expected.jsonl"),
            "-o",
            str(tmp_path / "out.jsonl"),
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    position = first_index("generic_states", lambda d: d["csc"] == "Heartbeat") + 1
    assert f"first difference at frame {position}:" in err
    expected_line = (case / "expected.jsonl").read_text().splitlines()[position - 1]
    actual_line = (tmp_path / "out.jsonl").read_text().splitlines()[position - 1]
    assert f"  expected: {expected_line}\n" in err
    assert f"  actual:   {actual_line}\n" in err
    assert '"csc":"Heartbeat"' in expected_line and '"csc":"Heartbeat"' not in actual_line
    assert "journal input that preceded it:" in err and "csc-ATDome-0 #0." in err


def test_a_state_machine_that_stops_answering_requests_fails_at_the_first_reply(
    monkeypatch, capsys, tmp_path
):
    monkeypatch.setattr(GenericCSC, "on_request", lambda self, req, now: [])
    case = CORPUS / "initial_state"
    out = tmp_path / "frames.jsonl"
    rc = cli.main(
        ["replay", str(case / "journal"), "--expect", str(case / "expected.jsonl"), "-o", str(out)]
    )
    captured = capsys.readouterr()
    assert captured.out == ""  # with --expect only the verdict is printed (on stderr)
    assert rc == 1
    # The first reply is the 2nd summaryState frame of the case (the 1st is the startup one).
    lines = (case / "expected.jsonl").read_text().splitlines()
    replies = [i for i, line in enumerate(lines) if '"stream":"summaryState"' in line]
    assert f"first difference at frame {replies[1] + 1}:" in captured.err
    assert f"  expected: {lines[replies[1]]}\n" in captured.err
    # Up to there, the frames written to -o are the golden ones.
    assert out.read_text().splitlines()[: replies[1]] == lines[: replies[1]]


def test_more_frames_than_expected_is_a_mismatch(tmp_path, capsys):
    case = CORPUS / "manager_outage"
    lines = (case / "expected.jsonl").read_text().splitlines(keepends=True)
    short = tmp_path / "short.jsonl"
    short.write_text("".join(lines[:-1]))
    rc = cli.main(
        ["replay", str(case / "journal"), "--expect", str(short), "-o", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert f"first difference at frame {len(lines)}:" in err and "expected: (no more frames)" in err


def test_replay_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main(["replay", str(tmp_path)]) == 2
    assert "no journal" in capsys.readouterr().err
    case = CORPUS / "manager_outage" / "journal"
    assert cli.main(["replay", str(case), "--speed", "0"]) == 2
    assert cli.main(["replay", str(case), "--expect", str(tmp_path / "missing.jsonl")]) == 2


def test_recorded_speed_paces_the_output(capsys):
    """--speed 1 keeps the recorded spacing of the frames (here: about 3.5 s, at speed 20)."""
    case = CORPUS / "manager_outage" / "journal"
    lines = [json.loads(line) for line, _ in replay_lines(str(case))]
    span = lines[-1]["t"] - lines[0]["t"]
    t0 = time.monotonic()
    assert cli.main(["replay", str(case), "--speed", "20"]) == 0
    elapsed = time.monotonic() - t0
    assert span / 20 * 0.9 <= elapsed < span / 20 + 2.0
    assert len(capsys.readouterr().out.splitlines()) == len(lines)


# --------------------------------------------------- a recording made through the live actor


class Collector(ActorTypeDispatcher):
    """Stands in for the ManagerClient: keeps the frames; ``"frames"`` asks for them."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = []

    def receiveMsg_FrameBatch(self, msg: FrameBatch, sender):
        self.frames.extend(msg.frames)

    def receiveMsg_str(self, msg: str, sender):
        self.send(sender, list(self.frames))


def test_live_actor_recording_with_rotation_replays_to_the_same_frames(tmp_path):
    """The live CSCActor (wall-clock time, simulator, real wake-ups) records a journal split
    into one part per record; its replay sends exactly the frames the live actor sent."""
    info = Catalog.builtin().get("ATDome")
    record = RecordConfig(str(tmp_path), max_file_bytes=1)  # a new part after every record
    asys = ActorSystem("simpleSystemBase", logDefs=False, transientUnique=True)
    try:
        collector = asys.createActor(Collector)
        csc = asys.createActor(CSCActor)
        # Started 6 s in the past: the first drain returns 6 s of samples at once.
        asys.tell(
            csc,
            StartCSC(
                component=ComponentId("ATDome", 0),
                info=info,
                source=SourceConfig(sim=SimSettings(telemetry_rates={"position": 20.0})),
                settings=CSCSettings(telemetry_max_rate=5.0, heartbeat_period=0.5),
                manager_client=collector,
                start_time=time.time() - 6.0,
                record=record,
            ),
        )
        asys.tell(csc, Requests((InitialStateRequest("ATDome", 0, "summaryState"),)))
        for _ in range(20):
            asys.tell(csc, WakeupMessage(None))
        asys.tell(csc, ManagerConnected())
        asys.tell(csc, ActorExitRequest())
        live = asys.ask(collector, "frames", 5)
    finally:
        asys.shutdown()
    parts = sorted(p.name for p in tmp_path.iterdir())
    assert len(parts) >= 20 and parts[0] == "csc-ATDome-0.000000.jsonl"
    assert len(live) > 10
    steps = list(Replay(read_journal(str(tmp_path))))
    assert [f for s in steps for f in s.frames] == live
    kinds = [s.record.kind for s in steps]
    assert kinds[0] == "start" and "requests" in kinds and kinds[-1] == "connected"
    assert kinds.count("wakeup") >= 20


def test_expect_compares_json_values_and_prints_only_the_verdict(tmp_path, capsys):
    case = CORPUS / "initial_state"
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text(
        "".join(
            json.dumps(json.loads(line), separators=(", ", ": ")) + "\n"
            for line in (case / "expected.jsonl").read_text().splitlines()
        )
    )
    assert cli.main(["replay", str(case / "journal"), "--expect", str(spaced)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "replay identical to" in captured.err and "(19 frames)" in captured.err
