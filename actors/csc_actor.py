"""CSC actor: one SAL component. A thin shell around the domain state machine
(`love_producer.kinds.make_csc_state`): it drains its source, feeds the state machine and
sends the frames it returns to the ManagerClient in batches.

Replayable (``love_producer.journal``): every message that reaches the state machine is
recorded with the ``now`` it was handled at and the samples drained for it. Time, the source
and the timer are read through `now`, `_open_source` and `_arm_timer` only, which the replay
subclass (``actors.replay.ReplayCSCActor``) replaces.
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
    FrameBatch,
    FramePipe,
    Idle,
    ManagerConnected,
    RegisterCSC,
    Requests,
    StartCSC,
    StatusReply,
    StatusRequest,
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


class CSCActor(ActorTypeDispatcher):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities: dict, requirements: dict) -> bool:
        return fits_host(capabilities, requirements)

    def __init__(self) -> None:
        super().__init__()
        self.state = None
        self.source = None
        self.mc = None
        self.recent = RecentEvents()
        self.events_resent = 0
        self.key = ""
        self.idle_timeout: float | None = None
        self.last_request = 0.0
        self.factory = None
        self.timer_due = 0.0
        self.timer_token = 0
        self.schedule = PollSchedule(0.1)
        self.recorder = NullRecorder()
        self.pipe: PipeWriter | None = None
        self.pipe_dropped = 0  # frames the pipes this actor had refused (reader too slow)
        self.pipe_address: str | None = None  # the ManagerClient's pipe, to re-open after a break
        self.pipe_retry_at = 0.0
        self.pipe_breaks = 0

    # Time comes from here only, so a journal can replace it.
    def now(self) -> float:
        return time.time()

    def _open_source(self, msg: StartCSC):
        return open_source(msg.component, msg.info, msg.source, msg.start_time, msg.related)

    def _arm_timer(self, delay: float, token: int) -> None:
        self.wakeupAfter(timedelta(seconds=delay), payload=token)

    def receiveMsg_StartCSC(self, msg: StartCSC, sender):
        if self.state is not None:
            return self._next()
        setup_actor_logging()
        set_component(msg.component.key)
        now = self.now()
        if msg.start_time is None:
            msg = attrs.evolve(msg, start_time=now)
        self.key = msg.component.key
        self.mc = msg.manager_client
        self.factory = sender
        self.schedule = PollSchedule(msg.source.poll_interval)
        self.idle_timeout = msg.idle_timeout
        self.last_request = now
        self.state = make_csc_state(
            msg.info, msg.component.index, msg.settings, msg.start_time, msg.related, msg.kind
        )
        try:
            self.source = self._open_source(msg)
        except Exception as e:
            self._fail(f"cannot open its {msg.source.kind} source: {e}")
            return None
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
            self.recorder = make_recorder(
                msg.record, csc_actor_name(msg.component.name, msg.component.index), start
            )
        self.send(self.mc, RegisterCSC(self.key, self.state.registration_names()))
        log.info("%s started (pid %d)", self.key, os.getpid())
        self._step(now, "start", start)
        return self._next()

    def receiveMsg_FramePipe(self, msg: FramePipe, sender):
        if sender != self.mc:
            return self._next()  # from a ManagerClient we no longer use
        if self.pipe is not None and self.pipe.address == msg.address and not self.pipe.broken:
            return self._next()  # the pipe we already write to
        unsent = self._close_pipe()
        self.pipe_address = msg.address
        try:
            self.pipe = PipeWriter(msg.address)
        except OSError as e:  # another host, or no abstract sockets: stay on actor messages
            log.info("%s: no frame pipe (%s)", self.key, e)
            self.pipe = None
            self.pipe_address = None
        if unsent and self.state is not None:
            self._send(unsent)
        return self._next()

    def receiveMsg_UseManagerClient(self, msg: UseManagerClient, sender):
        self._close_pipe()  # what it did not send is among the recent events below
        self.pipe_address = None  # the new ManagerClient sends its own
        self.mc = msg.address
        self.send(self.mc, RegisterCSC(self.key, self.state.registration_names()))
        # The old one may have died with our last events unsent: send them again (at least
        # once, `love_producer.link.recent_events`). Telemetry comes anew anyway.
        again = self.recent.frames(self.now())
        if again:
            self.events_resent += len(again)
            self.send(self.mc, FrameBatch(tuple(again)))
        return self._next()

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if msg.payload == self.timer_token:
            self.timer_due = 0.0  # the armed timer fired; an earlier, replaced one is ignored
        if self.state is not None:
            now = self.now()
            self._step(now, "wakeup", drain=self._polls_at(now))
            if self.idle_timeout and now - self.last_request > self.idle_timeout:
                self.send(self.factory, Idle(self.key))
                self.idle_timeout = None
        return self._next()

    def receiveMsg_WatchMessage(self, msg, sender):
        if self.state is not None:
            self._step(self.now(), "watch")
        return self._next()

    def _fail(self, reason: str) -> None:
        """Give up: the Factory sees the exit and starts this component again, with backoff."""
        log.error("%s %s; exiting", self.key, reason)
        if self.source is not None:
            self.source.close()
            self.source = None
        self.state = None
        self.send(self.myAddress, ActorExitRequest())

    def _polls_at(self, now: float) -> bool:
        """Whether a wake-up at ``now`` drains the source (`PollSchedule`)."""
        return self.schedule.drains_at(now)

    def _step(
        self, now: float, kind: str, start: StartConfig | None = None, drain: bool = True
    ) -> None:
        if self.source is None:
            return
        if drain:
            self.schedule.drained(now)
        try:
            samples = self.source.drain(now) if drain else []
        except Exception as e:  # e.g. salobj could not start (Kafka, schema registry)
            self._fail(f"lost its source: {e}")
            return
        self.recorder.step(kind, now, samples, start)
        frames = self.state.on_samples(samples, now)
        frames += self.state.tick(now)
        self._send(frames)

    def _send(self, frames) -> None:
        if frames:
            self.recent.add(frames, self.now())
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
        # Commands the state machine asked for (hydration, schemas) go to the source; their
        # results come back as ordinary samples.
        commands = self.state.take_commands()
        if commands:
            now = self.now()
            for cmd in commands:
                self.source.command(cmd, now)

    def receiveMsg_ManagerConnected(self, msg: ManagerConnected, sender):
        if self.state is not None:
            self.recorder.event("connected", self.now())
            self._send(self.state.cached_frames())
        return self._next()

    def receiveMsg_Requests(self, msg: Requests, sender):
        if self.state is not None:
            now = self.now()
            self.recorder.requests(now, msg.requests)
            self.last_request = now
            frames = []
            for req in msg.requests:
                frames += self.state.on_request(req, now)
            self._send(frames)
        return self._next()

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
        self.pipe = None
        return unsent

    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        status = self.state.status() if self.state is not None else {}
        status["pipe_dropped"] = self.pipe_dropped + (self.pipe.dropped_frames if self.pipe else 0)
        status["pipe_breaks"] = self.pipe_breaks
        status["events_resent"] = self.events_resent
        status["pipe_open"] = self.pipe is not None
        status["key"] = self.key
        status["pid"] = os.getpid()
        self.send(sender, StatusReply(msg.request_id, "csc", status))
        return self._next()

    def receiveMsg_ActorExitRequest(self, msg: ActorExitRequest, sender):
        self._close_pipe()
        if self.source is not None:
            self.source.close()
            self.source = None
        self.recorder.close()

    def receiveUnrecognizedMessage(self, msg, sender):
        return self._next()

    def _next(self):
        """Arm the next wake-up: at the state machine's next deadline, and at the next poll of
        a source without a file to watch (`PollSchedule`: when a sample is due, about a poll
        interval after the last poll, and at each heartbeat window's close)."""
        if self.state is None or self.source is None:
            return None
        now = self.now()
        fd = self.source.fileno()
        if fd is None:
            # Pending telemetry goes out at the next poll, where a newer sample may replace it:
            # a wake-up of its own would spend the stream's slot on a stale sample just before
            # the fresh one arrives, and keep it so.
            drain_at = self.schedule.plan(self.source.due_after, self.state.heartbeat_due())
            due = min(self.state.next_deadline(pending=False), drain_at)
        else:
            due = self.state.next_deadline()
        due = min(due, now + IDLE_WAKEUP)  # nothing may be due at all (no heartbeat)
        if not self.timer_due or due < self.timer_due - 0.001:
            self.timer_due = due
            self.timer_token += 1
            self._arm_timer(max(0.0, due - now), self.timer_token)
        return ThespianWatch([fd]) if fd is not None else None
