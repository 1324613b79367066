"""What one Thespian wake-up costs a CSC actor process: CPU per `wakeupAfter` round trip in an
actor that does nothing else, on ``multiprocTCPBase``.

    python scripts/bench_wakeup.py [--wakeups 5000] [--delay 0.002]

Prints the CPU time (user + system of the actor's process, from ``os.times`` inside it) per
wake-up, and how late the wake-ups came (median and max). This is the fixed price of every
poll of a simulated source, before any sample is handled (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from thespian.actors import Actor, ActorSystem, WakeupMessage

from actors.system import free_port


class Sleeper(Actor):
    """Wakes itself ``n`` times, ``delay`` apart; answers (CPU s per wake-up, lateness)."""

    def receiveMessage(self, msg, sender):
        if isinstance(msg, tuple):
            self.boss, (self.n, self.delay) = sender, msg
            self.late: list[float] = []
            self.cpu0 = os.times()
            self._arm()
        elif isinstance(msg, WakeupMessage):
            self.late.append(time.monotonic() - self.due)
            if len(self.late) < self.n:
                self._arm()
            else:
                t = os.times()
                cpu = (t.user - self.cpu0.user) + (t.system - self.cpu0.system)
                self.send(self.boss, (cpu / self.n, self.late))

    def _arm(self) -> None:
        self.due = time.monotonic() + self.delay
        self.wakeupAfter(timedelta(seconds=self.delay))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wakeups", type=int, default=5000)
    parser.add_argument("--delay", type=float, default=0.002, help="seconds between wake-ups")
    args = parser.parse_args()
    asys = ActorSystem("multiprocTCPBase", {"Admin Port": free_port()})
    try:
        actor = asys.createActor(Sleeper)
        timeout = timedelta(seconds=60 + args.wakeups * (args.delay + 0.01))
        reply = asys.ask(actor, (args.wakeups, args.delay), timeout)
    finally:
        asys.shutdown()
    if reply is None:
        sys.exit("bench_wakeup: no answer from the actor")
    cpu, late = reply
    print(f"{args.wakeups} wake-ups, {args.delay * 1e3:.1f} ms apart, multiprocTCPBase")
    print(f"CPU per wake-up: {cpu * 1e6:.0f} us")
    print(f"lateness: median {statistics.median(late) * 1e3:.2f} ms, max {max(late) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
