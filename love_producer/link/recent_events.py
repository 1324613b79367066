"""Event frames a CSC actor sent in the last seconds, to send again to a new ManagerClient.

A ManagerClient that dies (SIGKILL, out of memory) takes with it the frames in its outbox and
its socket buffers: events nobody can count (#16: a ScriptQueue lost two). The CSC actor keeps
what it sent in the last ``window`` seconds (at most ``max_frames``) and sends it again to the
ManagerClient that replaces the dead one. Events are delivered at least once across such a
restart: a frame the dead one had already sent comes twice, none is lost within the window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from love_producer.wire.frames import Frame


class RecentEvents:
    def __init__(self, window: float = 5.0, max_frames: int = 2_000) -> None:
        self.window = window
        self._frames: deque[tuple[float, Frame]] = deque(maxlen=max_frames)

    def add(self, frames: Iterable[Frame], now: float) -> None:
        for frame in frames:
            if frame.category == "event":
                self._frames.append((now, frame))
        self._expire(now)

    def frames(self, now: float) -> list[Frame]:
        """The event frames sent in the last ``window`` seconds, oldest first."""
        self._expire(now)
        return [frame for _, frame in self._frames]

    def _expire(self, now: float) -> None:
        while self._frames and self._frames[0][0] < now - self.window:
            self._frames.popleft()
