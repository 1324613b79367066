"""Faults injected into a running system, each with its written outcome (``docs/reliability.md``).

The fault tier (``-m faults``, run by ``.ci/run``): loopback only, each scenario bounded.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from actors.edges.processes import parent_of
from tests.actors.app.test_start_e2e import PASSWORD, start_hub
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

#: How long a lost Factory or admin may go unnoticed, and the stop after it may take.
NOTICE_AND_STOP = 30.0


def start_producer(port: int, admin_port: int, *components: str) -> Proc:
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    producer = Proc(
        "start", "--components", *components, "--source", "sim", "--manager-url", url,
        "--admin-port", str(admin_port), env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    producer.wait_for_line(" streaming to ", timeout=60)
    return producer


def factory_pid(admin_port: int) -> int:
    r = run_cli("status", "--admin-port", str(admin_port), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["detail"]["pid"]


@pytest.mark.parametrize("victim", ["the Factory", "Thespian's admin"])
def test_a_killed_factory_or_admin_is_noticed_and_start_exits_1_leaving_nothing(victim):
    """Nobody supervises the Factory or the admin: once one dies, `start` stops everything
    and exits 1, so whoever runs it (Kubernetes, systemd) starts afresh."""
    port, admin_port = free_port(), free_port()
    hub = start_hub(port)
    producer = None
    try:
        producer = start_producer(port, admin_port, "ATDome", "Test:1")
        processes = producer.processes()
        factory = factory_pid(admin_port)
        pid = factory if victim == "the Factory" else parent_of(factory)
        assert pid in processes and pid != producer.popen.pid
        os.kill(pid, signal.SIGKILL)
        assert producer.wait(NOTICE_AND_STOP) == 1
        assert f"{victim} (pid {pid}) died" in producer.text()
        assert "Traceback" not in producer.text()
        wait_until(
            lambda: not any(alive(p) for p in processes), 10, what="every process to be gone"
        )
        r = run_cli("status", "--admin-port", str(admin_port))
        assert r.returncode != 0 and "Traceback" not in r.stderr
    finally:
        for proc in (producer, hub):
            if proc is not None:
                proc.signal()
                try:
                    proc.wait(20)
                except Exception:
                    proc.kill_tree()
