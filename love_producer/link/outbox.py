"""The ManagerClient's outbox: what waits to go to the manager.

Bounded in both directions (W6, W7): telemetry keeps only the latest frame per stream (a newer
sample replaces an unsent one), events wait in a bounded FIFO that drops its oldest entry when
full. Everything dropped is counted, so nothing is lost silently.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

import attrs

from love_producer.wire.frames import Frame

#: Streams whose drops are counted one by one.
MAX_DROP_STREAMS = 1_000


@attrs.define
class OutboxStats:
    accepted: int = 0
    sent: int = 0
    telemetry_replaced: int = 0
    events_dropped: int = 0


class Outbox:
    """Frames waiting for the websocket.

    Parameters
    ----------
    max_events : int
        Event frames kept while the manager is slow or away; the oldest go first.
    max_telemetry_streams : int
        Distinct telemetry streams kept; past that, new streams are dropped (and counted).
    """

    def __init__(self, max_events: int = 20_000, max_telemetry_streams: int = 20_000) -> None:
        self.max_events = max_events
        self.max_telemetry_streams = max_telemetry_streams
        self._events: deque[Frame] = deque()
        self._telemetry: dict[tuple[str, str, int, str], Frame] = {}
        self.stats = OutboxStats()
        #: Frames dropped, by stream (``csc:salindex/stream``); past `MAX_DROP_STREAMS`
        #: streams the rest are counted under ``"other"``.
        self.dropped_by_stream: Counter[str] = Counter()

    def _drop(self, frame: Frame) -> None:
        self.stats.events_dropped += 1
        name = f"{frame.csc}:{frame.salindex}/{frame.stream}"
        if name not in self.dropped_by_stream and len(self.dropped_by_stream) >= MAX_DROP_STREAMS:
            name = "other"
        self.dropped_by_stream[name] += 1

    def __len__(self) -> int:
        return len(self._events) + len(self._telemetry)

    def put(self, frames: Iterable[Frame]) -> None:
        for frame in frames:
            self.stats.accepted += 1
            if frame.category == "telemetry":
                key = frame.key
                if key in self._telemetry:
                    self.stats.telemetry_replaced += 1
                    # A replaced stream moves to the back: it is the newest news.
                    del self._telemetry[key]
                elif len(self._telemetry) >= self.max_telemetry_streams:
                    self._drop(frame)
                    continue
                self._telemetry[key] = frame
            else:
                if len(self._events) >= self.max_events:
                    self._drop(self._events.popleft())
                self._events.append(frame)

    def take(self, max_frames: int = 5_000) -> list[Frame]:
        """Remove and return up to ``max_frames``: events first (in order), then telemetry."""
        out: list[Frame] = []
        while self._events and len(out) < max_frames:
            out.append(self._events.popleft())
        while self._telemetry and len(out) < max_frames:
            key = next(iter(self._telemetry))
            out.append(self._telemetry.pop(key))
        self.stats.sent += len(out)
        return out

    @property
    def dropped(self) -> int:
        """Frames that never reached the websocket (telemetry superseded by a newer sample is
        counted separately in ``stats.telemetry_replaced``)."""
        return self.stats.events_dropped
