"""End to end: a hub process, a producer process (actor system, simulated components) and a
frontend-like client, as a user would run them."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from actors.devtools.watch_client import FrontendClient
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-secret"
TOKEN = "e2e-token"
PRIVATE = [
    "private_sndStamp",
    "private_rcvStamp",
    "private_efdStamp",
    "private_kafkaStamp",
    "private_seqNum",
    "private_revCode",
    "private_identity",
    "private_origin",
]


def start_hub(port: int, producer_delay: float = 0.0) -> Proc:
    hub = Proc(
        "hub",
        "--port",
        str(port),
        "--password",
        PASSWORD,
        "--token",
        TOKEN,
        "--producer-delay",
        str(producer_delay),
    )
    hub.wait_for_line("hub listening on", timeout=20)
    return hub


def stream_of(frame: dict, csc: str, stream: str):
    """The payload of ``stream`` for ``csc`` in a per-stream group frame, or None."""
    data = frame.get("data")
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, dict) and entry.get("csc") == csc:
            streams = entry.get("data")
            if isinstance(streams, dict) and stream in streams:
                return streams[stream]
    return None


def is_stream(csc: str, stream: str, salindex: int = 0, category: str | None = None):
    def predicate(frame: dict) -> bool:
        if category and frame.get("category") != category:
            return False
        data = frame.get("data")
        return isinstance(data, list) and any(
            isinstance(e, dict)
            and e.get("csc") == csc
            and e.get("salindex") == salindex
            and stream in (e.get("data") if isinstance(e.get("data"), dict) else {})
            for e in data
        )

    return predicate


def summarize(frames: list[dict]) -> str:
    lines = []
    for f in frames[-40:]:
        data = f.get("data")
        if isinstance(data, list):
            entries = [(e.get("csc"), e.get("salindex"), list(e.get("data", {}))) for e in data]
            lines.append(f"{f.get('category')} {entries}")
        else:
            lines.append(str(f)[:120])
    return "\n".join(lines)


async def expect(fe: FrontendClient, predicate, timeout: float, what: str) -> dict:
    """The next frame matching ``predicate``; on timeout, fail showing what did arrive."""
    try:
        return await fe.next_frame(predicate, timeout)
    except TimeoutError:
        raise AssertionError(
            f"no {what} within {timeout} s; received:\n{summarize(fe.received)}"
        ) from None


async def expect_all(fe: FrontendClient, predicates: dict, timeout: float) -> None:
    """Wait until every named predicate has matched some frame (one frame may match several:
    the producer packs streams of several components into one message)."""
    missing = dict(predicates)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while missing:
        preds = list(missing.values())
        remaining = max(0.0, deadline - loop.time())
        frame = await expect(
            fe, lambda f, ps=preds: any(p(f) for p in ps), remaining, str(list(missing))
        )
        missing = {k: p for k, p in missing.items() if not p(frame)}


async def status(admin_port: int) -> dict:
    result = await asyncio.to_thread(run_cli, "status", "--admin-port", str(admin_port), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["detail"]


async def wait_status(admin_port: int, predicate, timeout: float, what: str) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        st = await status(admin_port)
        if predicate(st):
            return st
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last status {st}")
        await asyncio.sleep(0.3)


def component(st: dict, key: str) -> dict:
    return next(c for c in st["components"] if c.get("key") == key)


def test_producer_streams_to_hub_survives_restart_and_starts_on_demand():
    port, admin_port = free_port(), free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    hub = start_hub(port)
    producer = Proc(
        "start",
        "--components",
        "ATDome",
        "MTHexapod:1",
        "--source",
        "sim",
        "--manager-url",
        url,
        "--admin-port",
        str(admin_port),
        "--on-demand",
        "ATMCS",
        "--idle-timeout",
        "6",
        env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )
    hubs = [hub]
    actor_pids: set[int] = set()
    try:
        producer.wait_for_line(" streaming to ", timeout=60)
        assert PASSWORD not in producer.text()

        async def scenario() -> None:
            # The summaryState schedule ends in ENABLED 4 s after start; after that only an
            # initial_state reply can bring a summaryState frame to a new subscriber.
            st = await wait_status(
                admin_port,
                lambda s: (
                    component(s, "ATDome:0").get("summary_state") == 2
                    and s["manager"].get("connected")
                ),
                timeout=30,
                what="ATDome ENABLED and connected",
            )
            actor_pids.update(producer.processes())
            assert st["manager"]["connects"] >= 1
            doc = json.loads(
                (
                    await asyncio.to_thread(
                        run_cli, "status", "--admin-port", str(admin_port), "--json"
                    )
                ).stdout
            )
            (host,) = doc["hosts"]
            assert host["components"] == ["ATDome:0", "MTHexapod:1"]
            assert host["connected"] is True and host["dropped"] == 0
            assert host["frames_per_s"] > 0 and host["address"].endswith(f":{admin_port}")

            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("telemetry", "ATDome", 0, "position")
                frame = await fe.next_frame(is_stream("ATDome", "position", 0, "telemetry"), 10)
                position = stream_of(frame, "ATDome", "position")
                assert isinstance(position, dict)
                assert list(position) == PRIVATE + [
                    "dropoutDoorOpeningPercentage",
                    "mainDoorOpeningPercentage",
                    "azimuthPosition",
                    "azimuthEncoderPosition",
                ]
                assert all(set(v) == {"value", "dataType", "units"} for v in position.values())
                assert position["azimuthPosition"]["dataType"] == "Float"
                assert position["azimuthPosition"]["units"] == "deg"
                assert position["azimuthEncoderPosition"]["dataType"] == "Int"
                assert position["private_revCode"]["dataType"] == "String"
                assert position["private_sndStamp"]["units"] == "second"

                await fe.subscribe("event", "ATDome", 0, "summaryState")
                frame = await fe.next_frame(is_stream("ATDome", "summaryState", 0, "event"), 10)
                sample = stream_of(frame, "ATDome", "summaryState")
                assert isinstance(sample, list) and len(sample) == 1
                assert sample[0]["summaryState"]["value"] == 2

                await fe.subscribe("event", "Heartbeat", 0, "stream")
                frame = await fe.next_frame(
                    lambda f: (stream_of(f, "Heartbeat", "stream") or {}).get("csc") == "MTHexapod",
                    10,
                )
                hb = stream_of(frame, "Heartbeat", "stream")
                assert hb["salindex"] == 1 and hb["max_lost_heartbeats"] == 5
                assert hb["lost"] == 0 and hb["last_heartbeat_timestamp"] > 0

            # Manager restart: the producer reconnects, re-registers and re-sends its cache.
            hubs[0].signal(signal.SIGTERM)
            assert hubs[0].wait(10) == 0
            await wait_status(
                admin_port,
                lambda s: not s["manager"].get("connected"),
                timeout=15,
                what="the producer to notice the manager is gone",
            )
            # The new hub holds producers for 3 s, so the frontend below subscribes before the
            # producer's cache re-send can arrive.
            hubs.append(start_hub(port, producer_delay=3.0))
            async with FrontendClient(url, token=TOKEN) as fe:
                # event-all-all-all triggers no initial_state reply from us (csc "all"), so
                # softwareVersions (sent only at startup) can come only from the cache re-send.
                await fe.subscribe("event", "all", "all", "all")
                await expect_all(
                    fe,
                    {
                        "ATDome re-send": is_stream("ATDome", "softwareVersions"),
                        "MTHexapod re-send": is_stream("MTHexapod", "softwareVersions", 1),
                    },
                    30,
                )
                st = await status(admin_port)
                assert st["manager"]["connects"] >= 2
                # Re-registered: a new subscription is answered.
                await fe.subscribe("event", "ATDome", 0, "summaryState")
                await fe.next_frame(is_stream("ATDome", "summaryState", 0, "event"), 10)

                # On demand: nobody monitors ATMCS until a frontend asks for it.
                assert not any(c["key"].startswith("ATMCS") for c in st["components"])
                await fe.subscribe("event", "ATMCS", 0, "summaryState")
                frame = await fe.next_frame(is_stream("ATMCS", "summaryState", 0, "event"), 30)
                assert stream_of(frame, "ATMCS", "summaryState")[0]["summaryState"]["value"] == 5
            st = await status(admin_port)
            assert "ATMCS:0" in st["on_demand"]
            actor_pids.update(producer.processes())
            # Nobody asks for ATMCS any more: it stops after the idle timeout; the components
            # given with --components never do.
            st = await wait_status(
                admin_port,
                lambda s: not any(c["key"] == "ATMCS:0" for c in s["components"]),
                timeout=20,
                what="the idle on-demand ATMCS to stop",
            )
            assert {c["key"] for c in st["components"]} == {"ATDome:0", "MTHexapod:1"}

        asyncio.run(scenario())

        producer.signal(signal.SIGINT)
        assert producer.wait(20) == 0, producer.text()
        assert "stopped" in producer.text()
        assert len(actor_pids) >= 5  # admin, logger, factory, manager client, CSC actors
        wait_until(
            lambda: not [p for p in actor_pids if alive(p)], 10, what="actor processes to exit"
        )
        assert PASSWORD not in producer.text()
    finally:
        producer.kill_tree()
        for h in hubs:
            h.kill_tree()
