"""Make the golden replay corpus under ``tests/replay/<case>/``: real runs, then their replay.

Each case runs the live `CSCActor` (simulator source, wall-clock time, real Thespian wake-ups,
on ``simpleSystemBase``) with recording on, for a few seconds of real time, while a scripted
stand-in for the ManagerClient sends it what a manager would cause: initial_state requests
and reconnections (``ManagerConnected``), recording those as ``manager-client`` inputs. Then
it replays the journal, checks that the replay sent exactly the frames the live actor sent
(and the same twice), and writes ``<case>/journal/`` and ``<case>/expected.jsonl``.

    python scripts/make_golden.py [CASE ...]     # all cases by default; they run in parallel

The ScriptQueue case runs for about 75 s (one scripted cycle of the simulator).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import time
from pathlib import Path

import attrs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from thespian.actors import ActorExitRequest, ActorSystem, ActorTypeDispatcher

from actors.csc_actor import CSCActor
from actors.edges.catalog import Catalog
from actors.edges.journal_files import (
    make_recorder,
    read_journal,
)
from actors.edges.settings import RecordConfig, SourceConfig
from actors.messages import FrameBatch, ManagerConnected, RegisterCSC, Requests, StartCSC
from actors.replay import Replay, replay_lines
from love_producer.interfaces.component_id import ComponentId
from love_producer.journal import MANAGER_CLIENT, frame_line
from love_producer.kinds import KindSettings
from love_producer.sim.component import DISABLED, ENABLED, STANDBY, SimSettings
from love_producer.state.csc_state import CSCSettings
from love_producer.wire.requests import InitialStateRequest

OUT = REPO / "tests" / "replay"


@attrs.frozen
class Case:
    component: ComponentId
    duration: float  # seconds of real time, at most
    sim: SimSettings
    csc: CSCSettings = attrs.field(factory=CSCSettings)
    start_delay: float = 0.0  # the simulated component starts this long after the actor
    script: tuple = ()  # (seconds after start, action, argument)
    done_when: str | None = None  # stop as soon as a frame payload holds this text


def _reqs(*items) -> tuple[InitialStateRequest, ...]:
    return tuple(InitialStateRequest(*i) for i in items)


QUIET = dict(event_interval=(30.0, 60.0))

CASES = {
    # STANDBY -> DISABLED -> ENABLED, 10 Hz telemetry coalesced to 2 frames/s, and a silent
    # window (no heartbeat from 3 s to 6 s): Heartbeat frames count lost periods, then recover.
    "generic_states": Case(
        ComponentId("ATDome", 0),
        duration=8.0,
        sim=SimSettings(
            telemetry_rates={"position": 10.0},
            state_schedule=((0.0, STANDBY), (1.0, DISABLED), (2.0, ENABLED)),
            silent_from=3.0,
            silent_until=6.0,
            **QUIET,
        ),
        csc=CSCSettings(telemetry_max_rate=2.0, telemetry_refresh=1.0, heartbeat_period=1.0),
    ),
    # Requests before the component published anything (empty replies), then after.
    "initial_state": Case(
        ComponentId("ATDome", 0),
        duration=3.5,
        start_delay=1.0,
        sim=SimSettings(telemetry_rates={"position": 1.0}, **QUIET),
        script=(
            (0.5, "requests", _reqs(("ATDome", 0, "summaryState"), ("ATDome", 0, "all"))),
            (
                2.5,
                "requests",
                _reqs(
                    ("ATDome", 0, "summaryState"),
                    ("ATDome", 0, "softwareVersions"),
                    ("ATDome", 0, "noSuchEvent"),
                    ("ATDome", 1, "summaryState"),
                    ("ATDome", "all", "logLevel"),
                ),
            ),
            (3.0, "requests", _reqs(("ATDome", 0, "all"))),
        ),
    ),
    # The manager goes away and comes back: the actor re-sends its cached events.
    "manager_outage": Case(
        ComponentId("ATDome", 0),
        duration=4.5,
        sim=SimSettings(
            telemetry_rates={"position": 1.0},
            state_schedule=((0.0, STANDBY), (1.0, DISABLED), (2.0, ENABLED)),
            **QUIET,
        ),
        script=(
            (0.2, "connected", None),
            (1.5, "disconnected", "connection closed (1001)"),
            (3.5, "connected", None),
        ),
    ),
    # One scripted cycle: scripts added, run (queue paused meanwhile), paused at a checkpoint
    # and resumed, stopped, failed.
    "scriptqueue": Case(
        ComponentId("ScriptQueue", 1),
        duration=75.0,
        sim=SimSettings(**QUIET),
        csc=CSCSettings(heartbeat_period=5.0, telemetry_refresh=30.0),
        done_when='"message":{"value":"Failed"',  # the fourth script ended FAILED
        script=(
            (20.0, "requests", _reqs(("ScriptQueueState", 1, "stream"))),
            (70.0, "requests", _reqs(("ScriptQueue", 1, "queue"))),
        ),
    ),
    # Alarms raised, escalated and acknowledged by the operator.
    "watcher": Case(
        ComponentId("Watcher", 0),
        duration=60.0,
        sim=SimSettings(**QUIET),
        csc=CSCSettings(heartbeat_period=5.0),
        done_when='"acknowledged":{"value":true',
    ),
}


class ScriptedManager(ActorTypeDispatcher):
    """Stand-in for the ManagerClient: keeps the frames, forwards what the script says, and
    records it as the ManagerClient would."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list = []
        self.csc = None
        self.recorder = None

    def receiveMsg_RecordConfig(self, msg: RecordConfig, sender):
        self.recorder = make_recorder(msg, MANAGER_CLIENT)

    def receiveMsg_RegisterCSC(self, msg: RegisterCSC, sender):
        self.csc = sender

    def receiveMsg_FrameBatch(self, msg: FrameBatch, sender):
        self.frames.extend(msg.frames)

    def receiveMsg_tuple(self, msg: tuple, sender):
        action, arg = msg
        now = time.time()
        if action == "requests":
            self.recorder.requests(now, arg, "link-requests")
            self.send(self.csc, Requests(arg))
        elif action == "connected":
            self.recorder.event("link-connected", now)
            self.send(self.csc, ManagerConnected())
        elif action == "disconnected":
            self.recorder.event("link-disconnected", now, arg)
        elif action == "frames":
            self.send(sender, list(self.frames))
        elif action == "exit":
            self.recorder.close()


def run_live(name: str, case: Case, folder: Path) -> list:
    """The live run: returns the frames the actor sent."""
    catalog = Catalog.builtin()
    info = catalog.get(case.component.name)
    related = {"Script": catalog.get("Script")} if case.component.name == "ScriptQueue" else {}
    record = RecordConfig(str(folder))
    asys = ActorSystem("simpleSystemBase", logDefs=False, transientUnique=True)
    try:
        mgr = asys.createActor(ScriptedManager)
        asys.tell(mgr, record)
        csc = asys.createActor(CSCActor)
        t0 = time.time()
        asys.tell(
            csc,
            StartCSC(
                component=case.component,
                info=info,
                source=SourceConfig(kind="sim", seed=1, sim=case.sim),
                settings=case.csc,
                manager_client=mgr,
                start_time=t0 + case.start_delay,
                related=related,
                kind=KindSettings(),
                record=record,
            ),
        )
        actions = sorted(case.script, key=lambda a: a[0]) + [(case.duration, "end", None)]
        for offset, action, arg in actions:
            while time.time() < t0 + offset:
                # Runs the actors' real wake-ups until then (simpleSystemBase sleeps in here).
                # listen() returns only at its timeout: short slices let done_when stop early.
                asys.listen(min(0.5, max(0.001, t0 + offset - time.time())))
                if case.done_when and offset == case.duration:
                    frames = asys.ask(mgr, ("frames", None), 5)
                    if any(case.done_when in f.payload for f in frames):
                        # a little more, so the journal goes on past the last interesting frame
                        end = time.time() + 1.0
                        while time.time() < end:
                            asys.listen(end - time.time())
                        break
            if action in ("requests", "connected", "disconnected"):
                asys.tell(mgr, (action, arg))
        asys.tell(csc, ActorExitRequest())  # runs every pending send first
        frames = asys.ask(mgr, ("frames", None), 5)
        asys.tell(mgr, ("exit", None))
    finally:
        asys.shutdown()
    print(f"{name}: live run {time.time() - t0:.1f} s, {len(frames)} frames", flush=True)
    return frames


def make_case(name: str) -> str:
    case = CASES[name]
    target = OUT / name
    folder = target / "journal"
    if target.exists():
        shutil.rmtree(target)
    folder.mkdir(parents=True)
    live = run_live(name, case, folder)
    steps = list(Replay(read_journal(str(folder))))
    lines = [frame_line(s.record.t, s.record.actor, f) for s in steps for f in s.frames]
    if lines != [line for line, _ in replay_lines(str(folder))]:
        raise SystemExit(f"{name}: two replays differ")
    # The replay must send what the live actor sent, frame for frame.
    replayed = [f for s in steps for f in s.frames]
    if replayed != live:
        n = next((i for i, (a, b) in enumerate(zip(live, replayed, strict=False)) if a != b), None)
        raise SystemExit(
            f"{name}: the replay differs from the live run ({len(live)} live frames, "
            f"{len(replayed)} replayed; first difference at {n})"
        )
    (target / "expected.jsonl").write_text("".join(line + "\n" for line in lines))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return f"{name}: {len(lines)} frames, {size // 1024} KB, replay identical to the live run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(CASES))
    args = parser.parse_args()
    args.cases = args.cases or list(CASES)
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; choose from {list(CASES)}")
    with multiprocessing.get_context("fork").Pool(len(args.cases)) as pool:
        for summary in pool.imap(make_case, args.cases):
            print(summary, flush=True)


if __name__ == "__main__":
    main()
