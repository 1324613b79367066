"""The Watcher producer as a pure state machine (``spec/love-producer-behaviour.md`` §6, §3.10).

On top of the generic CSC behaviour (the raw ``alarm`` event is forwarded and cached), it keeps
the table of alarms by name, each the field template of the latest ``alarm`` sample with that
name, and publishes it as the pseudo-stream ``Watcher/0/stream``:

* pushed live whenever an alarm changes (upstream only sent it on reconnect or request, W8);
* answered on initial_state requests for ``stream``;
* hydrated at start with a ``showAlarms`` command, which makes the Watcher republish every alarm
  (upstream knew only the one alarm of the event history).
"""

from __future__ import annotations

from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings, GenericCSC
from love_producer.wire.encoding import TopicEncoder
from love_producer.wire.frames import Frame, dumps

ALARM_TOPIC = "alarm"
ALARMS_STREAM = "stream"


def alarms_payload_text(alarms: dict[str, str]) -> str:
    """``{"alarms": {name: template, ...}}`` as JSON text, from each alarm's template text."""
    body = ",".join(f"{dumps(name)}:{template}" for name, template in alarms.items())
    return f'{{"alarms":{{{body}}}}}'


class WatcherCSC(GenericCSC):
    """Producer state of the Watcher (index 0).

    Parameters are those of `GenericCSC`.
    """

    def __init__(
        self,
        info: ComponentInfo,
        index: int = 0,
        settings: CSCSettings | None = None,
        start_time: float = 0.0,
    ) -> None:
        super().__init__(info, index, settings, start_time)
        #: Alarm name -> JSON text of its field template (the event payload's one dict).
        self.alarms: dict[str, str] = {}
        topic = info.topic("event", ALARM_TOPIC)
        self._alarm_encoder = TopicEncoder(topic) if topic is not None else None
        self._commands: list[SalCommand] = []
        self._hydrated = False

    def on_samples(self, samples: list[Sample], now: float) -> list[Frame]:
        if not self._hydrated and any(s.component == self.name for s in samples):
            self._hydrated = True
            self._commands.append(SalCommand(self.name, self.index, "showAlarms", {}))
        return super().on_samples(samples, now)

    def take_commands(self) -> list[SalCommand]:
        """The commands asked for since the last call (and forget them)."""
        out, self._commands = self._commands, []
        return out

    def status(self) -> dict:
        st = super().status()
        st["alarms"] = len(self.alarms)
        return st

    def _after_event(self, sample: Sample, now: float) -> list[Frame]:
        if sample.topic != ALARM_TOPIC or self._alarm_encoder is None:
            return []
        name = sample.data.get("name")
        if not isinstance(name, str):
            return []
        template = self._alarm_encoder.event(sample.data)[1:-1]  # the list's only item
        if self.alarms.get(name) == template:
            return []
        self.alarms[name] = template
        frame = Frame(
            "event", self.name, self.index, ALARMS_STREAM, alarms_payload_text(self.alarms)
        )
        self.pseudo_streams[ALARMS_STREAM] = frame
        return [frame]
