"""What the journal tests share: samples and a start configuration."""

from __future__ import annotations

from love_producer import journal
from love_producer.kinds import KindSettings
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings


def sample(t: float, topic: str = "position", **data) -> Sample:
    kind = "telemetry" if topic == "position" else "event"
    return Sample("ATDome", 0, kind, topic, {"private_seqNum": 1, **data}, t)


def start_config(info, start_time: float = 100.0) -> journal.StartConfig:
    return journal.StartConfig(
        "ATDome", 0, info, CSCSettings(heartbeat_period=1.5), KindSettings(), start_time
    )
