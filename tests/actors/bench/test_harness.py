"""``love-actors bench``: the pure figures, and a smoke run with tiny N (no timed assertions)."""

from __future__ import annotations

import argparse
import json
import math
import os

import pytest

from actors.bench.harness import FIGURE_KEYS, add_bench_arguments, run_bench
from actors.bench.proc import alive
from actors.bench.sink import SinkCounters
from actors.bench.stats import (
    offered_load,
    percentile,
    ratio,
    summarize_latencies,
    summit_mix,
)
from actors.edges.journal_files import read_journal
from tests.helpers.proc_helpers import descendants


def test_summit_mix_is_distinct_components_fixed_ones_first():
    mix = summit_mix(16)
    assert mix[:6] == ["ATDome", "ATMCS", "ATPtg", "MTHexapod:1", "MTHexapod:2", "MTMount"]
    assert mix[6:11] == ["ESS:1", "Test:1", "Test:2", "Test:3", "ESS:2"]
    assert len(set(mix)) == 16
    assert summit_mix(2) == ["ATDome", "ATMCS"]


def test_percentiles_ratio_and_offered_load():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))
    s = summarize_latencies([0.001 * i for i in range(1, 101)])
    assert s.count == 100 and s.p50_ms <= s.p99_ms <= s.max_ms == pytest.approx(100.0)
    assert ratio(3.0, 2.0) == 1.5 and ratio(1.0, 0.0) is None
    load = offered_load([1.0, 20.0, 5.0], max_rate=10.0)
    assert (load.streams, load.samples_per_s, load.capped_per_s) == (3, 26.0, 16.0)
    assert offered_load([20.0], 0).capped_per_s == 20.0


def test_sink_counts_streams_and_times_only_fresh_samples():
    c = SinkCounters()
    payload = {"private_sndStamp": {"value": 137.0}, "private_seqNum": {"value": 1}}
    msg = {
        "category": "telemetry",
        "data": [{"csc": "ATDome", "salindex": 0, "data": {"position": payload, "x": payload}}],
    }
    c.feed(json.dumps(msg), 100.5)
    c.feed(json.dumps(msg), 101.0)  # same seqNum again: a repeat, not timed
    c.feed(json.dumps({"option": "subscribe"}), 101.0)
    r = c.report(102.0)
    assert (r["frames"], r["telemetry_frames"], r["control"]) == (4, 4, 1)
    assert r["latency"]["count"] == 2 and r["latency"]["p50_ms"] == pytest.approx(500.0)
    assert r["repeats"] == 2 and c.first_seen["ATDome:0"] == 100.5


@pytest.mark.e2e
def test_bench_smoke_tiny_run_gives_sane_figures_and_leaves_nothing(tmp_path, capsys):
    before = descendants(os.getpid())
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    out = tmp_path / "bench.json"
    journals = tmp_path / "journals"
    args = parser.parse_args(
        ["--components", "3", "--duration", "3", "--warmup", "0.5", "--json", str(out)]
        + ["--record", str(journals)]
    )
    assert run_bench(args) == 0
    printed = capsys.readouterr()
    for side in ("ours", "baseline"):  # progress: the phase and what is left of it
        assert f"bench: {side}: all 3 components streaming" in printed.err
        assert f"bench: {side}: measuring, 3 s left" in printed.err
    assert "ratio = ours / baseline" in printed.out
    # The 10 Hz limit makes ours send fewer frames than the baseline's every sample: the
    # table says so wherever that ratio is below 1.
    for line in printed.out.splitlines():
        if line.startswith("frames delivered /s"):
            words = line.split()
            value = float(words[-2] if words[-1] == "*" else words[-1])
            assert (value < 1) == line.endswith(" *")
            assert value >= 1 or "below 1 by design" in printed.out
    # --record: the actor path wrote a journal that replays (one CSC actor per component)
    (folder,) = journals.iterdir()
    actors = {r.actor for r in read_journal(str(folder))}
    assert {"csc-ATDome-0", "csc-ATMCS-0", "csc-ATPtg-0"} <= actors
    data = json.loads(out.read_text())
    base = data["baseline"]
    assert base is not None
    for figures in (data, base):
        for key in FIGURE_KEYS:
            assert figures[key] is not None, key
        assert figures["frames_per_s"] > 0
        assert figures["offered_per_s"] > 0
        assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
        assert figures["pss_total_mb"] > 0
        assert figures["startup_s"] > 0
        assert figures["dropped"] >= 0
    assert data["throughput_ratio"] == pytest.approx(data["frames_per_s"] / base["frames_per_s"])
    assert data["processes"] >= 6  # admin, logger, lifeline, factory, manager client, CSCs
    cpu = data["cpu_s_per_1000_frames"]
    assert cpu["csc"] > 0 and cpu["manager_client"] > 0
    leftovers = [p for p in data["pids"] + base["pids"] if alive(p)]
    assert leftovers == []
    assert {p for p in descendants(os.getpid()) - before if alive(p)} == set()
