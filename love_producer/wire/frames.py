"""LOVE frames: the unit that travels from CSC actors to the ManagerClient, and the
websocket messages built from them.

A `Frame` is one stream of one component, with its payload already encoded as JSON text, so
it is pickled between actors as a short string and never re-encoded. The ManagerClient packs
frames into manager messages (`pack_messages`) and stamps ``producer_snd`` when it sends.

Wire shape (``spec/love-manager-protocol.md`` §4.1)::

    {"category": "event", "data": [{"csc": "ATDome", "salindex": 0,
      "data": {"summaryState": [...], "heartbeat": ...}}], "producer_snd": 1764132000.52}

Several entries, and several streams per entry, may share one message: the manager splits
them per stream group, so subscribers see the same frames as with one stream per message.
A stream never appears twice in one entry, so two events of one stream both arrive, in order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import attrs
import orjson

Category = Literal["event", "telemetry"]


@attrs.frozen(slots=True)
class Frame:
    """One stream's payload, ready to send.

    Parameters
    ----------
    category : str
        ``event`` or ``telemetry`` (the LOVE category, which picks the manager group).
    csc : str
        Envelope CSC name: a SAL component or a pseudo-CSC (``Heartbeat``,
        ``ScriptQueueState``...).
    salindex : int
        Envelope salindex.
    stream : str
        Stream name: the key under ``data``.
    payload : str
        The stream's value, as JSON text.
    """

    category: str
    csc: str
    salindex: int
    stream: str
    payload: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        """Identity of the stream this frame belongs to."""
        return (self.category, self.csc, self.salindex, self.stream)

    def group(self) -> str:
        """The manager group name of this frame's stream."""
        return f"{self.category}-{self.csc}-{self.salindex}-{self.stream}"


def dumps(value: object) -> str:
    """Strict JSON text of ``value``: NaN and infinities become ``null`` (W12)."""
    return orjson.dumps(value).decode()


def format_time(t: float) -> str:
    """JSON text of a timestamp (never NaN)."""
    return repr(float(t)) if math.isfinite(t) else "null"


def _entry_text(csc: str, salindex: int, streams: list[Frame]) -> str:
    body = ",".join(f"{dumps(f.stream)}:{f.payload}" for f in streams)
    return f'{{"csc":{dumps(csc)},"salindex":{salindex},"data":{{{body}}}}}'


def message_text(category: str, entries: list[str], producer_snd: float) -> str:
    return (
        f'{{"category":{dumps(category)},"data":[{",".join(entries)}],'
        f'"producer_snd":{format_time(producer_snd)}}}'
    )


def pack_messages(
    frames: Iterable[Frame], producer_snd: float, max_bytes: int = 512 * 1024
) -> list[str]:
    """Pack frames into as few manager messages as possible, keeping their order.

    A message holds frames of one category. Consecutive frames of the same component share an
    entry unless the stream is already in it. A message is closed once it passes
    ``max_bytes`` (a single larger frame still goes out, alone).

    With ``max_bytes=0`` every frame is its own message, exactly as the upstream producer
    sends them.
    """
    messages: list[str] = []
    category: str | None = None
    entries: list[str] = []
    size = 0
    cur: list[Frame] = []
    cur_streams: set[str] = set()

    def close_entry() -> None:
        nonlocal cur, cur_streams
        if cur:
            entries.append(_entry_text(cur[0].csc, cur[0].salindex, cur))
        cur = []
        cur_streams = set()

    def close_message() -> None:
        nonlocal entries, size
        close_entry()
        if entries:
            messages.append(message_text(category or "event", entries, producer_snd))
        entries = []
        size = 0

    for f in frames:
        if f.category != category:
            close_message()
            category = f.category
        elif cur and (
            f.csc != cur[0].csc or f.salindex != cur[0].salindex or f.stream in cur_streams
        ):
            close_entry()
        if max_bytes <= 0 or size >= max_bytes:
            close_message()
        cur.append(f)
        cur_streams.add(f.stream)
        size += len(f.payload) + len(f.stream) + 8
    close_message()
    return messages


def subscribe_text(csc: str, producer_snd: float) -> str:
    """The initial_state registration frame for ``csc`` (``spec/love-producer-behaviour.md``
    §3.2)."""
    return (
        f'{{"option":"subscribe","category":"initial_state","csc":{dumps(csc)},'
        f'"salindex":"all","stream":"all","producer_snd":{format_time(producer_snd)}}}'
    )
