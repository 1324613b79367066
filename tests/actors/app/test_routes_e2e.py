"""Several managers at once (#13): --route sends each component to its manager, requests
from each manager reach only its components, status shows every link."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from actors.devtools.watch_client import FrontendClient
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, is_stream, start_hub
from tests.helpers.proc_helpers import Proc, free_port, run_cli

pytestmark = pytest.mark.e2e


async def answers(url: str, csc: str) -> bool:
    """Whether the manager at ``url`` gets ``csc``'s summaryState for a new subscriber (the
    initial_state request it sends reaches the component only if it is routed there)."""
    async with FrontendClient(url, token=TOKEN) as fe:
        await fe.subscribe("event", csc, 0, "summaryState")
        try:
            await fe.next_frame(is_stream(csc, "summaryState", 0, "event"), 6)
            return True
        except TimeoutError:
            return False


def test_routes_send_each_component_to_its_manager_only() -> None:
    ports = free_port(), free_port()
    hubs = [start_hub(p) for p in ports]
    urls = [f"ws://127.0.0.1:{p}/manager/ws/subscription" for p in ports]
    admin = free_port()
    producer = Proc(
        "start", "--components", "ATDome", "ATMCS", "MTMount", "--source", "sim",
        "--admin-port", str(admin), "--manager-url", urls[0],
        "--route", f"ATMCS,MTM*={urls[1]}", env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    try:
        line = producer.wait_for_line(" streaming to ", timeout=60)
        assert f"{urls[0]} (1)" in line and f"{urls[1]} (2)" in line
        # A frontend of each manager sees that manager's components only.
        assert asyncio.run(answers(urls[0], "ATDome"))
        assert asyncio.run(answers(urls[1], "ATMCS")) and asyncio.run(answers(urls[1], "MTMount"))
        assert not asyncio.run(answers(urls[0], "ATMCS"))
        assert not asyncio.run(answers(urls[1], "ATDome"))
        r = run_cli("status", "--admin-port", str(admin), "--json")
        (host,) = json.loads(r.stdout)["hosts"]
        assert sorted(link["url"] for link in host["links"]) == sorted(urls)
        assert all(link["connected"] for link in host["links"])
        r = run_cli("status", "--admin-port", str(admin))
        assert r.stdout.count("manager ws://127.0.0.1:") == 2  # one part per link
    finally:
        producer.signal(signal.SIGINT)
        producer.wait(30)
        for hub in hubs:
            hub.signal(signal.SIGINT)
            hub.wait(20)


def test_a_route_without_a_url_is_refused_by_name() -> None:
    r = run_cli("start", "--components", "ATDome", "--source", "sim", "--route", "AT*",
                "--route", "MT*=http://x", "--manager-url", "ws://127.0.0.1:9/x")  # fmt: skip
    assert r.returncode == 2
    assert "--route 'AT*': expected PATTERN=URL" in r.stderr
    assert "--route 'MT*=http://x': must start with ws:// or wss://" in r.stderr
