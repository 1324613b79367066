"""The frame pipe: CSC actors write frame batches straight into the ManagerClient's websocket
thread over a local Unix socket.

Why: Thespian's TCP transport acknowledges every message, so one actor receives about 800
messages per second in all (``spec/thespian-notes.md`` §3). With one batch per CSC actor per
wake-up, 100 components need several thousand; the ManagerClient's mailbox became the limit of
the whole system (docs/benchmarks.md). Control messages still go through Thespian; a CSC actor
that has no pipe (replay, another host, a pipe that broke) sends `FrameBatch` messages as before.

Wire: each batch is a 4-byte big-endian length, then the JSON list
``[[category, csc, salindex, stream, payload], ...]``. The socket lives in Linux's abstract
namespace (no file to clean up) and the reader accepts only peers of its own uid.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import struct
from collections.abc import Callable, Iterable

import orjson

from love_producer.wire.frames import Frame

log = logging.getLogger("love_actors.frame_pipe")

HEADER = struct.Struct(">I")
MAX_BATCH = 64 * 1024 * 1024
#: Bytes a writer keeps while the reader is slow; past it, batches are dropped and counted.
MAX_PENDING = 16 * 1024 * 1024


def encode_batch(frames: Iterable[Frame]) -> bytes:
    body = orjson.dumps([[f.category, f.csc, f.salindex, f.stream, f.payload] for f in frames])
    return HEADER.pack(len(body)) + body


def decode_batch(body: bytes) -> list[Frame]:
    items = orjson.loads(body)
    return [Frame(c, csc, int(i), s, p) for c, csc, i, s, p in items]


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
                    deliver(decode_batch(body))
                except (orjson.JSONDecodeError, TypeError, ValueError) as e:
                    log.warning("bad frame pipe batch dropped: %s", e)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_unix_server(handle, path=address)


class PipeWriter:
    """The CSC actor's end: non-blocking, never waits for the reader.

    `send` returns False when the pipe is broken; the caller then falls back to Thespian.
    """

    def __init__(self, address: str) -> None:
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

    def send(self, frames: list[Frame]) -> bool:
        if self.broken:
            return False
        if frames:
            if len(self.pending) > MAX_PENDING:
                self.dropped_frames += len(frames)
            else:
                self.pending += encode_batch(frames)
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
                self.close()
                return False
            del self.pending[:n]
        return not self.broken

    def close(self) -> None:
        self.broken = True
        self.sock.close()
