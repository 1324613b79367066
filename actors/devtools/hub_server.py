"""A LOVE-manager-compatible development endpoint: the websocket edge of ``HubRouter``.

Producers and frontends connect to ``ws://host:port/manager<anything>/ws/subscription``
with ``?password=`` (producer) or ``?token=`` (frontend), exactly as to a LOVE-manager
(``spec/love-manager-protocol.md`` §1). All protocol logic is in
``love_producer.hub.router``; this module only authenticates, moves text frames, and keeps
one bounded send queue per client so a slow client never blocks the others.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import errno
import hmac
import itertools
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from actors.edges.log_setup import add_secret, setup_command_logging
from love_producer.hub.router import ClientKind, Delivery, HubRouter
from love_producer.views.status import plural
from love_producer.views.warnings import WarningTally

log = logging.getLogger(__name__)

ROUTE = re.compile(r"^/manager(.*?)/ws/subscription/?$")
QUEUE_SIZE = 1000
TICK_PERIOD = 1.0
DRAIN_TIMEOUT = 2.0
MAX_FRAME_SIZE = 16 * 2**20  # uvicorn's default ws_max_size, as in front of the manager

# websockets logs raw request lines, query string included, at DEBUG, and every connection
# at INFO: keep its logger at WARNING (this module logs connections and refusals itself).
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.setLevel(logging.WARNING)


class _ClientQueue:
    """Frames waiting to be sent to one client; the oldest are dropped when full."""

    def __init__(self, maxlen: int) -> None:
        self.frames: collections.deque[str] = collections.deque()
        self.maxlen = maxlen
        self.ready = asyncio.Event()
        self.idle = asyncio.Event()  # set when nothing is queued or being sent
        self.idle.set()
        self.dropped = 0

    def put(self, text: str) -> bool:
        """Queue a frame; returns False when an older frame had to be dropped for it."""
        dropped = len(self.frames) >= self.maxlen
        if dropped:
            self.frames.popleft()
            self.dropped += 1
        self.frames.append(text)
        self.idle.clear()
        self.ready.set()
        return not dropped


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of secrets, any characters (compare_digest takes only ASCII
    text, so compare their UTF-8 bytes)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _peer(connection: ServerConnection) -> str:
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)


def _path_only(path: str) -> str:
    """The request path without its query string (which carries secrets)."""
    return urlsplit(path).path


class HubServer:
    """A websocket server that speaks the LOVE-manager subscription protocol.

    Parameters
    ----------
    host, port : str, int
        Where to listen; port 0 picks a free port (see `port` after `start`).
    password : str
        The producer password (the manager's ``PROCESS_CONNECTION_PASS``).
    tokens : iterable of str
        Frontend tokens that are accepted.
    legacy : bool
        ``LOVE_PRODUCER_LEGACY`` behaviour for initial_state requests.
    tracing : bool
        Add the ``tracing`` block to relayed frames.
    queue_size : int
        Per-client send queue length; the oldest frames are dropped beyond it.
    clock : callable
        UTC unix time source (tests may pass a fake).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str = "dev_pass",
        tokens: Iterable[str] = (),
        legacy: bool = False,
        *,
        tracing: bool = False,
        queue_size: int = QUEUE_SIZE,
        clock: Callable[[], float] = time.time,
        producer_delay: float = 0.0,
        frontend_auth: bool = True,
    ) -> None:
        self.host = host
        # Producers' handshakes wait this long after start: frontends can subscribe first
        # (simulates a manager whose producer side comes up late; used by reconnect tests).
        self.producer_delay = producer_delay
        self._started_at = 0.0
        self._port = port
        self._password = password
        self._tokens = tuple(tokens)
        self.frontend_auth = frontend_auth  # False: frontends need no token
        self._queue_size = queue_size
        self._clock = clock
        self.router = HubRouter(legacy=legacy, tracing=tracing)
        self._clients: dict[str, _ClientQueue] = {}
        self._ids = itertools.count(1)
        self._warning_log = WarningTally("frames dropped by the hub")
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.dropped = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (raises OSError if the address is taken)."""
        if self._server is not None:
            raise RuntimeError("hub server already started")
        self._server = await serve(
            self._handle,
            self.host,
            self._port,
            process_request=self._check_request,
            max_size=MAX_FRAME_SIZE,
            logger=_ws_log,
        )
        self._port = self._server.sockets[0].getsockname()[1]
        self._ticker = asyncio.create_task(self._tick_loop(), name="hub-tick")

    async def stop(self) -> None:
        """Send what is queued (for up to 2 s), close every connection, stop listening."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._server is not None:
            idle = [queue.idle.wait() for queue in self._clients.values()]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*idle), DRAIN_TIMEOUT)
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> HubServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The listening port (the real one once started, even if 0 was asked)."""
        return self._port

    @property
    def url(self) -> str:
        """The websocket URL of the endpoint, without credentials."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self._port}/manager/ws/subscription"

    def stats(self) -> dict[str, Any]:
        """Router counters plus frames dropped by full client queues."""
        return {**self.router.stats(), "dropped": self.dropped}

    # -- connections ---------------------------------------------------------------------

    def _authenticate(self, query: str) -> tuple[ClientKind | None, str]:
        """``(kind, "")`` for an accepted client, ``(None, why)`` for a refused one."""
        params = parse_qs(query)
        token = params.get("token", [""])[0]
        password = params.get("password", [""])[0]
        if password:
            if _same(password, self._password):
                return "producer", ""
            return None, "wrong password"
        if token:
            if any(_same(token, t) for t in self._tokens):
                return "frontend", ""
            return None, "wrong token"
        if not self.frontend_auth:
            return "frontend", ""
        return None, "no token or password"

    async def _check_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        parts = urlsplit(request.path)
        peer = _peer(connection)
        if not ROUTE.match(parts.path):
            log.info("refused %s from %s: unknown path (404)", parts.path, peer)
            return connection.respond(404, "Not Found: use /manager/ws/subscription\n")
        kind, why = self._authenticate(parts.query)
        if kind is None:
            log.info("refused %s from %s: %s (403)", parts.path, peer, why)
            return connection.respond(403, "Forbidden: wrong or missing token or password\n")
        if kind == "producer":
            wait = self._started_at + self.producer_delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        kind, _ = self._authenticate(urlsplit(ws.request.path).query)
        if kind is None:  # _check_request already refused it; defensive
            return
        cid = f"{kind}-{next(self._ids)}"
        queue = _ClientQueue(self._queue_size)
        self._clients[cid] = queue
        self.router.connect(cid, kind)
        log.info("%s connected from %s on %s", cid, _peer(ws), _path_only(ws.request.path))
        sender = asyncio.create_task(self._send_loop(ws, queue), name=f"hub-send-{cid}")
        try:
            async for message in ws:
                result = self.router.receive(cid, message, self._clock())
                for warning in result.warnings:
                    for line in self._warning_log.note(warning, time.monotonic()):
                        log.warning("%s", line)
                self._deliver(result.deliveries)
        except ConnectionClosed:
            pass
        finally:
            self.router.disconnect(cid)
            del self._clients[cid]
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if queue.dropped:
                log.info("%s disconnected (%d frames dropped for it)", cid, queue.dropped)
            else:
                log.info("%s disconnected", cid)

    def _deliver(self, deliveries: list[Delivery]) -> None:
        for cid, text in deliveries:
            queue = self._clients.get(cid)  # type: ignore[call-overload]
            if queue is not None and not queue.put(text):
                self.dropped += 1
                if queue.dropped == 1:
                    log.warning("%s is too slow: dropping its oldest frames", cid)

    @staticmethod
    async def _send_loop(ws: ServerConnection, queue: _ClientQueue) -> None:
        try:
            while True:
                while not queue.frames:
                    queue.idle.set()
                    queue.ready.clear()
                    await queue.ready.wait()
                await ws.send(queue.frames.popleft())
        except ConnectionClosed:
            pass

    async def _tick_loop(self) -> None:
        while True:
            self._deliver(self.router.tick(self._clock()))
            for line in self._warning_log.flush(time.monotonic()):
                log.warning("%s", line)
            await asyncio.sleep(TICK_PERIOD)


async def _serve_until_signal(server: HubServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        print(f"hub listening on {server.url}", flush=True)
        await stop.wait()
        log.info("stopping hub: %s", server.stats())
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        await server.stop()


def run_hub(
    host: str = "127.0.0.1",
    port: int = 0,
    password: str = "dev_pass",
    tokens: Iterable[str] = (),
    legacy: bool = False,
    producer_delay: float = 0.0,
    frontend_auth: bool = True,
) -> int:
    """Run a hub until SIGINT or SIGTERM.

    Prints ``hub listening on <url>`` once listening. Returns 0 after a clean stop, 2 if it
    cannot listen (for example the port is taken).
    """
    server = HubServer(
        host, port, password, tokens, legacy, producer_delay=producer_delay,
        frontend_auth=frontend_auth,
    )  # fmt: skip
    try:
        asyncio.run(_serve_until_signal(server))
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        print(f"hub: cannot listen on {host}:{port}: {reason or exc}", file=sys.stderr, flush=True)
        return 2
    return 0


def hub_password(args: argparse.Namespace, env: dict) -> tuple[str, str]:
    """``(password, where it came from)``; raises OSError for an unreadable file."""
    if args.password:
        return args.password, "--password"
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            # Only the line end goes: spaces at either end may belong to the password.
            return f.read().rstrip("\r\n"), f"--password-file {args.password_file}"
    if env.get("PROCESS_CONNECTION_PASS"):
        return env["PROCESS_CONNECTION_PASS"], "PROCESS_CONNECTION_PASS"
    return "dev_pass", "the development default dev_pass"


def run_hub_command(args: argparse.Namespace) -> int:
    """``love-actors hub``: says where its secrets come from (never what they are)."""
    if not args.token and not args.no_frontend_auth:
        print(
            "hub: give --token TOKEN (frontends must present it) or --no-frontend-auth",
            file=sys.stderr,
        )
        return 2
    try:
        password, source = hub_password(args, dict(os.environ))
    except OSError as e:
        print(f"hub: cannot read --password-file: {e.strerror}", file=sys.stderr)
        return 2
    setup_command_logging(logging.INFO)
    add_secret(password)
    for token in args.token:
        add_secret(token)
    tokens = plural(len(args.token), "token")
    print(
        f"hub: producer password from {source}; "
        + (f"frontends need one of {tokens} (--token)" if args.token else
           "frontends need no token (--no-frontend-auth)"),
        flush=True,
    )  # fmt: skip
    return run_hub(
        args.host, args.port, password, args.token, args.legacy, args.producer_delay,
        frontend_auth=not args.no_frontend_auth,
    )  # fmt: skip
