"""Journals of what entered the actors from outside, and the replay output compared to goldens.

A journal is a folder of JSON-lines files, one series of *parts* per actor
(``<actor>.<part>.jsonl``, e.g. ``csc-ATDome-0.000003.jsonl``). Actor names never depend on the
run's addresses: ``csc-<Name>-<index>`` for a CSC actor, ``manager-client`` for the
ManagerClient. Every part starts with a header line, then one line per message the actor
handled, in the order it handled them::

    {"format": "love-actors-journal", "version": 1, "actor": "csc-ATDome-0", "part": 3,
     "gen": 0, "created": 1764132000.1, "start": {...}}
    {"seq": 0, "t": 1764132000.12, "in": "start", "start": {...}, "samples": [...]}
    {"seq": 1, "t": 1764132000.17, "in": "wakeup", "samples": [[c, i, kind, topic, rcv, data]]}
    {"seq": 2, "t": 1764132000.20, "in": "requests", "requests": [["ATDome", 0, "summaryState"]]}
    {"seq": 3, "t": 1764132000.31, "in": "connected"}

``t`` is the ``now`` the actor used for that message, so a replay needs no clock. ``gen`` is the
part at which the actor (re)started: a restarted actor writes a new generation, whose first
record is ``start``. Every header repeats the generation's ``start``, so a journal whose oldest
parts were deleted (size bound) still replays, from its oldest kept part on.

Samples are recorded as drained from the source (the `Sample` objects, never simulator
internals), so a journal recorded from the simulator or from SAL replays the same way.
Non-finite floats are written as ``null``; the LOVE encoder sends both as ``null`` (W12).

This module is pure: no files, no clock. Writers and readers live in ``actors/``.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import orjson

from love_producer.interfaces.interface import ComponentInfo
from love_producer.interfaces.interface_json import from_json_dict, to_json_dict
from love_producer.kinds import KindSettings
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings
from love_producer.wire.frames import Frame, dumps, format_time
from love_producer.wire.requests import InitialStateRequest

FORMAT = "love-actors-journal"
VERSION = 1
PART_SUFFIX = ".jsonl"
MANAGER_CLIENT = "manager-client"

#: Inputs of a CSC actor.
CSC_INPUTS = ("start", "wakeup", "watch", "requests", "connected")
#: Inputs of the ManagerClient (what its websocket thread handed it).
LINK_INPUTS = ("link-connected", "link-disconnected", "link-requests", "link-fatal")
#: CSC inputs that drain the source (their record carries ``samples``).
STEP_INPUTS = ("start", "wakeup", "watch")


class JournalError(ValueError):
    """A journal line or folder that cannot be read."""


def csc_actor_name(component: str, index: int) -> str:
    return f"csc-{component}-{index}"


def part_name(actor: str, part: int) -> str:
    return f"{actor}.{part:06d}{PART_SUFFIX}"


def parse_part_name(name: str) -> tuple[str, int] | None:
    """``(actor, part)`` of a part file name, or None for any other file."""
    if not name.endswith(PART_SUFFIX):
        return None
    stem = name[: -len(PART_SUFFIX)]
    actor, _, number = stem.rpartition(".")
    if not actor or not number.isdigit():
        return None
    return actor, int(number)


# ------------------------------------------------------------------------------ start config


@attrs.frozen
class StartConfig:
    """What a CSC actor was started with: enough to build the same state machine again."""

    component: str
    index: int
    info: ComponentInfo
    settings: CSCSettings
    kind: KindSettings
    start_time: float
    related: dict = attrs.field(factory=dict)  # name -> ComponentInfo
    idle_timeout: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "index": self.index,
            "info": to_json_dict(self.info),
            "related": {name: to_json_dict(info) for name, info in self.related.items()},
            "settings": attrs.asdict(self.settings),
            "kind": attrs.asdict(self.kind),
            "start_time": self.start_time,
            "idle_timeout": self.idle_timeout,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StartConfig:
        try:
            return cls(
                component=d["component"],
                index=d["index"],
                info=from_json_dict(d["info"]),
                settings=CSCSettings(**d["settings"]),
                kind=KindSettings(**d["kind"]),
                start_time=d["start_time"],
                related={n: from_json_dict(i) for n, i in d.get("related", {}).items()},
                idle_timeout=d.get("idle_timeout"),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise JournalError(f"bad start configuration: {e}") from None


# ---------------------------------------------------------------------------------- records


@attrs.frozen
class Record:
    """One message an actor handled, with the ``now`` it used."""

    actor: str
    gen: int
    seq: int
    t: float
    kind: str  # one of CSC_INPUTS or LINK_INPUTS
    samples: tuple[Sample, ...] = ()
    requests: tuple[InitialStateRequest, ...] = ()
    start: StartConfig | None = None
    detail: str = ""

    @property
    def key(self) -> tuple[float, str, int, int]:
        """Merge order: recorded time, then actor name, then sequence."""
        return (self.t, self.actor, self.gen, self.seq)

    def describe(self, max_samples: int = 5) -> str:
        """One readable paragraph, for mismatch reports."""
        head = f"{self.actor} #{self.gen}.{self.seq} t={format_time(self.t)} in={self.kind}"
        lines = [head]
        if self.detail:
            lines.append(f"  detail: {self.detail}")
        for r in self.requests:
            lines.append(f"  request {r.csc}:{r.salindex} {r.event_name}")
        for s in self.samples[:max_samples]:
            data = dumps(s.data)
            if len(data) > 160:
                data = data[:157] + "..."
            lines.append(f"  sample {s.kind} {s.component}:{s.index} {s.topic} {data}")
        if len(self.samples) > max_samples:
            lines.append(f"  ... and {len(self.samples) - max_samples} more samples")
        return "\n".join(lines)


def _plain(value: object) -> object:
    """orjson ``default`` hook: numpy values (a salobj source) become Python values."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    raise TypeError(f"cannot record {type(value).__name__}")


_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


def encode_header(actor: str, part: int, gen: int, created: float, start: dict | None) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "actor": actor,
        "part": part,
        "gen": gen,
        "created": created,
        "start": start,
    }
    return orjson.dumps(header, option=_OPTS)


def encode_step(
    seq: int, t: float, kind: str, samples: Iterable[Sample], start: dict | None = None
) -> bytes:
    """A record of a message that drained the source (the hot path: one orjson call)."""
    rows = [(s.component, s.index, s.kind, s.topic, s.rcv_time, s.data) for s in samples]
    if start is None:
        record = {"seq": seq, "t": t, "in": kind, "samples": rows}
    else:
        record = {"seq": seq, "t": t, "in": kind, "start": start, "samples": rows}
    return orjson.dumps(record, default=_plain, option=_OPTS)


def encode_requests(
    seq: int, t: float, requests: Iterable[InitialStateRequest], kind: str = "requests"
) -> bytes:
    rows = [(r.csc, r.salindex, r.event_name) for r in requests]
    return orjson.dumps({"seq": seq, "t": t, "in": kind, "requests": rows}, option=_OPTS)


def encode_event(seq: int, t: float, kind: str, detail: str = "") -> bytes:
    record: dict[str, Any] = {"seq": seq, "t": t, "in": kind}
    if detail:
        record["detail"] = detail
    return orjson.dumps(record, option=_OPTS)


@attrs.frozen
class Header:
    actor: str
    part: int
    gen: int
    created: float
    start: StartConfig | None


def decode_header(line: bytes | str) -> Header:
    try:
        d = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise JournalError("header is not JSON") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise JournalError("not a love-actors journal (no header)")
    if d.get("version") != VERSION:
        raise JournalError(
            f"journal format version {d.get('version')!r}; this love-actors reads version {VERSION}"
        )
    start = StartConfig.from_json(d["start"]) if d.get("start") else None
    return Header(d["actor"], d["part"], d["gen"], d["created"], start)


def decode_record(line: bytes | str, actor: str, gen: int) -> Record:
    """A record line of ``actor``'s generation ``gen``; raises JournalError."""
    try:
        d = orjson.loads(line)
        kind = d["in"]
        if kind not in CSC_INPUTS and kind not in LINK_INPUTS:
            raise JournalError(f"unknown input {kind!r}")
        samples = tuple(
            Sample(c, i, k, topic, data, rcv) for c, i, k, topic, rcv, data in d.get("samples", ())
        )
        requests = tuple(InitialStateRequest(*r) for r in d.get("requests", ()))
        start = StartConfig.from_json(d["start"]) if d.get("start") else None
        return Record(
            actor, gen, d["seq"], d["t"], kind, samples, requests, start, d.get("detail", "")
        )
    except JournalError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise JournalError(f"bad record: {type(e).__name__}: {e}") from None


def merge(streams: Iterable[Iterable[Record]]) -> Iterator[Record]:
    """All actors' records in one deterministic order: by recorded time, then actor name, then
    sequence. Each stream (one actor) keeps its own order even if its clock stepped back."""
    return heapq.merge(*streams, key=lambda r: r.key)


# ---------------------------------------------------------------------------- size bound


@attrs.frozen
class PartFile:
    name: str
    size: int
    mtime: float


def parts_to_delete(parts: Sequence[PartFile], max_total_bytes: int) -> list[str]:
    """Oldest closed parts to delete so the folder holds at most ``max_total_bytes``.

    The newest part of each actor may be open for writing and is never chosen, so the bound
    can be exceeded by at most one part per actor.
    """
    total = sum(p.size for p in parts)
    if total <= max_total_bytes:
        return []
    newest: dict[str, int] = {}
    for p in parts:
        parsed = parse_part_name(p.name)
        if parsed is not None:
            actor, number = parsed
            newest[actor] = max(newest.get(actor, -1), number)
    closed = []
    for p in parts:
        parsed = parse_part_name(p.name)
        if parsed is not None and parsed[1] < newest[parsed[0]]:
            closed.append(p)
    closed.sort(key=lambda p: (p.mtime, p.name))
    out = []
    for p in closed:
        if total <= max_total_bytes:
            break
        out.append(p.name)
        total -= p.size
    return out


# ------------------------------------------------------------------------ replay output


def frame_line(t: float, actor: str, frame: Frame) -> str:
    """One replay output line: the frame, the time of the input that made it and the actor.
    The payload is the frame's own JSON text, byte for byte."""
    return (
        f'{{"t":{format_time(t)},"actor":{dumps(actor)},"category":{dumps(frame.category)},'
        f'"csc":{dumps(frame.csc)},"salindex":{frame.salindex},"stream":{dumps(frame.stream)},'
        f'"payload":{frame.payload}}}'
    )


@attrs.frozen
class Mismatch:
    """The first difference between expected and actual output lines."""

    index: int  # 0-based line index
    expected: str | None  # None: the actual output has more lines
    actual: str | None  # None: the actual output ended early

    @property
    def position(self) -> int:
        """1-based line number, as editors show it."""
        return self.index + 1

    def describe(self) -> str:
        text = (
            f"first difference at frame {self.position}:\n"
            f"  expected: {self.expected if self.expected is not None else '(no more frames)'}\n"
            f"  actual:   {self.actual if self.actual is not None else '(no more frames)'}"
        )
        if self.expected is not None and self.actual is not None:
            col = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(self.expected, self.actual, strict=False))
                    if a != b
                ),
                min(len(self.expected), len(self.actual)),
            )
            lo = max(0, col - 40)
            text += (
                f"\n  from character {col + 1}:"
                f"\n    expected ...{self.expected[lo : col + 40]}"
                f"\n    actual   ...{self.actual[lo : col + 40]}"
            )
        return text


def same_line(expected: str, actual: str) -> bool:
    """Whether two output lines hold the same JSON value: spacing does not matter, the order
    of keys does (fields keep their interface order on screens). Lines that are not JSON are
    compared as text."""
    if expected == actual:
        return True
    try:
        return _ordered(expected) == _ordered(actual)
    except ValueError:
        return False


def _ordered(line: str) -> object:
    return json.loads(line, object_pairs_hook=list)


def compare(expected_lines: Iterable[str], actual_lines: Iterable[str]) -> Mismatch | None:
    """None when both give the same lines (`same_line`; trailing newlines ignored), else the
    first difference."""
    missing = object()
    exp_it, act_it = iter(expected_lines), iter(actual_lines)
    index = 0
    while True:
        e = next(exp_it, missing)
        a = next(act_it, missing)
        if e is missing and a is missing:
            return None
        e_text = None if e is missing else e.rstrip("\n")  # type: ignore[union-attr]
        a_text = None if a is missing else a.rstrip("\n")  # type: ignore[union-attr]
        if e_text is None or a_text is None or not same_line(e_text, a_text):
            return Mismatch(index, e_text, a_text)
        index += 1
