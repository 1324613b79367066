"""Samples handed from a reader thread to the actor's thread, with one wake byte per batch.

The thread-fed sources (salobj, Kafka) put samples here; the actor watches `fileno` with
``ThespianWatch`` and `drain` takes everything queued, so one wake-up carries a batch.
"""

from __future__ import annotations

import queue
import socket

from love_producer.sal.samples import Sample


class WakeQueue:
    """A `queue.SimpleQueue` of samples plus a socketpair whose read end wakes the actor."""

    def __init__(self) -> None:
        self._samples: queue.SimpleQueue[Sample] = queue.SimpleQueue()
        self._rsock, self._wsock = socket.socketpair()
        self._rsock.setblocking(False)
        self._wsock.setblocking(False)
        self._wake_pending = False
        self.closed = False

    def fileno(self) -> int | None:
        return self._rsock.fileno() if not self.closed else None

    def put(self, sample: Sample) -> None:
        """Queue ``sample`` (from the reader thread) and wake the actor if it is not yet."""
        self._samples.put(sample)
        self.wake()

    def wake(self) -> None:
        """Make `fileno` readable (one byte until the next `drain`)."""
        if self._wake_pending or self.closed:
            return
        self._wake_pending = True
        try:
            self._wsock.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # buffer full (a byte is waiting anyway) or closing

    def drain(self) -> list[Sample]:
        """Every sample queued so far, in order (from the actor's thread)."""
        if self.closed:
            return []
        # Order matters: read the wake bytes, then clear the flag, then empty the queue. A
        # sample put after the flag is cleared writes a byte of its own (a wake-up to come);
        # one put before it is in the queue we are about to empty. Clearing the flag first
        # let a byte written in between be swallowed by the read while the flag stayed set:
        # no later put wrote a byte, and the actor slept until its select timeout (#14).
        try:
            while self._rsock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self._wake_pending = False
        out: list[Sample] = []
        get = self._samples.get_nowait
        try:
            while True:
                out.append(get())
        except queue.Empty:
            pass
        return out

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._rsock.close()
        self._wsock.close()
