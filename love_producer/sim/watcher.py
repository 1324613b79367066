"""Deterministic simulator of the Watcher (pure domain).

The generic part is a `SimulatedComponent` of the Watcher interface without ``alarm``; the alarms
follow a cycle of `CYCLE_LENGTH` seconds. Each alarm of `ALARM_NAMES` has a phase in the cycle
(from the seed) and goes, relative to it:

* ``+0`` raised: severity WARNING;
* ``+10`` escalated: severity SERIOUS or CRITICAL (drawn from the seed, per cycle);
* ``+20`` acknowledged by ``sim-operator``;
* ``+30`` cleared: severity NONE, which resets an acknowledged alarm (not acknowledged, max
  severity NONE).

`command` answers ``showAlarms`` by republishing every alarm published so far, at the command's
time (or the last ``advance`` time if later). Time rule as in `love_producer.sim.component`.
"""

from __future__ import annotations

import random

import attrs

from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.sim.component import (
    TAI_MINUS_UTC,
    SimSettings,
    SimulatedComponent,
    release,
    rev_code,
    silent_window,
)
from love_producer.sim.values import PRIVATE_NAMES

ALARM_NAMES = ("Enabled.ATDome", "Heartbeat.ATMCS", "Enabled.ATPtg", "Heartbeat.ScriptQueue:1")
CYCLE_LENGTH = 60.0
#: Seconds after start of the first cycle.
CYCLE_START = 3.0
# AlarmSeverity values
NONE, WARNING, SERIOUS, CRITICAL = 1, 2, 3, 4

_REASONS = {
    "Enabled": "{csc} summaryState is FAULT",
    "Heartbeat": "{csc} heartbeat not seen for 5 seconds",
}


class SimulatedWatcher:
    """A simulated Watcher; see the module docstring.

    Parameters
    ----------
    info : ComponentInfo
        The Watcher interface.
    seed : int
        Seed of every random choice.
    start_time : float
        When the Watcher started (UTC Unix seconds).
    settings : SimSettings, optional
        For the generic part; its silent window also silences the alarms.
    """

    def __init__(
        self,
        info: ComponentInfo,
        seed: int,
        start_time: float,
        settings: SimSettings | None = None,
    ) -> None:
        reduced = attrs.evolve(info, events=tuple(t for t in info.events if t.name != "alarm"))
        self.generic = SimulatedComponent(reduced, 0, seed, start_time, settings)
        self.info, self.seed, self.start_time = info, seed, start_time
        self.settings = self.generic.settings
        topic = info.topic("event", "alarm")
        assert topic is not None, "the Watcher interface has no alarm event"
        self._topic = topic
        self._rev = rev_code(topic)
        self._rng = random.Random(f"{seed}:Watcher:alarms")
        # each alarm's phase in the cycle: the four steps fit in the cycle
        self._phases = {n: self._rng.uniform(0.0, CYCLE_LENGTH - 35.0) for n in ALARM_NAMES}
        #: Alarm name -> current field values (user fields only).
        self.alarms: dict[str, dict] = {}
        self._seq = 0
        self._steps: list[tuple[float, str, str]] = []  # (time, alarm name, step)
        self._step_i = 0
        self._cycle = 0
        self._generated_until = start_time
        self._pending: list[Sample] = []
        self._silent_lo, self._silent_hi = silent_window(self.settings, start_time)

    def advance(self, now: float) -> list[Sample]:
        """Samples with time ``<= now`` not returned before, sorted by time."""
        if now < self.start_time:
            return []
        generic = self.generic.advance(now)
        self._generate(now)
        out, self._pending = release(generic, self._pending, now, self._silent_lo, self._silent_hi)
        return out

    def command(self, cmd: SalCommand, now: float) -> None:
        """``showAlarms``: republish every alarm; other commands are ignored."""
        if cmd.component != self.info.name or cmd.name != "showAlarms" or now < self.start_time:
            return
        self._generate(now)
        t = max(now, self._generated_until)
        self._pending += [self._sample(t, name) for name in self.alarms]

    # -------------------------------------------------------------------------- internals

    def _generate(self, now: float) -> None:
        while True:
            if self._step_i >= len(self._steps):
                begin = self.start_time + CYCLE_START + self._cycle * CYCLE_LENGTH
                if begin > now:
                    break
                self._steps = self._build_cycle(begin)
                self._step_i = 0
                self._cycle += 1
            t, name, step = self._steps[self._step_i]
            if t > now:
                break
            self._step_i += 1
            self._apply(t, name, step)
            self._pending.append(self._sample(t, name))
        self._generated_until = max(self._generated_until, now)

    def _build_cycle(self, begin: float) -> list[tuple[float, str, str]]:
        steps = []
        for name in ALARM_NAMES:
            t0 = begin + self._phases[name]
            escalate = "critical" if self._rng.random() < 0.5 else "serious"
            steps += [
                (t0, name, "raise"),
                (t0 + 10.0, name, escalate),
                (t0 + 20.0, name, "acknowledge"),
                (t0 + 30.0, name, "clear"),
            ]
        steps.sort(key=lambda s: s[0])
        return steps

    def _apply(self, t: float, name: str, step: str) -> None:
        tai = t + TAI_MINUS_UTC
        alarm = self.alarms.setdefault(name, self._nominal(name))
        if step == "raise":
            kind, csc = name.split(".", 1)
            alarm.update(
                severity=WARNING,
                maxSeverity=max(WARNING, alarm["maxSeverity"]),
                reason=_REASONS.get(kind, "{csc}").format(csc=csc),
                timestampSeverityOldest=tai,
                timestampSeverityNewest=tai,
                timestampMaxSeverity=tai,
            )
        elif step in ("serious", "critical"):
            severity = SERIOUS if step == "serious" else CRITICAL
            alarm.update(
                severity=severity,
                maxSeverity=max(severity, alarm["maxSeverity"]),
                timestampSeverityNewest=tai,
                timestampMaxSeverity=tai,
                escalateTo="sim-oncall",
            )
        elif step == "acknowledge":
            alarm.update(
                acknowledged=True, acknowledgedBy="sim-operator", timestampAcknowledged=tai
            )
        else:  # clear: back to nominal, which resets an acknowledged alarm
            alarm.clear()
            alarm.update(self._nominal(name), timestampSeverityNewest=tai)

    @staticmethod
    def _nominal(name: str) -> dict:
        return {
            "name": name,
            "severity": NONE,
            "reason": "",
            "maxSeverity": NONE,
            "acknowledged": False,
            "acknowledgedBy": "",
            "escalatedId": "",
            "escalateTo": "",
            "mutedSeverity": NONE,
            "mutedBy": "",
            "timestampSeverityOldest": 0.0,
            "timestampSeverityNewest": 0.0,
            "timestampMaxSeverity": 0.0,
            "timestampAcknowledged": 0.0,
            "timestampAutoAcknowledge": 0.0,
            "timestampAutoUnacknowledge": 0.0,
            "timestampEscalate": 0.0,
            "timestampUnmute": 0.0,
        }

    def _sample(self, t: float, name: str) -> Sample:
        self._seq += 1
        snd = t + TAI_MINUS_UTC
        private = {
            "private_sndStamp": snd,
            "private_rcvStamp": snd + 0.001,
            "private_efdStamp": t,
            "private_kafkaStamp": snd,
            "private_seqNum": self._seq,
            "private_revCode": self._rev,
            "private_identity": self.info.name,
            "private_origin": self.generic.origin,
        }
        values = self.alarms[name]
        data = {
            f.name: private[f.name] if f.name in PRIVATE_NAMES else values.get(f.name)
            for f in self._topic.fields
        }
        return Sample(self.info.name, 0, "event", "alarm", data, t)
