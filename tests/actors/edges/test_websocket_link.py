"""The link to the manager (`actors.edges.websocket_link`) against a hostile manager."""

from __future__ import annotations

import json
import logging

from actors.edges.websocket_link import REQUESTS, WebsocketLink
from tests.helpers.manager_endpoint import ManagerEndpoint

TIMEOUT = 30.0


class HostileManager(ManagerEndpoint):
    """A manager endpoint that sends ``frames`` to the first producer that connects, then
    (on every connection) one valid initial_state request."""

    def __init__(self, frames: list) -> None:
        self.frames = frames
        super().__init__()

    async def handle(self, ws) -> None:
        for frame in self.frames if self.connections == 1 else []:
            await ws.send(frame)
        request = {
            "category": "initial_state",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"event_name": "summaryState"}}],
        }
        await ws.send(json.dumps(request))
        await ws.wait_closed()


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
