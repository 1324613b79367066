"""CSC actor: one or several SAL components in one process (``--components-per-actor``).

A thin shell around the domain state machines (`love_producer.kinds.make_csc_state`): for each
component it hosts (a `Member`: its own state machine, source, journal and schedule) it drains
the source, feeds the state machine, and sends the frames all members made in one wake-up to
the ManagerClient as one batch. A member that fails is dropped alone and reported to the
Factory (`ComponentGone`), which starts it again with backoff; the others go on.

Replayable (``love_producer.journal``): every message that reaches a state machine is recorded
in that member's journal with the ``now`` it was handled at and the samples drained for it.
Time, the source, the timer and which members a wake-up steps are read through `now`,
`_open_source`, `_arm_timer`, `_polls_at` and `_stepped_by` only, which the replay subclass
(``actors.replay.ReplayCSCActor``) replaces.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import attrs
from thespian.actors import ActorExitRequest, ActorTypeDispatcher, ThespianWatch, WakeupMessage

from actors.edges.frame_pipe import PipeWriter
from actors.edges.journal_files import NullRecorder, make_recorder
from actors.edges.log_setup import set_component, setup_actor_logging
from actors.edges.sources import open_source
from actors.hosts import fits_host
from actors.messages import (
    ComponentGone,
    FrameBatch,
    FramePipe,
    Idle,
    ManagerConnected,
    RegisterCSC,
    Requests,
    SetLoad,
    StartCSC,
    StatusReply,
    StatusRequest,
    StopComponent,
    UseManagerClient,
)
from love_producer.journal import StartConfig, csc_actor_name
from love_producer.kinds import make_csc_state
from love_producer.link.poll_schedule import PollSchedule
from love_producer.link.recent_events import RecentEvents

log = logging.getLogger("love_actors.csc")

#: Longest sleep between wake-ups (idle timeouts are checked then).
IDLE_WAKEUP = 60.0
#: Seconds between a frame pipe's break and the attempt to open it again.
PIPE_RETRY = 1.0
#: A wake-up steps the members due within this much of it (timers fire a little early).
DUE_SLACK = 0.001


@attrs.define(eq=False)
class Member:
    """One component hosted by a CSC actor."""

    key: str
    state: object
    source: object
    schedule: PollSchedule
    recorder: object = attrs.field(factory=NullRecorder)
    idle_timeout: float | None = None
    last_request: float = 0.0
    recent: RecentEvents = attrs.field(factory=RecentEvents)
    events_resent: int = 0
    due: float = 0.0  # its next wake-up


class CSCActor(ActorTypeDispatcher):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities: dict, requirements: dict) -> bool:
        return fits_host(capabilities, requirements)

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[str, Member] = {}
        self._touched: set[str] = set()  # members whose next wake-up is to be planned again
        self.mc = None
        self.factory = None
        self.timer_due = 0.0
        self.timer_token = 0
        self.pipe: PipeWriter | None = None
        self.pipe_dropped = 0  # frames the pipes this actor had refused (reader too slow)
        self.pipe_address: str | None = None  # the ManagerClient's pipe, to re-open after a break
        self.pipe_retry_at = 0.0
        self.pipe_breaks = 0
        self.pipe_superseded = 0  # telemetry the pipes replaced while their reader was behind

    # Time comes from here only, so a journal can replace it.
    def now(self) -> float:
        return time.time()

    def _open_source(self, msg: StartCSC):
        return open_source(msg.component, msg.info, msg.source, msg.start_time, msg.related)

    def _arm_timer(self, delay: float, token: int) -> None:
        self.wakeupAfter(timedelta(seconds=delay), payload=token)

    def _polls_at(self, member: Member, now: float) -> bool:
        """Whether a wake-up at ``now`` drains the member's source (`PollSchedule`)."""
        return member.schedule.drains_at(now)

    def _stepped_by(self, kind: str, now: float, ready: list | None = None) -> list[Member]:
        """The members a wake-up (``kind`` "wakeup") or a readable source ("watch") steps."""
        if kind == "watch":
            fds = set(ready or ())
            return [m for m in self.members.values() if m.source.fileno() in fds]
        return [m for m in self.members.values() if m.due <= now + DUE_SLACK]

    @property
    def key(self) -> str:
        """The hosted components, for log lines."""
        return "+".join(self.members) or "-"

    # --- start and stop --------------------------------------------------------------------

    def receiveMsg_StartCSC(self, msg: StartCSC, sender):
        key = msg.component.key
        if key in self.members:
            return self._next()
        if not self.members and self.factory is None:
            setup_actor_logging()
            set_component(key)
        now = self.now()
        if msg.start_time is None:
            msg = attrs.evolve(msg, start_time=now)
        self.mc = msg.manager_client if self.mc is None else self.mc
        self.factory = sender
        state = make_csc_state(
            msg.info, msg.component.index, msg.settings, msg.start_time, msg.related, msg.kind
        )
        try:
            source = self._open_source(msg)
        except Exception as e:
            log.error("%s cannot open its %s source: %s", key, msg.source.kind, e)
            self.send(self.factory, ComponentGone(key, f"cannot open its source: {e}"))
            return self._next()
        m = Member(key, state, source, PollSchedule(msg.source.poll_interval))
        m.idle_timeout, m.last_request = msg.idle_timeout, now
        start = None
        if msg.record is not None:
            start = StartConfig(
                msg.component.name,
                msg.component.index,
                msg.info,
                msg.settings,
                msg.kind,
                msg.start_time,
                dict(msg.related),
                msg.idle_timeout,
            )
            m.recorder = make_recorder(
                msg.record, csc_actor_name(msg.component.name, msg.component.index), start
            )
        self.members[key] = m
        self.send(self.mc, RegisterCSC(key, state.registration_names()))
        log.info("%s started (pid %d, %d in this process)", key, os.getpid(), len(self.members))
        self._send(self._step(m, now, "start", start))
        return self._next()

    def receiveMsg_StopComponent(self, msg: StopComponent, sender):
        m = self.members.pop(msg.key, None)
        if m is not None:
            self._close(m)
        self.send(sender, ComponentGone(msg.key))
        return self._next()

    def _fail(self, m: Member, reason: str) -> None:
        """Give up on one member: the Factory starts it again, with backoff."""
        log.error("%s %s; dropping it", m.key, reason)
        self.members.pop(m.key, None)
        self._close(m)
        if self.factory is not None:
            self.send(self.factory, ComponentGone(m.key, reason))
        else:
            self.send(self.myAddress, ActorExitRequest())

    def _close(self, m: Member) -> None:
        m.source.close()
        m.recorder.close()
        self._touched.discard(m.key)

    def receiveMsg_ActorExitRequest(self, msg: ActorExitRequest, sender):
        self._close_pipe()
        for m in self.members.values():
            self._close(m)
        self.members.clear()

    # --- the manager side ------------------------------------------------------------------

    def receiveMsg_FramePipe(self, msg: FramePipe, sender):
        if sender != self.mc:
            return self._next()  # from a ManagerClient we no longer use
        if self.pipe is not None and self.pipe.address == msg.address and not self.pipe.broken:
            return self._next()  # the pipe we already write to (one per member may come)
        unsent = self._close_pipe()
        self.pipe_address = msg.address
        try:
            self.pipe = PipeWriter(msg.address)
        except OSError as e:  # another host, or no abstract sockets: stay on actor messages
            log.info("%s: no frame pipe (%s)", self.key, e)
            self.pipe = None
            self.pipe_address = None
        if unsent:
            self._send(unsent)
        return self._next()

    def receiveMsg_UseManagerClient(self, msg: UseManagerClient, sender):
        if msg.address == self.mc:
            return self._next()  # the Factory tells each member; once is enough
        self._close_pipe()  # what it did not send is among the recent events below
        self.pipe_address = None  # the new ManagerClient sends its own
        self.mc = msg.address
        now = self.now()
        again = []
        for m in self.members.values():
            self.send(self.mc, RegisterCSC(m.key, m.state.registration_names()))
            # The old one may have died with our last events unsent: send them again (at
            # least once, `love_producer.link.recent_events`). Telemetry comes anew anyway.
            frames = m.recent.frames(now)
            m.events_resent += len(frames)
            again += frames
        if again:
            self.send(self.mc, FrameBatch(tuple(again)))
        return self._next()

    def receiveMsg_ManagerConnected(self, msg: ManagerConnected, sender):
        now = self.now()
        for m in self._addressed(msg.key):
            m.recorder.event("connected", now)
            self._send(m.state.cached_frames())
        return self._next()

    def receiveMsg_Requests(self, msg: Requests, sender):
        now = self.now()
        frames = []
        for m in self._addressed(msg.key):
            m.recorder.requests(now, msg.requests)
            m.last_request = now
            for req in msg.requests:
                frames += m.state.on_request(req, now)
            self._touched.add(m.key)
        self._send(frames)
        return self._next()

    def _addressed(self, key: str) -> list[Member]:
        if key:
            m = self.members.get(key)
            return [m] if m is not None else []
        return list(self.members.values())

    # --- wake-ups --------------------------------------------------------------------------

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if msg.payload == self.timer_token:
            self.timer_due = 0.0  # the armed timer fired; an earlier, replaced one is ignored
        now = self.now()
        frames = []
        # A wake-up that is none of our timers (no payload) is a nudge: it steps every member.
        if msg.payload is None:
            stepped = list(self.members.values())
        else:
            stepped = self._stepped_by("wakeup", now)
        for m in stepped:
            frames += self._step(m, now, "wakeup", drain=self._polls_at(m, now))
            if m.idle_timeout and now - m.last_request > m.idle_timeout:
                self.send(self.factory, Idle(m.key))
                m.idle_timeout = None
        self._send(frames)
        return self._next()

    def receiveMsg_WatchMessage(self, msg, sender):
        now = self.now()
        frames = []
        for m in self._stepped_by("watch", now, getattr(msg, "ready", None)):
            frames += self._step(m, now, "watch")
        self._send(frames)
        return self._next()

    def _step(
        self,
        m: Member,
        now: float,
        kind: str,
        start: StartConfig | None = None,
        drain: bool = True,
    ) -> list:
        """Drain one member's source into its state machine; the frames it made."""
        self._touched.add(m.key)
        if drain:
            m.schedule.drained(now)
        try:
            samples = m.source.drain(now) if drain else []
        except Exception as e:  # e.g. salobj could not start (Kafka, schema registry)
            self._fail(m, f"lost its source: {e}")
            return []
        m.recorder.step(kind, now, samples, start)
        frames = m.state.on_samples(samples, now)
        frames += m.state.tick(now)
        if frames:
            m.recent.add(frames, now)
        # Commands the state machine asked for (hydration, schemas) go to the source; their
        # results come back as ordinary samples.
        for cmd in m.state.take_commands():
            m.source.command(cmd, now)
        return frames

    def _send(self, frames) -> None:
        """Frames to the ManagerClient: through the pipe, or as an actor message."""
        if not frames:
            return
        if self.pipe is None and self.pipe_address and self.now() >= self.pipe_retry_at:
            self._reopen_pipe()
        if self.pipe is not None and not self.pipe.send(frames):
            self.pipe_breaks += 1
            log.warning(
                "%s: frame pipe broken (%d so far: %s); actor messages until it re-opens",
                self.key,
                self.pipe_breaks,
                self.pipe.error,
            )
            frames = self._close_pipe()  # nothing the reader did not get is lost
            self.pipe_retry_at = self.now() + PIPE_RETRY
        if self.pipe is None and frames:
            self.send(self.mc, FrameBatch(tuple(frames)))

    def _reopen_pipe(self) -> None:
        """A broken pipe is not given up: it is opened again a second after it broke."""
        try:
            self.pipe = PipeWriter(self.pipe_address)
        except OSError:
            self.pipe_retry_at = self.now() + PIPE_RETRY
        else:
            log.info("%s: frame pipe re-opened", self.key)

    def _close_pipe(self) -> list:
        """Close the pipe; returns the frames its reader did not get, to send another way."""
        if self.pipe is None:
            return []
        unsent = self.pipe.take_unsent()
        self.pipe.close()
        self.pipe_dropped += self.pipe.dropped_frames
        self.pipe_superseded += self.pipe.superseded
        self.pipe = None
        return unsent

    # --- status ----------------------------------------------------------------------------

    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        if msg.key is not None:
            m = self.members.get(msg.key)
        else:
            m = next(iter(self.members.values()), None)
        status = m.state.status() if m is not None else {}
        status["pipe_dropped"] = self.pipe_dropped + (self.pipe.dropped_frames if self.pipe else 0)
        status["pipe_breaks"] = self.pipe_breaks
        status["pipe_superseded"] = self.pipe_superseded + (
            self.pipe.superseded if self.pipe else 0
        )
        status["events_resent"] = m.events_resent if m is not None else 0
        status["pipe_open"] = self.pipe is not None
        status["key"] = m.key if m is not None else (msg.key or "")
        status["pid"] = os.getpid()
        status["in_process"] = len(self.members)
        self.send(sender, StatusReply(msg.request_id, "csc", status))
        return self._next()

    def receiveMsg_SetLoad(self, msg: SetLoad, sender):
        """Benchmarks: simulated sources change their telemetry rates."""
        for m in self.members.values():
            rescale = getattr(m.source, "set_rate_scale", None)
            if rescale is not None:
                rescale(msg.rate_scale)
            self._touched.add(m.key)
        return self._next()

    def receiveUnrecognizedMessage(self, msg, sender):
        return self._next()

    # --- the next wake-up ------------------------------------------------------------------

    def _plan(self, m: Member, now: float) -> float:
        """A member's next wake-up: at its state machine's next deadline, and at the next
        drain of a source without a file to watch (`PollSchedule`: when a sample is due,
        about a poll interval after the last poll, at each heartbeat window's close, and
        when an event is due, so it goes out on arrival)."""
        source = m.source
        if source.fileno() is None:
            # Pending telemetry goes out at the next poll, where a newer sample may replace it:
            # a wake-up of its own would spend the stream's slot on a stale sample just before
            # the fresh one arrives, and keep it so.
            event_due = getattr(source, "event_due", None)
            drain_at = m.schedule.plan(
                source.due_after,
                m.state.heartbeat_due(),
                event_due(now) if event_due is not None else None,
            )
            due = min(m.state.next_deadline(pending=False), drain_at)
        else:
            due = m.state.next_deadline()
        return min(due, now + IDLE_WAKEUP)  # nothing may be due at all (no heartbeat)

    def _next(self):
        """Arm the next wake-up (the earliest member's) and watch every member's source."""
        if not self.members:
            return None
        now = self.now()
        for key in self._touched:
            m = self.members.get(key)
            if m is not None:
                m.due = self._plan(m, now)
        self._touched.clear()
        due = min(m.due for m in self.members.values())
        if not self.timer_due or due < self.timer_due - 0.001:
            self.timer_due = due
            self.timer_token += 1
            self._arm_timer(max(0.0, due - now), self.timer_token)
        fds = [fd for m in self.members.values() if (fd := m.source.fileno()) is not None]
        return ThespianWatch(fds) if fds else None
