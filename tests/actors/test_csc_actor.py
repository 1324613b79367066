"""The CSC actor's frame pipe: a broken pipe is re-opened, and nothing it did not deliver is
lost meanwhile (the shell, driven directly: its messages and clock are stubbed)."""

from __future__ import annotations

import socket

import pytest

from actors.csc_actor import PIPE_RETRY, CSCActor
from actors.edges import frame_pipe
from actors.messages import FrameBatch, FramePipe
from love_producer.wire.frames import Frame

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
