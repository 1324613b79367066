"""Deterministic simulator of a ScriptQueue and the Scripts it runs (pure domain).

The generic part (history, heartbeats, summaryState schedule...) is a `SimulatedComponent` of
the ScriptQueue interface reduced to its generic events; the queue-specific events come from a
scripted cycle that repeats every `CYCLE_LENGTH` seconds, the first starting `CYCLE_START`
seconds after ``start_time``. In each cycle four scripts (indices ``N * 100000 + k``) are added
and loaded, then run one after another:

1. finishes normally (DONE); meanwhile the queue is paused, and resumed after it ends;
2. pauses at a checkpoint, resumes, finishes (DONE);
3. is stopped (STOPPED);
4. fails (FAILED, with an error log message and traceback).

Every script publishes Script events while its process lives: description, checkpoints,
logLevel, state changes, metadata, log messages, and a heartbeat every
`SCRIPT_HEARTBEAT_INTERVAL`. The ScriptQueue publishes ``queue`` on every change and ``script``
on every script process change. Time rule as in `love_producer.sim.component`: each sample's time
depends
only on the seed, ``start_time``, settings and the commands received (and when), never on how
``advance`` calls are chunked. `command` answers ``showQueue``, ``showScript``,
``showAvailableScripts`` and ``showSchema`` with events at the command's time (or at the last
``advance`` time if that is later).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.sim.component import (
    GENERIC_EVENTS,
    TAI_MINUS_UTC,
    SimSettings,
    SimulatedComponent,
    release,
    rev_code,
    silent_window,
)
from love_producer.sim.values import PRIVATE_NAMES, sim_default

#: Seconds after start of the first cycle (the default schedule is ENABLED at 4 s).
CYCLE_START = 6.0
#: Length of one cycle of four scripts, seconds.
CYCLE_LENGTH = 90.0
#: Simulated scripts publish a heartbeat this often (salobj ``BaseScript``).
SCRIPT_HEARTBEAT_INTERVAL = 5.0
SCRIPT_INDEX_SPAN = 100_000
#: Finished scripts the simulated queue remembers (the real one keeps 400 indices).
PAST_KEPT = 400
ARRAY_LENGTH = 400

# ScriptProcessState and ScriptState values.
LOADING, P_CONFIGURED, P_RUNNING, P_DONE = 1, 2, 3, 4
UNCONFIGURED, CONFIGURED, RUNNING, PAUSED, ENDING = 1, 2, 3, 4, 5
STOPPING, FAILING, DONE, STOPPED, FAILED = 6, 7, 8, 9, 10

_TRACK_SCHEMA = """$schema: http://json-schema.org/draft-07/schema#
title: TrackTarget
type: object
properties:
  target_name:
    type: string
  ra:
    type: number
  dec:
    type: number
required: [target_name]
additionalProperties: false
"""
_SLEEP_SCHEMA = """$schema: http://json-schema.org/draft-07/schema#
title: Sleep
type: object
properties:
  sleep_time:
    type: number
    default: 10
additionalProperties: false
"""
_SEQUENCE_SCHEMA = """$schema: http://json-schema.org/draft-07/schema#
title: RunSequence
type: object
properties:
  sequence:
    type: array
    items:
      type: string
additionalProperties: false
"""

#: Available scripts (path -> schema text; "" is a script without schema).
STANDARD_SCRIPTS: dict[str, str] = {
    "auxtel/track_target.py": _TRACK_SCHEMA,
    "auxtel/take_image_latiss.py": _SLEEP_SCHEMA.replace("Sleep", "TakeImageLatiss"),
    "std_sleep.py": _SLEEP_SCHEMA,
}
EXTERNAL_SCRIPTS: dict[str, str] = {
    "maintel/run_sequence.py": _SEQUENCE_SCHEMA,
    "test/no_config.py": "",
}

_Out = list[tuple[str, int, str, dict]]  # (component, index, topic, user fields)
_Step = tuple[float, Callable[[float], _Out]]


class SimulatedScriptQueue:
    """A simulated ``ScriptQueue:index`` running scripts; see the module docstring.

    Parameters
    ----------
    info_sq, info_script : ComponentInfo
        The ScriptQueue and Script interfaces.
    index : int
        The queue's SAL index N.
    seed : int
        Seed of every random choice (script paths, log texts).
    start_time : float
        When the queue started (UTC Unix seconds).
    settings : SimSettings, optional
        For the generic part; its silent window also silences the queue-specific events.
    """

    def __init__(
        self,
        info_sq: ComponentInfo,
        info_script: ComponentInfo,
        index: int,
        seed: int,
        start_time: float,
        settings: SimSettings | None = None,
    ) -> None:
        info_sq.check_index(index)
        generic_events = tuple(t for t in info_sq.events if t.name in GENERIC_EVENTS)
        reduced = attrs.evolve(info_sq, events=generic_events)
        self.generic = SimulatedComponent(reduced, index, seed, start_time, settings)
        self.info_sq, self.info_script = info_sq, info_script
        self.index, self.seed, self.start_time = index, seed, start_time
        self.settings = self.generic.settings
        self._rng = random.Random(f"{seed}:ScriptQueue:{index}:scripts")
        self._revs: dict[tuple[str, str], str] = {}
        self._seq: dict[tuple[str, int, str], int] = {}
        # queue model
        self.enabled = False
        self.running = True
        self.current = 0
        self.waiting: list[int] = []
        self.past: list[int] = []
        self.records: dict[int, dict] = {}  # scriptSalIndex -> fields of its `script` event
        self._next_k = 1
        self._cmd_id = 0
        # generation state
        self._started = False
        self._steps: list[_Step] = []
        self._step_i = 0
        self._cycle = 0
        self._generated_until = start_time
        self._pending: list[Sample] = []
        self._silent_lo, self._silent_hi = silent_window(self.settings, start_time)

    # ------------------------------------------------------------------------------ public

    def advance(self, now: float) -> list[Sample]:
        """Samples of both components with time ``<= now`` not returned before, by time."""
        if now < self.start_time:
            return []
        generic = self.generic.advance(now)
        self._generate(now)
        out, self._pending = release(generic, self._pending, now, self._silent_lo, self._silent_hi)
        return out

    def command(self, cmd: SalCommand, now: float) -> None:
        """React to a command to this queue with events at ``now`` (unknown ones: nothing)."""
        if cmd.component != self.info_sq.name or cmd.index != self.index:
            return
        if now < self.start_time:
            return
        self._generate(now)
        t = max(now, self._generated_until)
        out: _Out = []
        if cmd.name == "showQueue":
            out = [self._queue()]
        elif cmd.name == "showAvailableScripts":
            out = [self._available()]
        elif cmd.name == "showScript":
            record = self.records.get(cmd.fields.get("scriptSalIndex"))  # type: ignore[arg-type]
            out = [self._sq("script", dict(record))] if record is not None else []
        elif cmd.name == "showSchema":
            scripts = STANDARD_SCRIPTS if cmd.fields.get("isStandard") else EXTERNAL_SCRIPTS
            path = cmd.fields.get("path")
            if path in scripts:
                fields = {
                    "isStandard": bool(cmd.fields.get("isStandard")),
                    "path": path,
                    "configSchema": scripts[path],
                }  # type: ignore[index]
                out = [self._sq("configSchema", fields)]
        self._pending += [self._sample(t, *item) for item in out]

    # -------------------------------------------------------------------------- generation

    def _generate(self, now: float) -> None:
        """Run every scripted step with time ``<= now`` (once), in time order."""
        if not self._started:
            self._started = True
            history = [
                self._available(),
                self._sq(
                    "rootDirectories", {"standard": "/sim/standard", "external": "/sim/external"}
                ),
                self._queue(),
            ]
            self._pending += [self._sample(self.start_time, *item) for item in history]
        while True:
            if self._step_i >= len(self._steps):
                begin = self.start_time + CYCLE_START + self._cycle * CYCLE_LENGTH
                if begin > now:
                    break
                self._steps = self._build_cycle(begin)
                self._step_i = 0
                self._cycle += 1
            t, step = self._steps[self._step_i]
            if t > now:
                break
            self._step_i += 1
            self._pending += [self._sample(t, *item) for item in step(t)]
        self._generated_until = max(self._generated_until, now)

    def _build_cycle(self, begin: float) -> list[_Step]:
        rng = self._rng
        # forget the sequence counters of scripts that ended in earlier cycles
        alive = {self.current, *self.waiting}
        self._seq = {k: n for k, n in self._seq.items() if k[0] != "Script" or k[1] in alive}
        indices = [self._new_index() for _ in range(4)]
        paths = [self._choose_path(rng) for _ in indices]
        steps: list[_Step] = []

        def at(t: float, fn: Callable[[float], _Out]) -> None:
            steps.append((begin + t, fn))

        for k, (i, (std, path)) in enumerate(zip(indices, paths, strict=True)):
            load = 0.5 * k
            first, pause = k == 0, k == 1

            def add(t: float, i: int = i, std: bool = std, path: str = path, first=first) -> _Out:
                return self._add(t, i, std, path, first)

            def loaded(t: float, i: int = i, path: str = path, pause: bool = pause) -> _Out:
                return self._loaded(i, path, pause)

            at(load, add)
            at(load + 0.2, loaded)
            at(load + 1.0, lambda t, i=i: self._configured(t, i))
        a, b, c, d = indices
        # a: runs 20 s; the queue is paused during its run and resumed after it ends.
        runs = [
            (a, 4.0, 24.0, "done"),
            (b, 32.0, 52.0, "done"),
            (c, 53.0, 61.0, "stop"),
            (d, 62.0, 68.0, "fail"),
        ]
        for i, start, end, how in runs:
            at(start, lambda t, i=i: self._run(t, i))
            at(start + 3.0, lambda t, i=i: self._checkpoint(t, i, "slew", "Slew done"))
            at(end, lambda t, i=i, how=how: self._ending(t, i, how))
            at(end + 0.5, lambda t, i=i, how=how: self._finished(t, i, how))
        at(20.0, lambda t: self._set_running(False))
        at(32.0 - 1e-3, lambda t: self._set_running(True))
        at(37.0, lambda t: self._pause(b))
        at(43.0, lambda t: self._resume(b))
        # heartbeats from load to process end
        ends = {a: 24.5, b: 52.5, c: 61.5, d: 68.5}
        for k, i in enumerate(indices):
            hb = 0.5 * k + 0.2 + SCRIPT_HEARTBEAT_INTERVAL
            while hb < ends[i]:
                at(hb, lambda t, i=i: [("Script", i, "heartbeat", {"heartbeat": True})])
                hb += SCRIPT_HEARTBEAT_INTERVAL
        steps.sort(key=lambda s: s[0])  # stable: construction order at equal times
        return steps

    # ------------------------------------------------------------------------------- steps

    def _new_index(self) -> int:
        k = self._next_k
        self._next_k = k % (SCRIPT_INDEX_SPAN - 1) + 1
        return self.index * SCRIPT_INDEX_SPAN + k

    @staticmethod
    def _choose_path(rng: random.Random) -> tuple[bool, str]:
        if rng.random() < 0.75:
            return True, rng.choice(sorted(STANDARD_SCRIPTS))
        return False, rng.choice(sorted(EXTERNAL_SCRIPTS))

    def _add(self, t: float, i: int, std: bool, path: str, first: bool) -> _Out:
        if first:
            self.enabled = True
        self._cmd_id += 1
        self.records[i] = {
            "cmdId": self._cmd_id,
            "scriptSalIndex": i,
            "isStandard": std,
            "path": path,
            "timestampProcessStart": t + TAI_MINUS_UTC,
            "timestampConfigureStart": 0.0,
            "timestampConfigureEnd": 0.0,
            "timestampRunStart": 0.0,
            "timestampProcessEnd": 0.0,
            "processState": LOADING,
            "scriptState": 0,
        }
        self.waiting.append(i)
        return [self._queue(), self._script(i)]

    def _loaded(self, i: int, path: str, pause: bool) -> _Out:
        name = path.rsplit("/", 1)[-1].removesuffix(".py")
        classname = "".join(w.capitalize() for w in name.split("_"))
        return [
            (
                "Script",
                i,
                "description",
                {
                    "classname": classname,
                    "description": f"Simulated {path}",
                    "help": "",
                    "remotes": "ATPtg,ATMCS",
                },
            ),
            ("Script", i, "checkpoints", {"pause": "slew" if pause else "", "stop": ""}),
            ("Script", i, "logLevel", {"level": 20, "subsystem": ""}),
            self._state(i, UNCONFIGURED),
        ]

    def _configured(self, t: float, i: int) -> _Out:
        self.records[i].update(
            timestampConfigureStart=t - 0.5 + TAI_MINUS_UTC,
            timestampConfigureEnd=t + TAI_MINUS_UTC,
            processState=P_CONFIGURED,
            scriptState=CONFIGURED,
        )
        duration = 20.0 if i % 2 else 8.0
        return [
            (
                "Script",
                i,
                "metadata",
                {
                    "duration": duration,
                    "nimages": 1,
                    "instrument": "LATISS",
                    "position": [0.0, 0.0],
                },
            ),
            self._state(i, CONFIGURED),
            self._script(i),
        ]

    def _run(self, t: float, i: int) -> _Out:
        if i in self.waiting:
            self.waiting.remove(i)
        self.current = i
        self.records[i].update(
            timestampRunStart=t + TAI_MINUS_UTC, processState=P_RUNNING, scriptState=RUNNING
        )
        return [
            self._queue(),
            self._script(i),
            self._state(i, RUNNING),
            self._log(t, i, 20, "Run started"),
        ]

    def _checkpoint(self, t: float, i: int, checkpoint: str, message: str) -> _Out:
        return [self._state(i, RUNNING, checkpoint), self._log(t, i, 20, message)]

    def _pause(self, i: int) -> _Out:
        return [self._state(i, PAUSED, "slew", reason="pause checkpoint")]

    def _resume(self, i: int) -> _Out:
        return [self._state(i, RUNNING, "slew")]

    def _ending(self, t: float, i: int, how: str) -> _Out:
        if how == "stop":
            return [
                self._state(i, STOPPING, "slew", reason="stop requested"),
                self._log(t, i, 30, "Stop requested"),
            ]
        if how == "fail":
            words = self._rng.choice(("Timed out waiting for ATMCS", "Target below horizon"))
            return [
                self._state(i, FAILING, "slew", reason=words),
                self._log(
                    t,
                    i,
                    40,
                    f"Run failed: {words}",
                    traceback='Traceback (most recent call last):\n  File "run", '
                    f"line 1\nRuntimeError: {words}\n",
                ),
            ]
        return [self._state(i, ENDING, "slew")]

    def _finished(self, t: float, i: int, how: str) -> _Out:
        final = {"done": DONE, "stop": STOPPED, "fail": FAILED}[how]
        self.records[i].update(
            timestampProcessEnd=t + TAI_MINUS_UTC, processState=P_DONE, scriptState=final
        )
        if self.current == i:
            self.current = 0
        self.past.insert(0, i)
        del self.past[PAST_KEPT:]
        for old in [
            k
            for k in self.records
            if k not in self.past[:50] and k != self.current and k not in self.waiting
        ]:
            del self.records[old]
        message = {"done": "Run succeeded", "stop": "Stopped", "fail": "Failed"}[how]
        return [
            self._state(i, final, "slew"),
            self._log(t, i, 20, message),
            self._script(i),
            self._queue(),
        ]

    def _set_running(self, running: bool) -> _Out:
        self.running = running
        return [self._queue()]

    # ----------------------------------------------------------------------------- events

    def _queue(self) -> tuple[str, int, str, dict]:
        waiting = self.waiting[:ARRAY_LENGTH]
        past = self.past[:ARRAY_LENGTH]
        return self._sq(
            "queue",
            {
                "enabled": self.enabled,
                "running": self.running,
                "currentSalIndex": self.current,
                "length": len(waiting),
                "salIndices": waiting + [0] * (ARRAY_LENGTH - len(waiting)),
                "pastLength": len(past),
                "pastSalIndices": past + [0] * (ARRAY_LENGTH - len(past)),
            },
        )

    def _available(self) -> tuple[str, int, str, dict]:
        return self._sq(
            "availableScripts",
            {"standard": ":".join(STANDARD_SCRIPTS), "external": ":".join(EXTERNAL_SCRIPTS)},
        )

    def _script(self, i: int) -> tuple[str, int, str, dict]:
        return self._sq("script", dict(self.records[i]))

    def _sq(self, topic: str, fields: dict) -> tuple[str, int, str, dict]:
        return (self.info_sq.name, self.index, topic, fields)

    def _state(self, i: int, state: int, checkpoint: str = "", reason: str = "") -> tuple:
        return (
            "Script",
            i,
            "state",
            {"state": state, "reason": reason, "lastCheckpoint": checkpoint, "numCheckpoints": 1},
        )

    def _log(self, t: float, i: int, level: int, message: str, traceback: str = "") -> tuple:
        return (
            "Script",
            i,
            "logMessage",
            {
                "name": "Script",
                "level": level,
                "message": message,
                "traceback": traceback,
                "filePath": "sim_script.py",
                "functionName": "run",
                "lineNumber": 42,
                "process": 1000 + i % 1000,
                "timestamp": t + TAI_MINUS_UTC,
            },
        )

    def _sample(self, t: float, component: str, index: int, topic: str, fields: dict) -> Sample:
        info = self.info_sq if component == self.info_sq.name else self.info_script
        info_topic = info.topic("event", topic)
        assert info_topic is not None, f"{component} has no event {topic}"
        key = (component, index, topic)
        seq = self._seq[key] = self._seq.get(key, 0) + 1
        rev = self._revs.get((component, topic))
        if rev is None:
            rev = self._revs[(component, topic)] = rev_code(info_topic)
        snd = t + TAI_MINUS_UTC
        private = {
            "salIndex": index,
            "private_sndStamp": snd,
            "private_rcvStamp": snd + 0.001,
            "private_efdStamp": t,
            "private_kafkaStamp": snd,
            "private_seqNum": seq,
            "private_revCode": rev,
            "private_identity": f"{component}:{index}",
            "private_origin": self.generic.origin,
        }
        data = {}
        for f in info_topic.fields:
            if f.name in PRIVATE_NAMES:
                data[f.name] = private[f.name]
            else:
                data[f.name] = fields.get(f.name, sim_default(f))
        return Sample(component, index, "event", topic, data, t)
