"""The CSC actor shell, driven directly (its messages and clock stubbed): a broken frame pipe is
re-opened and loses nothing meanwhile; several components in one actor stay apart."""

from __future__ import annotations

import socket

import pytest
from thespian.actors import WakeupMessage

from actors.csc_actor import PIPE_RETRY, CSCActor
from actors.edges import frame_pipe
from actors.edges.catalog import Catalog
from actors.edges.settings import SourceConfig
from actors.messages import (
    ComponentGone,
    FrameBatch,
    FramePipe,
    RegisterCSC,
    Requests,
    StartCSC,
    StatusRequest,
    StopComponent,
)
from love_producer.interfaces.component_id import ComponentId
from love_producer.state.csc_state import CSCSettings
from love_producer.wire.frames import Frame
from love_producer.wire.requests import InitialStateRequest

FRAME = Frame("telemetry", "ATDome", 0, "position", '{"a":1}')


@pytest.fixture
def actor():
    a = CSCActor()
    a.mc = "mc"
    a.sent, a.clock = [], 100.0
    a.send = lambda to, msg: a.sent.append(msg)
    a.now = lambda: a.clock
    a._next = lambda: None
    yield a
    a._close_pipe()


def read_frames(conn: socket.socket) -> list[Frame]:
    conn.settimeout(10)
    head = conn.recv(4, socket.MSG_WAITALL)
    (size,) = frame_pipe.HEADER.unpack(head)
    return frame_pipe.decode_batch(conn.recv(size, socket.MSG_WAITALL))


def test_a_broken_pipe_is_reopened_a_second_later_and_loses_nothing(actor) -> None:
    address = frame_pipe.new_address()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(4)
    try:
        actor.receiveMsg_FramePipe(FramePipe(address), "mc")
        first, _ = server.accept()
        actor._send([FRAME])
        assert read_frames(first) == [FRAME]
        first.close()  # the reader goes away
        for _ in range(100):  # the first write after a close may still succeed
            actor._send([FRAME])
            if actor.pipe_breaks:
                break
        assert actor.pipe_breaks == 1 and actor.pipe is None
        assert any(isinstance(m, FrameBatch) for m in actor.sent)  # the rest went this way
        actor.sent.clear()
        actor.clock += PIPE_RETRY / 2
        actor._send([FRAME])
        assert actor.pipe is None and [type(m) for m in actor.sent] == [FrameBatch]
        actor.clock += PIPE_RETRY
        later = Frame("event", "ATDome", 0, "summaryState", "[]")
        actor._send([later])  # re-opens first, then writes
        second, _ = server.accept()
        assert read_frames(second) == [later]
        assert actor.pipe is not None and actor.pipe.address == address
        second.close()
    finally:
        server.close()


# ------------------------------------------------------------------ several components


class StubSource:
    """A polled source with nothing to say, that raises on drain once told to fail."""

    def __init__(self) -> None:
        self.fail = False
        self.closed = False

    def fileno(self):
        return None

    def due_after(self, t: float, span: float):
        return None

    def drain(self, now: float) -> list:
        if self.fail:
            raise RuntimeError("the broker went away")
        return []

    def command(self, cmd, now: float) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class GroupActor(CSCActor):
    def _open_source(self, msg: StartCSC):
        return self.sources.setdefault(msg.component.key, StubSource())


@pytest.fixture
def group():
    a = GroupActor()
    a.sources = {}
    a.sent, a.clock = [], 100.0
    a.send = lambda to, msg: a.sent.append((to, msg))
    a.now = lambda: a.clock
    a._arm_timer = lambda delay, token: None
    catalog = Catalog.builtin()
    for name in ("ATDome", "ATMCS"):
        start = StartCSC(
            component=ComponentId(name, 0),
            info=catalog.get(name),
            source=SourceConfig(),
            settings=CSCSettings(),
            manager_client="mc",
            start_time=a.clock,
        )
        a.receiveMsg_StartCSC(start, "factory")
    yield a
    a.receiveMsg_ActorExitRequest(None, None)


def test_a_failing_component_is_dropped_alone_and_reported_the_other_streams_on(group) -> None:
    assert set(group.members) == {"ATDome:0", "ATMCS:0"}
    registered = [m.key for to, m in group.sent if isinstance(m, RegisterCSC)]
    assert registered == ["ATDome:0", "ATMCS:0"] and all(
        to == "mc" for to, m in group.sent if isinstance(m, RegisterCSC)
    )
    group.sources["ATDome:0"].fail = True
    group.sent.clear()
    group.clock += 1.0
    group.receiveMsg_WakeupMessage(WakeupMessage(None), None)
    gone = [(to, m) for to, m in group.sent if isinstance(m, ComponentGone)]
    assert [(to, m.key) for to, m in gone] == [("factory", "ATDome:0")]
    assert "the broker went away" in gone[0][1].reason
    assert group.sources["ATDome:0"].closed and not group.sources["ATMCS:0"].closed
    assert set(group.members) == {"ATMCS:0"}
    # The other one still answers and still sends (its heartbeat frames, later on).
    group.sent.clear()
    group.receiveMsg_StatusRequest(StatusRequest(7, "ATMCS:0"), "factory")
    ((_, reply),) = group.sent
    assert reply.request_id == 7 and reply.status["key"] == "ATMCS:0"
    assert reply.status["in_process"] == 1


def test_stop_component_stops_that_one_and_answers(group) -> None:
    group.sent.clear()
    group.receiveMsg_StopComponent(StopComponent("ATMCS:0"), "factory")
    assert group.sent == [("factory", ComponentGone("ATMCS:0"))]
    assert set(group.members) == {"ATDome:0"} and group.sources["ATMCS:0"].closed


def test_requests_reach_only_the_component_they_are_for(group) -> None:
    group.sent.clear()
    req = InitialStateRequest("ATMCS", 0, "summaryState")
    before = {k: m.last_request for k, m in group.members.items()}
    group.clock += 5.0
    group.receiveMsg_Requests(Requests((req,), "ATMCS:0"), "mc")
    assert group.members["ATMCS:0"].last_request == group.clock
    assert group.members["ATDome:0"].last_request == before["ATDome:0"]
