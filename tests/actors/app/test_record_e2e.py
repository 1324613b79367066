"""End to end: `love-actors start --record DIR` against the hub (real processes), then
`love-actors replay DIR`: the replay holds every event frame a frontend received live, and
`replay --to` plays them into a manager again."""

from __future__ import annotations

import asyncio
import json
import signal

from actors.devtools.watch_client import FrontendClient
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, is_stream, start_hub
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until


def event_frames(frames: list[dict]) -> list[tuple]:
    """(csc, salindex, stream, payload) of every event stream in frames as a frontend sees
    them (payloads parsed)."""
    out = []
    for frame in frames:
        if frame.get("category") != "event" or not isinstance(frame.get("data"), list):
            continue
        for entry in frame["data"]:
            for stream, payload in entry.get("data", {}).items():
                out.append((entry["csc"], entry["salindex"], stream, payload))
    return out


def replayed_events(path) -> list[tuple]:
    out = []
    for line in path.read_text().splitlines():
        d = json.loads(line)
        if d["category"] == "event":
            out.append((d["csc"], d["salindex"], d["stream"], d["payload"]))
    return out


def per_stream(items: list[tuple]) -> dict:
    streams: dict = {}
    for csc, salindex, stream, payload in items:
        streams.setdefault((csc, salindex, stream), []).append(payload)
    return streams


def is_subsequence(small: list, big: list) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def test_recorded_run_replays_the_event_frames_the_hub_delivered(tmp_path):
    port, admin_port = free_port(), free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    journal_dir = tmp_path / "journal"
    hub = start_hub(port)
    producer = None
    try:
        received: list[dict] = []

        async def live() -> None:
            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("event", "all", "all", "all")
                nonlocal producer
                producer = Proc(
                    "start",
                    "--components",
                    "ATDome",
                    "--source",
                    "sim",
                    "--manager-url",
                    url,
                    "--admin-port",
                    str(admin_port),
                    "--record",
                    str(journal_dir),
                    env={"PROCESS_CONNECTION_PASS": PASSWORD},
                )
                # The summaryState schedule ends in ENABLED (2) 4 s after start.
                await fe.next_frame(
                    lambda f: any(
                        p[0]["summaryState"]["value"] == 2
                        for c, _, s, p in event_frames([f])
                        if (c, s) == ("ATDome", "summaryState")
                    ),
                    40,
                )
                await fe.next_frame(is_stream("Heartbeat", "stream"), 10)
                received.extend(fe.received)

        asyncio.run(live())
        assert "recording a journal in" in producer.text()
        pids = producer.processes()
        producer.signal(signal.SIGINT)
        assert producer.wait(20) == 0, producer.text()
        wait_until(lambda: not [p for p in pids if alive(p)], 10, what="actor processes to exit")

        out = tmp_path / "replay.jsonl"
        result = run_cli("replay", str(journal_dir), "-o", str(out))
        assert result.returncode == 0, result.stderr
        names = sorted(p.name for p in journal_dir.iterdir())
        assert names == ["csc-ATDome-0.000000.jsonl", "manager-client.000000.jsonl"]

        live_events = per_stream(event_frames(received))
        replay_events = per_stream(replayed_events(out))
        assert ("ATDome", 0, "summaryState") in live_events
        assert ("Heartbeat", 0, "stream") in live_events
        for key, payloads in live_events.items():
            assert is_subsequence(payloads, replay_events.get(key, [])), key
        # The start-up history went out before the frontend could miss it: all of it is there.
        assert (
            live_events[("ATDome", 0, "softwareVersions")]
            == replay_events[("ATDome", 0, "softwareVersions")]
        )
        # The manager-client journal holds the connection.
        result = run_cli("replay", str(journal_dir), "--expect", str(out))
        assert result.returncode == 0, result.stderr

        # Played into the manager again, at full speed: a frontend gets the same events.
        async def to_manager() -> list[dict]:
            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("event", "ATDome", 0, "summaryState")
                result = await asyncio.to_thread(
                    run_cli,
                    "replay",
                    str(journal_dir),
                    "--to",
                    url,
                    env={"PROCESS_CONNECTION_PASS": PASSWORD},
                )
                assert result.returncode == 0, result.stderr
                assert "replayed" in result.stderr and PASSWORD not in result.stderr
                want = len(replay_events[("ATDome", 0, "summaryState")])
                for _ in range(want):
                    await fe.next_frame(is_stream("ATDome", "summaryState"), 10)
                return list(fe.received)

        again = per_stream(event_frames(asyncio.run(to_manager())))
        key = ("ATDome", 0, "summaryState")
        assert again[key] == replay_events[key]
    finally:
        if producer is not None:
            producer.kill_tree()
        hub.kill_tree()
