"""The hand-over from a reader thread to the actor (`actors.edges.wake_queue.WakeQueue`)."""

from __future__ import annotations

import select
import threading

from actors.edges.wake_queue import WakeQueue
from love_producer.sal.samples import Sample


def sample(i: int) -> Sample:
    return Sample("Test", 1, "event", "scalars", {"int0": i}, 0.0)


def readable(q: WakeQueue, timeout: float) -> bool:
    return bool(select.select([q.fileno()], [], [], timeout)[0])


def test_a_batch_wakes_once_and_drains_in_order() -> None:
    q = WakeQueue()
    try:
        for i in range(50):
            q.put(sample(i))
        assert readable(q, 0)
        assert [s.data["int0"] for s in q.drain()] == list(range(50))
        assert not readable(q, 0)  # drained: quiet again
        assert q.drain() == []
    finally:
        q.close()


def test_a_sample_put_while_drain_reads_the_wake_bytes_still_wakes_the_actor() -> None:
    """The lost wake-up (#14): a sample the reader thread queues right as drain empties the
    wake socket must leave the next sample able to wake the actor. The put is driven into
    that gap by the test, not by timing."""
    q = WakeQueue()

    class PutWhileReading:
        """The wake socket's read end, with a put landing just before the first read."""

        def __init__(self, sock) -> None:
            self.sock, self.done = sock, False

        def recv(self, n: int) -> bytes:
            if not self.done:
                self.done = True
                q.put(sample(1))
            return self.sock.recv(n)

        def __getattr__(self, name):
            return getattr(self.sock, name)

    try:
        q.put(sample(0))
        q._rsock = PutWhileReading(q._rsock)
        assert [s.data["int0"] for s in q.drain()] == [0, 1]
        q.put(sample(2))  # the next sample: its byte must reach the fd the actor watches
        assert readable(q, 2.0), "the wake-up was lost"
        assert [s.data["int0"] for s in q.drain()] == [2]
    finally:
        q.close()


def test_no_sample_is_lost_under_a_concurrent_writer() -> None:
    q = WakeQueue()
    count = 20_000
    got: list[int] = []

    def write() -> None:
        for i in range(count):
            q.put(sample(i))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(got) < count:
            assert readable(q, 10.0), f"no wake-up after {len(got)} samples"
            got += [s.data["int0"] for s in q.drain()]
    finally:
        writer.join(10.0)
        q.close()
    assert got == list(range(count))


def test_close_is_idempotent_and_stops_delivery() -> None:
    q = WakeQueue()
    q.put(sample(0))
    q.close()
    q.close()
    assert q.fileno() is None
    assert q.drain() == []
    q.put(sample(1))  # a late put from the reader thread is harmless
