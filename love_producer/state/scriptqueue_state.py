"""The ScriptQueue producer as a pure state machine (``spec/love-producer-behaviour.md`` §5).

Two layers:

* pure, guarded transitions ``(model, event data) -> model`` on frozen values (`QueueModel`,
  `AvailableScripts`, `SchemaFetch`) and payload builders for the derived streams (§3.7-3.9).
  None of them raises on odd input: unknown enum values become ``"UNKNOWN"``, missing entries are
  created or skipped, never half-applied (W9);
* `ScriptQueueCSC`, a `GenericCSC` that also takes the samples of the queue's Script components,
  turns transitions into frames, and asks for hydration commands (W8) and bounded schema fetches
  (W15) through `take_commands`.

Which scripts are tracked: every script the latest ``queue`` lists (current, waiting, and the
newest ``finished_list_size`` finished ones), plus scripts newer than all of those, which the next
``queue`` has not listed yet (a ``script`` event may come first): newer than any script a
``queue`` ever listed. Everything else is forgotten everywhere: `<script>` entry, heartbeat, log
buffer. Before the first ``queue`` every script of the queue's index range is tracked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import attrs

from love_producer.interfaces.interface import ComponentInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample
from love_producer.state.csc_state import CSCSettings, GenericCSC
from love_producer.wire.encoding import TopicEncoder
from love_producer.wire.frames import Frame, dumps
from love_producer.wire.requests import InitialStateRequest

#: Script SAL indices of queue N lie in ``N * SCRIPT_INDEX_SPAN ... + SCRIPT_INDEX_SPAN - 1``.
SCRIPT_INDEX_SPAN = 100_000
#: logMessage frames kept per script for initial_state replies.
LOG_BUFFER_SIZE = 20
#: Period of the ScriptHeartbeats frames (seconds).
SCRIPT_HEARTBEAT_PERIOD = 2.0
#: A script publishes a heartbeat this often (salobj ``BaseScript``), seconds.
SCRIPT_HEARTBEAT_INTERVAL = 5.0
#: Extra time a script heartbeat may be late before it counts as lost.
SCRIPT_HEARTBEAT_GRACE = 2.0
#: A ``showSchema`` without an answer is considered failed after this long (seconds).
SCHEMA_FETCH_TIMEOUT = 20.0
#: Most ``showSchema`` commands outstanding at a time.
SCHEMA_FETCH_CONCURRENCY = 2

#: ``ScriptQueue.ScriptProcessState`` names by value.
PROCESS_STATES = (
    "UNKNOWN",
    "LOADING",
    "CONFIGURED",
    "RUNNING",
    "DONE",
    "LOADFAILED",
    "CONFIGURE_FAILED",
    "TERMINATED",
)
#: ``Script.ScriptState`` names by value.
SCRIPT_STATES = (
    "UNKNOWN",
    "UNCONFIGURED",
    "CONFIGURED",
    "RUNNING",
    "PAUSED",
    "ENDING",
    "STOPPING",
    "FAILING",
    "DONE",
    "STOPPED",
    "FAILED",
    "CONFIGURE_FAILED",
)
#: Script events that change a `<script>` entry.
SCRIPT_DETAIL_TOPICS = frozenset({"state", "metadata", "description", "checkpoints", "logLevel"})
#: The derived stream names (csc ``ScriptQueueState``).
STATE_STREAM = "stateStream"
SCRIPTS_STREAM = "scriptsStream"
AVAILABLE_STREAM = "availableScriptsStream"
EMPTY_SCHEMA = "# empty schema"

# ----------------------------------------------------------------------------- coercion


def enum_name(names: tuple[str, ...], value: object) -> str:
    """Name of an enum value, ``"UNKNOWN"`` for anything not in ``names`` (never raises)."""
    if type(value) is int and 0 <= value < len(names):
        return names[value]
    return "UNKNOWN"


def _int(value: object, default: int = 0) -> int:
    return value if type(value) is int else default


def _number(value: object, default: float | int = 0) -> float | int:
    if type(value) in (int, float) and math.isfinite(value):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    return default


def _text(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _flag(value: object) -> bool:
    return value is True or (type(value) is int and value == 1)


def _indices(values: object, length: object) -> tuple[int, ...]:
    """The first ``length`` entries of ``values`` that are positive ints, without repeats."""
    if not isinstance(values, list | tuple):
        return ()
    n = max(0, min(_int(length), len(values)))
    return tuple(dict.fromkeys(v for v in values[:n] if type(v) is int and v > 0))


# ----------------------------------------------------------------------------- values


@attrs.frozen
class ScriptEntry:
    """What the producer knows of one script: the ``<script>`` dict of §3.7, plus whether a
    ``script`` event described it (``has_details``)."""

    index: int
    path: str = "UNKNOWN"
    type: str = "UNKNOWN"
    process_state: str = "UNKNOWN"
    script_state: str = "UNKNOWN"
    timestampConfigureEnd: float = 0
    timestampConfigureStart: float = 0
    timestampProcessEnd: float = 0
    timestampProcessStart: float = 0
    timestampRunStart: float = 0
    expected_duration: float = 0
    last_checkpoint: str = ""
    description: str = ""
    classname: str = ""
    remotes: str = ""
    pause_checkpoints: str = ""
    stop_checkpoints: str = ""
    log_level: int = 20
    has_details: bool = False

    def to_dict(self) -> dict:
        """The ``<script>`` payload, keys in the order of §3.7."""
        return {
            "remote": None,
            "setup": True,
            "index": self.index,
            "path": self.path,
            "type": self.type,
            "process_state": self.process_state,
            "script_state": self.script_state,
            "timestampConfigureEnd": self.timestampConfigureEnd,
            "timestampConfigureStart": self.timestampConfigureStart,
            "timestampProcessEnd": self.timestampProcessEnd,
            "timestampProcessStart": self.timestampProcessStart,
            "timestampRunStart": self.timestampRunStart,
            "expected_duration": self.expected_duration,
            "last_checkpoint": self.last_checkpoint,
            "description": self.description,
            "classname": self.classname,
            "remotes": self.remotes,
            "last_heartbeat_timestamp": 0,
            "lost_heartbeats": 0,
            "pause_checkpoints": self.pause_checkpoints,
            "stop_checkpoints": self.stop_checkpoints,
            "log_level": self.log_level,
        }


@attrs.frozen
class ScriptBeat:
    """Heartbeat state of one script: receipt time of its last heartbeat (-1 before any) and
    consecutive ScriptHeartbeats rounds it was late."""

    last: float = -1.0
    lost: int = 0


@attrs.frozen(eq=True)
class QueueModel:
    """Queue state (§5.2). The dicts are never mutated: transitions build new ones."""

    enabled: bool = False
    running: bool = False
    current: tuple[int, ...] = ()
    waiting: tuple[int, ...] = ()
    finished: tuple[int, ...] = ()
    queue_seen: bool = False
    #: Highest script index any ``queue`` listed: only newer scripts may be not yet listed.
    high_water: int = 0
    scripts: Mapping[int, ScriptEntry] = attrs.field(factory=dict)
    beats: Mapping[int, ScriptBeat] = attrs.field(factory=dict)
    logs: Mapping[int, tuple[Frame, ...]] = attrs.field(factory=dict)

    @property
    def listed(self) -> tuple[int, ...]:
        return self.current + self.waiting + self.finished

    @property
    def active(self) -> tuple[int, ...]:
        """Current then waiting scripts: those that get heartbeats and live log messages."""
        return tuple(dict.fromkeys(self.current + self.waiting))

    def tracks(self, index: int) -> bool:
        """Whether events of script ``index`` are kept (see the module docstring)."""
        if index in self.scripts or not self.queue_seen:
            return True
        return index > self.high_water


@attrs.frozen
class AvailableScripts:
    """Available scripts and their schemas (``""`` while unknown), by type, in list order."""

    standard: Mapping[str, str] = attrs.field(factory=dict)
    external: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class SchemaFetch:
    """A pass of ``showSchema`` fetches: keys ``(is_standard, path)`` still to ask, and the
    outstanding ones with their deadline."""

    queued: tuple[tuple[bool, str], ...] = ()
    outstanding: Mapping[tuple[bool, str], float] = attrs.field(factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.queued or self.outstanding)


# ----------------------------------------------------------------------------- transitions


def apply_queue(model: QueueModel, data: Mapping, finished_list_size: int) -> QueueModel:
    """SQ ``queue`` event: new lists; scripts that left them are forgotten; new ones get
    empty entries, heartbeats and log buffers."""
    current = _indices([data.get("currentSalIndex")], 1)
    waiting = _indices(data.get("salIndices"), data.get("length"))
    past_length = min(_int(data.get("pastLength")), max(0, finished_list_size))
    finished = _indices(data.get("pastSalIndices"), past_length)
    listed = set(current + waiting + finished)
    high_water = max(listed, default=model.high_water)
    if model.queue_seen:
        high_water = max(high_water, model.high_water)

    def keep(i: int) -> bool:
        return i in listed or i > high_water

    scripts = {i: e for i, e in model.scripts.items() if keep(i)}
    beats = {i: b for i, b in model.beats.items() if keep(i)}
    logs = {i: b for i, b in model.logs.items() if keep(i)}
    for i in current + waiting + finished:
        scripts.setdefault(i, ScriptEntry(i))
        beats.setdefault(i, ScriptBeat())
        logs.setdefault(i, ())
    return QueueModel(
        enabled=_flag(data.get("enabled")),
        running=_flag(data.get("running")),
        current=current,
        waiting=waiting,
        finished=finished,
        queue_seen=True,
        high_water=high_water,
        scripts=scripts,
        beats=beats,
        logs=logs,
    )


def apply_script(model: QueueModel, data: Mapping) -> QueueModel:
    """SQ ``script`` event: path, type, states and timestamps of one script."""
    index = _int(data.get("scriptSalIndex"))
    if index <= 0 or not model.tracks(index):
        return model
    old = model.scripts.get(index) or ScriptEntry(index)
    new = attrs.evolve(
        old,
        path=_text(data.get("path"), old.path),
        type="standard" if _flag(data.get("isStandard")) else "external",
        process_state=enum_name(PROCESS_STATES, data.get("processState")),
        script_state=enum_name(SCRIPT_STATES, data.get("scriptState")),
        timestampConfigureEnd=_number(data.get("timestampConfigureEnd")),
        timestampConfigureStart=_number(data.get("timestampConfigureStart")),
        timestampProcessEnd=_number(data.get("timestampProcessEnd")),
        timestampProcessStart=_number(data.get("timestampProcessStart")),
        timestampRunStart=_number(data.get("timestampRunStart")),
        has_details=True,
    )
    return _with_script(model, new)


def apply_script_topic(model: QueueModel, index: int, topic: str, data: Mapping) -> QueueModel:
    """A Script event that changes the `<script>` entry (state, metadata, description,
    checkpoints, logLevel); others and untracked scripts leave the model unchanged."""
    if topic not in SCRIPT_DETAIL_TOPICS or index <= 0 or not model.tracks(index):
        return model
    old = model.scripts.get(index) or ScriptEntry(index)
    if topic == "state":
        new = attrs.evolve(
            old,
            script_state=enum_name(SCRIPT_STATES, data.get("state")),
            last_checkpoint=_text(data.get("lastCheckpoint"), old.last_checkpoint),
        )
    elif topic == "metadata":
        new = attrs.evolve(old, expected_duration=_number(data.get("duration"), 0))
    elif topic == "description":
        new = attrs.evolve(
            old,
            description=_text(data.get("description"), old.description),
            classname=_text(data.get("classname"), old.classname),
            remotes=_text(data.get("remotes"), old.remotes),
        )
    elif topic == "checkpoints":
        new = attrs.evolve(
            old,
            pause_checkpoints=_text(data.get("pause"), old.pause_checkpoints),
            stop_checkpoints=_text(data.get("stop"), old.stop_checkpoints),
        )
    else:  # logLevel
        new = attrs.evolve(old, log_level=_int(data.get("level"), old.log_level))
    return _with_script(model, new)


def _with_script(model: QueueModel, entry: ScriptEntry) -> QueueModel:
    return attrs.evolve(model, scripts={**model.scripts, entry.index: entry})


def apply_script_heartbeat(model: QueueModel, index: int, t: float) -> QueueModel:
    """A Script heartbeat received at ``t``; ``lost`` is recomputed by `heartbeat_round`."""
    if index <= 0 or not model.tracks(index):
        return model
    old = model.beats.get(index) or ScriptBeat()
    return attrs.evolve(model, beats={**model.beats, index: attrs.evolve(old, last=t)})


def append_log(
    model: QueueModel, index: int, frame: Frame, size: int = LOG_BUFFER_SIZE
) -> QueueModel:
    """Buffer a Script logMessage frame (the newest ``size`` are kept)."""
    if index <= 0 or not model.tracks(index):
        return model
    buffer = (*model.logs.get(index, ()), frame)[-size:] if size > 0 else ()
    return attrs.evolve(model, logs={**model.logs, index: buffer})


def heartbeat_round(model: QueueModel, now: float) -> tuple[QueueModel, list[int]]:
    """One ScriptHeartbeats round (§5.6): for each current and waiting script, ``lost`` grows
    when it never sent one or its last one is older than the interval plus grace, else resets.
    Returns the new model and the indices to report, in order."""
    limit = now - SCRIPT_HEARTBEAT_INTERVAL - SCRIPT_HEARTBEAT_GRACE
    beats = dict(model.beats)
    active = list(model.active)
    for i in active:
        old = beats.get(i) or ScriptBeat()
        late = old.last < 0 or old.last < limit
        beats[i] = attrs.evolve(old, lost=old.lost + 1 if late else 0)
    return attrs.evolve(model, beats=beats), active


def _paths(text: object) -> list[str]:
    """Colon-separated paths, stripped, without empty items or repeats."""
    if not isinstance(text, str):
        return []
    return list(dict.fromkeys(p.strip() for p in text.split(":") if p.strip()))


def apply_available(avail: AvailableScripts, data: Mapping) -> AvailableScripts:
    """SQ ``availableScripts``: exactly the listed paths, keeping schemas already known."""
    return AvailableScripts(
        standard={p: avail.standard.get(p, "") for p in _paths(data.get("standard"))},
        external={p: avail.external.get(p, "") for p in _paths(data.get("external"))},
    )


def schema_key(data: Mapping) -> tuple[bool, str] | None:
    """``(is_standard, path)`` of a ``configSchema`` event, None without a path."""
    path = _text(data.get("path")).strip()
    return (_flag(data.get("isStandard")), path) if path else None


def apply_config_schema(avail: AvailableScripts, data: Mapping) -> AvailableScripts:
    """SQ ``configSchema``: the schema text of one script (``# empty schema`` when empty); an
    unknown path is added, and dropped by the next ``availableScripts`` if it is not listed."""
    key = schema_key(data)
    if key is None:
        return avail
    is_standard, path = key
    schema = _text(data.get("configSchema")) or EMPTY_SCHEMA
    if is_standard:
        return attrs.evolve(avail, standard={**avail.standard, path: schema})
    return attrs.evolve(avail, external={**avail.external, path: schema})


def plan_fetch(avail: AvailableScripts) -> SchemaFetch:
    """A new fetch pass for every script whose schema is unknown, standard first."""
    queued = [(True, p) for p, s in avail.standard.items() if not s]
    queued += [(False, p) for p, s in avail.external.items() if not s]
    return SchemaFetch(queued=tuple(queued))


def fetch_launch(
    fetch: SchemaFetch,
    now: float,
    limit: int = SCHEMA_FETCH_CONCURRENCY,
    timeout: float = SCHEMA_FETCH_TIMEOUT,
) -> tuple[SchemaFetch, list[tuple[bool, str]]]:
    """Start queued fetches while fewer than ``limit`` are outstanding."""
    queued = list(fetch.queued)
    outstanding = dict(fetch.outstanding)
    started = []
    while queued and len(outstanding) < limit:
        key = queued.pop(0)
        outstanding[key] = now + timeout
        started.append(key)
    if not started:
        return fetch, []
    return SchemaFetch(tuple(queued), outstanding), started


def fetch_arrived(fetch: SchemaFetch, key: tuple[bool, str] | None) -> SchemaFetch:
    """A schema arrived: nothing more to fetch for that script."""
    if key is None or (key not in fetch.outstanding and key not in fetch.queued):
        return fetch
    outstanding = {k: d for k, d in fetch.outstanding.items() if k != key}
    return SchemaFetch(tuple(k for k in fetch.queued if k != key), outstanding)


def fetch_expire(fetch: SchemaFetch, now: float) -> tuple[SchemaFetch, int]:
    """Give up on outstanding fetches whose deadline passed; returns how many failed."""
    alive = {k: d for k, d in fetch.outstanding.items() if d > now}
    failed = len(fetch.outstanding) - len(alive)
    return (SchemaFetch(fetch.queued, alive) if failed else fetch), failed


# ----------------------------------------------------------------------------- payloads


def state_payload(model: QueueModel) -> dict:
    return {"enabled": model.enabled, "running": model.running}


def scripts_payload(model: QueueModel) -> dict:
    def entries(indices: Iterable[int]) -> list[dict]:
        return [(model.scripts.get(i) or ScriptEntry(i)).to_dict() for i in indices]

    return {
        "current_scripts": entries(model.current),
        "waiting_scripts": entries(model.waiting),
        "finished_scripts": entries(model.finished),
    }


def available_payload(avail: AvailableScripts) -> dict:
    items = [{"type": "standard", "path": p, "configSchema": s} for p, s in avail.standard.items()]
    items += [{"type": "external", "path": p, "configSchema": s} for p, s in avail.external.items()]
    return {"available_scripts": items}


def heartbeat_payload(index: int, beat: ScriptBeat) -> dict:
    return {
        "script_heartbeat": {
            "salindex": index,
            "lost": beat.lost,
            "last_heartbeat_timestamp": beat.last,
        }
    }


# ----------------------------------------------------------------------------- the producer


class ScriptQueueCSC(GenericCSC):
    """Producer state of ``ScriptQueue:N`` and of the Scripts it runs.

    Parameters
    ----------
    info : ComponentInfo
        The ScriptQueue interface.
    index : int
        The queue's SAL index N; its scripts have indices ``N * 100000 ... + 99999``.
    settings, start_time
        As for `GenericCSC`.
    script_info : ComponentInfo, optional
        The Script interface, used to encode logMessage frames (without it, the ScriptQueue's
        own ``logMessage`` topic, which has the same fields, is used).
    finished_list_size : int
        ``FINISHED_SCRIPTS_LIST_SIZE``: finished scripts shown and remembered.
    update_schemas_on_start : bool
        ``UPDATE_SCRIPTS_SCHEMA_ON_START``: fetch unknown schemas after each availableScripts.
    """

    def __init__(
        self,
        info: ComponentInfo,
        index: int,
        settings: CSCSettings | None = None,
        start_time: float = 0.0,
        *,
        script_info: ComponentInfo | None = None,
        finished_list_size: int = 10,
        update_schemas_on_start: bool = False,
    ) -> None:
        super().__init__(info, index, settings, start_time)
        self.reply_names = (self.name, "ScriptQueueState", "Script")
        self.finished_list_size = finished_list_size
        self.update_schemas_on_start = update_schemas_on_start
        self.model = QueueModel()
        self.available = AvailableScripts()
        self.fetch = SchemaFetch()
        self._commands: list[SalCommand] = []
        self._hydrated = False
        self._show_script_sent: set[int] = set()
        self._next_script_beat = start_time + SCRIPT_HEARTBEAT_PERIOD
        self._index_range = range(index * SCRIPT_INDEX_SPAN, (index + 1) * SCRIPT_INDEX_SPAN)
        log_topic = None
        if script_info is not None:
            log_topic = script_info.topic("event", "logMessage")
        if log_topic is None:
            log_topic = info.topic("event", "logMessage")
        self._log_encoder = TopicEncoder(log_topic) if log_topic is not None else None
        self._sq_counts = {
            "script_samples_in": 0,
            "script_samples_ignored": 0,
            "schema_fetch_failed": 0,
            "commands": 0,
        }

    # ----------------------------------------------------------------------------- inputs

    def _on_admitted(self, samples: list[Sample], now: float) -> list[Frame]:
        """ScriptQueue samples as for any CSC; Script samples of this queue's scripts update
        the derived streams (only their logMessage is forwarded)."""
        if samples and not self._hydrated:
            self._hydrated = True
            self._command("showQueue", {})
            self._command("showAvailableScripts", {})
        out: list[Frame] = []
        run: list[Sample] = []
        for sample in samples:
            if sample.component == "Script":
                if run:
                    out += super()._on_admitted(run, now)
                    run = []
                frames = self._on_script_sample(sample)
                self._count_out(frames)
                out += frames
            else:
                run.append(sample)
        if run:
            out += super()._on_admitted(run, now)
        return out

    def tick(self, now: float) -> list[Frame]:
        out = super().tick(now)
        extra: list[Frame] = []
        if now >= self._next_script_beat:
            extra += self._script_heartbeats(now)
        if self.fetch.active:
            self.fetch, failed = fetch_expire(self.fetch, now)
            self._sq_counts["schema_fetch_failed"] += failed
            extra += self._fetch_more(now)
        self._count_out(extra)
        return out + extra

    def next_deadline(self, pending: bool = True) -> float:
        return min(
            super().next_deadline(pending),
            self._next_script_beat,
            *self.fetch.outstanding.values(),
        )

    def on_request(self, req: InitialStateRequest, now: float) -> list[Frame]:
        """§2.3 and §5.7: ``Script``/``logMessage`` (any salindex) re-sends the buffered log
        frames of the current script; no other ``Script`` stream is answered."""
        if req.csc == "Script":
            if req.event_name != "logMessage":
                return []
            out = [f for i in self.model.current for f in self.model.logs.get(i, ())]
            self._count_out(out)
            return out
        return super().on_request(req, now)

    def take_commands(self) -> list[SalCommand]:
        """The commands asked for since the last call (and forget them)."""
        out, self._commands = self._commands, []
        return out

    def status(self) -> dict:
        st = super().status()
        st.update(self._sq_counts)
        st.update(
            scripts_tracked=len(self.model.scripts),
            current=list(self.model.current),
            waiting=len(self.model.waiting),
            finished=len(self.model.finished),
            schema_fetch_outstanding=len(self.fetch.outstanding),
            schema_fetch_queued=len(self.fetch.queued),
        )
        return st

    # ------------------------------------------------------------------------------ hooks

    def _after_event(self, sample: Sample, now: float) -> list[Frame]:
        topic, data = sample.topic, sample.data
        if topic == "queue":
            self.model = apply_queue(self.model, data, self.finished_list_size)
            self._forget_untracked()
            self._ask_script_details()
            return [*self._state_stream(), *self._scripts_stream()]
        if topic == "script":
            self.model = apply_script(self.model, data)
            return self._scripts_stream()
        if topic == "availableScripts":
            self.available = apply_available(self.available, data)
            out = self._available_stream()  # sent before the new fetch pass starts (§5.3)
            # A new list cancels the pass in progress (answers still in flight update the
            # schemas as ordinary configSchema events).
            self.fetch = SchemaFetch()
            if self.update_schemas_on_start:
                self.fetch = plan_fetch(self.available)
            return out + self._fetch_more(now)
        if topic == "configSchema":
            self.available = apply_config_schema(self.available, data)
            if not self.fetch.active:
                return self._available_stream()
            self.fetch = fetch_arrived(self.fetch, schema_key(data))
            return self._fetch_more(now)
        return []

    # -------------------------------------------------------------------------- internals

    def _on_script_sample(self, sample: Sample) -> list[Frame]:
        index = sample.index
        if sample.kind != "event" or index not in self._index_range or not self.model.tracks(index):
            self._sq_counts["script_samples_ignored"] += 1
            return []
        self._sq_counts["script_samples_in"] += 1
        topic = sample.topic
        if topic == "heartbeat":
            self.model = apply_script_heartbeat(self.model, index, sample.rcv_time)
            return []
        if topic == "logMessage":
            return self._log_message(sample)
        if topic in SCRIPT_DETAIL_TOPICS:
            self.model = apply_script_topic(self.model, index, topic, sample.data)
            return self._scripts_stream()
        return []

    def _log_message(self, sample: Sample) -> list[Frame]:
        if self._log_encoder is None:
            return []
        try:
            payload = self._log_encoder.event(sample.data)
        except Exception:
            return []
        frame = Frame("event", "Script", sample.index, "logMessage", payload)
        self.model = append_log(self.model, sample.index, frame)
        return [frame] if sample.index in self.model.active else []

    def _forget_untracked(self) -> None:
        scripts = self.model.scripts
        self._show_script_sent &= scripts.keys()
        self._filter.forget("Script", scripts.keys())

    def _ask_script_details(self) -> None:
        """showScript once for each listed script never described by a ``script`` event."""
        for i in self.model.listed:
            entry = self.model.scripts.get(i)
            if (entry is None or not entry.has_details) and i not in self._show_script_sent:
                self._show_script_sent.add(i)
                self._command("showScript", {"scriptSalIndex": i})

    def _fetch_more(self, now: float) -> list[Frame]:
        """Launch queued schema fetches; when the pass is over, send availableScriptsStream
        (held back during the pass, as upstream does, so one pass sends one frame)."""
        self.fetch, started = fetch_launch(self.fetch, now)
        for is_standard, path in started:
            self._command("showSchema", {"isStandard": is_standard, "path": path})
        return [] if self.fetch.active else self._available_stream()

    def _script_heartbeats(self, now: float) -> list[Frame]:
        period = SCRIPT_HEARTBEAT_PERIOD
        behind = now >= self._next_script_beat + period
        self._next_script_beat = now + period if behind else self._next_script_beat + period
        self.model, indices = heartbeat_round(self.model, now)
        return [
            Frame(
                "event",
                "ScriptHeartbeats",
                self.index,
                "stream",
                dumps(heartbeat_payload(i, self.model.beats[i])),
            )
            for i in indices
        ]

    def _command(self, name: str, fields: dict) -> None:
        self._sq_counts["commands"] += 1
        self._commands.append(SalCommand(self.name, self.index, name, fields))

    def _stream(self, name: str, payload: dict) -> list[Frame]:
        """The derived stream frame, cached; sent only when its payload changed."""
        frame = Frame("event", "ScriptQueueState", self.index, name, dumps(payload))
        if self.pseudo_streams.get(name) == frame:
            return []
        self.pseudo_streams[name] = frame
        return [frame]

    def _state_stream(self) -> list[Frame]:
        return self._stream(STATE_STREAM, state_payload(self.model))

    def _scripts_stream(self) -> list[Frame]:
        return self._stream(SCRIPTS_STREAM, scripts_payload(self.model))

    def _available_stream(self) -> list[Frame]:
        return self._stream(AVAILABLE_STREAM, available_payload(self.available))
