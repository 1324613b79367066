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
#: Event frames a writer keeps while the reader is slow; past it, the oldest are dropped and
#: counted (telemetry waits one frame per stream, the newest).
MAX_WAITING_EVENTS = 20_000


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

    What the socket cannot take yet waits unencoded, in order, coalesced like the
    ManagerClient's outbox: a telemetry frame replaces the waiting one of its stream (counted
    in `superseded`); events all wait, at most `MAX_WAITING_EVENTS` (beyond it the oldest is
    dropped and counted in `dropped_frames`). At most one encoded batch is in flight, so a
    slow reader costs freshness, not memory.

    `send` returns False when the pipe is broken; the caller then takes the frames that did
    not reach the reader (`take_unsent`, the batch just given included) and falls back to
    Thespian.
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
        self.pending = bytearray()  # the batch in flight (what the socket has not taken)
        self.dropped_frames = 0
        self.superseded = 0
        self.broken = False
        self.error: OSError | None = None  # why it broke
        # What waits, in arrival order: telemetry under its stream's key (a newer frame
        # replaces it and moves to the back), events under a number of their own.
        self._waiting: dict[object, Frame] = {}
        self._event_keys: deque[int] = deque()
        self._event_no = 0
        self._in_flight: list[Frame] = []

    def send(self, frames: list[Frame]) -> bool:
        waiting = self._waiting
        for f in frames:
            if f.category == "telemetry":
                key = f.key
                if waiting.pop(key, None) is not None:
                    self.superseded += 1
                waiting[key] = f
            else:
                if len(self._event_keys) >= MAX_WAITING_EVENTS:
                    del waiting[self._event_keys.popleft()]
                    self.dropped_frames += 1
                self._event_no += 1
                self._event_keys.append(self._event_no)
                waiting[self._event_no] = f
        if self.broken:
            return False
        return self.flush()

    def flush(self) -> bool:
        while not self.broken:
            if not self.pending:
                if not self._waiting:
                    return True
                frames = self._take_waiting()
                self.pending += encode_batch(frames)
                self._in_flight = frames
            try:
                n = self.sock.send(self.pending)
            except BlockingIOError:
                return True  # the reader is behind: what comes meanwhile waits, coalesced
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EINTR):
                    return True
                self.error = e
                self.close()
                return False
            del self.pending[:n]
            if not self.pending:
                self._in_flight = []
        return False

    def _take_waiting(self) -> list[Frame]:
        frames = list(self._waiting.values())
        self._waiting.clear()
        self._event_keys.clear()
        return frames

    @property
    def waiting(self) -> int:
        """Frames not handed to the socket yet (the batch in flight aside)."""
        return len(self._waiting)

    def take_unsent(self) -> list[Frame]:
        """Frames the reader did not get whole (the batch in flight, then what waits), once."""
        frames = self._in_flight + self._take_waiting()
        self._in_flight = []
        return frames

    def close(self) -> None:
        self.pending.clear()
        self.broken = True
        self.sock.close()
