"""The generic CSC producer as a pure state machine: samples, ticks and requests in, frames out.

Behaviour (``spec/love-producer-behaviour.md`` §2.3, §3.4-3.6, §4), with the weak points
W2, W4, W7 and W12 fixed:

* telemetry is sent when it arrives, at most ``telemetry_max_rate`` frames per second per
  stream; samples arriving faster are coalesced (latest value wins) and encoded only if sent.
  The limit is a virtual schedule (GCRA): a frame may go out up to ``RATE_TOLERANCE`` of an
  interval early, and the schedule moves on by exactly one interval per frame, so a stream
  published at the limit rate with some delivery jitter is never coalesced nor delayed, while
  the long-run rate never exceeds the limit;
* a stream not sent for ``telemetry_refresh`` seconds is re-sent, so a new subscriber never
  waits long, but only while the component's heartbeat is alive;
* every event but ``heartbeat`` is forwarded and cached for initial_state replies and for
  replay after a manager reconnect;
* a ``Heartbeat`` pseudo-CSC frame reports every ``heartbeat_period`` how many periods passed
  without a SAL heartbeat;
* a failure on one topic (unknown topic, value that cannot be encoded) never stops the others.

Time is always an argument: ``now`` (UTC Unix seconds) and ``Sample.rcv_time``.
"""

from __future__ import annotations

import math
from collections import Counter

import attrs

from love_producer.interfaces.interface import ComponentInfo, TopicInfo
from love_producer.sal.dedup import DUPLICATE, OUT_OF_ORDER, SampleFilter
from love_producer.sal.samples import TAI_MINUS_UTC, Sample
from love_producer.wire.encoding import TopicEncoder
from love_producer.wire.frames import Frame, dumps
from love_producer.wire.requests import InitialStateRequest

#: Fraction of the telemetry interval by which a frame may come early (see the module notes).
RATE_TOLERANCE = 0.5

HEARTBEAT_TOPIC = "heartbeat"


@attrs.frozen
class CSCSettings:
    """Timing of one CSC producer.

    Parameters
    ----------
    telemetry_max_rate : float
        Most frames per second per telemetry stream; 0 means no limit.
    telemetry_refresh : float
        Re-send a telemetry stream not sent for this long (seconds), while alive.
    heartbeat_period : float
        Period of the ``Heartbeat`` frames, and length of a heartbeat window (seconds).
    max_lost_heartbeats : int
        Threshold the front end applies to ``lost``; sent in every ``Heartbeat`` frame.
    """

    telemetry_max_rate: float = attrs.field(default=10.0, validator=attrs.validators.ge(0.0))
    telemetry_refresh: float = attrs.field(default=2.0, validator=attrs.validators.gt(0.0))
    heartbeat_period: float = attrs.field(default=2.0, validator=attrs.validators.gt(0.0))
    max_lost_heartbeats: int = attrs.field(default=5, validator=attrs.validators.ge(1))


#: Largest payload sent (characters of JSON, ASCII-escaped): well under the manager's
#: 16 MiB message limit with the envelope around it.
MAX_PAYLOAD_CHARS = 8 * 1024 * 1024


class _TelemetryStream:
    """Send state of one telemetry stream."""

    __slots__ = ("tat", "last_emit", "last_frame", "pending")

    def __init__(self) -> None:
        self.tat = -math.inf  # when the next frame is due on the limit's virtual schedule
        self.last_emit: float | None = None  # last frame of any kind (new or refresh)
        self.last_frame: Frame | None = None
        self.pending: Sample | None = None


class GenericCSC:
    """State of the LOVE producer of one CSC instance.

    Parameters
    ----------
    info : ComponentInfo
        The component's interface.
    index : int
        SAL index of the instance (0 when not indexed).
    settings : CSCSettings
        Rates and periods.
    start_time : float
        Creation time; the first ``Heartbeat`` frame is due one period later.

    Subclasses (ScriptQueue, Watcher) extend `reply_names`, fill `pseudo_streams` and
    override `_after_event` to add derived frames.
    """

    def __init__(
        self,
        info: ComponentInfo,
        index: int,
        settings: CSCSettings | None = None,
        start_time: float = 0.0,
    ) -> None:
        self.info = info
        self.name = info.name
        self.index = index
        self.settings = settings if settings is not None else CSCSettings()
        self.reply_names: tuple[str, ...] = (self.name,)
        #: Derived streams by stream name, answered for any csc in `reply_names`.
        self.pseudo_streams: dict[str, Frame] = {}

        self._topics: dict[tuple[str, str], TopicInfo] = {}
        for topic in info.telemetry:
            self._topics["telemetry", topic.name] = topic
        for topic in info.events:
            self._topics["event", topic.name] = topic
        self._encoders: dict[tuple[str, str], TopicEncoder] = {}
        self._filter = SampleFilter()
        self._events: dict[str, Frame] = {}
        self._telemetry: dict[str, _TelemetryStream] = {}
        rate = self.settings.telemetry_max_rate
        self._min_interval = 1.0 / rate if rate > 0 else 0.0
        self._early = RATE_TOLERANCE * self._min_interval  # a frame may come this much early

        self._heartbeat_seen = False  # a heartbeat sample since the previous Heartbeat frame
        self._last_heartbeat: float | None = None
        self._lost = 0
        self._next_heartbeat = start_time + self.settings.heartbeat_period
        if info.topic("event", HEARTBEAT_TOPIC) is None:
            # Not forwarded (a topic selection without evt_heartbeat): no Heartbeat stream, as
            # upstream, and no liveness to judge the telemetry refresh by.
            self._next_heartbeat = math.inf

        self._summary_state: int | None = None
        self._lag: float | None = None  # now - send time of the last sample taken in (s)
        self._counts: Counter[str] = Counter()
        self._frames_out: Counter[str] = Counter()

    # ----------------------------------------------------------------------------- inputs

    def on_samples(self, samples: list[Sample], now: float) -> list[Frame]:
        """Take in SAL samples; return the frames to send now.

        Duplicate and out-of-order samples are dropped first, by the one rule of
        `love_producer.sal.dedup`."""
        return self._on_admitted(self._filter.admit(samples), now)

    def _on_admitted(self, samples: list[Sample], now: float) -> list[Frame]:
        out: list[Frame] = []
        # Of several samples of one telemetry topic drained together only the newest can be
        # worth sending now; the older ones are coalesced away, not sent first.
        # (With no limit every sample is sent.)
        limited = self._min_interval > 0
        newest = {s.topic: s for s in samples if s.kind == "telemetry"} if limited else {}
        for sample in samples:
            if sample.component != self.name or (self.info.indexed and sample.index != self.index):
                self._counts["ignored_other_component"] += 1
                continue
            key = (sample.kind, sample.topic)
            if key not in self._topics:
                self._counts["unknown_topics"] += 1
                continue
            self._counts["samples_in"] += 1
            snd = sample.data.get("private_sndStamp")
            if isinstance(snd, int | float):
                self._lag = now - (snd - TAI_MINUS_UTC)
            if limited and sample.kind == "telemetry" and newest[sample.topic] is not sample:
                self._counts["telemetry_coalesced"] += 1
                continue
            if sample.kind == "event":
                out += self._on_event(sample, now)
            else:
                out += self._on_telemetry(sample, now)
        self._count_out(out)
        return out

    def tick(self, now: float) -> list[Frame]:
        """Frames due at ``now``: the Heartbeat frame, pending telemetry, refreshes."""
        out: list[Frame] = []
        if now >= self._next_heartbeat:
            out.append(self._heartbeat_frame(now))
        alive = self._lost == 0
        for stream in self._telemetry.values():
            if stream.pending is not None:
                if now >= stream.tat - self._early:
                    sample, stream.pending = stream.pending, None
                    frame = self._telemetry_frame(sample)
                    if frame is not None:
                        out.append(self._sent(stream, frame, now))
            elif (
                alive
                and stream.last_frame is not None
                and now >= stream.last_emit + self.settings.telemetry_refresh
            ):
                stream.last_emit = now
                self._counts["telemetry_refreshed"] += 1
                out.append(stream.last_frame)
        self._count_out(out)
        return out

    def heartbeat_due(self) -> float:
        """When the current heartbeat window closes (the next Heartbeat frame). A reader
        should take in the samples due by then first, so a heartbeat sent right at the end of
        the window counts in it."""
        return self._next_heartbeat

    def next_deadline(self, pending: bool = True) -> float:
        """Earliest time at which `tick` has something to do; with ``pending=False`` leaving
        out pending telemetry (for a reader that ticks often anyway)."""
        deadline = self._next_heartbeat
        alive = self._lost == 0
        refresh = self.settings.telemetry_refresh
        for stream in self._telemetry.values():
            if stream.pending is not None:
                if pending:
                    deadline = min(deadline, stream.tat - self._early)
            elif alive and stream.last_frame is not None:
                deadline = min(deadline, stream.last_emit + refresh)
        return deadline

    def on_request(self, req: InitialStateRequest, now: float) -> list[Frame]:
        """Reply to an initial_state request (§2.3): the cached frame(s) asked for, or []."""
        if req.csc not in self.reply_names or req.salindex != self.index:
            return []
        name = req.event_name
        if name in self.pseudo_streams:
            out = [self.pseudo_streams[name]]
        elif name in self._events:
            out = [self._events[name]]
        elif name == "all":
            # The manager forwards an `event-<csc>-<i>-all` subscription as "all".
            out = [f for f in self.cached_frames() if f.csc == req.csc]
        else:
            out = []
        self._count_out(out)
        return out

    # ---------------------------------------------------------------------------- queries

    def take_commands(self) -> list:
        """SAL commands this state machine wants sent (hydration, schemas); none here."""
        return []

    def cached_frames(self) -> list[Frame]:
        """Every cached event frame, then every pseudo-stream frame, in insertion order."""
        return [*self._events.values(), *self.pseudo_streams.values()]

    def registration_names(self) -> tuple[str, ...]:
        """The ``csc`` values to register for initial_state requests (§3.2)."""
        return ("all", *self.reply_names)

    @property
    def heartbeat_lost(self) -> int:
        """Consecutive Heartbeat periods without a SAL heartbeat."""
        return self._lost

    def status(self) -> dict:
        """Counters and state, for logs and health reports."""
        return {
            "name": self.name,
            "index": self.index,
            "summary_state": self._summary_state,
            "heartbeat_lost": self._lost,
            "last_heartbeat": self._last_heartbeat,
            "lag_s": self._lag,
            "samples_in": self._counts["samples_in"],
            "duplicates_dropped": self._filter.dropped[DUPLICATE],
            "out_of_order_dropped": self._filter.dropped[OUT_OF_ORDER],
            "frames_out": dict(self._frames_out),
            "telemetry_coalesced": self._counts["telemetry_coalesced"],
            "telemetry_refreshed": self._counts["telemetry_refreshed"],
            "unknown_topics": self._counts["unknown_topics"],
            "ignored_other_component": self._counts["ignored_other_component"],
            "encoding_errors": self._counts["encoding_errors"],
            "oversized_dropped": self._counts["oversized_dropped"],
            "hook_errors": self._counts["hook_errors"],
        }

    # ---------------------------------------------------------------------------- hooks

    def _after_event(self, sample: Sample, now: float) -> list[Frame]:
        """Derived frames to send after an event frame (none for a generic CSC)."""
        return []

    # -------------------------------------------------------------------------- internals

    def _on_event(self, sample: Sample, now: float) -> list[Frame]:
        if sample.topic == HEARTBEAT_TOPIC:
            self._heartbeat_seen = True
            self._last_heartbeat = sample.rcv_time
            return []
        if sample.topic == "summaryState":
            state = sample.data.get("summaryState")
            if type(state) is int:
                self._summary_state = state
        payload = self._encode("event", sample)
        if payload is None:
            return []
        frame = Frame("event", self.name, self.index, sample.topic, payload)
        self._events[sample.topic] = frame
        try:
            extra = self._after_event(sample, now)
        except Exception:
            self._counts["hook_errors"] += 1
            extra = []
        return [frame, *extra]

    def _on_telemetry(self, sample: Sample, now: float) -> list[Frame]:
        stream = self._telemetry.get(sample.topic)
        if stream is None:
            stream = self._telemetry[sample.topic] = _TelemetryStream()
        if now < stream.tat - self._early:
            if stream.pending is not None:
                self._counts["telemetry_coalesced"] += 1
            stream.pending = sample
            return []
        if stream.pending is not None:  # due but not yet ticked: the newer sample wins
            self._counts["telemetry_coalesced"] += 1
            stream.pending = None
        frame = self._telemetry_frame(sample)
        return [] if frame is None else [self._sent(stream, frame, now)]

    def _telemetry_frame(self, sample: Sample) -> Frame | None:
        payload = self._encode("telemetry", sample)
        if payload is None:
            return None
        return Frame("telemetry", self.name, self.index, sample.topic, payload)

    def _sent(self, stream: _TelemetryStream, frame: Frame, now: float) -> Frame:
        stream.tat = max(stream.tat, now) + self._min_interval
        stream.last_emit = now
        stream.last_frame = frame
        return frame

    def _encode(self, kind: str, sample: Sample) -> str | None:
        """The payload text, or None (counted) when this sample cannot be encoded."""
        key = (kind, sample.topic)
        try:
            encoder = self._encoders.get(key)
            if encoder is None:
                encoder = self._encoders[key] = TopicEncoder(self._topics[key])
            if kind == "event":
                payload = encoder.event(sample.data)
            else:
                payload = encoder.telemetry(sample.data)
        except Exception:
            self._counts["encoding_errors"] += 1
            return None
        if len(payload) > MAX_PAYLOAD_CHARS:
            # A frame the manager would refuse (uvicorn's ws_max_size is 16 MiB) would close
            # the link and come back on every reconnect: drop it here, counted.
            self._counts["oversized_dropped"] += 1
            return None
        return payload

    def _heartbeat_frame(self, now: float) -> Frame:
        """Close the current heartbeat window(s) and build the Heartbeat frame."""
        period = self.settings.heartbeat_period
        windows = 1 + math.floor((now - self._next_heartbeat) / period)
        if self._heartbeat_seen:
            self._lost = 0
        else:
            self._lost += windows  # a late tick still counts every window that passed
        self._heartbeat_seen = False
        if windows > 1:  # far behind: restart the schedule from now
            self._next_heartbeat = now + period
        else:
            self._next_heartbeat += period
        payload = {
            "csc": self.name,
            "salindex": self.index,
            "lost": self._lost,
            "last_heartbeat_timestamp": (
                -1 if self._last_heartbeat is None else self._last_heartbeat
            ),
            "max_lost_heartbeats": self.settings.max_lost_heartbeats,
        }
        return Frame("event", "Heartbeat", 0, "stream", dumps(payload))

    def _count_out(self, frames: list[Frame]) -> None:
        for f in frames:
            self._frames_out[f.category] += 1
