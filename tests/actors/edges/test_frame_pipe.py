"""The frame pipe (actors.edges.frame_pipe): its wire, a real socket, breaks and drops."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from actors.edges import frame_pipe
from actors.edges.frame_pipe import PipeWriter, decode_batch, encode_batch, new_address
from love_producer.wire.frames import Frame

FRAMES = [
    Frame("telemetry", "ATDome", 0, "position", '{"azimuthPosition":{"value":1.5}}'),
    Frame("event", "Script", 100001, "logMessage", '{"message":"moving \\"to\\" 12°"}'),
    Frame("event", "ATDomé", 2**40, "ströam", "[]"),
]


def test_a_batch_round_trips_and_carries_each_payload_verbatim() -> None:
    batch = encode_batch(FRAMES)
    (size,) = frame_pipe.HEADER.unpack(batch[:4])
    body = batch[4:]
    assert size == len(body)
    assert decode_batch(body) == FRAMES
    for f in FRAMES:  # no second JSON pass: the payload's bytes appear as they are
        assert f.payload.encode() in body
    assert decode_batch(b"") == []


def test_a_malformed_batch_is_an_error_not_a_crash() -> None:
    body = encode_batch(FRAMES)[4:]
    with pytest.raises(ValueError):
        decode_batch(body[:-1])  # a frame runs past the end
    with pytest.raises(ValueError):
        decode_batch(body[:5])  # a header cut short
    bad = bytearray(encode_batch(FRAMES[:1])[4:])
    bad[-3] = 0xFF  # not UTF-8
    with pytest.raises(ValueError):
        decode_batch(bytes(bad))


class Reader:
    """`frame_pipe.serve` in an asyncio loop of its own thread."""

    def __init__(self) -> None:
        self.address = new_address()
        self.got: list[Frame] = []
        self.arrived = threading.Event()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(frame_pipe.serve(self.address, self.deliver))
            ready.set()
            self.loop.run_forever()
            tasks = asyncio.all_tasks(self.loop)  # connection handlers: end them here
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def deliver(self, frames: list[Frame]) -> None:
        self.got += frames
        self.arrived.set()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_frames_reach_the_reader_in_order() -> None:
    reader = Reader()
    try:
        writer = PipeWriter(reader.address)
        assert writer.send(FRAMES[:2]) and writer.send(FRAMES[2:])
        deadline = 10.0
        while len(reader.got) < 3 and reader.arrived.wait(deadline):
            reader.arrived.clear()
        assert reader.got == FRAMES
        assert writer.take_unsent() == [] and writer.dropped_frames == 0
        writer.close()
    finally:
        reader.close()


def listener() -> tuple[str, socket.socket]:
    address = new_address()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(1)
    return address, server


def test_a_broken_pipe_hands_back_what_the_reader_did_not_get() -> None:
    address, server = listener()
    writer = PipeWriter(address)
    peer, _ = server.accept()
    assert writer.send(FRAMES[:1])  # written whole: the reader has it
    peer.close()
    server.close()
    assert writer.send(FRAMES[1:]) is False
    assert writer.take_unsent() == FRAMES[1:]  # the caller sends these another way
    assert writer.send(FRAMES[:1]) is False  # stays broken: the caller stops using it
    assert writer.take_unsent() == FRAMES[:1]
    writer.close()


def test_a_reader_that_stops_reading_costs_freshness_not_memory() -> None:
    """Behind a reader that never reads, telemetry waits one frame per stream (the newest),
    the socket holds at most one batch in flight, and the writer never blocks or breaks."""
    address, server = listener()
    writer = PipeWriter(address)
    peer, _ = server.accept()  # accepts, never reads
    payload = '"' + "a" * 60_000 + '"'
    for i in range(2_000):  # 120 MB offered on two streams
        stream = "x" if i % 2 else "y"
        assert writer.send([Frame("telemetry", "ESS", 1, stream, payload[:-1] + f'{i}"')])
    assert writer.waiting == 2 and writer.dropped_frames == 0
    assert writer.superseded >= 1_900  # all but the few the socket buffers took
    assert len(writer.pending) <= len(
        encode_batch([Frame("telemetry", "ESS", 1, "x", payload)] * 2)
    )
    unsent = writer.take_unsent()
    assert [f.payload[-5:] for f in unsent[-2:]] == ['1998"', '1999"']  # the newest of each
    writer.close()
    peer.close()
    server.close()


def test_events_behind_a_stalled_reader_wait_in_order_and_past_the_bound_are_counted(
    monkeypatch,
) -> None:
    monkeypatch.setattr(frame_pipe, "MAX_WAITING_EVENTS", 50)
    address, server = listener()
    writer = PipeWriter(address)
    peer, _ = server.accept()
    big = "[" + '"' + "b" * 60_000 + '"' + "]"
    events = [Frame("event", "ATDome", 0, "e", big[:-1] + f",{i}]") for i in range(400)]
    for e in events:
        assert writer.send([e])
    assert writer.waiting == 50 and writer.superseded == 0
    assert writer.dropped_frames > 0
    unsent = writer.take_unsent()
    kept = [int(f.payload.rsplit(",", 1)[1][:-1]) for f in unsent]
    assert kept == sorted(kept) and kept[-1] == 399  # in order, the newest kept
    # every event is either delivered (taken by the socket), handed back, or counted
    assert len(kept) + writer.dropped_frames <= 400
    writer.close()
    peer.close()
    server.close()
