"""Journal files: the writers the actors call on every input (`NullRecorder` when not
recording, `JournalRecorder` with ``--record DIR``) and the readers (`journal_parts`,
`read_actor`, `read_journal`). The line format is in `love_producer.journal`.

A recorder is created inside the actor's process (never pickled) and writes only its own
actor's parts, so actors never share a file.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator

import attrs

from actors.edges.settings import RecordConfig
from love_producer import journal
from love_producer.journal import JournalError, Record
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


# ------------------------------------------------------------------------------- reading


def journal_parts(folder: str) -> dict[str, list[str]]:
    """Part files by actor name, oldest part first."""
    try:
        names = os.listdir(folder)
    except OSError as e:
        raise JournalError(f"cannot read journal folder {folder}: {e.strerror}") from None
    parts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name in names:
        parsed = journal.parse_part_name(name)
        if parsed is not None:
            parts[parsed[0]].append((parsed[1], os.path.join(folder, name)))
    if not parts:
        raise JournalError(f"no journal in {folder} (no <actor>.<part>.jsonl files)")
    return {actor: [p for _, p in sorted(items)] for actor, items in sorted(parts.items())}


def read_actor(actor: str, paths: Iterable[str]) -> Iterator[Record]:
    """One actor's records in recorded order.

    A generation whose first records were deleted (size bound) starts with a ``start`` made
    from its part header, at the time of its first kept record. A last line cut short (a killed
    process) ends its part.
    """
    gen_started: set[int] = set()
    for path in paths:
        with open(path, "rb") as f:
            first = f.readline()
            if not first:
                continue  # created, then killed before the header was flushed
            try:
                header = journal.decode_header(first)
            except JournalError as e:
                raise JournalError(f"{path}: {e}") from None
            if header.actor != actor:
                raise JournalError(f"{path}: header names actor {header.actor!r}")
            for lineno, line in enumerate(f, 2):
                if not line.endswith(b"\n"):
                    log.warning("%s:%d: incomplete last line ignored", path, lineno)
                    break
                try:
                    record = journal.decode_record(line, actor, header.gen)
                except JournalError as e:
                    raise JournalError(f"{path}:{lineno}: {e}") from None
                if record.kind == "start":
                    gen_started.add(header.gen)
                elif header.start is not None and header.gen not in gen_started:
                    gen_started.add(header.gen)
                    start = attrs.evolve(header.start, start_time=record.t)
                    yield Record(actor, header.gen, record.seq - 1, record.t, "start", start=start)
                yield record


def read_journal(folder: str) -> Iterator[Record]:
    """Every actor's records, merged (`love_producer.journal.merge`)."""
    parts = journal_parts(folder)
    return journal.merge(read_actor(actor, paths) for actor, paths in parts.items())
