"""Journal writers the actors call on every input: `NullRecorder` when not recording,
`JournalRecorder` with ``--record DIR``. The line format is in `love_producer.journal`.

A recorder is created inside the actor's process (never pickled) and writes only its own
actor's parts, so actors never share a file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable

from actors.messages import RecordConfig
from love_producer import journal
from love_producer.sal.samples import Sample
from love_producer.wire.requests import InitialStateRequest

log = logging.getLogger("love_actors.recording")


class NullRecorder:
    """Records nothing (the default)."""

    enabled = False

    def step(self, kind: str, t: float, samples: Iterable[Sample], start=None) -> None:
        pass

    def requests(self, t: float, reqs: Iterable[InitialStateRequest], kind="requests") -> None:
        pass

    def event(self, kind: str, t: float, detail: str = "") -> None:
        pass

    def close(self) -> None:
        pass


class JournalRecorder:
    """Appends one actor's inputs to ``<dir>/<actor>.<part>.jsonl`` files.

    Parameters
    ----------
    config : RecordConfig
        Folder, rotation size, total size bound, flush interval.
    actor : str
        Stable actor name (``csc-ATDome-0``, ``manager-client``).
    start : StartConfig, optional
        The CSC actor's start configuration, repeated in every part header.
    """

    enabled = True

    def __init__(
        self, config: RecordConfig, actor: str, start: journal.StartConfig | None = None
    ) -> None:
        self.config = config
        self.actor = actor
        self.start_json = start.to_json() if start is not None else None
        os.makedirs(config.directory, exist_ok=True)
        # A restarted actor continues after the parts of its earlier generations.
        parts = [
            p[1]
            for p in map(journal.parse_part_name, os.listdir(config.directory))
            if p is not None and p[0] == actor
        ]
        self.part = max(parts, default=-1) + 1
        self.gen = self.part
        self.seq = 0
        self.file = None
        self.written = 0
        self.last_flush = 0.0
        self.errors = 0
        self._open()

    # --- recording ------------------------------------------------------------------------

    def step(self, kind: str, t: float, samples: Iterable[Sample], start=None) -> None:
        start_json = self.start_json if start is not None else None
        self._write(journal.encode_step(self.seq, t, kind, samples, start_json), t)

    def requests(self, t: float, reqs: Iterable[InitialStateRequest], kind="requests") -> None:
        self._write(journal.encode_requests(self.seq, t, reqs, kind), t)

    def event(self, kind: str, t: float, detail: str = "") -> None:
        self._write(journal.encode_event(self.seq, t, kind, detail), t)

    def close(self) -> None:
        if self.file is not None:
            try:
                self.file.close()
            except OSError as e:
                log.warning("journal %s: %s", self.actor, e)
            self.file = None

    # --- files ----------------------------------------------------------------------------

    def _write(self, line: bytes, t: float) -> None:
        self.seq += 1
        if self.file is None:
            return
        try:
            self.file.write(line)
            self.written += len(line)
            if self.written >= self.config.max_file_bytes:
                self._rotate()
            elif t - self.last_flush >= self.config.flush_interval:
                self.file.flush()
                self.last_flush = t
        except OSError as e:
            # A full disk must not stop the data flowing to the manager: stop recording.
            self.errors += 1
            log.error("journal %s: %s; recording stopped", self.actor, e)
            self.file = None

    def _open(self) -> None:
        path = os.path.join(self.config.directory, journal.part_name(self.actor, self.part))
        self.file = open(path, "ab", buffering=1024 * 1024)  # noqa: SIM115 (closed in close())
        header = journal.encode_header(
            self.actor, self.part, self.gen, time.time(), self.start_json
        )
        self.file.write(header)
        self.written = len(header)

    def _rotate(self) -> None:
        self.close()
        self.part += 1
        self._open()
        self._enforce_bound()

    def _enforce_bound(self) -> None:
        folder = self.config.directory
        parts = []
        for name in os.listdir(folder):
            if journal.parse_part_name(name) is None:
                continue
            try:
                st = os.stat(os.path.join(folder, name))
            except FileNotFoundError:
                continue  # another actor deleted it meanwhile
            parts.append(journal.PartFile(name, st.st_size, st.st_mtime))
        for name in journal.parts_to_delete(parts, self.config.max_total_bytes):
            try:
                os.remove(os.path.join(folder, name))
            except FileNotFoundError:
                pass


def make_recorder(
    config: RecordConfig | None, actor: str, start: journal.StartConfig | None = None
) -> NullRecorder | JournalRecorder:
    if config is None:
        return NullRecorder()
    try:
        return JournalRecorder(config, actor, start)
    except OSError as e:
        log.error("cannot record %s into %s: %s", actor, config.directory, e)
        return NullRecorder()
