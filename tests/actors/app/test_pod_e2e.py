"""love-actors as a pod's only process (#13): PID 1 of a PID namespace reaps what it starts,
turns SIGTERM into a clean exit within 5 s, and exits non-zero on a fatal error."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.actors.app.test_start_e2e import PASSWORD, start_hub
from tests.helpers.proc_helpers import BIN, REPO, free_port, wait_until

pytestmark = pytest.mark.e2e


def pid_namespaces() -> str | None:
    """None when this machine lets us make PID namespaces, else why not."""
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True)
    return None if r.returncode == 0 else "needs root for unshare --pid (CI runs as root)"


REASON = pid_namespaces()


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, state) of every child of ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append((int(entry), fields[0]))
    return found


class Pod:
    """``love-actors start ...`` as PID 1 of a new PID namespace."""

    def __init__(self, *args: str, env: dict) -> None:
        full = dict(os.environ, PYTHONPATH=str(REPO), **env)
        self.outer = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
             str(BIN / "love-actors"), *args],
            env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
        )  # fmt: skip
        # unshare forks: its child is the namespace's PID 1, our command.
        self.init = wait_until(lambda: next(iter(children(self.outer.pid)), None), 30)[0]

    def stop(self) -> None:
        """Kill the namespace's PID 1 (the kernel then kills the rest of the namespace)."""
        if self.outer.poll() is None:
            try:
                os.kill(self.init, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.outer.wait(10)


@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_as_pid_1_it_reaps_streams_and_ends_on_sigterm_within_5_s() -> None:
    port = free_port()
    hub = start_hub(port)
    pod = Pod("start", "--components", "ATDome", "ATMCS", "--source", "sim", "--admin-port", "0",
              "--manager-url", f"ws://127.0.0.1:{port}/manager/ws/subscription",
              env={"PROCESS_CONNECTION_PASS": PASSWORD})  # fmt: skip
    try:

        def pid_in_namespace() -> str:
            with open(f"/proc/{pod.init}/status") as f:
                line = next(x for x in f.read().splitlines() if x.startswith("NSpid:"))
                return line.split()[-1]

        wait_until(lambda: pid_in_namespace() == "1", 10, what="the command to be PID 1")
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(" streaming to " in x for x in lines):
            lines.append(pod.outer.stdout.readline())
        assert any(" streaming to " in x for x in lines), lines
        # The admin's launcher exits right after the start: nothing stays a zombie for long.
        wait_until(lambda: not [c for c in children(pod.init) if c[1] == "Z"], 10,
                   what="PID 1 to reap its exited children")  # fmt: skip
        started = time.monotonic()
        os.kill(pod.init, signal.SIGTERM)
        assert pod.outer.wait(30) == 0
        assert time.monotonic() - started < 5.0
        assert "love-actors: stopped" in pod.outer.stdout.read()
    finally:
        pod.stop()
        hub.signal(signal.SIGINT)
        hub.wait(20)


@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_as_pid_1_a_fatal_error_exits_non_zero() -> None:
    port = free_port()
    hub = start_hub(port)
    pod = Pod("start", "--components", "ATDome", "--source", "sim", "--admin-port", "0",
              "--manager-url", f"ws://127.0.0.1:{port}/manager/ws/subscription",
              env={"PROCESS_CONNECTION_PASS": "wrong"})  # fmt: skip
    try:
        assert pod.outer.wait(60) == 2
        assert "PROCESS_CONNECTION_PASS" in pod.outer.stdout.read()
    finally:
        pod.stop()
        hub.signal(signal.SIGINT)
        hub.wait(20)
