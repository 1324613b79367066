"""A manager endpoint for tests: a websockets server on loopback, in a thread of its own,
that can go away and come back on the same port. Subclasses say what it does with a
producer's connection (`handle`)."""

from __future__ import annotations

import asyncio
import threading
import time

from websockets.asyncio.server import serve

from tests.helpers.proc_helpers import free_port


class ManagerEndpoint:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.connected = threading.Event()
        self.connections = 0
        self.server = None
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/manager/ws/subscription"
        self.start()

    async def handle(self, ws) -> None:
        raise NotImplementedError

    async def _handle(self, ws) -> None:
        self.connections += 1
        self.connected.set()
        await self.handle(ws)

    def start(self) -> float:
        """Listen (again); returns the time it accepts connections."""

        async def start():
            return await serve(self._handle, "127.0.0.1", self.port, max_size=None)

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        return time.monotonic()

    def stop(self) -> None:
        """Go away: stop listening and drop every connection."""

        async def stop():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.connected.clear()

    def run(self, coro, timeout: float):
        """Run ``coro`` on the endpoint's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
