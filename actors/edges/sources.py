"""SAL sources as the CSC actor sees them: `open_source` picks the implementation.

The simulator and the journals are polled (they produce samples for the time they are asked
about); thread-fed sources (salobj) also expose a file descriptor that becomes readable when
samples wait, for ``ThespianWatch``.
"""

from __future__ import annotations

from actors.edges.journal_source import JournalFileSource, JournalSource
from actors.edges.kafka_source import KafkaSource, KafkaSourceFailed, KafkaUnavailable
from actors.edges.salobj_source import SalobjSource, SalobjUnavailable
from actors.edges.settings import SourceConfig
from actors.edges.sim_source import SimSource
from actors.edges.source_base import SampleSource, SourceError
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import ComponentInfo
from love_producer.journal import JournalError
from love_producer.kinds import kind_of

__all__ = ["SampleSource", "SourceError", "open_source"]


def open_source(
    component: ComponentId,
    info: ComponentInfo,
    config: SourceConfig,
    start_time: float,
    related: dict | None = None,
) -> SampleSource:
    if config.kind == "sim":
        return SimSource(component, info, config, start_time, related)
    if config.kind == "journal":
        return JournalSource()
    if config.kind == "replay":
        try:
            return JournalFileSource(
                component, info, config.journal_dir, start_time, config.replay_speed
            )
        except JournalError as e:
            raise SourceError(str(e)) from e
    if config.kind == "salobj":
        kind = kind_of(info.name)
        try:
            return SalobjSource(
                component,
                info,
                start_time,
                related,
                # Only kinds that send commands get a writable remote (W10).
                want_commands=kind.sends_commands,
                extra_remotes=kind.related,
            )
        except SalobjUnavailable as e:
            raise SourceError(str(e)) from e
    if config.kind == "kafka":
        kind = kind_of(info.name)
        try:
            return KafkaSource(
                component,
                info,
                start_time,
                related,
                want_commands=kind.sends_commands,
                extra_components=kind.related,
            )
        except (KafkaUnavailable, KafkaSourceFailed) as e:
            raise SourceError(str(e)) from e
    raise SourceError(f"unknown source {config.kind!r}")
