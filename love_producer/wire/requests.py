"""Parsing of the text frames the LOVE-manager sends to a producer.

The manager sends (``spec/love-manager-protocol.md`` §5-6) subscription confirmations
(``{"data": "Successfully subscribed to ..."}``), initial_state requests, and possibly data
frames of other groups. The text is untrusted: `parse_manager_text` validates everything and
never raises (W5: upstream died on the first malformed frame).
"""

from __future__ import annotations

import re
from typing import Literal

import attrs
import orjson

#: Largest SAL index accepted (SAL indices are 32-bit signed).
MAX_SALINDEX = 2**31 - 1

_NAME_RE = re.compile(r"[A-Za-z0-9_]+")
_DIGITS_RE = re.compile(r"[0-9]{1,10}")


@attrs.frozen(slots=True)
class InitialStateRequest:
    """One entry of an initial_state request: send again the last ``event_name`` frame of
    component ``csc`` at ``salindex`` (``"all"`` when the subscriber gave no index)."""

    csc: str
    salindex: int | Literal["all"]
    event_name: str


@attrs.frozen(slots=True)
class Confirmation:
    """A frame without category, such as a subscription confirmation."""

    text: str


@attrs.frozen(slots=True)
class OtherFrame:
    """A well-formed frame of a category a producer does not act on."""

    category: str


@attrs.frozen(slots=True)
class InvalidFrame:
    """A frame (or one entry of it) that was rejected, and why."""

    reason: str


Inbound = InitialStateRequest | Confirmation | OtherFrame | InvalidFrame


def parse_manager_text(text: str | bytes, max_bytes: int = 1_048_576) -> list[Inbound]:
    """Parse one manager frame.

    Returns one `InitialStateRequest` or `InvalidFrame` per entry of an initial_state
    request, or a single `Confirmation`, `OtherFrame` or `InvalidFrame`. Never raises.
    """
    try:
        return _parse(text, max_bytes)
    except Exception as exc:  # a safety net: _parse is meant to handle every input
        return [InvalidFrame(f"unexpected parse failure: {type(exc).__name__}")]


def _parse(text: str | bytes, max_bytes: int) -> list[Inbound]:
    if not isinstance(text, str | bytes):
        return [InvalidFrame(f"not text: {type(text).__name__}")]
    if _size_exceeds(text, max_bytes):
        return [InvalidFrame(f"too big: more than {max_bytes} bytes")]
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return [InvalidFrame("not JSON")]
    if not isinstance(frame, dict):
        return [InvalidFrame(f"not a JSON object: {type(frame).__name__}")]
    if "category" not in frame:
        data = frame.get("data")
        if isinstance(data, str):
            return [Confirmation(data)]
        return [InvalidFrame("no category, and data is not a text")]
    category = frame["category"]
    if not isinstance(category, str):
        return [InvalidFrame("category is not a string")]
    if category != "initial_state":
        return [OtherFrame(category)]
    entries = frame.get("data")
    if not isinstance(entries, list):
        return [InvalidFrame("initial_state: data is not a list")]
    if not entries:
        return [InvalidFrame("initial_state: data is empty")]
    return [_entry(i, entry) for i, entry in enumerate(entries)]


def _size_exceeds(text: str | bytes, max_bytes: int) -> bool:
    if len(text) > max_bytes:  # a character is at least one byte
        return True
    if isinstance(text, bytes) or len(text) * 4 <= max_bytes:  # at most 4 bytes a character
        return False
    return len(text.encode("utf-8", "surrogatepass")) > max_bytes


def _entry(i: int, entry: object) -> InitialStateRequest | InvalidFrame:
    where = f"initial_state data[{i}]"
    if not isinstance(entry, dict):
        return InvalidFrame(f"{where} is not an object")
    csc = entry.get("csc")
    if not _is_name(csc):
        return InvalidFrame(f"{where}: csc missing or not a name")
    salindex = _salindex(entry.get("salindex"))
    if salindex is None:
        return InvalidFrame(f"{where}: salindex missing or not an index or 'all'")
    stream = entry.get("data")
    event_name = stream.get("event_name") if isinstance(stream, dict) else None
    if not _is_name(event_name):
        return InvalidFrame(f"{where}: data.event_name missing or not a name")
    return InitialStateRequest(csc, salindex, event_name)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and _NAME_RE.fullmatch(value) is not None


def _salindex(value: object) -> int | Literal["all"] | None:
    """An int, a string of digits or ``"all"``; None for anything else."""
    if type(value) is int:  # not bool
        return value if 0 <= value <= MAX_SALINDEX else None
    if value == "all":
        return "all"
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        number = int(value)
        return number if number <= MAX_SALINDEX else None
    return None
