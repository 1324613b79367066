"""The soak (``-m soak``, not in ``.ci/run``): 50 components at the summit mix for 30 minutes
(``LOVE_SOAK_MINUTES`` to change it) against a manager that counts what it gets:

    .venv/bin/python -m pytest -m soak -s tests/actors/app/test_soak.py

Asserts: total PSS flat within 5 % after warm-up, no process replaced, no event lost (no gap
in any event stream's private_seqNum). Figures go to ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from actors.bench.proc import pss_mb
from actors.bench.stats import summit_mix
from tests.actors.app.test_faults_e2e import status_detail
from tests.actors.app.test_start_e2e import PASSWORD
from tests.helpers.manager_endpoint import ManagerEndpoint
from tests.helpers.proc_helpers import Proc, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.soak]

MINUTES = float(os.environ.get("LOVE_SOAK_MINUTES", "30"))
WARM_UP = min(5.0, MINUTES / 6)  # minutes


class CountingManager(ManagerEndpoint):
    """A manager endpoint that keeps, per event stream, the last seqNum and the gaps."""

    def __init__(self) -> None:
        self.last: dict[tuple, int] = {}
        self.gaps: list[tuple] = []
        self.frames = 0
        super().__init__()

    async def handle(self, ws) -> None:
        async for message in ws:
            frame = json.loads(message)
            for entry in frame.get("data", []):
                self.frames += 1
                if frame.get("category") != "event":
                    continue
                for stream, samples in entry.get("data", {}).items():
                    for sample in samples if isinstance(samples, list) else []:
                        seq = sample.get("private_seqNum", {}).get("value")
                        if not isinstance(seq, int):
                            continue
                        key = (entry["csc"], entry["salindex"], stream)
                        last = self.last.get(key)
                        if last is not None and seq > last + 1:
                            self.gaps.append((key, last, seq))
                        if last is None or seq > last:
                            self.last[key] = seq


def test_fifty_components_for_thirty_minutes_memory_flat_no_restart_no_event_lost():
    manager = CountingManager()
    admin_port = free_port()
    producer = Proc(
        "start", "--components", *summit_mix(50), "--source", "sim", "--manager-url",
        manager.url, "--admin-port", str(admin_port), env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    try:
        producer.wait_for_line(" streaming to ", timeout=120)
        first = status_detail(admin_port)
        pids = {c["key"]: c["pid"] for c in first["components"]} | {
            "manager": first["manager"]["pid"]
        }
        started = time.monotonic()
        samples: list[tuple[float, float]] = []  # (minutes, total PSS MB)
        for minute in range(int(MINUTES) + 1):
            wait_until(
                lambda m=minute: time.monotonic() - started >= 60 * m,
                70,
                interval=1.0,
                what=f"minute {minute}",
            )
            total = sum(pss_mb(p) or 0.0 for p in producer.processes())
            samples.append((minute, total))
            print(f"soak minute {minute}: PSS {total:.1f} MB, {manager.frames} frames", flush=True)
        last = status_detail(admin_port)
        now = {c["key"]: c["pid"] for c in last["components"]} | {"manager": last["manager"]["pid"]}
        warm = [pss for m, pss in samples if m >= WARM_UP]
        growth = (warm[-1] - warm[0]) / warm[0]
        print(
            f"soak: {len(pids) - 1} components, {MINUTES:g} min; PSS {warm[0]:.1f} -> "
            f"{warm[-1]:.1f} MB after warm-up ({100 * growth:+.1f} %); "
            f"{manager.frames} frames; {len(manager.last)} event streams; "
            f"gaps {len(manager.gaps)}; events dropped {last['manager']['events_dropped']}"
        )
        assert now == pids, "a process was replaced"
        assert manager.gaps == []
        assert last["manager"]["events_dropped"] == 0
        assert abs(growth) < 0.05, samples
    finally:
        producer.signal()
        try:
            producer.wait(60)
        except Exception:
            producer.kill_tree()
        manager.close()
