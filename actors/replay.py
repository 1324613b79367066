"""Replay a journal (``love_producer.journal``) into a fresh ``simpleSystemBase`` actor system.

The same `CSCActor` code runs, in `ReplayCSCActor`, a subclass that changes only the edges:
time is the recorded ``now`` of the message being replayed, the source is a `JournalSource`
fed with the samples recorded for that message, and no timer is armed (every wake-up the live
actor had is in the journal). `ReplayHub` stands in for the Factory and the ManagerClient: it
creates the CSC actors, delivers each recorded message from the merged journal, one at a time,
and collects the frames the actors send, in send order.

``simpleSystemBase`` runs each ``tell`` to completion in the calling thread, so the frames
collected after a delivery are exactly those that message caused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

import attrs
from thespian.actors import (
    ActorExitRequest,
    ActorSystem,
    ActorTypeDispatcher,
    WakeupMessage,
    WatchMessage,
)

from actors.csc_actor import CSCActor
from actors.edges.journal_files import read_journal
from actors.edges.journal_source import JournalSource
from actors.edges.settings import SourceConfig
from actors.messages import FrameBatch, ManagerConnected, RegisterCSC, Requests, StartCSC
from love_producer import journal
from love_producer.interfaces.component_id import ComponentId
from love_producer.journal import JournalError, Record
from love_producer.wire.frames import Frame

log = logging.getLogger("love_actors.replay")


# ---------------------------------------------------------------------------- the actors


@attrs.frozen
class ReplayInput:
    """A recorded message for a `ReplayCSCActor`, with its time and drained samples."""

    t: float
    message: object
    samples: tuple = ()


@attrs.frozen
class Deliver:
    actor: str
    start: StartCSC | None  # a (re)start: a fresh actor for this name
    input: ReplayInput


@attrs.frozen
class Collect:
    pass


@attrs.frozen
class Collected:
    frames: tuple[Frame, ...]
    names: dict  # CSC key -> registration names


class ReplayCSCActor(CSCActor):
    """`CSCActor` with a virtual clock, a journal source and no timers."""

    def __init__(self) -> None:
        super().__init__()
        self.virtual_now = 0.0
        self.journal_source = JournalSource()

    def now(self) -> float:
        return self.virtual_now

    def _open_source(self, msg: StartCSC):
        return self.journal_source

    def _arm_timer(self, delay: float, token: int) -> None:
        pass  # the journal holds every wake-up the live actor had

    def _polls_at(self, member, now: float) -> bool:
        return True  # the journal holds what the live actor drained (nothing, if it did not)

    def _stepped_by(self, kind: str, now: float, ready: list | None = None) -> list:
        return list(self.members.values())  # each recorded wake-up stepped this component

    def receiveMsg_ReplayInput(self, msg: ReplayInput, sender):
        self.virtual_now = msg.t
        self.journal_source.feed(msg.samples)
        return self.receiveMessage(msg.message, sender)


class ReplayHub(ActorTypeDispatcher):
    """Stand-in for the Factory and the ManagerClient during a replay."""

    def __init__(self) -> None:
        super().__init__()
        self.actors: dict[str, object] = {}
        self.frames: list[Frame] = []
        self.names: dict[str, tuple[str, ...]] = {}

    def receiveMsg_Deliver(self, msg: Deliver, sender):
        if msg.start is not None:
            old = self.actors.pop(msg.actor, None)
            if old is not None:
                self.send(old, ActorExitRequest())
            self.actors[msg.actor] = self.createActor(ReplayCSCActor)
            start = attrs.evolve(msg.start, manager_client=self.myAddress)
            self.send(self.actors[msg.actor], attrs.evolve(msg.input, message=start))
        elif msg.actor in self.actors:
            self.send(self.actors[msg.actor], msg.input)

    def receiveMsg_FrameBatch(self, msg: FrameBatch, sender):
        self.frames.extend(msg.frames)

    def receiveMsg_RegisterCSC(self, msg: RegisterCSC, sender):
        self.names[msg.key] = msg.names

    def receiveMsg_Collect(self, msg: Collect, sender):
        self.send(sender, Collected(tuple(self.frames), dict(self.names)))
        self.frames = []

    def receiveUnrecognizedMessage(self, msg, sender):
        pass  # Idle and the like: nothing to do in a replay


# ---------------------------------------------------------------------------- the driver


def _start_message(start: journal.StartConfig) -> StartCSC:
    return StartCSC(
        component=ComponentId(start.component, start.index),
        info=start.info,
        source=SourceConfig(kind="journal"),
        settings=start.settings,
        manager_client=None,  # the hub sets itself
        start_time=start.start_time,
        idle_timeout=start.idle_timeout,
        related=dict(start.related),
        kind=start.kind,
    )


def _message(record: Record) -> object:
    if record.kind == "wakeup":
        return WakeupMessage(timedelta(0))
    if record.kind == "watch":
        return WatchMessage([])
    if record.kind == "requests":
        return Requests(record.requests)
    if record.kind == "connected":
        return ManagerConnected()
    raise JournalError(f"cannot replay input {record.kind!r}")


@attrs.frozen
class Step:
    """One replayed input and the frames it made the actors send."""

    record: Record
    frames: tuple[Frame, ...]


class Replay:
    """Replays ``records`` (merged journal order) on a private ``simpleSystemBase``.

    Iterate over it for `Step` items; `names` then holds each CSC's registration names.
    """

    def __init__(self, records: Iterable[Record]) -> None:
        self.records = records
        self.names: dict[str, tuple[str, ...]] = {}

    def __iter__(self) -> Iterator[Step]:
        asys = ActorSystem("simpleSystemBase", logDefs=False, transientUnique=True)
        try:
            hub = asys.createActor(ReplayHub)
            for record in self.records:
                if record.actor == journal.MANAGER_CLIENT:
                    yield Step(record, ())  # context only: its effects are in the CSC journals
                    continue
                if record.kind == "start":
                    if record.start is None:
                        raise JournalError(f"{record.actor}: start record without configuration")
                    start = _start_message(record.start)
                    deliver = Deliver(
                        record.actor, start, ReplayInput(record.t, None, record.samples)
                    )
                else:
                    msg = _message(record)
                    deliver = Deliver(
                        record.actor, None, ReplayInput(record.t, msg, record.samples)
                    )
                asys.tell(hub, deliver)
                collected = asys.ask(hub, Collect(), 10)
                if not isinstance(collected, Collected):
                    raise RuntimeError("the replay hub did not answer")
                self.names = collected.names
                yield Step(record, collected.frames)
        finally:
            asys.shutdown()


def replay_lines(folder: str) -> Iterator[tuple[str, Step]]:
    """Output lines (`love_producer.journal.frame_line`) of a journal, with their step."""
    for step in Replay(read_journal(folder)):
        for frame in step.frames:
            yield journal.frame_line(step.record.t, step.record.actor, frame), step
