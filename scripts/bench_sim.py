"""Benchmark of the CSC simulator: samples generated per second of wall-clock time.

Default load: 100 components with 10 telemetry topics of 8 fields at 10 Hz (about 10,000
samples per simulated second) plus the usual events, advanced in 0.1 s steps.

    python scripts/bench_sim.py [--components 100] [--topics 10] [--rate 10] [--seconds 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from love_producer.interface import (  # noqa: E402
    ComponentInfo,
    FieldInfo,
    TopicInfo,
    private_fields,
)
from love_producer.sim import SimSettings, SimulatedComponent  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="telemetry rate, Hz")
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated duration")
    parser.add_argument("--step", type=float, default=0.1, help="advance() step, seconds")
    args = parser.parse_args()

    start = 1_700_000_000.0
    rates = {f"tel{i}": args.rate for i in range(args.topics)}
    settings = SimSettings(telemetry_rates=rates)
    comps = [
        SimulatedComponent(component(f"Sim{i}", args.topics), 0, i, start, settings)
        for i in range(args.components)
    ]
    total = 0
    steps = round(args.seconds / args.step)
    t0 = time.perf_counter()
    for k in range(1, steps + 1):
        now = start + k * args.step
        for comp in comps:
            total += len(comp.advance(now))
    elapsed = time.perf_counter() - t0
    print(
        f"{args.components} components x {args.topics} topics at {args.rate:g} Hz, "
        f"{args.seconds:g} s simulated: {total} samples in {elapsed:.2f} s wall = "
        f"{total / elapsed:,.0f} samples/s ({total / args.seconds:,.0f} needed for real time)"
    )


if __name__ == "__main__":
    main()
