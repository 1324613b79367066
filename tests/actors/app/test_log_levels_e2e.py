"""End to end at the upstream debug level: ``start --log-level 10`` keeps streaming, and no
log line of any process shows the password (#12)."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.parse

import pytest

from actors.devtools.watch_client import FrontendClient
from tests.actors.app.test_start_e2e import TOKEN, is_stream
from tests.helpers.proc_helpers import Proc, free_port

pytestmark = pytest.mark.e2e

NASTY = "p&ss #wörd=1 ü"  # characters a URL query must encode, and non-ASCII ones


@pytest.mark.parametrize("extra", [[], ["--debug-libraries"]], ids=["debug", "debug+libraries"])
def test_debug_level_streams_and_never_logs_the_password(extra: list[str]) -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    hub = Proc("hub", "--port", str(port), "--password", NASTY, "--token", TOKEN)
    producer = None
    try:
        hub.wait_for_line("hub listening on", timeout=20)
        producer = Proc(
            "start", "--components", "ATDome", "--source", "sim", "--manager-url", url,
            "--admin-port", "0", "--log-level", "10", "--status-every", "1", *extra,
            env={"PROCESS_CONNECTION_PASS": NASTY},
        )  # fmt: skip
        producer.wait_for_line(" streaming to ", timeout=60)

        async def frontend() -> dict:
            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("telemetry", "ATDome", 0, "position")
                return await fe.next_frame(is_stream("ATDome", "position", 0, "telemetry"), 30)

        assert asyncio.run(frontend())  # telemetry flows at DEBUG
        producer.wait_for_line("manager connected since", timeout=30)
        producer.signal(signal.SIGINT)
        assert producer.wait(30) == 0
        log = producer.text()
        assert "DEBUG" in log  # the level took effect
        assert "pickle" not in log and "Traceback" not in log
        for form in (NASTY, urllib.parse.quote(NASTY, safe=""), urllib.parse.quote_plus(NASTY)):
            assert form not in log
        if extra:  # websockets' own debug lines, the handshake's request line redacted
            assert "> GET /manager/ws/subscription?password=*** HTTP/1.1" in log
        else:
            assert "websockets" not in log
        assert len(log.splitlines()) < 2000  # not a flood
    finally:
        for p in (producer, hub):
            if p is not None:
                p.signal(signal.SIGINT)
                try:
                    p.wait(30)
                finally:
                    p.kill_tree()


def test_json_logs_name_their_component_and_hide_the_password() -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    hub = Proc("hub", "--port", str(port), "--password", NASTY, "--token", TOKEN)
    producer = None
    try:
        hub.wait_for_line("hub listening on", timeout=20)
        producer = Proc(
            "start", "--components", "ATDome", "--source", "sim", "--manager-url", url,
            "--admin-port", "0", "--log-level", "20", "--log-format", "json",
            env={"PROCESS_CONNECTION_PASS": NASTY},
        )  # fmt: skip
        producer.wait_for_line(" streaming to ", timeout=60)
        producer.signal(signal.SIGINT)
        assert producer.wait(30) == 0
        lines = [json.loads(x) for x in producer.text().splitlines() if x.strip()]
        assert all({"time", "level", "component", "message"} <= set(x) for x in lines)
        components = {x["component"] for x in lines}
        assert {"factory", "ATDome:0", f"manager-client {url}", "love-actors"} <= components
        assert any(x["component"] == "ATDome:0" and "started" in x["message"] for x in lines)
        text = producer.text() + hub.text()
        for form in (NASTY, urllib.parse.quote(NASTY, safe=""), urllib.parse.quote_plus(NASTY)):
            assert form not in text
    finally:
        for p in (producer, hub):
            if p is not None:
                p.signal(signal.SIGINT)
                try:
                    p.wait(30)
                finally:
                    p.kill_tree()
