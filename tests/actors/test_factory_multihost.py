"""One actor system over several hosts (network namespaces): placement by capability, frames
from every host, and a host that dies (issue 6; needs root)."""

from __future__ import annotations

import json
import signal
import time

import pytest

from actors.devtools.netns import NamespaceHosts, available
from tests.helpers.proc_helpers import Proc, run_cli, wait_until

pytestmark = [
    pytest.mark.netns,
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

PASSWORD, TOKEN, HUB_PORT, ADMIN = "mh-secret", "mh-token", 8765, 1900


def hosts_view(hosts: NamespaceHosts) -> dict[str, list[str]]:
    leader = f"{hosts.address('leader')}:{ADMIN}"
    r = run_cli("status", "--leader", leader, "--json", wrap=hosts.prefix("leader"))
    if r.returncode != 0:
        return {}
    return {h["address"]: h["components"] for h in json.loads(r.stdout)["hosts"]}


def mt_actor_pids(hosts: NamespaceHosts) -> set[int]:
    """Pids of the MTHexapod:1 CSC actor and of mt's ManagerClient, from the leader's status."""
    r = run_cli("status", "--admin-port", str(ADMIN), "--json", wrap=hosts.prefix("leader"))
    detail = json.loads(r.stdout)["detail"]
    pids = {c["pid"] for c in detail["components"] if c.get("key") == "MTHexapod:1"}
    pids.add(detail["by_host"]["mt"]["manager"]["pid"])
    return pids


def heartbeats(hosts: NamespaceHosts, url: str, count: int) -> set[str]:
    """Which components' Heartbeat frames a frontend on the leader's host receives."""
    r = run_cli(
        "watch",
        url,
        "event-Heartbeat-0-stream",
        "--token",
        TOKEN,
        "--count",
        str(count),
        "--duration",
        "20",
        wrap=hosts.prefix("leader"),
        timeout=40,
    )
    seen = set()
    for line in r.stdout.splitlines():
        for entry in json.loads(line).get("data", []):
            stream = entry.get("data", {}).get("stream", {})
            if isinstance(stream, dict) and "csc" in stream:
                seen.add(f"{stream['csc']}:{stream['salindex']}")
    return seen


def test_placement_frames_from_every_host_and_failover():
    procs: list[Proc] = []
    with NamespaceHosts(["leader", "at", "mt", "spare"]) as hosts:
        try:
            leader_ip = hosts.address("leader")
            url = f"ws://{leader_ip}:{HUB_PORT}/manager/ws/subscription"
            env = {"PROCESS_CONNECTION_PASS": PASSWORD}

            def node(name: str, pattern: str) -> Proc:
                p = Proc(
                    "node",
                    "--leader",
                    f"{leader_ip}:{ADMIN}",
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
                    "--admin-port",
                    str(ADMIN),
                    env=env,
                    wrap=hosts.prefix(name),
                )
                procs.append(p)
                p.wait_for_line("member of", timeout=60)
                return p

            hub = Proc(
                "hub",
                "--host",
                leader_ip,
                "--port",
                str(HUB_PORT),
                "--password",
                PASSWORD,
                "--token",
                TOKEN,
                wrap=hosts.prefix("leader"),
            )
            procs.append(hub)
            hub.wait_for_line("hub listening", timeout=30)
            leader = Proc(
                "start",
                "--leader",
                "--address",
                leader_ip,
                "--name",
                "leader",
                "--components-pattern",
                "",
                "--admin-port",
                str(ADMIN),
                "--source",
                "sim",
                "--manager-url",
                url,
                "--components",
                "ATDome",
                "ATMCS",
                "MTHexapod:1",
                env=env,
                wrap=hosts.prefix("leader"),
            )
            procs.append(leader)
            leader.wait_for_line(" started; connecting to ", timeout=60)
            node("at", "AT*")
            node("mt", "MT*")

            want = {"at": ["ATDome:0", "ATMCS:0"], "mt": ["MTHexapod:1"]}
            view = wait_until(
                lambda: (
                    (v := hosts_view(hosts)) and all(v.get(h) == c for h, c in want.items()) and v
                ),
                60,
                what="placement by pattern",
            )
            assert view.get("leader", []) == []
            assert heartbeats(hosts, url, 12) >= {"ATDome:0", "ATMCS:0", "MTHexapod:1"}

            node("spare", "*")
            killed_at = time.monotonic()
            assert hosts.kill_all("at") > 0  # power loss: every process of the host
            view = wait_until(
                lambda: (
                    (v := hosts_view(hosts))
                    and sorted(v.get("spare", [])) == ["ATDome:0", "ATMCS:0"]
                    and v
                ),
                30,
                what="the dead host's components on the spare",
            )
            moved_after = time.monotonic() - killed_at
            print(f"components of the killed host running again after {moved_after:.1f} s")
            assert moved_after < 15.0
            assert "at" not in view and view["mt"] == ["MTHexapod:1"]
            assert {"ATDome:0", "ATMCS:0"} <= heartbeats(hosts, url, 12)

            # The dead host comes back: it joins again but gets nothing until asked.
            node("at", "AT*")
            wait_until(lambda: hosts_view(hosts).get("at") == [], 30, what="at back, empty")
            assert sorted(hosts_view(hosts)["spare"]) == ["ATDome:0", "ATMCS:0"]

            # A partition: mt is cut off; its component moves to the spare. When the link
            # heals, mt's old actor is stopped, so no component runs twice.
            old = mt_actor_pids(hosts)
            assert len(old) == 2 and old <= set(hosts.pids("mt"))
            hosts.link("mt", up=False)
            wait_until(
                lambda: "MTHexapod:1" in hosts_view(hosts).get("spare", []),
                30,
                what="mt's component on the spare during the partition",
            )
            hosts.link("mt", up=True)

            def healed():
                v = hosts_view(hosts)
                return v if "mt" in v and v["mt"] == [] else None

            view = wait_until(healed, 120, what="mt back, empty, after the partition healed")
            placed = sorted(c for comps in view.values() for c in comps)
            assert placed == ["ATDome:0", "ATMCS:0", "MTHexapod:1"]  # each exactly once
            # ... and mt's old manager client and CSC actor are gone, not just forgotten.
            wait_until(
                lambda: not old & set(hosts.pids("mt")), 20, what="mt's replaced actors to exit"
            )

            # Rebalance on request: every host gets its share back.
            r = run_cli("rebalance", "--admin-port", str(ADMIN), wrap=hosts.prefix("leader"))
            assert r.returncode == 0, r.stderr
            assert "moved ATDome:0 from spare to at" in r.stdout
            view = wait_until(
                lambda: (v := hosts_view(hosts)) and v.get("at") == ["ATDome:0"] and v,
                30,
                what="the rebalanced placement",
            )
            assert view["mt"] == ["MTHexapod:1"] and view["spare"] == ["ATMCS:0"]
            assert {"ATDome:0", "MTHexapod:1", "ATMCS:0"} <= heartbeats(hosts, url, 12)

            # The leader dies: the members keep streaming what they run.
            leader.kill_tree()
            assert {"MTHexapod:1", "ATDome:0"} <= heartbeats(hosts, url, 12)

            for p in reversed(procs):
                p.signal(signal.SIGINT)
            for p in procs:
                if p.popen.poll() is None:
                    p.wait(30)
        except BaseException:
            if len(procs) > 1:
                print("---- leader output ----\n" + "".join(procs[1].output[-60:]))
            print("---- status ----\n", hosts_view(hosts))
            raise
        finally:
            for p in procs:
                p.kill_tree()
