"""Hosts made of network namespaces on a private bridge, for multi-host tests and the
three-host demo (needs root and iproute2).

Each host is a namespace with one veth on a bridge that lives in its own namespace, so nothing
is added to the machine's own network. Addresses are from 10.231.0.0/16, reachable only between
these namespaces. `NamespaceHosts` removes every namespace and kills every process inside them
on exit, also when what ran inside failed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Sequence


def available() -> str | None:
    """None when namespace hosts can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    probe = f"lp{uuid.uuid4().hex[:6]}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"ip netns add failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")
    return r


class NamespaceHosts:
    """``with NamespaceHosts(["leader", "a", "b"]) as hosts: hosts.address("a")``."""

    def __init__(self, names: Sequence[str], subnet: int | None = None) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.names = list(names)
        self.subnet = subnet if subnet is not None else int(self.tag, 16) % 250 + 1
        self.bridge = f"lb{self.tag}"
        self.ns = {n: f"lh{self.tag}{i}" for i, n in enumerate(self.names)}

    def address(self, name: str) -> str:
        return f"10.231.{self.subnet}.{self.names.index(name) + 1}"

    def __enter__(self) -> NamespaceHosts:
        try:
            ip("netns", "add", self.bridge)
            ip("-n", self.bridge, "link", "add", "br0", "type", "bridge")
            ip("-n", self.bridge, "link", "set", "br0", "up")
            for i, name in enumerate(self.names):
                ns = self.ns[name]
                ip("netns", "add", ns)
                veth, peer = f"v{self.tag}{i}", f"p{i}"
                ip(
                    "link",
                    "add",
                    veth,
                    "netns",
                    ns,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    peer,
                    "netns",
                    self.bridge,
                )
                ip("-n", self.bridge, "link", "set", peer, "master", "br0", "up")
                ip("-n", ns, "link", "set", veth, "name", "eth0")
                ip("-n", ns, "addr", "add", f"{self.address(name)}/24", "dev", "eth0")
                ip("-n", ns, "link", "set", "eth0", "up")
                ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def prefix(self, name: str) -> list[str]:
        """Put in front of a command to run it inside host ``name``."""
        return ["ip", "netns", "exec", self.ns[name]]

    def command(self, name: str, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside host ``name``."""
        return ["ip", "netns", "exec", self.ns[name], *argv]

    def pids(self, name: str) -> list[int]:
        r = ip("netns", "pids", self.ns[name], check=False)
        return [int(p) for p in r.stdout.split()]

    def kill_all(self, name: str) -> int:
        """SIGKILL every process of host ``name`` (a host losing power). Returns how many."""
        pids = self.pids(name)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def link(self, name: str, up: bool) -> None:
        """Cut or restore host ``name``'s network (a partition)."""
        ip("-n", self.ns[name], "link", "set", "eth0", "up" if up else "down")

    def close(self) -> None:
        for name in self.names:
            if self.ns[name] in ip("netns", "list", check=False).stdout:
                self.kill_all(name)
                ip("netns", "del", self.ns[name], check=False)
        ip("netns", "del", self.bridge, check=False)
