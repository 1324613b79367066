"""The frame pipe: CSC actors write frame batches straight into the ManagerClient's websocket
thread over a local Unix socket.

Why: Thespian's TCP transport acknowledges every message, so one actor receives about 800
messages per second in all (``spec/thespian-notes.md`` §3). With one batch per CSC actor per
wake-up, 100 components need several thousand; the ManagerClient's mailbox became the limit of
the whole system (docs/benchmarks.md). Control messages still go through Thespian; a CSC actor
that has no pipe (replay, another host, a pipe that broke) sends `FrameBatch` messages as before.

Wire: each batch is a 4-byte big-endian length, then its frames, each a fixed header
(`FRAME_HEADER`: salindex, then the byte lengths of category, csc, stream and payload) followed
by those four UTF-8 strings. The payload travels as the JSON text the state machine made, with
no second JSON pass. The socket lives in Linux's abstract namespace (no file to clean up) and
the reader accepts only peers of its own uid.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import struct
from collections import deque
from collections.abc import Callable, Iterable

from love_producer.wire.frames import Frame

log = logging.getLogger("love_actors.frame_pipe")

HEADER = struct.Struct(">I")
#: Per frame: salindex, then the byte lengths of category, csc, stream and payload.
FRAME_HEADER = struct.Struct(">qHHHI")
MAX_BATCH = 64 * 1024 * 1024
#: Bytes a writer keeps while the reader is slow; past it, batches are dropped and counted.
MAX_PENDING = 16 * 1024 * 1024


def encode_batch(frames: Iterable[Frame]) -> bytes:
    parts = []
    for f in frames:
        category, csc, stream = f.category.encode(), f.csc.encode(), f.stream.encode()
        payload = f.payload.encode()
        parts += (
            FRAME_HEADER.pack(f.salindex, len(category), len(csc), len(stream), len(payload)),
            category,
            csc,
            stream,
            payload,
        )
    body = b"".join(parts)
    return HEADER.pack(len(body)) + body


def decode_batch(body: bytes) -> list[Frame]:
    """The frames of one batch body; raises ValueError for a malformed one."""
    frames = []
    names: dict[bytes, tuple[str, str, str]] = {}  # a batch repeats its few envelopes
    unpack, size = FRAME_HEADER.unpack_from, FRAME_HEADER.size
    pos, end = 0, len(body)
    try:
        while pos < end:
            salindex, n_cat, n_csc, n_stream, n_payload = unpack(body, pos)
            pos += size
            start = pos + n_cat + n_csc + n_stream
            stop = start + n_payload
            if stop > end:
                raise ValueError("a frame runs past the end of its batch")
            head = body[pos:start]
            envelope = names.get(head)
            if envelope is None:
                envelope = names[head] = (
                    head[:n_cat].decode(),
                    head[n_cat : n_cat + n_csc].decode(),
                    head[n_cat + n_csc :].decode(),
                )
            category, csc, stream = envelope
            frames.append(Frame(category, csc, salindex, stream, body[start:stop].decode()))
            pos = stop
    except struct.error as e:
        raise ValueError(f"truncated frame header: {e}") from None
    return frames


def new_address() -> str:
    """An abstract-namespace address unique to this process."""
    return f"\0love-actors-frames-{os.getpid()}-{os.urandom(4).hex()}"


async def serve(address: str, deliver: Callable[[list[Frame]], None]) -> asyncio.AbstractServer:
    """Accept writers on ``address``; hand every decoded batch to ``deliver`` (in the loop)."""
    uid = os.getuid()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, peer_uid, _ = struct.unpack("3i", creds)
        if peer_uid != uid:
            log.warning("refused a frame pipe writer of uid %d", peer_uid)
            writer.close()
            return
        try:
            while True:
                (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
                if size > MAX_BATCH:
                    log.warning("frame pipe batch of %d bytes refused; closing", size)
                    break
                body = await reader.readexactly(size)
                try:
                    frames = decode_batch(body)
                except ValueError as e:  # UnicodeDecodeError included
                    log.warning("bad frame pipe batch dropped: %s", e)
                    continue
                deliver(frames)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_unix_server(handle, path=address)


class PipeWriter:
    """The CSC actor's end: non-blocking, never waits for the reader.

    `send` returns False when the pipe is broken; the caller then takes the frames that did
    not reach the reader (`take_unsent`, the batch just given included) and falls back to
    Thespian. Batches refused while more than `MAX_PENDING` bytes wait are counted in
    `dropped_frames`.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(address)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.pending = bytearray()
        self.dropped_frames = 0
        self.broken = False
        self.error: OSError | None = None  # why it broke
        # Bytes queued and written since the start; (end offset, frames) of unsent batches.
        self._queued = self._written = 0
        self._batches: deque[tuple[int, list[Frame]]] = deque()

    def send(self, frames: list[Frame]) -> bool:
        if self.broken:
            self._batches.append((0, list(frames)))
            return False
        if frames:
            if len(self.pending) > MAX_PENDING:
                self.dropped_frames += len(frames)
            else:
                batch = encode_batch(frames)
                self.pending += batch
                self._queued += len(batch)
                self._batches.append((self._queued, list(frames)))
        return self.flush()

    def flush(self) -> bool:
        while self.pending and not self.broken:
            try:
                n = self.sock.send(self.pending)
            except BlockingIOError:
                return True  # the reader is behind: keep the rest for the next step
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EINTR):
                    return True
                self.error = e
                self.close()
                return False
            del self.pending[:n]
            self._written += n
            while self._batches and self._batches[0][0] <= self._written:
                self._batches.popleft()
        return not self.broken

    def take_unsent(self) -> list[Frame]:
        """Frames of the batches the reader did not get whole, oldest first (once)."""
        frames = [f for _, batch in self._batches for f in batch]
        self._batches.clear()
        return frames

    def close(self) -> None:
        self.pending.clear()
        self.broken = True
        self.sock.close()
