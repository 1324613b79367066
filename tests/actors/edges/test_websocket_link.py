"""The link to the manager (`actors.edges.websocket_link`) against a hostile manager."""

from __future__ import annotations

import asyncio
import json
import logging
import threading

from websockets.asyncio.server import serve

from actors.edges.websocket_link import REQUESTS, WebsocketLink

TIMEOUT = 30.0


class HostileManager:
    """A websockets server in a thread that sends ``frames`` to each producer that connects,
    then one valid initial_state request."""

    def __init__(self, frames: list) -> None:
        self.frames = frames
        self.connections = 0
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/manager/ws/x"

    async def _start(self):
        return await serve(self._handle, "127.0.0.1", 0, max_size=None)

    async def _handle(self, ws) -> None:
        self.connections += 1
        for frame in self.frames if self.connections == 1 else []:
            await ws.send(frame)
        request = {
            "category": "initial_state",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"event_name": "summaryState"}}],
        }
        await ws.send(json.dumps(request))
        await ws.wait_closed()

    def close(self) -> None:
        async def stop():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def next_requests(link: WebsocketLink) -> tuple:
    while True:
        event = link.events.get(timeout=TIMEOUT)
        if event[0] == REQUESTS:
            return event[1]


def test_a_manager_sending_garbage_gives_a_line_per_kind_and_the_link_stays_up(caplog) -> None:
    """595 bad frames of several kinds, then a good request: the request is served, every
    bad frame is counted, and the log holds a line per kind (#16: it held 623 lines)."""
    caplog.set_level(logging.WARNING)
    garbage: list = []
    for i in range(595):
        garbage.append(
            [
                "not json",
                b"\x00binary",
                "[1, 2]",
                json.dumps({"category": 5}),
                json.dumps({"category": "initial_state", "data": [{"csc": 1}]}),
                "{" * 100_000,  # JSON nested 100,000 deep
            ][i % 6]
        )
    manager = HostileManager(garbage)
    link = WebsocketLink(manager.url, "pw")
    link.start()
    try:
        (request,) = next_requests(link)
        assert (request.csc, request.salindex) == ("ATDome", 0)
        assert link.invalid_inbound == 595
        assert link.connected and link.connects == 1
    finally:
        link.stop()
        manager.close()
    ignored = [r.getMessage() for r in caplog.records if "ignored a frame" in r.getMessage()]
    assert 1 <= len(ignored) <= 6, ignored


def test_a_50_mb_frame_reopens_the_link_once_and_it_goes_on() -> None:
    """More than the link takes (16 MiB): the connection closes, the link connects again
    (once) and serves the next request."""
    manager = HostileManager(["x" * (50 * 1024 * 1024)])
    link = WebsocketLink(manager.url, "pw")
    link.start()
    try:
        (request,) = next_requests(link)
        assert request.csc == "ATDome"
        assert link.connects == 2 and manager.connections == 2
    finally:
        link.stop()
        manager.close()
