"""initial_state requests, let through at a bounded rate and answered once per window.

The LOVE-manager sends one initial_state request per event subscription, and every frontend
subscribes again every 5 minutes and on every reconnect: a manager restart with many screens
open is a flood (10 s at 10,000 requests/s took the upstream-like design away for minutes,
#16). `RequestGate` stands between the manager and the CSC actors:

* a request for a stream (component, index, event) answered less than ``window`` seconds ago
  waits until the window ends and is then answered once for every request that came in it:
  the reply goes to the stream's group, so each subscriber of the window gets it;
* requests are let through at most ``per_second`` a second (bursts of ``burst``), so replies
  never starve live data, and what waits is one entry per stream;
* at most ``max_waiting`` streams wait; requests beyond are dropped and counted.

The caller passes the time (any monotonic clock) and asks `release` again at `next_release`.
"""

from __future__ import annotations

from collections.abc import Iterable

from love_producer.wire.requests import InitialStateRequest

Key = tuple[str, object, str]


class RequestGate:
    def __init__(
        self,
        window: float = 1.0,
        per_second: float = 500.0,
        burst: float = 1000.0,
        max_waiting: int = 20_000,
    ) -> None:
        self.window = window
        self.per_second = per_second
        self.burst = burst
        self.max_waiting = max_waiting
        self._tokens = burst
        self._filled_at: float | None = None
        self._ready: dict[Key, InitialStateRequest] = {}  # in arrival order
        self._deferred: dict[Key, tuple[float, InitialStateRequest]] = {}  # until window end
        self._answered: dict[Key, float] = {}
        #: Requests let through, merged into another one's answer, dropped over the bound.
        self.counts = {"forwarded": 0, "merged": 0, "dropped": 0}

    @property
    def waiting(self) -> int:
        return len(self._ready) + len(self._deferred)

    def offer(self, requests: Iterable[InitialStateRequest], now: float) -> list:
        """Take requests from the manager; returns those to answer now, in order."""
        for request in requests:
            key = (request.csc, request.salindex, request.event_name)
            if key in self._ready or key in self._deferred:
                self.counts["merged"] += 1
                continue
            if self.waiting >= self.max_waiting:
                self.counts["dropped"] += 1
                continue
            answered = self._answered.get(key)
            if answered is not None and now - answered < self.window:
                self._deferred[key] = (answered + self.window, request)
            else:
                self._ready[key] = request
        return self.release(now)

    def release(self, now: float) -> list:
        """The requests due at ``now``, as many as the rate allows."""
        if self._deferred:
            due = [k for k, (at, _) in self._deferred.items() if at <= now]
            for key in due:
                self._ready[key] = self._deferred.pop(key)[1]
        self._refill(now)
        out = []
        while self._ready and self._tokens >= 1.0:
            key = next(iter(self._ready))
            out.append(self._ready.pop(key))
            self._answered[key] = now
            self._tokens -= 1.0
        self.counts["forwarded"] += len(out)
        if len(self._answered) > 2 * self.max_waiting:
            self._answered = {k: t for k, t in self._answered.items() if now - t < self.window}
        return out

    def next_release(self) -> float | None:
        """When `release` will have something to let through, or None."""
        times = []
        if self._ready:
            refill_at = self._filled_at if self._filled_at is not None else 0.0
            times.append(refill_at + max(0.0, 1.0 - self._tokens) / self.per_second)
        if self._deferred:
            times.append(min(at for at, _ in self._deferred.values()))
        return min(times) if times else None

    def _refill(self, now: float) -> None:
        if self._filled_at is not None and now > self._filled_at:
            self._tokens = min(self.burst, self._tokens + (now - self._filled_at) * self.per_second)
        self._filled_at = now if self._filled_at is None else max(self._filled_at, now)
