#!/usr/bin/env python3
"""The footprint of one love-actors pod: processes, total PSS and idle CPU of
``love-actors start`` with one simulated component streaming into a local hub.

Usage: ``python scripts/footprint.py [--components ATDome] [--settle 20] [--window 30]``.
Prints one line per process and the totals; the hub is not counted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from actors.bench.proc import cpu_delta, cpu_snapshot, pss_mb
from actors.system import free_port

TAG = "LOVE_ACTORS_FOOTPRINT"


def tagged(tag: str) -> list[int]:
    """The processes whose environment carries ``TAG=tag`` (every fork inherits it)."""
    marker = f"{TAG}={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return sorted(found)


def role(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
    except OSError:
        return "?"
    return " ".join(w.decode(errors="replace") for w in words[:6] if w)[:70]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", nargs="+", default=["ATDome"])
    parser.add_argument("--settle", type=float, default=20.0, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=30.0, help="seconds of CPU measured")
    parser.add_argument(
        "--pod", action="store_true", help="run start as PID 1 of a PID namespace (needs root)"
    )
    args = parser.parse_args()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), PROCESS_CONNECTION_PASS="footprint")
    bin_dir = Path(sys.executable).parent
    hub = subprocess.Popen(
        [str(bin_dir / "love-actors"), "hub", "--port", str(port), "--password", "footprint",
         "--no-frontend-auth"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    tag = str(os.getpid())
    pod = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"] if args.pod else []
    start = subprocess.Popen(
        [*pod, str(bin_dir / "love-actors"), "start", "--source", "sim", "--admin-port", "0",
         "--manager-url", f"ws://127.0.0.1:{port}/manager/ws/subscription",
         "--components", *args.components],
        env={**env, TAG: tag}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for line in start.stdout:
            if " streaming to " in line:
                break
        else:
            print("footprint: start did not stream", file=sys.stderr)
            return 1
        time.sleep(args.settle)
        pids = [p for p in tagged(tag) if "unshare" not in role(p)]
        before = cpu_snapshot(pids)
        time.sleep(args.window)
        after = cpu_snapshot(pids)
        total_pss = 0.0
        for pid in pids:
            pss = pss_mb(pid) or 0.0
            total_pss += pss
            cpu = after.get(pid, 0.0) - before.get(pid, 0.0)
            print(f"{pid:>8} {pss:7.1f} MB {100 * cpu / args.window:5.2f} % CPU  {role(pid)}")
        cpu = cpu_delta(before, after)
        print(
            f"footprint of {' '.join(args.components)}{' in a pod' if args.pod else ''}: "
            f"{len(pids)} processes, "
            f"{total_pss:.1f} MB PSS, {100 * cpu / args.window:.2f} % of one core "
            f"(over {args.window:.0f} s, after {args.settle:.0f} s)"
        )
    finally:
        if args.pod:  # SIGTERM to the namespace's PID 1, not to unshare
            for pid in tagged(tag):
                if "unshare" not in role(pid) and os.getpgid(pid) == os.getpgid(start.pid):
                    os.kill(pid, signal.SIGTERM)
                    break
        start.send_signal(signal.SIGTERM)
        start.wait(30)
        hub.send_signal(signal.SIGINT)
        hub.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
