"""Cost of recording a journal: the CSC actor's data path (simulator drain, state machine,
journal line) with and without a `JournalRecorder`, in one process.

    python scripts/bench_record.py [--components ATDome ATMCS MTHexapod:1] [--seconds 60]

Each run replays the same simulated period in ``--step`` steps, as the CSC actor's wake-ups
do; the runs alternate (off, on, off, on...) and the best of ``--repeat`` is kept for each.
Prints samples per second of wall-clock time and the ratio.

A live recorder flushes once per second of (wall-clock) time; this benchmark runs hundreds of
simulated seconds per second, so it flushes by buffer size only (``--flush-interval``), or the
flushes would count hundreds of times more than they do live.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actors.edges.catalog import Catalog
from actors.edges.journal_files import JournalRecorder, NullRecorder
from actors.edges.settings import RecordConfig
from love_producer.interfaces.component_id import parse_components
from love_producer.journal import StartConfig, csc_actor_name
from love_producer.kinds import KindSettings, make_csc_state
from love_producer.sim.component import SimSettings, SimulatedComponent
from love_producer.state.csc_state import CSCSettings

START = 1_700_000_000.0


def run(
    ids, infos, seconds: float, step: float, folder: str | None, flush_interval: float = 1e9
) -> tuple[float, int]:
    sims, states, recorders = [], [], []
    for cid in ids:
        info = infos[cid]
        sims.append(SimulatedComponent(info, cid.index, 1, START, SimSettings(rate_scale=1.0)))
        states.append(make_csc_state(info, cid.index, CSCSettings(), START))
        if folder is None:
            recorders.append(NullRecorder())
        else:
            start = StartConfig(cid.name, cid.index, info, CSCSettings(), KindSettings(), START)
            name = csc_actor_name(cid.name, cid.index)
            config = RecordConfig(folder, flush_interval=flush_interval)
            recorders.append(JournalRecorder(config, name, start))
    n = 0
    steps = int(seconds / step)
    t0 = time.perf_counter()
    for k in range(1, steps + 1):
        now = START + k * step
        for sim, state, rec in zip(sims, states, recorders, strict=True):
            samples = sim.advance(now)
            rec.step("wakeup", now, samples)
            state.on_samples(samples, now)
            state.tick(now)
            n += len(samples)
    for rec in recorders:
        rec.close()
    return time.perf_counter() - t0, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", nargs="*", default=["ATDome", "ATMCS", "MTHexapod:1"])
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated seconds per run")
    parser.add_argument("--step", type=float, default=0.05, help="seconds between drains")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--flush-interval", type=float, default=1e9, help="simulated seconds between flushes"
    )
    args = parser.parse_args()

    ids = parse_components(args.components)
    infos = Catalog.builtin().resolve(ids)
    best = {False: float("inf"), True: float("inf")}
    samples = 0
    size = 0
    for _ in range(args.repeat):
        for recording in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                elapsed, samples = run(
                    ids,
                    infos,
                    args.seconds,
                    args.step,
                    folder if recording else None,
                    args.flush_interval,
                )
                if recording:
                    size = sum(p.stat().st_size for p in Path(folder).iterdir())
            best[recording] = min(best[recording], elapsed)
    off, on = samples / best[False], samples / best[True]
    print(f"{len(ids)} components, {samples} samples per run ({args.seconds:.0f} s simulated)")
    print(f"without recording: {off:10.0f} samples/s")
    print(f"with recording:    {on:10.0f} samples/s   journal {size / 1e6:.1f} MB")
    print(f"throughput ratio (with / without): {on / off:.3f}")


if __name__ == "__main__":
    main()
