"""The routing core of a LOVE-manager-compatible development endpoint (the "hub").

It does what the manager's subscription consumer and channel layer do together
(``spec/love-manager-protocol.md`` §2-§7), as a pure state machine: text frames in,
``(client, text)`` deliveries out, time always passed in. The websocket edge lives in
``actors/hub_server.py``.

One deliberate difference from the real manager: a frame it cannot handle (not JSON, a
field missing or of the wrong type, a group name Channels would refuse) produces a warning
and is dropped, where the manager would drop the whole connection.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Hashable
from typing import Any, Literal

import attrs

ClientKind = Literal["producer", "frontend"]
ClientId = Hashable
Delivery = tuple[ClientId, str]

TAI_MINUS_UTC = 37.0  # the manager's own constant (love_producer.sal.samples has SAL's)
"""Seconds TAI is ahead of UTC (since 2017)."""

HEARTBEAT_PERIOD = 3.0
HEARTBEAT_GROUP = "heartbeat-manager-0-stream"
INITIAL_STATE_LABEL = "initial_state-all-all-all"
SUMMIT_LONGITUDE_DEG = -70.749417

# Channels only accepts group names of ASCII letters, digits, "-", "_" and "." shorter than
# 100 characters, and raises otherwise (which would drop the connection on the real manager).
_GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
_SUBSCRIPTION_FIELDS = ("category", "csc", "salindex", "stream")


@attrs.define
class HubResult:
    """What one inbound frame produced: frames to send, in order, and warnings to log."""

    deliveries: list[Delivery] = attrs.Factory(list)
    warnings: list[str] = attrs.Factory(list)


def _dumps(obj: Any) -> str:
    # Stdlib json like the manager: NaN/Infinity pass through as the manager relays them.
    return json.dumps(obj)


def _is_index(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def time_data(utc: float) -> dict[str, Any]:
    """Build the ``time_data`` block of a ``get_time_data`` reply for UTC unix time ``utc``.

    Sidereal times use the IAU mean sidereal time formula (good to about a second), in hours.
    """
    tai = utc + TAI_MINUS_UTC
    mjd = utc / 86400.0 + 40587.0
    gmst = (18.697374558 + 24.06570982441908 * (mjd - 51544.5)) % 24.0
    observing_day = datetime.datetime.fromtimestamp(tai - 12 * 3600.0, tz=datetime.UTC)
    return {
        "utc": utc,
        "tai": tai,
        "mjd": mjd,
        "observing_day": observing_day.strftime("%Y%m%d"),
        "sidereal_summit": (gmst + SUMMIT_LONGITUDE_DEG / 15.0) % 24.0,
        "sidereal_greenwich": gmst,
        "tai_to_utc": -TAI_MINUS_UTC,
    }


def initial_state_salindex(salindex: str | int) -> int | str | None:
    """The salindex an initial_state request carries: ``int()`` of it unless it is ``"all"``.

    Returns None when the manager's ``int()`` would fail.
    """
    if salindex == "all":
        return "all"
    if isinstance(salindex, int):
        return salindex
    try:
        return int(salindex)
    except ValueError:
        return None


class HubRouter:
    """Group membership and fan-out of a LOVE-manager, without I/O.

    Parameters
    ----------
    legacy : bool
        Send initial_state requests to ``initial_state-all-all-all`` (``LOVE_PRODUCER_LEGACY``)
        instead of ``initial_state-<csc>-all-all``.
    tracing : bool
        Add the ``tracing`` block to relayed frames (``SHOW_TRACE_TIMESTAMPS``). Manager
        times are TAI, that is ``now + 37``.
    """

    def __init__(self, legacy: bool = False, tracing: bool = False) -> None:
        self.legacy = legacy
        self.tracing = tracing
        self._kinds: dict[ClientId, ClientKind] = {}
        self._groups: dict[str, dict[ClientId, None]] = {}
        self._memberships: dict[ClientId, set[str]] = {}
        self._received: dict[ClientId, int] = {}
        self._counts: Counter[str] = Counter()
        self._relayed = 0
        self._warnings = 0
        self._next_heartbeat: float | None = None

    # -- clients and groups ------------------------------------------------------------

    def connect(self, cid: ClientId, kind: ClientKind) -> None:
        """Register an authenticated client."""
        if kind not in ("producer", "frontend"):
            raise ValueError(f"client kind must be 'producer' or 'frontend', not {kind!r}")
        if cid in self._kinds:
            raise ValueError(f"client {cid!r} is already connected")
        self._kinds[cid] = kind
        self._memberships[cid] = set()
        self._received[cid] = 0

    def disconnect(self, cid: ClientId) -> None:
        """Forget a client and remove it from every group it joined (unknown ids are ignored)."""
        for group in self._memberships.pop(cid, ()):
            self._leave(cid, group)
        self._kinds.pop(cid, None)
        self._received.pop(cid, None)

    def groups_of(self, cid: ClientId) -> frozenset[str]:
        """The groups a client is in."""
        return frozenset(self._memberships.get(cid, ()))

    def members(self, group: str) -> tuple[ClientId, ...]:
        """The clients in a group, in joining order."""
        return tuple(self._groups.get(group, ()))

    def _join(self, cid: ClientId, group: str) -> None:
        self._groups.setdefault(group, {})[cid] = None
        self._memberships[cid].add(group)

    def _leave(self, cid: ClientId, group: str) -> None:
        members = self._groups.get(group)
        if members is not None:
            members.pop(cid, None)
            if not members:
                del self._groups[group]

    def _send_group(self, result: HubResult, group: str, frame: dict[str, Any]) -> int:
        members = self._groups.get(group)
        if not members:
            return 0
        text = _dumps(frame)
        result.deliveries.extend((cid, text) for cid in members)
        return len(members)

    # -- inbound frames ----------------------------------------------------------------

    def receive(self, cid: ClientId, text: str | bytes, now: float) -> HubResult:
        """Handle one text frame from ``cid`` received at UTC unix time ``now``."""
        result = HubResult()
        if cid not in self._kinds:
            return self._warn(result, "invalid", f"frame from unknown client {cid!r} dropped")
        self._received[cid] += 1
        if not isinstance(text, str):
            return self._warn(result, "invalid", f"{cid}: binary frame dropped")
        try:
            message = json.loads(text)
        except (ValueError, RecursionError) as exc:
            reason = getattr(exc, "msg", type(exc).__name__)
            return self._warn(result, "invalid", f"{cid}: frame is not JSON ({reason}); dropped")
        if not isinstance(message, dict):
            return self._warn(result, "invalid", f"{cid}: frame is not a JSON object; dropped")
        if "option" in message:
            self._subscription(cid, message, now, result)
        elif "action" in message:
            self._action(cid, message, now, result)
        else:
            self._data(cid, message, now, result)
        return result

    def _warn(self, result: HubResult, kind: str, warning: str) -> HubResult:
        self._counts[kind] += 1
        self._warnings += 1
        result.warnings.append(warning)
        return result

    def _subscription(
        self, cid: ClientId, message: dict[str, Any], now: float, result: HubResult
    ) -> None:
        option = message["option"]
        if option not in ("subscribe", "unsubscribe"):
            self._counts["ignored"] += 1
            return
        for field in _SUBSCRIPTION_FIELDS:
            if field not in message:
                self._warn(result, "invalid", f"{cid}: {option} without {field!r}; dropped")
                return
        category, csc, salindex, stream = (message[f] for f in _SUBSCRIPTION_FIELDS)
        if not all(isinstance(v, str) for v in (category, csc, stream)) or not _is_index(salindex):
            self._warn(result, "invalid", f"{cid}: {option} with a field of the wrong type")
            return
        group = "-".join([category, csc, str(salindex), stream])
        if not _GROUP_NAME.match(group):
            self._warn(result, "invalid", f"{cid}: {option} to an invalid group name; dropped")
            return
        self._counts[option] += 1
        if option == "unsubscribe":
            self._memberships[cid].discard(group)
            self._leave(cid, group)
            reply = {"data": f"Successfully unsubscribed to {group}"}
            result.deliveries.append((cid, _dumps(reply)))
            return
        request_index = initial_state_salindex(salindex) if category == "event" else None
        if category == "event" and request_index is None:
            self._warn(
                result,
                "invalid",
                f"{cid}: event subscribe with a salindex that is "
                "neither an integer nor 'all'; dropped",
            )
            return
        self._join(cid, group)
        result.deliveries.append((cid, _dumps({"data": f"Successfully subscribed to {group}"})))
        if category == "event":
            target = INITIAL_STATE_LABEL if self.legacy else f"initial_state-{csc}-all-all"
            request = self._initial_state_request(csc, request_index, stream, now)
            self._send_group(result, target, request)

    def _initial_state_request(
        self, csc: str, salindex: int | str | None, stream: str, now: float
    ) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "category": "initial_state",
            "data": [{"csc": csc, "salindex": salindex, "data": {"event_name": stream}}],
            "subscription": INITIAL_STATE_LABEL,
        }
        if self.tracing:
            tai = now + TAI_MINUS_UTC
            frame["tracing"] = {"manager_rcv_from_group": tai, "manager_snd_to_client": tai}
        return frame

    def _action(
        self, cid: ClientId, message: dict[str, Any], now: float, result: HubResult
    ) -> None:
        if message["action"] != "get_time_data":
            self._counts["ignored"] += 1
            return
        self._counts["action"] += 1
        reply = {"time_data": time_data(now), "request_time": message.get("request_time")}
        result.deliveries.append((cid, _dumps(reply)))

    def _data(self, cid: ClientId, message: dict[str, Any], now: float, result: HubResult) -> None:
        category = message.get("category")
        data = message.get("data")
        if not isinstance(category, str) or not isinstance(data, list):
            self._warn(
                result,
                "invalid",
                f"{cid}: data message needs a string 'category' and a list 'data'; dropped",
            )
            return
        if not data:
            self._counts["ignored"] += 1
            return
        for i, entry in enumerate(data):
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("csc"), str)
                and _is_index(entry.get("salindex"))
                and isinstance(entry.get("data"), dict)
            ):
                self._warn(
                    result,
                    "invalid",
                    f"{cid}: data entry {i} needs a string 'csc', a "
                    "string or integer 'salindex' and a 'data' object; message dropped",
                )
                return
        frames = self._data_frames(category, data, message.get("producer_snd"), now)
        for group, _ in frames:
            if not _GROUP_NAME.match(group):
                self._warn(
                    result,
                    "invalid",
                    f"{cid}: data message names an invalid group; message dropped",
                )
                return
        try:  # encode everything first: a message is relayed whole or not at all
            encoded = [
                (self._groups[group], _dumps(frame))
                for group, frame in frames
                if self._groups.get(group)
            ]
        except (ValueError, RecursionError):
            self._warn(
                result,
                "invalid",
                f"{cid}: data message cannot be re-encoded (too deeply nested); dropped",
            )
            return
        self._counts["data"] += 1
        for members, text in encoded:
            result.deliveries.extend((member, text) for member in members)
            self._relayed += len(members)

    def _data_frames(
        self, category: str, data: list[dict[str, Any]], producer_snd: Any, now: float
    ) -> list[tuple[str, dict[str, Any]]]:
        tracing: dict[str, Any] | None = None
        if self.tracing:
            tai = now + TAI_MINUS_UTC
            tracing = {
                "producer_snd": producer_snd,
                "manager_rcv_from_producer": tai,
                "manager_snd_to_group": tai,
                "manager_rcv_from_group": tai,
                "manager_snd_to_client": tai,
            }
        frames: list[tuple[str, dict[str, Any]]] = []

        def add(group: str, label: str, frame_data: list[Any]) -> None:
            frame: dict[str, Any] = {
                "category": category,
                "data": frame_data,
                "subscription": label,
            }
            if tracing is not None:
                frame["tracing"] = tracing
            frames.append((group, frame))

        for entry in data:
            csc, salindex, streams = entry["csc"], entry["salindex"], entry["data"]
            prefix = f"{category}-{csc}-{salindex}-"
            for stream, payload in streams.items():
                one = [{"csc": csc, "salindex": salindex, "data": {stream: payload}}]
                add(prefix + stream, prefix + stream, one)
            nested = [{"csc": csc, "salindex": salindex, "data": {csc: dict(streams)}}]
            add(prefix + "all", prefix + "all", nested)
        all_group = f"{category}-all-all-all"
        add(all_group, all_group, data)
        return frames

    # -- time-driven ---------------------------------------------------------------------

    def tick(self, now: float) -> list[Delivery]:
        """Advance to UTC unix time ``now``: the manager heartbeat, every 3 s, to its group."""
        if self._next_heartbeat is not None and now < self._next_heartbeat:
            return []
        due = self._next_heartbeat
        self._next_heartbeat = due + HEARTBEAT_PERIOD if due is not None else now
        if self._next_heartbeat <= now:
            self._next_heartbeat = now + HEARTBEAT_PERIOD
        frame = {
            "category": "heartbeat",
            "data": [{"csc": "Manager", "salindex": 0, "data": {"timestamp": now}}],
            "subscription": "heartbeat",
        }
        result = HubResult()
        self._send_group(result, HEARTBEAT_GROUP, frame)
        return result.deliveries

    # -- counters ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters for a status line: clients by kind, frames received by kind, relayed..."""
        kinds = Counter(self._kinds.values())
        return {
            "producers": kinds["producer"],
            "frontends": kinds["frontend"],
            "received": {
                key: self._counts[key]
                for key in ("subscribe", "unsubscribe", "action", "data", "ignored", "invalid")
            },
            "relayed": self._relayed,
            "warnings": self._warnings,
            "groups": len(self._groups),
            "per_client": dict(self._received),
        }
