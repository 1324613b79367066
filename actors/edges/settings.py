"""Settings of the edges: where samples come from (`SourceConfig`), where journals go
(`RecordConfig`). Frozen and picklable: they travel inside the actors' start messages."""

from __future__ import annotations

import attrs

from love_producer.sim.component import SimSettings


@attrs.frozen
class SourceConfig:
    """Where CSC actors read SAL samples from."""

    kind: str = "sim"  # sim | salobj | kafka | replay (a journal folder) | journal (replay feed)
    seed: int = 1
    journal_dir: str | None = None
    replay_speed: float = 1.0  # 0: as fast as drained
    sim: SimSettings = attrs.field(factory=SimSettings)
    poll_interval: float = 0.1


@attrs.frozen
class RecordConfig:
    """Record a journal (``love_producer.journal``) of every actor's inputs into ``directory``.

    A part is closed once it passes ``max_file_bytes``; then the oldest closed parts of the
    folder are deleted until it holds at most ``max_total_bytes`` (it can exceed that by at most
    one open part per actor). Buffered lines are flushed every ``flush_interval`` seconds of
    recorded time, so a killed process loses at most that much.
    """

    directory: str
    max_file_bytes: int = attrs.field(default=16 * 1024 * 1024, validator=attrs.validators.gt(0))
    max_total_bytes: int = attrs.field(
        default=4 * 1024 * 1024 * 1024, validator=attrs.validators.gt(0)
    )
    flush_interval: float = 1.0
