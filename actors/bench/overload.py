"""``love-actors bench --overload``: how the actor path and the baseline behave when the load
rises and the CPU is taken away, in one invocation.

Each side runs once (a fresh sink, then the actor system or the baseline) through four phases
of ``--duration`` seconds each, with no pause between them:

1. ``sustained``: the offered load of ``--rate-scale`` (the reference);
2. ``2x load``: every telemetry rate doubled (the simulators are told so while running);
3. ``cpu hogs``: the load back to normal, and two busy processes (one per core, at the same
   priority) beside everything;
4. ``normal``: the hogs gone. ``recover_s`` is the time from the start of this phase until the
   p99 of every later second is back within `RECOVERED` of the sustained phase's p99.

Per phase: delivered frames/s, p50/p99 of what was delivered, events lost (gaps in the event
seqNums the sink saw: independent of the producer's own counters), telemetry superseded (the
producer's count of samples replaced by a newer one of the same stream before they went out),
and components with no frame in the phase.
"""

from __future__ import annotations

import argparse
import math
import secrets
import signal
import subprocess
import sys
import time

from actors.bench.baseline import BaselineProcess
from actors.bench.harness import (
    Workload,
    _fmt,
    _kill_leftovers,
    _status,
    _sum_status,
    _terminate,
    _wait_streaming,
    per_actor,
    say,
    write_result,
)
from actors.bench.proc import actor_processes, all_pids, pss_mb
from actors.bench.sink import SinkProcess
from actors.edges.catalog import CatalogError
from actors.messages import SetLoad
from actors.system import free_port, running_system

#: (name, load factor, CPU hogs) of each phase, in run order.
PHASES = (("sustained", 1.0, 0), ("2x load", 2.0, 0), ("cpu hogs", 1.0, 2), ("normal", 1.0, 0))
#: Back to normal: every later second's p99 within 1.5 x the sustained phase's p99, or within
#: 20 ms of it. A steady system's per-second p99 wanders about that much around the window's
#: (100 components: seconds of 11-38 ms around a window p99 of 26 ms, docs/benchmarks.md).
RECOVERED = 1.5
RECOVERED_MIN_MS = 20.0
#: Targets (issue #15): under load and under the hogs, at least this share of the sustained
#: rate; p99 of delivered frames under P99_TARGET_MS; back to normal within RECOVER_TARGET_S.
DELIVERED_SHARE = 0.9
P99_TARGET_MS = 1000.0
RECOVER_TARGET_S = 5.0


class Hogs:
    """``n`` busy processes (``while True: pass``), killed on exit whatever happened."""

    def __init__(self, n: int) -> None:
        self.procs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)
        ]

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait(10)
        self.procs = []


def recover_seconds(p99_by_second: list, reference_ms: float) -> float | None:
    """Seconds until every later whole second's p99 is within the recovered bound of
    ``reference_ms`` (None: not within the phase)."""
    bound = max(reference_ms * RECOVERED, reference_ms + RECOVERED_MIN_MS)
    last_bad = -1
    for second, p99 in enumerate(p99_by_second):
        if p99 is not None and p99 > bound:
            last_bad = second
    if last_bad == len(p99_by_second) - 1:
        return None
    return float(last_bad + 1)


def _phase_figures(name, offered, report, superseded, keys) -> dict:
    window = report["window_s"]
    lat, ev = report["latency"], report["event_latency"]
    seen = set(report["seen"])
    return {
        "phase": name,
        "offered_per_s": offered,
        "delivered_per_s": report["frames"] / window,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "event_p50_ms": ev["p50_ms"],
        "event_p99_ms": ev["p99_ms"],
        "events_lost": report["event_gaps"],
        "telemetry_superseded": superseded,
        "not_streaming": sum(1 for k in keys if k not in seen),
        "recover_s": None,
        "p99_by_second_ms": report["p99_by_second_ms"],
    }


def _drive(side: str, work: Workload, args, sink, set_scale, superseded_count) -> list[dict]:
    """Run the phases against a producer already streaming into ``sink``."""
    out: list[dict] = []
    hogs = Hogs(0)
    count = superseded_count()
    current = 1.0
    try:
        for name, factor, n_hogs in PHASES:
            if n_hogs != len(hogs.procs):
                hogs.stop()
                hogs = Hogs(n_hogs)
            if factor != current:
                set_scale(work.rate_scale * factor)
                current = factor
            sink.ask("mark")
            end = time.monotonic() + args.duration
            while (left := end - time.monotonic()) > 0:
                say(f"{side}: {name}, {left:.0f} s left")
                time.sleep(min(left, 5.0))
            report = sink.ask("report")
            now_count = superseded_count()
            superseded = None if None in (now_count, count) else now_count - count
            count = now_count
            offered = work.offered.samples_per_s * factor
            out.append(_phase_figures(name, offered, report, superseded, work.keys))
    finally:
        hogs.stop()
    out[-1]["recover_s"] = recover_seconds(out[-1]["p99_by_second_ms"], out[0]["p99_ms"])
    return out


def overload_ours(work: Workload, args: argparse.Namespace) -> tuple[list[dict], float]:
    password = secrets.token_urlsafe(12)
    with SinkProcess(password) as sink:
        config = work.run_config(sink.url, password, per_actor(args))
        t0 = time.time()
        existing = all_pids()
        try:
            with running_system(config, args.admin_port or free_port()) as system:
                _wait_streaming(sink, work.keys, t0, args.startup_timeout)
                time.sleep(args.warmup)

                def superseded() -> int | None:
                    s = _sum_status(_status(system, tries=2, timeout=10.0))
                    return s["telemetry_coalesced"] + s["telemetry_replaced"]

                def set_scale(scale: float) -> None:
                    answer = system.asys.ask(system.factory, SetLoad(scale), 10)
                    if answer is None:
                        say("ours: warning: the Factory did not confirm the load change")

                phases = _drive("ours", work, args, sink, set_scale, superseded)
                status = _status(system, tries=2, timeout=10.0)
                pss = math.nan
                if status is not None:
                    kinds = actor_processes(status)
                    pss = sum(v for p in {x for g in kinds.values() for x in g} if (v := pss_mb(p)))
        finally:
            _kill_leftovers(existing)
    return phases, pss


def overload_baseline(work: Workload, args: argparse.Namespace) -> list[dict]:
    password = secrets.token_urlsafe(12)
    with SinkProcess(password) as sink:
        config = work.baseline_config(sink.url, password)
        t0 = time.time()
        with BaselineProcess(config) as base:
            _wait_streaming(sink, work.keys, t0, args.startup_timeout, "baseline")
            time.sleep(args.warmup)
            return _drive("baseline", work, args, sink, base.set_rate_scale, lambda: 0)


def verdicts(ours: list[dict], base: list[dict] | None) -> list[tuple[str, bool]]:
    """The issue's targets, each with whether this run met it."""
    ref = ours[0]["delivered_per_s"]
    out = []
    for i, ph in enumerate(ours):
        name = ph["phase"]
        if i in (1, 2):
            out.append(
                (f"{name}: delivered >= {DELIVERED_SHARE:.0%} of sustained",
                 ph["delivered_per_s"] >= DELIVERED_SHARE * ref)
            )  # fmt: skip
            if base is not None:
                out.append(
                    (f"{name}: delivered >= the baseline's",
                     ph["delivered_per_s"] >= base[i]["delivered_per_s"])
                )  # fmt: skip
        p99 = ph["p99_ms"]
        fast = not math.isnan(p99) and p99 < P99_TARGET_MS
        out.append((f"{name}: p99 < {P99_TARGET_MS:.0f} ms", fast))
        out.append((f"{name}: no event lost", ph["events_lost"] == 0))
        out.append((f"{name}: every component streaming", ph["not_streaming"] == 0))
    rec = ours[-1]["recover_s"]
    out.append(
        (f"back to the normal p99 within {RECOVER_TARGET_S:.0f} s",
         rec is not None and rec <= RECOVER_TARGET_S)
    )  # fmt: skip
    return out


def table(ours: list[dict], base: list[dict] | None) -> str:
    cols = (
        ("offered/s", "offered_per_s"),
        ("delivered/s", "delivered_per_s"),
        ("p50 ms", "p50_ms"),
        ("p99 ms", "p99_ms"),
        ("event p50", "event_p50_ms"),
        ("event p99", "event_p99_ms"),
        ("events lost", "events_lost"),
        ("superseded", "telemetry_superseded"),
        ("silent", "not_streaming"),
        ("recover s", "recover_s"),
    )
    head = f"{'':9}{'phase':11}" + "".join(f"{c:>12}" for c, _ in cols)
    lines = [head]
    for side, phases in (("ours", ours), ("baseline", base)):
        for ph in phases or ():
            row = "".join(f"{_fmt(ph.get(k)):>12}" for _, k in cols)
            lines.append(f"{side:9}{ph['phase']:11}{row}")
    lines.append(
        "superseded: telemetry samples replaced by a newer one of the same stream before "
        "they went out (the baseline never replaces: it falls behind); silent: components "
        "with no frame in the phase; recover s: from the end of the hogs to the normal p99"
    )
    return "\n".join(lines)


def run_overload(args: argparse.Namespace, max_rate: float) -> dict:
    work = Workload(args, args.rate_scale, max_rate)
    print(
        f"bench: overload, {len(work.ids)} components, {work.offered.streams} telemetry "
        f"streams, phases of {args.duration:g} s: " + ", ".join(p[0] for p in PHASES),
        flush=True,
    )
    ours, pss = overload_ours(work, args)
    base = None if args.no_baseline else overload_baseline(work, args)
    print(table(ours, base))
    checks = verdicts(ours, base)
    for text, ok in checks:
        print(f"  {'met' if ok else 'NOT met'}: {text}")
    print(f"PSS total at the end (ours): {_fmt(pss)} MB")
    return {
        "overload": ours,
        "baseline_overload": base,
        "targets": [{"target": t, "met": ok} for t, ok in checks],
        "pss_total_mb": pss,
        "components_per_actor": per_actor(args),
    }


def run_command(args: argparse.Namespace) -> int:
    """``bench --overload``: run, print, write ``--json``; 0 on success, 2 for bad input."""
    if args.saturate:
        print("love-actors bench: error: --overload and --saturate exclude each other",
              file=sys.stderr)  # fmt: skip
        return 2
    max_rate = args.max_rate if args.max_rate is not None else 10.0
    started = time.monotonic()
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        out = run_overload(args, max_rate)
    except (CatalogError, ValueError) as e:
        print(f"love-actors bench: error: {e}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_result(out, args, max_rate, started)
    return 0
