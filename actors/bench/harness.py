"""``love-actors bench``: throughput, latency, CPU and memory of the actor path against the
upstream way (the baseline), on simulated components, in one invocation.

Each run starts a fresh sink (`actors.bench.sink`, the stand-in manager, its own process) and
either the actor system (`running_system`, source ``sim``) or the baseline process
(`actors.bench.baseline`). A run waits until every component has a frame at the sink (the
startup time), lets ``--warmup`` seconds pass, then measures ``--duration`` seconds: frames
and latencies at the sink, CPU from /proc/PID/stat deltas, PSS from /proc/PID/smaps_rollup,
drops from the actors' status.

``--saturate`` repeats the pair of runs with the offered load multiplied by ``--step-factor``
each step, and reports the highest rate each side sustained (p99 <= 100 ms, nothing dropped,
>= 95 % of the offered telemetry delivered). It lifts the 10 Hz per-stream limit unless
``--max-rate`` is given, so both sides carry every sample.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import secrets
import shlex
import signal
import statistics
import sys
import tempfile
import time

import attrs

from actors.bench.baseline import BaselineProcess
from actors.bench.options import add_bench_arguments  # noqa: F401 (tests use it)
from actors.bench.proc import (
    KINDS,
    actor_processes,
    actor_processes_from_tree,
    alive,
    all_pids,
    cpu_delta,
    cpu_snapshot,
    folder_mb,
    new_forks,
    pss_mb,
)
from actors.bench.sink import SinkProcess
from actors.bench.stats import offered_load, per_thousand, ratio, summit_mix
from actors.edges.catalog import Catalog, CatalogError
from actors.edges.settings import RecordConfig, SourceConfig
from actors.edges.sim_source import SimSource
from actors.messages import DEFAULT_PER_ACTOR, RunConfig
from actors.system import free_port, running_system
from love_producer.interfaces.component_id import ComponentId, parse_components
from love_producer.kinds import kind_of
from love_producer.sim.component import SimSettings
from love_producer.state.csc_state import CSCSettings

#: Keys every run's figures have (and the JSON's top level and ``baseline``).
FIGURE_KEYS = (
    "frames_per_s",
    "offered_per_s",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "dropped",
    "pss_total_mb",
    "startup_s",
)

P99_LIMIT_MS = 100.0
DELIVERED_MIN = 0.95


# ------------------------------------------------------------------------------ one run


class Workload:
    """What every run of one invocation simulates (components, seeds, rates)."""

    def __init__(self, args: argparse.Namespace, rate_scale: float, max_rate: float) -> None:
        self.specs = summit_mix(args.components)
        self.ids: list[ComponentId] = parse_components(self.specs)
        self.catalog = Catalog.default(args.xml_dir)
        self.infos = self.catalog.resolve(self.ids)
        self.related = {n: self.catalog.get(n) for c in self.ids for n in kind_of(c.name).related}
        self.xml_dir = args.xml_dir
        self.seed = args.seed
        self.rate_scale = rate_scale
        self.max_rate = max_rate
        self.sim = SimSettings(rate_scale=rate_scale)
        self.keys = [f"{c.name}:{c.index}" for c in self.ids]
        rates = self._rates()
        self.offered = offered_load(rates, max_rate)
        # With no per-stream limit every sample is to become a frame: drain at least as often
        # as the fastest stream publishes, so one drain never holds two samples of a stream
        # (the ManagerClient's outbox would keep only the newer one).
        self.poll_interval: float = attrs.fields(SourceConfig).poll_interval.default
        if max_rate == 0 and rates:
            self.poll_interval = min(self.poll_interval, 1.0 / max(rates))

    def run_config(
        self, url: str, password: str, per_actor: int, record: RecordConfig | None = None
    ) -> RunConfig:
        """The actor system's configuration for a run into the sink at ``url``."""
        return RunConfig(
            components=tuple(self.ids),
            infos=self.infos,
            manager_url=url,
            password=password,
            source=SourceConfig(
                kind="sim", seed=self.seed, sim=self.sim, poll_interval=self.poll_interval
            ),
            csc=CSCSettings(telemetry_max_rate=self.max_rate),
            related=self.related,
            xml_dir=self.xml_dir,
            record=record,
            components_per_actor=per_actor,
        )

    def baseline_config(self, url: str, password: str) -> dict:
        """The baseline process's configuration for a run into the sink at ``url``."""
        return {
            "url": url,
            "password": password,
            "components": self.specs,
            "xml_dir": self.xml_dir,
            "seed": self.seed,
            "rate_scale": self.rate_scale,
            "poll_interval": self.poll_interval,
        }

    def _rates(self) -> list[float]:
        config = SourceConfig(kind="sim", seed=self.seed, sim=self.sim)
        rates = []
        for cid in self.ids:
            sim = SimSource(cid, self.infos[cid], config, 0.0, self.related).sim
            rates += [sim.rate_of(t.name) for t in self.infos[cid].telemetry]
        return rates


PROGRESS_EVERY = 5.0


def say(text: str) -> None:
    """A progress line, on stderr (the table goes to stdout)."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _phase(side: str, what: str, seconds: float) -> None:
    """Wait ``seconds``, saying what is going on and how long is left every few seconds."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        say(f"{side}: {what}, {left:.0f} s left")
        time.sleep(min(left, PROGRESS_EVERY))


def _wait_streaming(
    sink, keys: list[str], t0: float, timeout: float, side: str = "ours"
) -> tuple[float, int]:
    """Seconds from ``t0`` until every component had a frame at the sink, and how many never
    did within ``timeout`` (then the time is the timeout)."""
    deadline = time.monotonic() + timeout
    next_say = time.monotonic()
    while True:
        seen = sink.ask("seen")["first_seen"]
        missing = [k for k in keys if k not in seen]
        if not missing:
            say(f"{side}: all {len(keys)} components streaming")
            return max(seen[k] for k in keys) - t0, 0
        if time.monotonic() > deadline:
            say(f"{side}: {len(missing)} components did not stream within {timeout:.0f} s")
            return timeout, len(missing)
        if time.monotonic() >= next_say:
            next_say += PROGRESS_EVERY
            say(f"{side}: waiting for the components to stream ({len(keys) - len(missing)}"
                f" of {len(keys)} so far)")  # fmt: skip
        time.sleep(0.1)


def _window_figures(report: dict, work: Workload, startup: float, missing: int) -> dict:
    lat = report["latency"]
    window = report["window_s"]
    return {
        "frames_per_s": report["frames"] / window,
        "telemetry_frames_per_s": report["telemetry_frames"] / window,
        "offered_per_s": work.offered.samples_per_s,
        "coalesce_cap_per_s": work.offered.capped_per_s,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "max_ms": lat["max_ms"],
        "timed_frames": lat["count"],
        "event_p50_ms": report["event_latency"]["p50_ms"],
        "event_p99_ms": report["event_latency"]["p99_ms"],
        "timed_events": report["event_latency"]["count"],
        "startup_s": startup,
        "components_not_streaming": missing,
        "frames": report["frames"],
        "messages_per_s": report["messages"] / window,
        "mb_per_s": report["bytes"] / window / 1e6,
        "window_s": window,
    }


def _cpu_figures(kinds: dict[str, list[int]], before, after, frames: int) -> dict:
    return {
        kind: per_thousand(cpu_delta(before, {p: after[p] for p in pids if p in after}), frames)
        for kind, pids in kinds.items()
    }


def _sum_status(status: dict | None) -> dict:
    out = {
        "samples_in": 0,
        "telemetry_coalesced": 0,
        "events_dropped": 0,
        "telemetry_replaced": 0,
        "frames_sent": 0,
        "messages_sent": 0,
    }
    if not status:
        return out
    pipes: dict[int, int] = {}  # per CSC actor process (each component repeats its figure)
    for c in status.get("components", []):
        out["samples_in"] += c.get("samples_in", 0)
        out["telemetry_coalesced"] += c.get("telemetry_coalesced", 0)
        pipes[c.get("pid", 0)] = c.get("pipe_superseded", 0)
    out["telemetry_coalesced"] += sum(pipes.values())
    manager = status.get("manager", {})
    for key in ("events_dropped", "telemetry_replaced", "frames_sent", "messages_sent"):
        out[key] += manager.get(key, 0)
    return out


def _status(system, tries: int = 3, timeout: float = 20.0) -> dict | None:
    """The Factory's status; an overloaded system may miss a deadline, so ask again."""
    for _ in range(tries):
        status = system.status(timeout=timeout)
        if status is not None:
            return status
    return None


def _kill_leftovers(before: set[int]) -> None:
    """SIGKILL forks of the actor system that outlived `running_system` (it can miss them when
    the machine is so loaded that the Factory never answered a status request)."""
    leftovers = new_forks(before)
    if leftovers:
        time.sleep(1.0)
        leftovers = new_forks(before)
    for pid in leftovers:
        print(f"bench: warning: killing leftover actor process {pid}", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _measure_ours(
    work: Workload, args, sink, config, t0: float, pids: set[int], existing: set[int]
) -> dict:
    m: dict = {}
    with running_system(config, args.admin_port or free_port()) as system:
        for error in system.started.errors:
            print(f"bench: could not start {error}", file=sys.stderr)
        m["startup"], m["missing"] = _wait_streaming(sink, work.keys, t0, args.startup_timeout)
        # The status round trip (a message to and from every actor) loads the machine for a
        # moment; the warm-up comes after it so the window does not measure it. Drops are
        # thereby counted over the warm-up too (never fewer than in the window).
        m["status0"] = _status(system, tries=2, timeout=10.0)
        _phase("ours", "warming up", args.warmup)
        if m["status0"] is not None:
            kinds = actor_processes(m["status0"])
        else:
            print("bench: warning: no status from the Factory; drops unknown", file=sys.stderr)
            kinds = actor_processes_from_tree(new_forks(existing))
        m["kinds"] = kinds
        every = [p for group in kinds.values() for p in group]
        pids.update(every)
        m["cpu0"] = cpu_snapshot(every + [sink.pid])
        sink.ask("mark")
        _phase("ours", "measuring", args.duration)
        m["report"] = sink.ask("report")
        m["cpu1"] = cpu_snapshot(every + [sink.pid])
        m["status1"] = _status(system, tries=2, timeout=10.0) if m["status0"] else None
        m["pss"] = {p: pss_mb(p) for p in every}
    return m


def per_actor(args: argparse.Namespace) -> int:
    """Components per CSC actor process in this run."""
    if args.components_per_actor is not None:
        return args.components_per_actor
    return DEFAULT_PER_ACTOR


def run_ours(work: Workload, args: argparse.Namespace) -> dict:
    """The actor path: running_system with the sim source, into a fresh sink."""
    password = secrets.token_urlsafe(12)
    pids: set[int] = set()
    record = None
    if args.record:
        os.makedirs(args.record, exist_ok=True)
        record = RecordConfig(tempfile.mkdtemp(prefix="journal-", dir=args.record))
    with SinkProcess(password) as sink:
        pids.add(sink.pid)
        config = work.run_config(sink.url, password, per_actor(args), record)
        t0 = time.time()
        existing = all_pids()
        try:
            m = _measure_ours(work, args, sink, config, t0, pids, existing)
        finally:
            _kill_leftovers(existing)
        sink_pid = sink.pid
    report, kinds, pss, cpu0, cpu1 = m["report"], m["kinds"], m["pss"], m["cpu0"], m["cpu1"]
    fig = _window_figures(report, work, m["startup"], m["missing"])
    before, after = _sum_status(m["status0"]), _sum_status(m["status1"])
    delta = {k: after[k] - before[k] for k in before}
    fig["drops"] = {
        "events_dropped": delta["events_dropped"],
        "telemetry_replaced": delta["telemetry_replaced"],
        "coalesced": delta["telemetry_coalesced"],
    }
    fig["dropped"] = delta["events_dropped"] + delta["telemetry_replaced"]
    if m["status0"] is None or m["status1"] is None:  # the Factory did not answer
        fig["drops"] = {k: None for k in fig["drops"]}
        fig["dropped"] = None
    fig["samples_in_per_s"] = delta["samples_in"] / fig["window_s"]
    fig["sent_frames_per_s"] = delta["frames_sent"] / fig["window_s"]
    fig["cpu_s_per_1000_frames"] = _cpu_figures(
        {**kinds, "sink": [sink_pid]}, cpu0, cpu1, report["frames"]
    )
    fig["cpu_s_per_1000_frames"]["total"] = per_thousand(
        cpu_delta(cpu0, {p: c for p, c in cpu1.items() if p != sink_pid}), report["frames"]
    )
    csc_pss = [pss[p] for p in kinds["csc"] if pss.get(p) is not None]
    fig["pss_csc_median_mb"] = statistics.median(csc_pss) if csc_pss else math.nan
    fig["pss_total_mb"] = sum(v for v in pss.values() if v is not None)
    fig["pss_by_kind_mb"] = {
        k: sum(pss[p] for p in kinds[k] if pss.get(p) is not None) for k in KINDS
    }
    fig["processes"] = sum(len(v) for v in kinds.values())
    fig["pids"] = sorted(pids)
    if record is not None:
        fig["journal"] = record.directory
        fig["journal_mb"] = folder_mb(record.directory)
    return fig


def run_baseline(work: Workload, args: argparse.Namespace) -> dict:
    """The upstream way, one asyncio process, into a fresh sink."""
    password = secrets.token_urlsafe(12)
    with SinkProcess(password) as sink:
        config = work.baseline_config(sink.url, password)
        t0 = time.time()
        with BaselineProcess(config) as base:
            startup, missing = _wait_streaming(
                sink, work.keys, t0, args.startup_timeout, "baseline"
            )
            _phase("baseline", "warming up", args.warmup)
            cpu0 = cpu_snapshot([base.pid, sink.pid])
            sink.ask("mark")
            _phase("baseline", "measuring", args.duration)
            report = sink.ask("report")
            cpu1 = cpu_snapshot([base.pid, sink.pid])
            pss = pss_mb(base.pid)
            pids = [base.pid, sink.pid]
    fig = _window_figures(report, work, startup, missing)
    fig["drops"] = {"events_dropped": 0, "telemetry_replaced": 0, "coalesced": 0}
    fig["dropped"] = 0  # it never drops: it falls behind (see the latency)
    fig["cpu_s_per_1000_frames"] = _cpu_figures(
        {"baseline": [pids[0]], "sink": [pids[1]]}, cpu0, cpu1, report["frames"]
    )
    fig["cpu_s_per_1000_frames"]["total"] = fig["cpu_s_per_1000_frames"]["baseline"]
    fig["pss_total_mb"] = pss if pss is not None else math.nan
    fig["processes"] = 1
    fig["pids"] = pids
    return fig


def sustained(fig: dict) -> bool:
    """Whether a run kept up: p99 within the limit, no event lost, the offered telemetry
    (after the per-stream limit) delivered.

    Telemetry replaced in the outbox by a newer sample of the same stream is the designed
    overload policy (latest value wins), not a loss; if it grows, delivered telemetry falls
    below the offered rate and the last condition fails.
    """
    return (
        fig["components_not_streaming"] == 0
        and not math.isnan(fig["p99_ms"])
        and fig["p99_ms"] <= P99_LIMIT_MS
        and fig["drops"]["events_dropped"] == 0
        and fig["telemetry_frames_per_s"] >= DELIVERED_MIN * fig["coalesce_cap_per_s"]
    )


# ------------------------------------------------------------------------------ output


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}"


def table(ours: dict, base: dict | None, max_rate: float = 10.0) -> str:
    rows = [
        ("frames delivered /s", "frames_per_s"),
        ("  of which telemetry /s", "telemetry_frames_per_s"),
        ("offered telemetry samples /s", "offered_per_s"),
        ("  allowed by the per-stream limit /s", "coalesce_cap_per_s"),
        ("websocket messages /s", "messages_per_s"),
        ("MB/s at the sink", "mb_per_s"),
        ("latency p50 (ms)", "p50_ms"),
        ("latency p99 (ms)", "p99_ms"),
        ("latency max (ms)", "max_ms"),
        ("event latency p50 (ms)", "event_p50_ms"),
        ("event latency p99 (ms)", "event_p99_ms"),
        ("dropped (outbox)", "dropped"),
        ("coalesced (state machines)", ("drops", "coalesced")),
        ("telemetry replaced in outbox", ("drops", "telemetry_replaced")),
        ("events dropped from outbox", ("drops", "events_dropped")),
        ("CPU s / 1000 frames: total", ("cpu_s_per_1000_frames", "total")),
        ("  CSC actors (sum)", ("cpu_s_per_1000_frames", "csc")),
        ("  ManagerClient", ("cpu_s_per_1000_frames", "manager_client")),
        ("  factory", ("cpu_s_per_1000_frames", "factory")),
        ("  admin + logger + lifeline", ("cpu_s_per_1000_frames", "admin_logger")),
        ("  baseline process", ("cpu_s_per_1000_frames", "baseline")),
        ("  sink (not in total)", ("cpu_s_per_1000_frames", "sink")),
        ("PSS total (MB)", "pss_total_mb"),
        ("PSS per CSC actor, median (MB)", "pss_csc_median_mb"),
        ("startup: all streaming (s)", "startup_s"),
        ("components not streaming", "components_not_streaming"),
    ]

    def get(fig, key):
        if fig is None:
            return None
        if isinstance(key, tuple):
            return (fig.get(key[0]) or {}).get(key[1])
        return fig.get(key)

    limited = max_rate > 0
    by_design = {"frames_per_s", "telemetry_frames_per_s", "mb_per_s"} if limited else set()
    by_design.add("messages_per_s")
    lines = [f"{'':38} {'ours':>12} {'baseline':>12} {'ratio':>8}"]
    marked = set()
    for label, key in rows:
        a, b = get(ours, key), get(base, key)
        r = ratio(a, b) if isinstance(a, int | float) and isinstance(b, int | float) else None
        mark = ""
        if r is not None and r < 1 and key in by_design:
            mark = " *" if key != "messages_per_s" else " **"
            marked.add(mark.strip())
        lines.append(f"{label:38} {_fmt(a):>12} {_fmt(b):>12} {_fmt(r):>8}{mark}")
    lines.append("ratio = ours / baseline; for latency, CPU, PSS and startup, lower is better")
    if "*" in marked:
        lines.append(
            "*  below 1 by design: ours sends at most the per-stream limit (--max-rate, default"
            " 10 Hz) per telemetry stream, the newest sample winning; the baseline sends every"
            " sample"
        )
    if "**" in marked:
        lines.append("** below 1 by design: ours packs many streams into one websocket message")
    return "\n".join(lines)


def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _top_level(ours: dict, base: dict | None) -> dict:
    out = dict(ours)
    out["baseline"] = base
    out["throughput_ratio"] = ratio(ours["frames_per_s"], base["frames_per_s"]) if base else None
    return out


def _clean(value):
    """JSON-safe: NaN becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# ------------------------------------------------------------------------------ entry


def _describe(work: Workload) -> str:
    return (
        f"{len(work.ids)} components ({', '.join(work.specs[:8])}"
        f"{', ...' if len(work.specs) > 8 else ''}), {work.offered.streams} telemetry streams, "
        f"rate scale {work.rate_scale:g}, "
        + (f"per-stream limit {work.max_rate:g} Hz" if work.max_rate else "no per-stream limit")
    )


def run_once(args, rate_scale: float, max_rate: float, do_ours=True, do_base=True):
    work = Workload(args, rate_scale, max_rate)
    print(f"bench: {_describe(work)}", flush=True)
    ours = run_ours(work, args) if do_ours else None
    base = run_baseline(work, args) if do_base else None
    return ours, base


def run_saturate(args, max_rate: float) -> dict:
    scale = args.rate_scale
    steps: dict[str, list[dict]] = {"ours": [], "baseline": []}
    going = {"ours": True, "baseline": not args.no_baseline}
    for _ in range(args.max_steps):
        if not any(going.values()):
            break
        ours, base = run_once(args, scale, max_rate, going["ours"], going["baseline"])
        for side, fig in (("ours", ours), ("baseline", base)):
            if fig is None:
                continue
            fig["rate_scale"] = scale
            fig["sustained"] = sustained(fig)
            steps[side].append(fig)
            going[side] = fig["sustained"]
            print(
                f"bench: {side:8} x{scale:<7.3g} offered {fig['offered_per_s']:9,.0f}/s "
                f"delivered {fig['frames_per_s']:9,.0f}/s p99 {_fmt(fig['p99_ms']):>8} ms "
                f"dropped {fig['dropped']} -> {'ok' if fig['sustained'] else 'NOT sustained'}",
                flush=True,
            )
        scale *= args.step_factor
    result = {}
    for side, figs in steps.items():
        ok = [f for f in figs if f["sustained"]]
        best = max(ok, key=lambda f: f["frames_per_s"]) if ok else (figs[0] if figs else None)
        if best is not None:
            best = dict(best)
            best["max_frames_per_s"] = best["frames_per_s"] if ok else 0.0
            best["steps"] = [
                {
                    k: f[k]
                    for k in (
                        "rate_scale",
                        "offered_per_s",
                        "frames_per_s",
                        "p99_ms",
                        "dropped",
                        "sustained",
                    )
                }
                for f in figs
            ]
        result[side] = best
    return result


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # so every `finally` (actor system, sink, baseline) runs


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark described by ``args``; print the figures; 0 on success."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run_bench(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_bench(args: argparse.Namespace) -> int:
    max_rate = args.max_rate if args.max_rate is not None else (0.0 if args.saturate else 10.0)
    started = time.monotonic()
    try:
        if args.saturate:
            result = run_saturate(args, max_rate)
            ours, base = result["ours"], result.get("baseline")
            out = _top_level(ours, base)
            out["max_frames_per_s"] = ours["max_frames_per_s"]
            out["throughput_ratio"] = ratio(
                ours["max_frames_per_s"], base["max_frames_per_s"] if base else None
            )
        else:
            ours, base = run_once(args, args.rate_scale, max_rate, True, not args.no_baseline)
            out = _top_level(ours, base)
    except (CatalogError, ValueError) as e:
        print(f"love-actors bench: error: {e}", file=sys.stderr)
        return 2
    print(table(ours, base, max_rate))
    if ours.get("journal"):
        print(f"journal: {ours['journal_mb']:,.1f} MB in {ours['journal']} (whole run)")
    if args.saturate:
        print(
            f"max sustained frames/s: ours {_fmt(out['max_frames_per_s'])}, baseline "
            f"{_fmt(base['max_frames_per_s'] if base else None)}, ratio "
            f"{_fmt(out['throughput_ratio'])}"
        )
    else:
        print(f"throughput ratio (ours / baseline): {_fmt(out['throughput_ratio'])}")
    write_result(out, args, max_rate, started)
    leftovers = [p for p in out.get("pids", []) + (base or {}).get("pids", []) if alive(p)]
    if leftovers:
        print(f"bench: warning: processes still alive: {leftovers}", file=sys.stderr)
    return 0


def write_result(out: dict, args: argparse.Namespace, max_rate: float, started: float) -> None:
    """Add the command, the machine and the settings to ``out``; write it to ``--json``."""
    out["command"] = "love-actors bench " + shlex.join(sys.argv[1:]) if sys.argv else ""
    out["machine"] = machine()
    out["settings"] = _settings(args, max_rate)
    out["bench_seconds"] = time.monotonic() - started
    if args.json:
        with open(args.json, "w") as f:
            json.dump(_clean(out), f, indent=2)


def _settings(args: argparse.Namespace, max_rate: float) -> dict:
    return {
        "components": args.components,
        "duration": args.duration,
        "warmup": args.warmup,
        "rate_scale": args.rate_scale,
        "max_rate": max_rate,
        "saturate": args.saturate,
        "overload": args.overload,
        "components_per_actor": per_actor(args),
        "xml_dir": args.xml_dir,
        "seed": args.seed,
    }
