"""Rates over a sliding window (frames per second in ``status``)."""

from __future__ import annotations

from collections import deque


class RateMeter:
    """Events per second over a sliding window, from (time, running total) samples."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._points: deque[tuple[float, int]] = deque()

    def add(self, t: float, total: int) -> None:
        self._points.append((t, total))
        while len(self._points) > 2 and self._points[1][0] < t - self.window:
            self._points.popleft()

    def rate(self, now: float) -> float:
        if not self._points:
            return 0.0
        t0, n0 = self._points[0]
        t1, n1 = self._points[-1]
        if now - t1 > self.window or t1 <= t0:
            return 0.0  # nothing sent lately
        return (n1 - n0) / max(now - t0, 1e-9)
