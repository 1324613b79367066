#!/usr/bin/env python3
"""Three hosts on one machine (network namespaces, needs root): a leader with a hub and two
members. Prints the placement, then the frames a frontend sees, until Ctrl-C; everything is torn
down on exit. Usage: sudo python scripts/three_hosts.py [--duration S]"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.netns import TestHosts, available
from tests.proc_helpers import Proc, run_cli, wait_until

PASSWORD, TOKEN = "three-hosts", "three-hosts-token"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=None)
    args = parser.parse_args()
    reason = available()
    if reason:
        print(f"three_hosts: cannot make namespace hosts: {reason}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    procs: list[Proc] = []
    with TestHosts(["leader", "auxtel", "maintel"]) as hosts:
        try:
            lip = hosts.address("leader")
            url = f"ws://{lip}:8765/manager/ws/subscription"
            env = {"PROCESS_CONNECTION_PASS": PASSWORD}
            hub = Proc(
                "hub",
                "--host",
                lip,
                "--password",
                PASSWORD,
                "--token",
                TOKEN,
                wrap=hosts.prefix("leader"),
            )
            procs.append(hub)
            hub.wait_for_line("hub listening")
            leader = Proc(
                "start",
                "--leader",
                "--address",
                lip,
                "--name",
                "leader",
                "--components-pattern",
                "",
                "--source",
                "sim",
                "--manager-url",
                url,
                "--components",
                "ATDome",
                "ATMCS",
                "MTHexapod:1",
                "MTMount",
                env=env,
                wrap=hosts.prefix("leader"),
            )
            procs.append(leader)
            leader.wait_for_line("components streaming", 60)
            for name, pattern in (("auxtel", "AT*"), ("maintel", "MT*")):
                node = Proc(
                    "node",
                    "--leader",
                    f"{lip}:1900",
                    "--address",
                    hosts.address(name),
                    "--name",
                    name,
                    "--components-pattern",
                    pattern,
                    "--source",
                    "sim",
                    "--manager-url",
                    url,
                    env=env,
                    wrap=hosts.prefix(name),
                )
                procs.append(node)
                node.wait_for_line("member of", 60)

            def placed():
                r = run_cli("status", "--json", wrap=hosts.prefix("leader"))
                doc = json.loads(r.stdout) if r.returncode == 0 else {}
                return doc if not doc.get("unplaced", ["?"]) else None

            doc = wait_until(placed, 60, what="every component placed")
            for host in doc["hosts"]:
                print(f"{host['address']:>8}: {', '.join(host['components']) or '-'}")
            print(
                f"frontend: love-actors watch {url} STREAM --token {TOKEN} "
                f"(inside: {' '.join(hosts.prefix('leader'))})"
            )
            watch = Proc(
                "watch",
                url,
                "event-Heartbeat-0-stream",
                "--token",
                TOKEN,
                wrap=hosts.prefix("leader"),
            )
            procs.append(watch)
            deadline = None if args.duration is None else args.duration
            waited = 0.0
            while not stop.wait(2.0):
                waited += 2.0
                beats = [ln for ln in watch.output if ln.startswith("{")]
                print(f"frontend has seen {len(beats)} heartbeat frames", flush=True)
                if deadline is not None and waited >= deadline:
                    break
        finally:
            for p in reversed(procs):
                p.signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(20)
                except Exception:
                    pass
                p.kill_tree()
    print("three_hosts: torn down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
