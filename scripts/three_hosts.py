#!/usr/bin/env python3
"""Three hosts on one machine (network namespaces, needs root): a leader with a hub and two
members. Prints the placement, then the frames a frontend sees, until Ctrl-C; everything is torn
down on exit. Usage: sudo python scripts/three_hosts.py [--duration S]"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from actors.devtools.netns import NamespaceHosts, available

PASSWORD, TOKEN = "three-hosts", "three-hosts-token"
ENV = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")


class Command:
    """``love-actors ARGS`` inside a host, its output read line by line."""

    def __init__(self, hosts: NamespaceHosts, host: str, *args: str, env: dict | None = None):
        argv = hosts.command(host, [sys.executable, "-m", "actors.app.entry", *args])
        self.popen = subprocess.Popen(
            argv, env={**ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=REPO,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.popen.stdout]).start()

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                if text in self.lines.get(timeout=left):
                    return
            except queue.Empty:
                break
        raise SystemExit(f"three_hosts: no {text!r} within {timeout:.0f} s")


def placement(hosts: NamespaceHosts, timeout: float = 60.0) -> dict:
    """``status --json`` once every component is placed."""
    deadline = time.monotonic() + timeout
    argv = hosts.command("leader", [sys.executable, "-m", "actors.app.entry", "status", "--json"])
    while time.monotonic() < deadline:
        r = subprocess.run(argv, env=ENV, capture_output=True, text=True, cwd=REPO, timeout=30)
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
        if doc and not doc.get("unplaced"):
            return doc
        time.sleep(0.5)
    raise SystemExit("three_hosts: the components were not all placed within 60 s")


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
    commands: list[Command] = []
    # Leaving the block kills every process inside the namespaces and removes them.
    with NamespaceHosts(["leader", "auxtel", "maintel"]) as hosts:
        try:
            lip = hosts.address("leader")
            url = f"ws://{lip}:8765/manager/ws/subscription"
            env = {"PROCESS_CONNECTION_PASS": PASSWORD}
            hub = Command(hosts, "leader", "hub", "--host", lip, "--password", PASSWORD,
                          "--token", TOKEN)  # fmt: skip
            commands.append(hub)
            hub.wait_for("hub listening")
            common = ("--source", "sim", "--manager-url", url)
            leader = Command(
                hosts, "leader", "start", "--leader", "--address", lip, "--name", "leader",
                "--components-pattern", "", *common,
                "--components", "ATDome", "ATMCS", "MTHexapod:1", "MTMount", env=env,
            )  # fmt: skip
            commands.append(leader)
            leader.wait_for(" started; connecting to ")
            for name, pattern in (("auxtel", "AT*"), ("maintel", "MT*")):
                node = Command(
                    hosts, name, "node", "--leader", f"{lip}:1900", "--address",
                    hosts.address(name), "--name", name, "--components-pattern", pattern,
                    *common, env=env,
                )  # fmt: skip
                commands.append(node)
                node.wait_for("member of")
            for host in placement(hosts)["hosts"]:
                print(f"{host['address']:>8}: {', '.join(host['components']) or '-'}")
            print(
                f"frontend: love-actors watch {url} STREAM --token {TOKEN} "
                f"(inside: {' '.join(hosts.prefix('leader'))})"
            )
            watch = Command(hosts, "leader", "watch", url, "event-Heartbeat-0-stream",
                            "--token", TOKEN)  # fmt: skip
            commands.append(watch)
            beats, waited = 0, 0.0
            while not stop.wait(2.0):
                waited += 2.0
                while not watch.lines.empty():
                    beats += watch.lines.get().startswith("{")
                print(f"frontend has seen {beats} heartbeat frames", flush=True)
                if args.duration is not None and waited >= args.duration:
                    break
        finally:
            for c in reversed(commands):
                if c.popen.poll() is None:
                    c.popen.send_signal(signal.SIGINT)
            for c in commands:
                try:
                    c.popen.wait(20)
                except subprocess.TimeoutExpired:
                    pass  # the namespaces' teardown kills it
    print("three_hosts: torn down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
