"""HubServer, FrontendClient and run_watch over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from actors.devtools.hub_server import HubServer, _ClientQueue, run_hub
from actors.devtools.watch_client import FrontendClient, parse_stream, run_watch, url_without_query
from tests.helpers.proc_helpers import Proc, run_cli

PASSWORD = "pw-secret"
TOKEN = "tok-secret"
REPO = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 30.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


def hub() -> HubServer:
    return HubServer(password=PASSWORD, tokens=[TOKEN])


def is_confirmation(group: str):
    return lambda f: f.get("data") == f"Successfully subscribed to {group}"


def has_category(category: str):
    return lambda f: f.get("category") == category


def summary_state(value: int) -> dict[str, Any]:
    return {
        "category": "event",
        "producer_snd": 1.0,
        "data": [
            {
                "csc": "ATDome",
                "salindex": 0,
                "data": {"summaryState": [{"summaryState": {"value": value}}]},
            }
        ],
    }


async def subscribed(client: FrontendClient, *parts: str | int) -> None:
    await client.subscribe(*parts)  # type: ignore[arg-type]
    group = "-".join(str(p) for p in parts)
    await client.next_frame(is_confirmation(group), timeout=5)


async def handshake_status(url: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, proxy=None):
            pass
    return info.value.response.status_code


def test_parse_stream() -> None:
    assert parse_stream("event-ATDome-0-summaryState") == ("event", "ATDome", "0", "summaryState")
    for bad in ("event-ATDome-summaryState", "event-AT-Dome-0-x", "event--0-x", ""):
        with pytest.raises(ValueError, match="four non-empty parts"):
            parse_stream(bad)
    assert url_without_query("ws://h:1/manager/ws/subscription?token=x") == (
        "ws://h:1/manager/ws/subscription"
    )


def test_client_queue_drops_oldest() -> None:
    async def main() -> None:
        queue = _ClientQueue(3)
        assert [queue.put(str(i)) for i in range(5)] == [True, True, True, False, False]
        assert list(queue.frames) == ["2", "3", "4"]
        assert queue.dropped == 2
        assert queue.ready.is_set()

    run(main())


def test_bad_credentials_get_403() -> None:
    async def main() -> None:
        async with hub() as server:
            base = server.url
            assert await handshake_status(f"{base}?password=wrong") == 403
            assert await handshake_status(f"{base}?token=wrong") == 403
            assert await handshake_status(f"{base}?password=") == 403
            assert await handshake_status(base) == 403
            # a producer password is not a token and vice versa
            assert await handshake_status(f"{base}?token={PASSWORD}") == 403
            assert await handshake_status(f"{base}?password={TOKEN}") == 403
            assert server.stats()["producers"] == server.stats()["frontends"] == 0

    run(main())


def test_bad_path_gets_404() -> None:
    async def main() -> None:
        async with hub() as server:
            root = f"ws://127.0.0.1:{server.port}"
            for path in (
                "/ws/subscription/",
                "/",
                "/manager/ws/subscriptionX",
                "/manager/ws/subscription/more",
            ):
                assert await handshake_status(f"{root}{path}?token={TOKEN}") == 404, path

    run(main())


def test_any_manager_prefix_works() -> None:
    async def main() -> None:
        async with hub() as server:
            root = f"ws://127.0.0.1:{server.port}"
            for path in (
                "/manager/ws/subscription",
                "/manager/ws/subscription/",
                "/manager/auxtel/ws/subscription/",
                "/manager/a/b/ws/subscription",
            ):
                async with FrontendClient(root + path, token=TOKEN) as client:
                    await subscribed(client, "telemetry", "ATDome", 0, "position")

    run(main())


def test_producer_publishes_and_frontend_receives() -> None:
    async def main() -> None:
        async with hub() as server:
            async with (
                FrontendClient(server.url, password=PASSWORD) as producer,
                FrontendClient(server.url, token=TOKEN) as frontend,
            ):
                await subscribed(frontend, "event", "ATDome", 0, "summaryState")
                await producer.send_json(summary_state(2))
                frame = await frontend.next_frame(has_category("event"), timeout=5)
                assert frame == {
                    "category": "event",
                    "data": [
                        {
                            "csc": "ATDome",
                            "salindex": 0,
                            "data": {"summaryState": [{"summaryState": {"value": 2}}]},
                        }
                    ],
                    "subscription": "event-ATDome-0-summaryState",
                }
                stats = server.stats()
                assert (stats["producers"], stats["frontends"]) == (1, 1)
                assert stats["relayed"] == 1

    run(main())


def test_initial_state_request_reaches_producer() -> None:
    async def main() -> None:
        async with hub() as server:
            async with (
                FrontendClient(server.url, password=PASSWORD) as producer,
                FrontendClient(server.url, token=TOKEN) as frontend,
            ):
                await subscribed(producer, "initial_state", "ATDome", "all", "all")
                await frontend.subscribe("event", "ATDome", 0, "summaryState")
                request = await producer.next_frame(has_category("initial_state"), timeout=5)
                assert request == {
                    "category": "initial_state",
                    "data": [
                        {"csc": "ATDome", "salindex": 0, "data": {"event_name": "summaryState"}}
                    ],
                    "subscription": "initial_state-all-all-all",
                }
                # the producer answers with a plain event, which the frontend receives
                await producer.send_json(summary_state(5))
                frame = await frontend.next_frame(has_category("event"), timeout=5)
                assert frame["data"][0]["data"]["summaryState"][0]["summaryState"]["value"] == 5

    run(main())


def test_garbage_frames_do_not_break_the_connection() -> None:
    async def main() -> None:
        async with hub() as server:
            async with FrontendClient(server.url, password=PASSWORD) as producer:
                assert producer._ws is not None
                await producer._ws.send("this is not json")
                await producer._ws.send(b"\x00\x01binary")
                await producer.send_json({"category": "event", "data": [{"csc": "ATDome"}]})
                await producer.send_json({"action": "get_time_data", "request_time": 7})
                reply = await producer.next_frame(lambda f: "time_data" in f, timeout=5)
                assert reply["request_time"] == 7
                assert producer.connected
                assert server.stats()["warnings"] == 3

    run(main())


def test_a_flood_of_bad_frames_logs_a_line_per_kind_not_per_frame(caplog) -> None:
    """2,000 bad frames of two kinds: two warning lines, the rest counted for the summary."""
    caplog.set_level(logging.WARNING, logger="love_actors")

    async def main() -> None:
        async with hub() as server:
            async with FrontendClient(server.url, password=PASSWORD) as producer:
                assert producer._ws is not None
                for i in range(1000):
                    await producer._ws.send(f"not json {i}")
                    await producer._ws.send(b"\x00binary")
                await producer.send_json({"action": "get_time_data", "request_time": 7})
                await producer.next_frame(lambda f: "time_data" in f, timeout=10)
                assert server.stats()["warnings"] == 2000

    run(main())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert all("more like it are counted" in w for w in warnings)


def test_manager_heartbeat_reaches_subscribers() -> None:
    async def main() -> None:
        async with hub() as server:
            async with FrontendClient(server.url, token=TOKEN) as frontend:
                await subscribed(frontend, "heartbeat", "manager", 0, "stream")
                beat = await frontend.next_frame(has_category("heartbeat"), timeout=5)
                assert beat["subscription"] == "heartbeat"
                assert beat["data"][0]["csc"] == "Manager"

    run(main())


def test_next_frame_keeps_skipped_frames_and_times_out() -> None:
    async def main() -> None:
        async with hub() as server:
            async with FrontendClient(server.url, token=TOKEN) as client:
                await client.subscribe("telemetry", "A", 0, "s")
                await client.subscribe("telemetry", "B", 0, "s")
                second = await client.next_frame(is_confirmation("telemetry-B-0-s"), timeout=5)
                first = await client.next_frame(timeout=5)  # skipped above, still pending
                assert (first["data"], second["data"]) == (
                    "Successfully subscribed to telemetry-A-0-s",
                    "Successfully subscribed to telemetry-B-0-s",
                )
                assert client.received == [first, second]
                with pytest.raises(asyncio.TimeoutError):
                    await client.next_frame(timeout=0.2)

    run(main())


def test_stop_sends_queued_frames_then_next_frame_raises() -> None:
    async def main() -> None:
        server = hub()
        await server.start()
        try:
            async with FrontendClient(server.url, token=TOKEN) as frontend:
                await subscribed(frontend, "event", "ATDome", 0, "summaryState")
                async with FrontendClient(server.url, password=PASSWORD) as producer:
                    await producer.send_json(summary_state(3))
                # the hub read the frame before the producer's close: stop() delivers it
                await server.stop()
                frame = await frontend.next_frame(has_category("event"), timeout=5)
                assert frame["subscription"] == "event-ATDome-0-summaryState"
                for _ in range(2):  # and keeps failing fast once closed
                    with pytest.raises(ConnectionClosed) as info:
                        await frontend.next_frame(timeout=5)
                    assert info.value.rcvd is not None and info.value.rcvd.code == 1001
                assert not frontend.connected
        finally:
            await server.stop()

    run(main())


async def _answer_watcher(server: HubServer, value: int) -> int:
    """A fake producer: publishes ``value`` once a watcher is subscribed to the stream.

    It registers for initial_state requests first; once its registration is confirmed, the
    watcher's subscribe was either handled before (it is already a member) or will trigger a
    request to this producer, so nothing is missed and nothing waits on time.
    """
    async with FrontendClient(server.url, password=PASSWORD) as producer:
        await subscribed(producer, "initial_state", "ATDome", "all", "all")
        if not server.router.members("event-ATDome-0-summaryState"):
            await producer.next_frame(has_category("initial_state"), timeout=15)
        await producer.send_json(summary_state(value))
    return value


def test_run_watch_prints_frames() -> None:
    async def main() -> tuple[int, str]:
        async with hub() as server:
            out = io.StringIO()
            producer = asyncio.create_task(_answer_watcher(server, 1))
            # run_watch is the synchronous CLI entry point: give it its own thread and loop
            rc = await asyncio.to_thread(
                run_watch,
                server.url,
                ["event-ATDome-0-summaryState"],
                token=TOKEN,
                count=1,
                duration=20,
                out=out,
            )
            assert await producer == 1
            return rc, out.getvalue()

    rc, text = run(main())
    assert rc == 0
    lines = text.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "category": "event",
        "data": [
            {
                "csc": "ATDome",
                "salindex": 0,
                "data": {"summaryState": [{"summaryState": {"value": 1}}]},
            }
        ],
        "subscription": "event-ATDome-0-summaryState",
    }
    assert lines[0] == json.dumps(json.loads(lines[0]), separators=(",", ":"))


def test_run_watch_stops_after_duration(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> int:
        async with hub() as server:
            return await asyncio.to_thread(
                run_watch,
                server.url,
                ["telemetry-ATDome-0-position"],
                token=TOKEN,
                duration=0.5,
                out=io.StringIO(),
            )

    assert run(main()) == 0
    assert "Successfully subscribed to telemetry-ATDome-0-position" in capsys.readouterr().err


def test_run_watch_reconnects_and_resubscribes() -> None:
    async def main() -> tuple[int, str]:
        out = io.StringIO()
        first = hub()
        await first.start()
        port = first.port
        try:
            producer = asyncio.create_task(_answer_watcher(first, 1))
            watcher = asyncio.create_task(
                asyncio.to_thread(
                    run_watch,
                    first.url,
                    ["event-ATDome-0-summaryState"],
                    token=TOKEN,
                    count=2,
                    duration=20,
                    out=out,
                )
            )
            await producer
            await first.stop()  # drops the watcher's connection
            async with HubServer(port=port, password=PASSWORD, tokens=[TOKEN]) as second:
                # the watcher's new subscription triggers this producer's request
                assert await _answer_watcher(second, 2) == 2
                return await watcher, out.getvalue()
        finally:
            await first.stop()

    rc, text = run(main())
    assert rc == 0
    values = [
        json.loads(line)["data"][0]["data"]["summaryState"][0]["summaryState"]["value"]
        for line in text.splitlines()
    ]
    assert values == [1, 2]


def test_run_watch_refused_connection(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    assert run_watch(url, ["event-ATDome-0-summaryState"], token=TOKEN, count=1) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"cannot connect to {url}: connection refused (is the server running?)"


def test_run_watch_wrong_token_and_bad_stream(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> tuple[int, int]:
        async with hub() as server:
            wrong = await asyncio.to_thread(
                run_watch,
                server.url + "?x=1",
                ["event-ATDome-0-summaryState"],
                token="nope",
                count=1,
            )
            bad = await asyncio.to_thread(run_watch, server.url, ["ATDome"], token=TOKEN)
            return wrong, bad

    assert run(main()) == (1, 2)
    err = capsys.readouterr().err
    assert "HTTP 403 (wrong token or password)" in err
    assert "nope" not in err
    assert "four non-empty parts" in err


def test_run_hub_port_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert run_hub("127.0.0.1", port, PASSWORD, [TOKEN], False) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_run_hub_process_serves_and_stops_cleanly(sig: signal.Signals) -> None:
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO);"
        "from actors.devtools.hub_server import run_hub;"
        f"sys.exit(run_hub('127.0.0.1', 0, {PASSWORD!r}, [{TOKEN!r}], False))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "hub did not print its listening line"
        line = proc.stdout.readline().strip()
        assert line.startswith("hub listening on ws://127.0.0.1:")
        url = line.removeprefix("hub listening on ")
        assert url.endswith("/manager/ws/subscription")

        async def check() -> None:
            async with FrontendClient(url, token=TOKEN) as client:
                await subscribed(client, "event", "ATDome", 0, "summaryState")

        run(check())

        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert "frontend-1 connected" in err
        assert "frontend-1 disconnected" in err
        assert TOKEN not in err and PASSWORD not in err
        assert rest == ""  # exactly one stdout line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_password_of_any_characters_authenticates() -> None:
    secret = "pä ss&#wörd"  # hmac.compare_digest refuses non-ASCII str: compare bytes

    async def main() -> None:
        async with HubServer(password=secret, tokens=[TOKEN]) as server:
            quoted = urllib.parse.quote(secret, safe="")
            async with FrontendClient(server.url, password=secret) as producer:
                assert producer is not None and server.stats()["producers"] == 1
            assert await handshake_status(f"{server.url}?password={quoted}x") == 403

    run(main())


def test_without_frontend_auth_a_frontend_needs_no_token_but_a_producer_its_password() -> None:
    async def main() -> None:
        async with HubServer(password=PASSWORD, frontend_auth=False) as server:
            async with FrontendClient(server.url) as frontend:
                await subscribed(frontend, "event", "ATDome", 0, "summaryState")
            assert await handshake_status(f"{server.url}?password=wrong") == 403

    run(main())


def test_the_hub_command_needs_a_token_or_no_frontend_auth_and_names_its_secrets(
    tmp_path,
) -> None:
    r = run_cli("hub", "--port", "0")
    assert r.returncode == 2 and "--token" in r.stderr and "--no-frontend-auth" in r.stderr
    (tmp_path / "pw").write_text("from-a-file\n")
    hub = Proc("hub", "--port", "0", "--password-file", str(tmp_path / "pw"), "--token", TOKEN)
    try:
        line = hub.wait_for_line("hub: producer password from", timeout=20)
        assert f"--password-file {tmp_path / 'pw'}" in line and "1 token (--token)" in line
        url = hub.wait_for_line("hub listening on", timeout=20).split()[-1]

        async def clients() -> None:
            async with FrontendClient(url, password="from-a-file"):
                pass
            assert await handshake_status(f"{url}?token=nope") == 403
            assert await handshake_status(url.replace("/manager/ws", "/elsewhere")) == 404

        run(clients())
        hub.signal(signal.SIGINT)
        assert hub.wait(20) == 0
        log = hub.text()
        assert "producer-1 connected from 127.0.0.1:" in log
        assert "refused /manager/ws/subscription from 127.0.0.1:" in log and "wrong token" in log
        assert "unknown path (404)" in log
        assert "from-a-file" not in log and TOKEN not in log
    finally:
        hub.kill_tree()
