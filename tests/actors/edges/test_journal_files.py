"""Journal files and journal sources (actors.edges.journal_files, journal_source)."""

from __future__ import annotations

import os

import pytest

from actors.edges.journal_files import (
    JournalRecorder,
    NullRecorder,
    journal_parts,
    make_recorder,
    read_actor,
    read_journal,
)
from actors.edges.journal_source import JournalSource
from actors.edges.settings import RecordConfig, SourceConfig
from actors.edges.sources import open_source
from love_producer import journal
from love_producer.interfaces.component_id import ComponentId
from tests.helpers.journal import sample, start_config


def test_recorder_rotates_and_bounds_the_folder(tmp_path, atdome):
    config = RecordConfig(str(tmp_path), max_file_bytes=4000, max_total_bytes=20000)
    rec_ = JournalRecorder(config, "csc-ATDome-0", start_config(atdome))
    other = JournalRecorder(config, "manager-client")
    t = 100.0
    for i in range(400):
        t += 0.1
        first = i == 0
        rec_.step("start" if first else "wakeup", t, [sample(t, x=i)], True if first else None)
        other.event("link-connected", t)
    rec_.close()
    other.close()
    names = sorted(os.listdir(tmp_path))
    parts = journal_parts(str(tmp_path))
    assert len(parts["csc-ATDome-0"]) >= 2
    assert "csc-ATDome-0.000000.jsonl" not in names  # the oldest went first
    total = sum(os.path.getsize(tmp_path / n) for n in names)
    assert total <= 20000 + 2 * 4000 + 2000  # bound, plus at most one open part per actor
    # Every part is self-contained: header first, with the start configuration.
    for path in parts["csc-ATDome-0"]:
        with open(path, "rb") as f:
            assert journal.decode_header(f.readline()).start == start_config(atdome)
    # The kept records are the newest ones, in order, and the first is a synthesized start.
    records = list(read_actor("csc-ATDome-0", parts["csc-ATDome-0"]))
    assert records[0].kind == "start" and records[0].start.start_time == records[0].t
    xs = [r.samples[0].data["x"] for r in records[1:]]
    assert xs == list(range(xs[0], 400))


def test_restarted_actor_writes_a_new_generation(tmp_path, atdome):
    config = RecordConfig(str(tmp_path))
    for start_time in (100.0, 200.0):
        r = JournalRecorder(config, "csc-ATDome-0", start_config(atdome, start_time))
        r.step("start", start_time, [], start=True)
        r.step("wakeup", start_time + 1, [sample(start_time + 1)])
        r.close()
    records = list(read_journal(str(tmp_path)))
    assert [(r.gen, r.seq, r.kind) for r in records] == [
        (0, 0, "start"),
        (0, 1, "wakeup"),
        (1, 0, "start"),
        (1, 1, "wakeup"),
    ]
    assert records[2].start.start_time == 200.0


def test_incomplete_last_line_is_ignored(tmp_path):
    r = JournalRecorder(RecordConfig(str(tmp_path)), "manager-client")
    r.event("link-connected", 1.0)
    r.event("link-disconnected", 2.0, "gone")
    r.close()
    path = tmp_path / "manager-client.000000.jsonl"
    path.write_bytes(path.read_bytes()[:-5])  # killed mid-write
    assert [r.kind for r in read_journal(str(tmp_path))] == ["link-connected"]


def test_empty_or_missing_folder_is_an_error(tmp_path):
    with pytest.raises(journal.JournalError, match="no journal"):
        journal_parts(str(tmp_path))
    with pytest.raises(journal.JournalError, match="cannot read"):
        journal_parts(str(tmp_path / "nope"))


def test_make_recorder_without_config_records_nothing(tmp_path):
    r = make_recorder(None, "csc-ATDome-0")
    assert isinstance(r, NullRecorder) and not r.enabled
    r.step("wakeup", 1.0, [sample(1.0)])
    assert os.listdir(tmp_path) == []
    (tmp_path / "file").write_text("x")  # a folder that cannot be created: recording is off
    assert isinstance(make_recorder(RecordConfig(str(tmp_path / "file")), "a"), NullRecorder)


# ------------------------------------------------------------------------ journal source


def test_journal_source_returns_what_it_was_fed_once(atdome):
    source = open_source(ComponentId("ATDome", 0), atdome, SourceConfig(kind="journal"), 0.0)
    assert isinstance(source, JournalSource) and source.fileno() is None
    s = [sample(1.0)]
    source.feed(s)
    assert source.drain(1.0) == s
    assert source.drain(2.0) == []
