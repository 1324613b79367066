"""The ManagerClient's websocket, run by asyncio in a thread the actor owns.

The actor talks to the thread through two doors only: `submit` / `set_registration` (called on
the actor thread, handed to the loop with ``call_soon_threadsafe``) and `drain` (events the loop
queued for the actor, announced by one byte on a socketpair the actor watches with
``ThespianWatch``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import socket
import ssl
import threading
import time
from collections.abc import Iterable

import websockets
from websockets.asyncio.client import connect

from actors.edges import frame_pipe
from love_producer.link.manager_link import (
    REGISTRATION_PERIOD,
    Backoff,
    LinkSettings,
    RetryLog,
    redact,
    refusal,
    registration_texts,
    with_password,
)
from love_producer.link.outbox import Outbox
from love_producer.link.rate import RateMeter
from love_producer.link.request_gate import RequestGate
from love_producer.views.warnings import WarningTally
from love_producer.wire.frames import Frame, pack_messages
from love_producer.wire.requests import InitialStateRequest, InvalidFrame, parse_manager_text

log = logging.getLogger("love_actors.websocket")

#: Items the thread hands to the actor.
CONNECTED = "connected"
DISCONNECTED = "disconnected"
REQUESTS = "requests"
PIPE_READY = "pipe-ready"  # the frame pipe listens (`pipe_address`)
FATAL = "fatal"  # the first connection was refused: the settings cannot work


class WebsocketLink:
    """One websocket to the manager, reconnecting forever with backoff and jitter.

    Parameters
    ----------
    url : str
        The manager URL without credentials (it is logged).
    password : str
        Sent as the ``password`` query parameter, which is how the LOVE-manager authenticates
        producers; never logged.
    max_message_bytes : int
        Frames are packed into messages up to this size (0: one frame per message).
    settings : LinkSettings
        Where the URL and password came from, named in the message of a refused first
        connection (`fatal`), after which the link stops trying.
    """

    def __init__(
        self,
        url: str,
        password: str,
        max_message_bytes: int = 512 * 1024,
        settings: LinkSettings | None = None,
    ) -> None:
        self.url = url
        self._password = password
        self.settings = settings or LinkSettings()
        self.max_message_bytes = max_message_bytes
        self.outbox = Outbox()
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.wake_r, self._wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._loop = asyncio.new_event_loop()
        self._names: set[str] = set()
        self._have_work = asyncio.Event()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="websocket-link", daemon=True)
        self.connected = False
        self.connects = 0
        self.messages_sent = 0
        self.frames_sent = 0
        self.invalid_inbound = 0
        #: True while the manager has MAX_UNREAD messages unread (frames wait in the outbox).
        self.held = False
        self._invalid_log = WarningTally("frames from the manager ignored")
        #: initial_state requests, at a bounded rate, repeats answered once per window.
        self.gate = RequestGate()
        self.last_error = ""
        #: Why the settings cannot work (a refused first connection); the link has stopped.
        self.fatal: str | None = None
        self.state = "connecting"  # | "connected" | "retrying" | "failed"
        self.state_since = time.time()
        self._retry_log = RetryLog()
        self._rng = random.Random()
        self._register_now = False
        self._sending = False
        self.rate = RateMeter()
        self.pipe_address: str | None = None

    # --- actor side ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, frames: Iterable[Frame]) -> None:
        frames = list(frames)
        if frames and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._put, frames)

    def set_registration(self, names: Iterable[str]) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._set_names, set(names))

    def drain(self) -> list[tuple]:
        """Everything the loop queued for the actor since the last call."""
        try:
            while self.wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        items = []
        while True:
            try:
                items.append(self.events.get_nowait())
            except queue.Empty:
                return items

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far has been written to the websocket.

        Runs in the loop after every earlier `submit`, so nothing still on its way counts as
        sent. False if that did not happen within ``timeout`` (for example, no connection)."""

        async def drained() -> None:
            while len(self.outbox) or self._sending:
                await asyncio.sleep(0.01)

        future = asyncio.run_coroutine_threadsafe(drained(), self._loop)
        try:
            future.result(timeout)
            return True
        except TimeoutError:
            future.cancel()
            return False

    def stop(self, timeout: float = 3.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
        for s in (self.wake_r, self._wake_w):
            s.close()

    def stats(self) -> dict:
        s = self.outbox.stats
        return {
            "connected": self.connected,
            "url": self.url,
            "connects": self.connects,
            "messages_sent": self.messages_sent,
            "frames_sent": self.frames_sent,
            "frames_per_s": self.rate.rate(time.monotonic()),
            "queued": len(self.outbox),
            "events_dropped": s.events_dropped,
            "telemetry_replaced": s.telemetry_replaced,
            "dropped_by_stream": dict(self.outbox.dropped_by_stream.most_common(50)),
            "invalid_inbound": self.invalid_inbound,
            "held_back": self.held,
            "requests": dict(self.gate.counts, waiting=self.gate.waiting),
            "last_error": self.last_error,
            "fatal": self.fatal,
            "state": self.state,
            "state_since": self.state_since,
        }

    # --- loop side -------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state, self.state_since = state, time.time()

    def _notify(self, item: tuple) -> None:
        self.events.put(item)
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # the pipe is full: the actor has a wake-up pending anyway

    def _put(self, frames: list[Frame]) -> None:
        self.outbox.put(frames)
        self._have_work.set()

    def _set_names(self, names: set[str]) -> None:
        if names != self._names:
            self._names = names
            self._register_now = True
            self._have_work.set()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _open_pipe(self) -> None:
        """The local socket CSC actors write frames into (`actors.edges.frame_pipe`)."""
        address = frame_pipe.new_address()
        try:
            self._pipe_server = await frame_pipe.serve(address, self._put)
        except OSError as e:  # no abstract sockets here: CSC actors use Thespian messages
            log.warning("no frame pipe (%s); frames go through actor messages", e)
            return
        self.pipe_address = address
        self._notify((PIPE_READY, address))

    async def _main(self) -> None:
        await self._open_pipe()
        backoff = Backoff()
        ssl_context = ssl.create_default_context() if self.url.startswith("wss://") else None
        full_url = with_password(self.url, self._password)
        while not self._stop.is_set():
            try:
                async with connect(
                    full_url,
                    ssl=ssl_context,
                    ping_interval=20,
                    ping_timeout=20,
                    open_timeout=10,
                    max_size=16 * 1024 * 1024,
                    compression=None,
                    write_limit=WRITE_LIMIT,
                ) as ws:
                    _small_send_buffer(ws)
                    backoff.reset()
                    self._retry_log.reset()
                    self.connected = True
                    self.connects += 1
                    self._set_state("connected")
                    log.info("connected to %s", redact(self.url))
                    await self._connected(ws)
                    self.last_error = "connection closed by the manager"
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as e:
                self.last_error = _describe(e)
                if isinstance(e, websockets.exceptions.InvalidStatus):
                    code = e.response.status_code
                    verdict = refusal(
                        code, self.url, bool(self._password), self.connects > 0, self.settings
                    )
                    if verdict is not None:
                        self.fatal = verdict
                        self._set_state("failed")
                        log.info("%s", verdict)  # the command reports it and ends the run
                        self._notify((FATAL, verdict))
                        await self._stop.wait()  # no more attempts; the run ends
                        break
                    if code in (403, 404):  # it worked before: a redeploy, maybe
                        log.error("manager %s answered %s", redact(self.url), self.last_error)
            finally:
                if self.connected:
                    self.connected = False
                    self._notify((DISCONNECTED, self.last_error))
            if self._stop.is_set():
                break
            delay = backoff.next_delay(self._rng)
            self._set_state("retrying")
            count = self._retry_log.failed(time.monotonic())
            if count is not None:
                log.warning(
                    "manager %s not reachable yet (%s); retrying%s",
                    redact(self.url),
                    self.last_error,
                    f" ({count} attempts failed in the last minute)" if count > 1 else "",
                )
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass

    async def _connected(self, ws) -> None:
        await self._register(ws)
        self._notify((CONNECTED,))
        receiver = asyncio.create_task(self._receive(ws))
        stopper = asyncio.create_task(self._stop.wait())
        # Flow control: a ping follows what we send, and its pong says the manager has read
        # everything before it. With MAX_UNREAD messages unread we send no more and let the
        # outbox hold (and coalesce) the rest: what waits in socket buffers can no longer be
        # replaced by a newer sample (behind a slow manager it was 30-60 s old, #16).
        pong = None
        sent_at_ping = read = 0
        try:
            next_registration = time.monotonic() + REGISTRATION_PERIOD
            while True:
                if self._register_now or time.monotonic() >= next_registration:
                    await self._register(ws)
                    next_registration = time.monotonic() + REGISTRATION_PERIOD
                for line in self._invalid_log.flush(time.monotonic()):
                    log.warning("%s", line)
                released = self.gate.release(time.monotonic())
                if released:
                    self._notify((REQUESTS, tuple(released)))
                if pong is not None and pong.done():
                    pong, read = None, sent_at_ping
                held = pong is not None and self.messages_sent - read >= MAX_UNREAD
                self.held = held
                frames = self.outbox.take() if not held else []
                if frames:
                    self._sending = True
                    for text in pack_messages(frames, time.time(), self.max_message_bytes):
                        await ws.send(text)
                        self.messages_sent += 1
                    self._sending = False
                    self.frames_sent += len(frames)
                    self.rate.add(time.monotonic(), self.frames_sent)
                    if pong is None:
                        pong = await ws.ping()
                        sent_at_ping = self.messages_sent
                    continue
                self._have_work.clear()
                waiter = asyncio.create_task(self._have_work.wait())
                wake_at = next_registration
                if (gate_at := self.gate.next_release()) is not None:
                    wake_at = min(wake_at, gate_at)
                timeout = max(0.0, wake_at - time.monotonic())
                waits = {receiver, stopper} | ({pong} if held else {waiter})
                done, _ = await asyncio.wait(
                    waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if receiver in done:
                    receiver.result()  # re-raise the reason the connection ended
                    return
                if stopper in done:
                    await ws.close()
                    return
        finally:
            receiver.cancel()
            stopper.cancel()

    async def _register(self, ws) -> None:
        self._register_now = False
        for text in registration_texts(self._names, time.time()):
            await ws.send(text)

    async def _receive(self, ws) -> None:
        async for message in ws:
            if isinstance(message, bytes):
                self._invalid("a binary frame")
                continue
            requests = []
            for item in parse_manager_text(message):
                if isinstance(item, InitialStateRequest):
                    requests.append(item)
                elif isinstance(item, InvalidFrame):
                    self._invalid(item.reason)
            if requests:
                released = self.gate.offer(requests, time.monotonic())
                if released:
                    self._notify((REQUESTS, tuple(released)))
                if self.gate.waiting:
                    self._have_work.set()  # the send loop waits for the gate's next release

    def _invalid(self, reason: str) -> None:
        """Count a frame we cannot use; log the first of its kind, then a line a minute."""
        self.invalid_inbound += 1
        for line in self._invalid_log.note(
            f"ignored a frame from the manager: {reason}", time.monotonic()
        ):
            log.warning("%s", line)


#: Messages sent but not yet read by the manager (as its pongs tell) before we hold back.
MAX_UNREAD = 4
#: What may wait in websockets' buffer before ``send`` waits (bytes).
WRITE_LIMIT = 64 * 1024
#: The kernel's send buffer for the manager's socket (bytes; Linux doubles it). What sits in
#: socket buffers can no longer be replaced by a newer sample: behind a slow manager, a small
#: buffer keeps the backlog in the outbox, where telemetry is coalesced (#16).
SEND_BUFFER = 128 * 1024


def _small_send_buffer(ws) -> None:
    sock = ws.transport.get_extra_info("socket") if ws.transport is not None else None
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        except OSError:
            pass  # keep the default


def _describe(e: BaseException) -> str:
    if isinstance(e, websockets.exceptions.InvalidStatus):
        code = e.response.status_code
        hint = " (wrong password?)" if code == 403 else ""
        return f"HTTP {code}{hint}"
    if isinstance(e, websockets.exceptions.ConnectionClosed):
        return f"connection closed ({e.rcvd.code if e.rcvd else 'no close frame'})"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, socket.gaierror):
        return f"host name not found ({e.strerror})"
    if isinstance(e, TimeoutError):
        return "no answer in time"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
