"""``love-actors record``: what a source delivers becomes a journal that replays, and a
journal source records the same samples again (issue 4 with issue 5's format)."""

from __future__ import annotations

import json

from actors.edges.journal_files import journal_parts, read_actor
from tests.helpers.proc_helpers import run_cli


def samples_of(folder, actor):
    parts = journal_parts(str(folder))
    return [s for r in read_actor(actor, parts[actor]) for s in r.samples]


def test_record_sim_then_replay_and_rerecord(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    r = run_cli(
        "record", "--components", "ATDome", "--source", "sim", "-o", str(first), "--duration", "3"
    )
    assert r.returncode == 0, r.stderr
    assert "written to" in r.stdout
    recorded = samples_of(first, "csc-ATDome-0")
    topics = {(s.kind, s.topic) for s in recorded}
    assert ("event", "summaryState") in topics and ("telemetry", "position") in topics

    r = run_cli("replay", str(first))
    assert r.returncode == 0, r.stderr
    frames = [json.loads(line) for line in r.stdout.splitlines()]
    states = [
        f["payload"][0]["summaryState"]["value"] for f in frames if f["stream"] == "summaryState"
    ]
    assert states[:1] == [5]  # STANDBY first, from the recorded history

    # The journal as a source, as fast as possible: the same samples, in the same order.
    r = run_cli(
        "record",
        "--components",
        "ATDome",
        "--source",
        "replay",
        "--journal",
        str(first),
        "--replay-speed",
        "0",
        "-o",
        str(second),
        "--duration",
        "1",
    )
    assert r.returncode == 0, r.stderr
    again = samples_of(second, "csc-ATDome-0")
    assert [(s.topic, s.data) for s in again] == [(s.topic, s.data) for s in recorded]


def test_record_refuses_bad_options(tmp_path):
    r = run_cli("record", "--components", "ATDom", "--source", "sim", "-o", str(tmp_path))
    assert r.returncode == 2 and "did you mean ATDome" in r.stderr
    r = run_cli("record", "--components", "ATDome", "--source", "replay", "-o", str(tmp_path))
    assert r.returncode == 2 and "--journal" in r.stderr
    r = run_cli(
        "record",
        "--components",
        "ATDome",
        "--source",
        "replay",
        "--journal",
        str(tmp_path / "missing"),
        "-o",
        str(tmp_path),
    )
    assert r.returncode == 2 and "no such folder" in r.stderr
