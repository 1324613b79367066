"""A frontend-like websocket client for a LOVE-manager (or the development hub).

`FrontendClient` is the building block of end-to-end tests: it connects like the LOVE
frontend (``?token=``) or like a producer (``?password=``), subscribes to groups, and hands
received frames out one at a time. `run_watch` is the ``love-actors watch`` command: it
prints the frames of some streams as JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

log = logging.getLogger(__name__)

Frame = dict[str, Any]
MAX_FRAME_SIZE = 16 * 2**20
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0

_STATUS_HINTS = {
    403: "wrong token or password",
    404: "no such endpoint: the path must look like /manager/ws/subscription",
    500: "server error; a LOVE-manager answers 500 to a path it does not route",
}


def parse_stream(s: str) -> tuple[str, str, str, str]:
    """Split ``"event-ATDome-0-summaryState"`` into (category, csc, salindex, stream)."""
    parts = s.split("-")
    if len(parts) != 4 or not all(parts):
        raise ValueError(
            f"stream {s!r} must be <category>-<csc>-<salindex>-<stream>, four non-empty parts "
            "separated by '-' (for example event-ATDome-0-summaryState)"
        )
    category, csc, salindex, stream = parts
    return category, csc, salindex, stream


def url_without_query(url: str) -> str:
    """The URL with its query string (which may carry a token or password) removed."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def describe_connect_error(exc: BaseException) -> str:
    """A one-line, secret-free reason for a failed connection attempt."""
    if isinstance(exc, InvalidStatus):
        code = exc.response.status_code
        hint = _STATUS_HINTS.get(code)
        return f"HTTP {code} ({hint})" if hint else f"HTTP {code}"
    if isinstance(exc, InvalidURI):
        return "invalid websocket URL (expected ws://host:port/manager/ws/subscription)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


class FrontendClient:
    """An async websocket client that talks to the manager like the LOVE frontend does.

    Frames are read in the background as they arrive; every one is appended to `received`
    (the full history, in arrival order). `next_frame` hands them out: a frame skipped
    because it did not match a predicate stays pending and a later `next_frame` can still
    return it, so waiting for B then A loses nothing when A arrived first. Use one consumer
    of `next_frame` at a time.

    Parameters
    ----------
    url : str
        ``ws://host:port/manager/ws/subscription``.
    token, password : str, optional
        Added to the query as ``token=`` (frontend) or ``password=`` (producer).
    """

    def __init__(self, url: str, token: str | None = None, password: str | None = None) -> None:
        self.url = url
        self.token = token
        self.password = password
        self.received: list[Frame] = []
        self._pending: list[Frame] = []
        self._incoming: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed_error: BaseException | None = None

    @property
    def connect_url(self) -> str:
        """The URL with credentials added (never log it)."""
        params = {k: v for k, v in (("token", self.token), ("password", self.password)) if v}
        if not params:
            return self.url
        parts = urlsplit(self.url)
        query = "&".join(q for q in (urlencode(params), parts.query) if q)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

    async def connect(self, open_timeout: float = 10.0) -> None:
        """Open the connection (again, after a drop); raises what websockets raises."""
        await self._close_connection()
        self._incoming = asyncio.Queue()
        self._closed_error = None
        self._ws = await connect(
            self.connect_url, open_timeout=open_timeout, max_size=MAX_FRAME_SIZE, proxy=None
        )
        self._reader = asyncio.create_task(self._read(self._ws), name="frontend-client-read")

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                try:
                    frame = json.loads(message)
                except (ValueError, RecursionError):
                    log.warning("ignoring a frame that is not JSON")
                    continue
                if not isinstance(frame, dict):
                    log.warning("ignoring a frame that is not a JSON object")
                    continue
                self.received.append(frame)
                self._incoming.put_nowait(frame)
            await ws.recv()  # raises the ConnectionClosed with the close code
        except ConnectionClosed as exc:
            self._closed_error = exc
        finally:
            if self._closed_error is None:
                self._closed_error = ConnectionError("connection closed")
            self._incoming.put_nowait(None)

    @property
    def connected(self) -> bool:
        """True while the connection is open and being read."""
        return self._reader is not None and not self._reader.done()

    async def send_json(self, message: Any) -> None:
        """Send one JSON text frame (a producer data message, an action...)."""
        if self._ws is None:
            raise RuntimeError("not connected")
        await self._ws.send(json.dumps(message))

    async def subscribe(self, category: str, csc: str, salindex: int | str, stream: str) -> None:
        """Join group ``category-csc-salindex-stream`` (salindex sent as a string)."""
        await self._subscription("subscribe", category, csc, salindex, stream)

    async def unsubscribe(self, category: str, csc: str, salindex: int | str, stream: str) -> None:
        """Leave group ``category-csc-salindex-stream``."""
        await self._subscription("unsubscribe", category, csc, salindex, stream)

    async def _subscription(
        self, option: str, category: str, csc: str, salindex: int | str, stream: str
    ) -> None:
        await self.send_json(
            {
                "option": option,
                "category": category,
                "csc": csc,
                "salindex": str(salindex),
                "stream": stream,
            }
        )

    async def next_frame(
        self, predicate: Callable[[Frame], bool] | None = None, timeout: float = 10.0
    ) -> Frame:
        """The next frame (matching `predicate`, if given), oldest pending first.

        Raises asyncio.TimeoutError after `timeout` seconds, and the connection's
        ConnectionClosed once it is closed and no pending frame matches.
        """

        def matches(frame: Frame) -> bool:
            return predicate is None or bool(predicate(frame))

        for i, frame in enumerate(self._pending):
            if matches(frame):
                return self._pending.pop(i)

        async def wait() -> Frame:
            while True:
                frame = await self._incoming.get()
                if frame is None:
                    self._incoming.put_nowait(None)  # keep later calls failing fast
                    assert self._closed_error is not None
                    raise self._closed_error
                if matches(frame):
                    return frame
                self._pending.append(frame)

        if self._ws is None:
            raise RuntimeError("not connected")
        return await asyncio.wait_for(wait(), timeout)

    async def _close_connection(self) -> None:
        ws, reader = self._ws, self._reader
        self._ws = self._reader = None
        if ws is not None:
            await ws.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def close(self) -> None:
        """Close the connection (pending frames and `received` stay readable)."""
        await self._close_connection()

    async def __aenter__(self) -> FrontendClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _print_json(frame: Frame, out: TextIO) -> None:
    print(json.dumps(frame, separators=(",", ":")), file=out, flush=True)


async def watch(
    url: str,
    streams: Iterable[str],
    token: str | None = None,
    password: str | None = None,
    count: int | None = None,
    duration: float | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The coroutine behind `run_watch` (same arguments; `err` defaults to stderr)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        subscriptions = [parse_stream(s) for s in streams]
    except ValueError as exc:
        print(f"watch: {exc}", file=err, flush=True)
        return 2
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    shown = url_without_query(url)
    printed = 0
    delay = BACKOFF_FIRST
    first = True
    client = FrontendClient(url, token=token, password=password)

    def remaining() -> float | None:
        return None if deadline is None else max(0.0, deadline - loop.time())

    try:
        while True:
            try:
                left = remaining()
                await client.connect(open_timeout=10.0 if left is None else min(10.0, left))
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                if first:
                    print(
                        f"cannot connect to {shown}: {describe_connect_error(exc)}",
                        file=err,
                        flush=True,
                    )
                    return 1
                left = remaining()
                if left == 0.0:
                    return 0
                wait = delay if left is None else min(delay, left)
                print(
                    f"reconnect to {shown} failed ({describe_connect_error(exc)}); "
                    f"retrying in {wait:g} s",
                    file=err,
                    flush=True,
                )
                await asyncio.sleep(wait)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            first = False
            delay = BACKOFF_FIRST
            try:
                for sub in subscriptions:
                    await client.subscribe(*sub)
                while count is None or printed < count:
                    left = remaining()
                    try:
                        frame = await client.next_frame(
                            timeout=left if left is not None else 365 * 86400.0
                        )
                    except TimeoutError:
                        return 0
                    if "category" in frame:
                        _print_json(frame, out)
                        printed += 1
                    else:
                        _print_json(frame, err)
                return 0
            except (ConnectionClosed, ConnectionError) as exc:
                left = remaining()
                if left == 0.0:
                    return 0
                wait = delay if left is None else min(delay, left)
                reason = f"code {exc.rcvd.code}" if getattr(exc, "rcvd", None) else "dropped"
                print(
                    f"connection to {shown} lost ({reason}); reconnecting in {wait:g} s",
                    file=err,
                    flush=True,
                )
                await asyncio.sleep(wait)
                delay = min(delay * 2, BACKOFF_MAX)
    finally:
        await client.close()


def run_watch(
    url: str,
    streams: Iterable[str],
    token: str | None = None,
    password: str | None = None,
    count: int | None = None,
    duration: float | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the data frames of `streams` as JSON lines on `out` (stdout by default).

    Confirmations and other frames without a category go to stderr. Returns 0 after `count`
    data frames, after `duration` seconds or on Ctrl-C; 1 if the first connection fails;
    2 if a stream name is malformed. A connection lost later is re-opened with exponential
    backoff and the streams subscribed again.
    """
    try:
        return asyncio.run(
            watch(
                url,
                list(streams),
                token=token,
                password=password,
                count=count,
                duration=duration,
                out=out,
            )
        )
    except KeyboardInterrupt:
        return 0
