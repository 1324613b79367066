"""Benchmark of the CSC simulator: samples generated per second of wall-clock time.

Default load: 100 components with 10 telemetry topics of 8 fields at 10 Hz (about 10,000
samples per simulated second) plus the usual events, advanced in 0.1 s steps.

    python scripts/bench_sim.py [--components 100] [--topics 10] [--rate 10] [--seconds 10]

``--builtin ATMCS ESS:1 ...`` instead times each named built-in component (``conf/interfaces``,
every telemetry topic at its seeded default rate) on its own: samples generated per second of
wall-clock time over ``--seconds`` simulated seconds (best of ``--repeat``).

    python scripts/bench_sim.py --builtin ATMCS ESS:1 --seconds 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from love_producer.interfaces.interface import (
    ComponentInfo,
    FieldInfo,
    TopicInfo,
    private_fields,
)
from love_producer.sim.component import SimSettings, SimulatedComponent


def component(name: str, topics: int) -> ComponentInfo:
    private = private_fields(False)
    user = (
        FieldInfo("azimuthPosition", "double", units="deg"),
        FieldInfo("elevationPosition", "double", units="deg"),
        FieldInfo("temperature", "float", count=4, units="deg_C"),
        FieldInfo("current", "double"),
        FieldInfo("mode", "long"),
        FieldInfo("inPosition", "boolean"),
        FieldInfo("status", "string"),
        FieldInfo("counter", "unsigned int"),
    )
    telemetry = tuple(TopicInfo(f"tel{i}", "telemetry", private + user) for i in range(topics))
    events = (
        TopicInfo("heartbeat", "event", private + (FieldInfo("heartbeat", "boolean"),)),
        TopicInfo("summaryState", "event", private + (FieldInfo("summaryState", "long"),)),
        TopicInfo("logLevel", "event", private + (FieldInfo("level", "int"),)),
        TopicInfo("motionState", "event", private + (FieldInfo("state", "long"),)),
    )
    return ComponentInfo(name, telemetry=telemetry, events=events)


def bench_builtin(names: list[str], seconds: float, step: float, repeat: int) -> None:
    from actors.edges.catalog import Catalog
    from love_producer.interfaces.component_id import parse_components

    start = 1_700_000_000.0
    ids = parse_components(names)
    infos = Catalog.builtin().resolve(ids)
    steps = max(1, round(seconds / step))
    for cid in ids:
        best = float("inf")
        total = 0
        for _ in range(repeat):
            comp = SimulatedComponent(infos[cid], cid.index, 1, start, SimSettings())
            comp.advance(start)  # the history: not part of the steady state
            total = 0
            t0 = time.perf_counter()
            for k in range(1, steps + 1):
                total += len(comp.advance(start + k * step))
            best = min(best, time.perf_counter() - t0)
        print(
            f"{cid}: {total} samples in {seconds:g} s simulated, {best * 1e3:.2f} ms wall "
            f"(best of {repeat}) = {total / best:,.0f} samples/s, "
            f"{seconds / best:,.0f}x real time"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="telemetry rate, Hz")
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated duration")
    parser.add_argument("--step", type=float, default=0.1, help="advance() step, seconds")
    parser.add_argument(
        "--builtin", nargs="+", metavar="COMPONENT", help="time these built-in components"
    )
    parser.add_argument("--repeat", type=int, default=5, help="--builtin: best of this many")
    args = parser.parse_args()
    if args.builtin:
        bench_builtin(args.builtin, args.seconds, args.step, args.repeat)
        return

    start = 1_700_000_000.0
    rates = {f"tel{i}": args.rate for i in range(args.topics)}
    settings = SimSettings(telemetry_rates=rates)
    comps = [
        SimulatedComponent(component(f"Sim{i}", args.topics), 0, i, start, settings)
        for i in range(args.components)
    ]
    total = 0
    steps = round(args.seconds / args.step)
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(1, steps + 1):
        now = start + k * args.step
        for comp in comps:
            total += len(comp.advance(now))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"{args.components} components x {args.topics} topics at {args.rate:g} Hz, "
        f"{args.seconds:g} s simulated: {total} samples in {elapsed:.2f} s wall = "
        f"{total / elapsed:,.0f} samples/s ({total / args.seconds:,.0f} needed for real time); "
        f"CPU {cpu:.2f} s = {total / cpu:,.0f} samples per CPU s"
    )


if __name__ == "__main__":
    main()
