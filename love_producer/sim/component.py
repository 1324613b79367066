"""Deterministic simulator of a generic CSC (the ``sim`` source, pure domain).

A `SimulatedComponent` turns an interface description into the samples a real CSC would
publish: startup "history", heartbeats, summaryState changes on a schedule, telemetry at
per-topic rates and component-specific events at random intervals.

Time rule
---------
Every sample has a send time ``t`` fixed by the seed, the settings and ``start_time`` only.
``advance(now)`` returns every sample with ``t <= now`` not returned before, sorted by ``t``
(ties: history first, then the state events, heartbeats, telemetry topics, events, each in
interface order). Calls with ``now < start_time`` return nothing; the first call with
``now >= start_time`` begins with the history stamped at ``start_time``. Hence any sequence of
calls with non-decreasing ``now`` returns, concatenated, exactly what one call at the last
``now`` returns: per-topic random streams are consumed in sample order, never in call order.

Schedules (``t`` relative to ``start_time``)
---------------------------------------------
- heartbeat at ``k * heartbeat_interval``, k = 1, 2, ...
- telemetry at ``phase + k * period``, k = 0, 1, ..., with ``period = 1 / (rate * rate_scale)``
  and ``phase`` in ``(0, period]``: ``psi`` modulo ``period``, where ``psi`` in ``(0, 1]`` is
  drawn once per component from the seed. All telemetry of a component is thus published on
  one grid (as a CSC's telemetry loop does), so a reader woken at `next_due` drains all of a
  tick's topics at once. In a window of D seconds after start a topic has ``floor(D / period)``
  or ``ceil(D / period)`` samples.
- summaryState: history carries the first state of ``state_schedule``; later entries are sent
  at their times (entries at or before 0 right after the history). configurationApplied comes
  just before the summaryState of a STANDBY -> DISABLED transition.
- ``fault_at``: errorCode, then summaryState FAULT; later schedule entries are dropped.
- component-specific events: first after ``uniform(*event_interval)``, then again after a new
  draw each time.
- silent window ``silent_from <= t < silent_until`` (no end when ``silent_until`` is None):
  nothing is published, but random streams still advance (time goes by for the dead CSC). At
  ``silent_until`` the component sends summaryState with its current state, as a restarted CSC
  would, unless a scheduled summaryState is due at that very time.
"""

from __future__ import annotations

import hashlib
import math
import random
from operator import attrgetter, itemgetter

import attrs

from love_producer.interfaces.interface import ComponentInfo, TopicInfo, private_fields
from love_producer.sal.samples import TAI_MINUS_UTC, Sample
from love_producer.sim.values import (
    PRIVATE_NAMES,
    TopicGenerator,
    fixed_values,
    topic_generator,
)

STANDBY = 5
DISABLED = 1
ENABLED = 2
FAULT = 3
OFFLINE = 4

# TAI - UTC: one definition, with the samples (re-exported here for the simulators).

#: Events the simulator publishes by its own rules; every other event fires at random.
GENERIC_EVENTS = frozenset(
    {
        "heartbeat",
        "summaryState",
        "softwareVersions",
        "simulationMode",
        "logLevel",
        "configurationsAvailable",
        "configurationApplied",
        "errorCode",
    }
)

#: Field values of the generic events (coerced to each field's type; others get defaults).
GENERIC_VALUES: dict[str, dict[str, object]] = {
    "heartbeat": {"heartbeat": False},
    "softwareVersions": {
        "salVersion": "8.0.0",
        "xmlVersion": "22.1.0",
        "cscVersion": "0.0.0+sim",
        "subsystemVersions": "",
    },
    "simulationMode": {"mode": 1},
    "logLevel": {"level": 20, "subsystem": ""},
    "configurationsAvailable": {
        "overrides": "",
        "version": "sim",
        "url": "file:///sim/config",
        "schemaVersion": "v1",
    },
    "configurationApplied": {
        "configurations": "_init.yaml",
        "version": "sim",
        "url": "file:///sim/config",
        "schemaVersion": "v1",
        "otherInfo": "",
    },
    "errorCode": {"errorCode": 1, "errorReport": "Simulated fault", "traceback": ""},
}

#: Order of the private values `SimulatedComponent._sample` computes (a `_Plan` picks its own).
_PRIVATE_ORDER = tuple(f.name for f in private_fields(indexed=True))

_HISTORY = ("softwareVersions", "simulationMode", "logLevel", "configurationsAvailable")


def _positive(_inst: object, attribute: attrs.Attribute, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, not {value!r}")


def _positive_rates(_inst: object, attribute: attrs.Attribute, value: object) -> None:
    rates = value.values() if isinstance(value, dict) else value
    if not rates and attribute.name == "default_rates":
        raise ValueError("default_rates must not be empty")
    for rate in rates:
        if not rate > 0:
            raise ValueError(f"{attribute.name}: rates must be > 0, not {rate!r}")


def _check_schedule(_inst: object, _attribute: attrs.Attribute, value: tuple) -> None:
    if not value:
        raise ValueError("state_schedule needs at least the initial state")


def _check_interval(_inst: object, _attribute: attrs.Attribute, value: tuple) -> None:
    lo, hi = value
    if not 0 < lo <= hi:
        raise ValueError(f"event_interval must satisfy 0 < low <= high, not {value!r}")


@attrs.frozen
class SimSettings:
    """How a simulated component behaves; times are seconds after ``start_time``."""

    telemetry_rates: dict[str, float] = attrs.field(
        factory=dict, converter=dict, validator=_positive_rates
    )
    default_rates: tuple[float, ...] = attrs.field(
        default=(1.0, 2.0, 5.0, 10.0, 20.0), converter=tuple, validator=_positive_rates
    )
    rate_scale: float = attrs.field(default=1.0, validator=_positive)
    state_schedule: tuple[tuple[float, int], ...] = attrs.field(
        default=((0.0, STANDBY), (2.0, DISABLED), (4.0, ENABLED)),
        converter=lambda s: tuple((float(t), int(state)) for t, state in s),
        validator=_check_schedule,
    )
    heartbeat_interval: float = attrs.field(default=1.0, validator=_positive)
    event_interval: tuple[float, float] = attrs.field(
        default=(5.0, 60.0), converter=tuple, validator=_check_interval
    )
    silent_from: float | None = None
    silent_until: float | None = None
    fault_at: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.silent_until is not None:
            if self.silent_from is None:
                raise ValueError("silent_until needs silent_from")
            if self.silent_until <= self.silent_from:
                raise ValueError("silent_until must be after silent_from")


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")


def rev_code(topic: TopicInfo) -> str:
    """8 hex chars, stable for a topic's name and field names (a stand-in for SAL's)."""
    text = topic.name + ":" + ",".join(topic.field_names)
    return hashlib.md5(text.encode()).hexdigest()[:8]


class _Plan:
    """Per-topic constants and the seqNum counter; builds the data dicts."""

    __slots__ = (
        "topic",
        "kind",
        "name",
        "private",
        "pick",
        "user",
        "user_names",
        "names",
        "ordered",
        "rev",
        "seq",
    )

    def __init__(self, topic: TopicInfo, kind: str) -> None:
        self.topic = topic
        self.kind = kind
        self.name = topic.name
        self.private = tuple(f.name for f in topic.fields if f.name in PRIVATE_NAMES)
        # pick(values in _PRIVATE_ORDER) -> the topic's private values, as a tuple
        index = [_PRIVATE_ORDER.index(name) for name in self.private]
        if len(index) > 1:
            self.pick = itemgetter(*index)
        else:
            self.pick = lambda values: tuple(values[i] for i in index)
        self.user = tuple(f for f in topic.fields if f.name not in PRIVATE_NAMES)
        self.user_names = tuple(f.name for f in self.user)
        self.names = self.private + self.user_names
        # Private fields come first in every salobj topic; reorder only if they do not.
        self.ordered = topic.field_names == self.names
        self.rev = rev_code(topic)
        self.seq = 0


# One pending sample: (send time, plan, user field values).
_Item = tuple[float, _Plan, list]


class _Periodic:
    """A stream at ``base + offset + k * period`` (telemetry, heartbeat); ``base`` is kept
    apart so that ``base + k * interval`` lands exactly where ``start + silent_until`` does."""

    __slots__ = ("plan", "values", "base", "offset", "period", "k", "next_t")

    def __init__(
        self,
        plan: _Plan,
        values: TopicGenerator,
        base: float,
        offset: float,
        period: float,
        k: int = 0,
    ) -> None:
        self.plan, self.values, self.base, self.offset, self.period = (
            plan,
            values,
            base,
            offset,
            period,
        )
        self.k = k
        self.next_t = base + (offset + k * period)

    def due_after(self, t: float, span: float = 0.0) -> float:
        """First send time at or after ``t``; ``t`` itself when a sample is pending and this
        stream is slower than one ``span`` (a faster one brings a fresher sample within it)."""
        if self.next_t >= t:
            return self.next_t
        if self.period > span:
            return t
        k = max(self.k, math.ceil((t - self.base - self.offset) / self.period))
        due = self.base + (self.offset + k * self.period)
        return due if due >= t else self.base + (self.offset + (k + 1) * self.period)

    def take(self, now: float, out: list[_Item]) -> None:
        while self.next_t <= now:
            out.append((self.next_t, self.plan, self.values()))
            self.k += 1
            self.next_t = self.base + (self.offset + self.k * self.period)

    def retime(self, period: float, offset: float) -> None:
        """Go on at ``period`` on the grid ``base + offset + k * period``, from the first of
        its times at or after the next sample's (the component's streams stay in step)."""
        k = math.ceil((self.next_t - self.base - offset) / period - 1e-9)
        self.period, self.offset, self.k = period, offset, max(k, 0)
        self.next_t = self.base + (offset + self.k * period)


class _Random:
    """A stream at random intervals (component-specific events)."""

    __slots__ = ("plan", "values", "rng", "lo", "hi", "next_t")

    def __init__(
        self,
        plan: _Plan,
        values: TopicGenerator,
        rng: random.Random,
        start: float,
        lo: float,
        hi: float,
    ) -> None:
        self.plan, self.values, self.rng, self.lo, self.hi = plan, values, rng, lo, hi
        self.next_t = start + rng.uniform(lo, hi)

    def due_after(self, t: float, span: float = 0.0) -> float:
        return max(self.next_t, t)  # the draws after the next one are not known yet

    def take(self, now: float, out: list[_Item]) -> None:
        while self.next_t <= now:
            out.append((self.next_t, self.plan, self.values()))
            self.next_t += self.rng.uniform(self.lo, self.hi)


class _Listed:
    """A finite, precomputed list of (time, plan, values generator), sorted by time."""

    __slots__ = ("items", "i")

    def __init__(self, items: list[tuple[float, _Plan, TopicGenerator]]) -> None:
        self.items = items
        self.i = 0

    def due_after(self, t: float, span: float = 0.0) -> float:
        return max(self.items[self.i][0], t) if self.i < len(self.items) else math.inf

    def take(self, now: float, out: list[_Item]) -> None:
        items = self.items
        while self.i < len(items) and items[self.i][0] <= now:
            t, plan, values = items[self.i]
            out.append((t, plan, values()))
            self.i += 1


def silent_window(settings: SimSettings, start_time: float) -> tuple[float | None, float | None]:
    """The settings' silent window in absolute time (None: no such bound)."""
    lo = start_time + settings.silent_from if settings.silent_from is not None else None
    hi = start_time + settings.silent_until if settings.silent_until is not None else None
    return lo, hi


def audible(t: float, lo: float | None, hi: float | None) -> bool:
    """True unless ``t`` falls in the silent window ``lo <= t < hi``."""
    return lo is None or t < lo or (hi is not None and t >= hi)


def release(
    generic: list[Sample], pending: list[Sample], now: float, lo: float | None, hi: float | None
) -> tuple[list[Sample], list[Sample]]:
    """For simulators that add scripted samples to a generic `SimulatedComponent`: the pending
    samples due by ``now`` outside the silent window, merged by time with ``generic`` (stable:
    generic first at equal times), and the pending samples still to come."""
    due = [s for s in pending if s.rcv_time <= now]
    rest = pending[len(due) :]
    mine = [s for s in due if audible(s.rcv_time, lo, hi)]
    return sorted(generic + mine, key=attrgetter("rcv_time")), rest


class SimulatedComponent:
    """A simulated CSC instance; see the module docstring for the exact schedules.

    Parameters
    ----------
    info : ComponentInfo
        Interface of the component (commands are ignored).
    index : int
        SAL index (0 when not indexed).
    seed : int
        Seed of every random choice: same seed, same samples.
    start_time : float
        When the CSC started (UTC Unix seconds).
    settings : SimSettings
        Rates, schedules and failure injection.
    """

    def __init__(
        self,
        info: ComponentInfo,
        index: int,
        seed: int,
        start_time: float,
        settings: SimSettings | None = None,
    ) -> None:
        info.check_index(index)
        self.info = info
        self.index = index
        self.seed = seed
        self.start_time = start_time
        self.settings = settings = settings if settings is not None else SimSettings()
        self.identity = f"{info.name}:{index}" if info.indexed else info.name
        self.origin = 1000 + _digest(f"origin:{seed}") % 1_000_000
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._jitter = random.Random(f"{seed}:{info.name}:{index}:rcv")
        self._psi = 1.0 - random.Random(f"{seed}:{info.name}:{index}:phase").random()
        self._started = False
        start = start_time
        self._silent_lo, self._silent_hi = silent_window(settings, start)
        self._history = self._build_history()
        self._streams: list[_Periodic | _Random | _Listed] = [_Listed(self._build_states())]
        heartbeat = self._plan("event", "heartbeat")
        self._heartbeat: _Periodic | None = None
        if heartbeat is not None:
            interval = settings.heartbeat_interval
            values = self._fixed(heartbeat)
            self._heartbeat = _Periodic(heartbeat, values, start, 0.0, interval, k=1)
            self._streams.append(self._heartbeat)
        telemetry = [self._telemetry_stream(topic) for topic in info.telemetry]
        self._streams.extend(telemetry)
        self._telemetry_streams = telemetry
        lo, hi = settings.event_interval
        for topic in info.events:
            if topic.name in GENERIC_EVENTS:
                continue
            plan = self._plan("event", topic.name)
            rng = self._rng("event", topic.name)
            values = topic_generator(plan.user, rng)
            self._streams.append(_Random(plan, values, rng, start, lo, hi))
        skip = {id(x) for x in telemetry} | {id(self._heartbeat)}
        self._event_streams = [x for x in self._streams if id(x) not in skip]
        self._scale = settings.rate_scale

    # --- construction -------------------------------------------------------------------

    def _rng(self, kind: str, topic: str) -> random.Random:
        # String seeds are hashed with SHA-512: stable across runs and PYTHONHASHSEED.
        return random.Random(f"{self.seed}:{self.info.name}:{self.index}:{kind}:{topic}")

    def _plan(self, kind: str, name: str) -> _Plan | None:
        key = (kind, name)
        if key not in self._plans:
            topic = self.info.topic(kind, name)  # type: ignore[arg-type]
            if topic is None:
                return None
            self._plans[key] = _Plan(topic, kind)
        return self._plans[key]

    def _fixed(self, plan: _Plan, **overrides: object) -> TopicGenerator:
        values = dict(GENERIC_VALUES.get(plan.name, {}))
        values.update(overrides)
        return fixed_values(plan.user, values)

    def rate_of(self, topic: str) -> float:
        """Rate of a telemetry topic in Hz, ``rate_scale`` included."""
        settings = self.settings
        rate = settings.telemetry_rates.get(topic)
        if rate is None:
            rates = settings.default_rates
            rate = rates[_digest(f"rate:{self.seed}:{topic}") % len(rates)]
        return rate * settings.rate_scale

    def _telemetry_stream(self, topic: TopicInfo) -> _Periodic:
        plan = self._plan("telemetry", topic.name)
        assert plan is not None
        rng = self._rng("telemetry", topic.name)
        period = 1.0 / self.rate_of(topic.name)
        rng.random()  # drawn for the phase before; kept so the value streams stay the same
        phase = math.fmod(self._psi, period) or period  # in (0, period]
        return _Periodic(plan, topic_generator(plan.user, rng), self.start_time, phase, period)

    def _build_history(self) -> list[tuple[float, _Plan, TopicGenerator]]:
        items = []
        for name in _HISTORY:
            plan = self._plan("event", name)
            if plan is not None:
                items.append((self.start_time, plan, self._fixed(plan)))
        state = self._plan("event", "summaryState")
        if state is not None:
            first = self.settings.state_schedule[0][1]
            items.append((self.start_time, state, self._fixed(state, summaryState=first)))
        return items

    def _build_states(self) -> list[tuple[float, _Plan, TopicGenerator]]:
        """summaryState changes, configurationApplied, fault and the restart after silence,
        as (relative time, order) pairs sorted into absolute times."""
        settings = self.settings
        fault_at = settings.fault_at
        state_plan = self._plan("event", "summaryState")
        applied = self._plan("event", "configurationApplied")
        error = self._plan("event", "errorCode")
        schedule = settings.state_schedule
        # (relative time, state, is the injected fault)
        timeline: list[tuple[float, int, bool]] = [(0.0, schedule[0][1], False)]
        for t, state in sorted(schedule[1:], key=lambda e: e[0]):
            if fault_at is None or t < fault_at:
                timeline.append((max(t, 0.0), state, False))
        if fault_at is not None:
            timeline.append((max(fault_at, 0.0), FAULT, True))
        rel: list[tuple[float, _Plan, TopicGenerator]] = []
        for (t, state, is_fault), (_, before, _) in zip(timeline[1:], timeline, strict=False):
            if is_fault and error is not None:
                rel.append((t, error, self._fixed(error)))
            if state == DISABLED and before == STANDBY and applied is not None:
                rel.append((t, applied, self._fixed(applied)))
            if state_plan is not None:
                rel.append((t, state_plan, self._fixed(state_plan, summaryState=state)))
        until = settings.silent_until
        if until is not None and state_plan is not None:
            if all(t != until for t, _, _ in timeline):
                current = [s for t, s, _ in timeline if t < until][-1]
                resume = (until, state_plan, self._fixed(state_plan, summaryState=current))
                rel.append(resume)
        rel.sort(key=lambda item: item[0])  # stable: keeps the per-time order above
        start = self.start_time
        return [(start + t, plan, values) for t, plan, values in rel]

    # --- running ------------------------------------------------------------------------

    def due_after(self, t: float, span: float = 0.0) -> float:
        """When to drain next, at or after ``t``: a time at which a sample is due.

        Of the telemetry due times in ``[t, t + span]`` the one of the slowest topic wins, so
        a reader draining about every ``span`` seconds lands on the component's telemetry grid
        where the slower topics are published too, not on the in-between ticks of a faster one;
        events and heartbeats due meanwhile come with it. With no telemetry due in that window,
        the first time anything but a heartbeat is due (heartbeats only when nothing else
        ever is). A sample already due before ``t`` (not yet returned)
        makes that ``t`` if its stream is slower than ``span`` or its later times are unknown;
        samples in a silent window count as due.
        """
        if not self._started:
            return max(self.start_time, t)
        best, best_period = math.inf, -1.0
        end = t + span
        for stream in self._telemetry_streams:
            due = stream.due_after(t, span)
            if due <= end:
                period = stream.period
                if period > best_period or (period == best_period and due < best):
                    best, best_period = due, period
        if best_period >= 0.0:
            return best
        # Heartbeats need no drain of their own (a reader drains at its heartbeat windows'
        # ends anyway): they come with the next other sample, unless there is none.
        due = min(
            (s.due_after(t, span) for s in self._streams if s is not self._heartbeat),
            default=math.inf,
        )
        if due == math.inf and self._heartbeat is not None:
            due = self._heartbeat.due_after(t, math.inf)
        return due

    def set_rate_scale(self, scale: float) -> None:
        """Multiply every telemetry rate by ``scale`` / the current scale, from each stream's
        next sample on (the benchmark's load steps, ``bench --overload``)."""
        if scale <= 0:
            raise ValueError(f"rate scale must be > 0, not {scale}")
        factor = self._scale / scale
        for stream in self._telemetry_streams:
            period = stream.period * factor
            stream.retime(period, math.fmod(self._psi, period) or period)
        self._scale = scale

    def event_due_after(self, t: float) -> float:
        """When the next event other than a heartbeat is due, at or after ``t`` (inf: none).

        A reader drains then too, so an event goes out when it is sent instead of waiting for
        the next telemetry drain (heartbeats have drains of their own, their windows' ends).
        """
        if not self._started:
            return max(self.start_time, t)
        return min((x.due_after(t) for x in self._event_streams), default=math.inf)

    def advance(self, now: float) -> list[Sample]:
        """Samples with send time ``<= now`` not returned before, sorted by time."""
        if now < self.start_time:
            return []
        items: list[_Item] = []
        if not self._started:
            self._started = True
            items = [(t, plan, values()) for t, plan, values in self._history]
        for stream in self._streams:
            stream.take(now, items)
        # Stable sort: history first, then streams in construction order at equal times.
        items.sort(key=itemgetter(0))
        lo, hi = self._silent_lo, self._silent_hi
        if lo is not None:
            items = [it for it in items if audible(it[0], lo, hi)]
        return [self._sample(t, plan, values) for t, plan, values in items]

    def _sample(self, t: float, plan: _Plan, values: list) -> Sample:
        plan.seq += 1
        snd = t + TAI_MINUS_UTC
        private = (
            self.index,
            snd,
            snd + 0.0005 + 0.001 * self._jitter.random(),
            t,
            snd,
            plan.seq,
            plan.rev,
            self.identity,
            self.origin,
        )
        data = dict(zip(plan.names, plan.pick(private) + tuple(values), strict=True))
        if not plan.ordered:
            data = {name: data[name] for name in plan.topic.field_names}
        return Sample(self.info.name, self.index, plan.kind, plan.name, data, t)
