"""An in-memory stand-in for the parts of ``lsst.ts.salobj`` 8 that
`actors.edges.salobj_source` uses.

It follows salobj's public names and documented behaviours (``spec/love-producer-behaviour.md``
§7.1-7.2), written from that description, not from salobj's code:

* ``Domain()`` (``origin`` = pid, async ``close`` closes its remotes);
* ``Remote(domain, name, index=, readonly=, include=)``: needs a running loop; topics are
  attributes ``evt_*`` / ``tel_*`` and, unless read-only, ``cmd_*``; ``salinfo`` has ``name``,
  ``index``, ``indexed``, sorted ``event_names`` / ``telemetry_names`` / ``command_names`` and
  ``component_info``; ``start_task`` finishes once history is loaded (or fails); async,
  idempotent ``close``; a missing ``LSST_TOPIC_SUBNAME`` fails the constructor;
* read topics: ``get()`` (newest or None, RuntimeError before start), ``aget``, ``callback``
  (setting it clears the queue and runs the callback on new samples one at a time per topic),
  ``DataType()``, ``topic_info.fields``, ``rev_code``; a queue of 100 dropping the oldest;
* history: events keep the last sample (indexed: the last per index, all indices for index
  0); telemetry none; samples of another index are dropped when ``index != 0``; older
  ``private_sndStamp`` than the last seen per index is discarded;
* commands: ``cmd_X.set_start(**fields, timeout=)`` runs a handler a test registers with
  `SalobjDouble.on_command`, returns an ackcmd or raises ``AckError`` / ``AckTimeoutError``.

The "bus" side for tests: `SalobjDouble.write` (stamps private fields like salobj) and
`SalobjDouble.write_raw` (delivers any object, to inject malformed samples). Both may be called
from any thread; samples reach each reader on its own loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
import inspect
import logging
import os
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from love_producer.interfaces.interface import PREFIX, ComponentInfo, TopicInfo

log = logging.getLogger("salobj_double")

TAI_MINUS_UTC = 37.0
DEFAULT_QUEUE_LEN = 100

_KIND_OF_PREFIX = {prefix: kind for kind, prefix in PREFIX.items()}


class SalRetCode(enum.IntEnum):
    CMD_ACK = 300
    CMD_INPROGRESS = 301
    CMD_STALLED = 302
    CMD_COMPLETE = 303
    CMD_NOPERM = -300
    CMD_NOACK = -301
    CMD_FAILED = -302
    CMD_ABORTED = -303
    CMD_TIMEOUT = -304


class State(enum.IntEnum):
    OFFLINE = 4
    STANDBY = 5
    DISABLED = 1
    ENABLED = 2
    FAULT = 3


class ExpectedError(Exception):
    """A callback error salobj does not log with a traceback."""


class AckError(Exception):
    """A command failed; ``ackcmd`` holds ``ack``, ``error`` and ``result``."""

    def __init__(self, msg: str, ackcmd: Any) -> None:
        super().__init__(msg)
        self.ackcmd = ackcmd


class AckTimeoutError(AckError):
    """A command got no final ack in time."""


def make_ackcmd(ack: int, result: str = "", error: int = 0) -> types.SimpleNamespace:
    return types.SimpleNamespace(ack=ack, error=error, result=result)


def rev_code(topic: TopicInfo, schema_tag: str = "") -> str:
    """8 hex characters from the topic's field layout, as salobj derives it from the schema."""
    text = schema_tag + topic.attr_name + ",".join(f"{f.name}:{f.sal_type}" for f in topic.fields)
    return hashlib.md5(text.encode()).hexdigest()[:8]


def _data_type(component: str, topic: TopicInfo) -> type:
    """A dataclass with salobj's defaults: scalars 0, 0.0, "", False; arrays lists of them."""
    specs = []
    for f in topic.fields:
        default = f.default_value()
        if isinstance(default, list):
            specs.append((f.name, list, dataclasses.field(default_factory=default.copy)))
        else:
            specs.append((f.name, type(default), dataclasses.field(default=default)))
    return dataclasses.make_dataclass(f"{component}_{topic.attr_name}", specs)


# ---------------------------------------------------------------------------------- bus


class _Bus:
    """Everything ever written, by (component, attr_name), and the started readers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: dict[tuple[str, str], list[Any]] = {}
        self.readers: dict[tuple[str, str], list[ReadTopic]] = {}
        self.seq: dict[tuple[str, int, str], int] = {}

    def publish(self, component: str, attr: str, data: Any) -> None:
        with self.lock:
            self.log.setdefault((component, attr), []).append(data)
            readers = list(self.readers.get((component, attr), ()))
        for reader in readers:
            reader.deliver_threadsafe(data)

    def subscribe(self, reader: ReadTopic) -> list[Any]:
        """Register ``reader`` and return what was written before, atomically (nothing
        written in between is lost or seen twice)."""
        key = (reader.salinfo.name, reader.attr_name)
        with self.lock:
            self.readers.setdefault(key, []).append(reader)
            return list(self.log.get(key, ()))

    def unsubscribe(self, reader: ReadTopic) -> None:
        key = (reader.salinfo.name, reader.attr_name)
        with self.lock:
            if reader in self.readers.get(key, ()):
                self.readers[key].remove(reader)


# ---------------------------------------------------------------------------- topics


class _BaseTopic:
    def __init__(self, remote: Remote, topic: TopicInfo) -> None:
        self.remote = remote
        self.salinfo = remote.salinfo
        self.info = topic
        self.attr_name = topic.attr_name
        self.name = topic.name
        self.DataType = _data_type(remote.salinfo.name, topic)
        self.topic_info = types.SimpleNamespace(
            sal_name=topic.name,
            fields={
                f.name: types.SimpleNamespace(
                    name=f.name, sal_type=f.sal_type, count=f.count, units=f.units, description=""
                )
                for f in topic.fields
            },
        )
        self.rev_code = rev_code(topic)


class ReadTopic(_BaseTopic):
    """An event or telemetry reader."""

    def __init__(self, remote: Remote, topic: TopicInfo, max_history: int) -> None:
        super().__init__(remote, topic)
        self.max_history = max_history
        self.loop = asyncio.get_running_loop()
        self._queue: deque[Any] = deque(maxlen=DEFAULT_QUEUE_LEN)
        self._current: Any = None
        self._new_data = asyncio.Event()
        self._callback: Callable[[Any], Any] | None = None
        self._callback_task: asyncio.Task | None = None
        self._last_snd: dict[int, float] = {}
        self.isopen = True

    # -- reading API

    def get(self) -> Any:
        self.remote.assert_started()
        return self._current

    async def aget(self, timeout: float | None = None) -> Any:
        self.remote.assert_started()
        if self._callback is not None:
            raise RuntimeError("Not allowed because there is a callback function")
        if self._current is None:
            self._new_data.clear()
            await asyncio.wait_for(self._new_data.wait(), timeout)
        return self._current

    @property
    def has_callback(self) -> bool:
        return self._callback is not None

    @property
    def nqueued(self) -> int:
        return len(self._queue)

    @property
    def callback(self) -> Callable[[Any], Any] | None:
        return self._callback

    @callback.setter
    def callback(self, func: Callable[[Any], Any] | None) -> None:
        if self._callback_task is not None:
            self._callback_task.cancel()
            self._callback_task = None
        if func is None:
            self._callback = None
            return
        if not callable(func):
            raise TypeError(f"func={func!r} not callable")
        self._queue.clear()  # salobj flushes the queue when a callback is set
        self._callback = func
        self._callback_task = asyncio.get_running_loop().create_task(self._callback_loop())

    async def _callback_loop(self) -> None:
        while self._callback is not None:
            while not self._queue:
                self._new_data.clear()
                await self._new_data.wait()
            data = self._queue.popleft()
            try:
                result = self._callback(data)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except ExpectedError:
                pass
            except Exception:
                log.exception("Callback %s failed with data=%s", self._callback, data)

    # -- writing side (loop thread)

    def deliver_threadsafe(self, data: Any) -> None:
        if self.loop.is_closed():
            return
        try:
            self.loop.call_soon_threadsafe(self._receive, [data])
        except RuntimeError:
            pass  # loop closed meanwhile

    def _receive(self, data_list: list[Any]) -> None:
        if not self.isopen:
            return
        accepted = []
        for data in data_list:
            index = getattr(data, "salIndex", 0)
            if self.salinfo.indexed and self.salinfo.index not in (0, index):
                continue
            snd = getattr(data, "private_sndStamp", None)
            if isinstance(snd, float):
                if snd < self._last_snd.get(index, float("-inf")):
                    continue  # discard_out_of_order (salobj 8.2.11+)
                self._last_snd[index] = snd
            if dataclasses.is_dataclass(data) and hasattr(data, "private_rcvStamp"):
                data = dataclasses.replace(data, private_rcvStamp=time.time() + TAI_MINUS_UTC)
            accepted.append(data)
        if not accepted:
            return
        self._queue.extend(accepted)
        self._current = accepted[-1]
        self._new_data.set()

    def load_history(self, written: list[Any]) -> None:
        if self.max_history == 0:
            return
        if not self.salinfo.indexed:
            self._receive(written[-self.max_history :])
            return
        last_per_index: dict[int, Any] = {}
        for data in written:
            index = getattr(data, "salIndex", 0)
            if self.salinfo.index in (0, index):
                last_per_index.pop(index, None)
                last_per_index[index] = data  # keeps arrival order of the last ones
        self._receive(list(last_per_index.values()))

    def close(self) -> None:
        self.isopen = False
        self.callback = None
        self._queue.clear()


class RemoteCommand(_BaseTopic):
    """``cmd_<name>``: ``set_start`` sends the command to the handler the test registered."""

    async def set_start(self, *, timeout: float = 30.0, wait_done: bool = True, **fields: Any):
        self.remote.assert_started()
        data = self.DataType()
        for name, value in fields.items():
            if not hasattr(data, name):
                raise AttributeError(f"{self.attr_name} has no field {name!r}")
            setattr(data, name, value)
        double = self.remote.double
        double.commands_seen.append((self.salinfo.name, self.salinfo.index, self.name, fields))
        handler = double.command_handlers.get((self.salinfo.name, self.name))
        if handler is None:
            await asyncio.sleep(min(timeout, double.no_handler_delay))
            raise AckTimeoutError(
                f"no ack for {self.attr_name}", make_ackcmd(SalRetCode.CMD_NOACK, "No ack")
            )
        try:
            result = handler(data, self.salinfo.index)
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, timeout)
        except AckError:
            raise
        except TimeoutError:
            raise AckTimeoutError(
                f"timeout for {self.attr_name}", make_ackcmd(SalRetCode.CMD_NOACK, "No ack")
            ) from None
        except Exception as e:
            ackcmd = make_ackcmd(SalRetCode.CMD_FAILED, f"Failed: {e}", error=1)
            raise AckError(f"{self.attr_name} failed", ackcmd) from None
        return make_ackcmd(SalRetCode.CMD_COMPLETE, "Done")


# ---------------------------------------------------------------------- domain, remote


class Domain:
    def __init__(self, double: SalobjDouble) -> None:
        self.double = double
        self.origin = os.getpid()
        self.default_identity = f"user@{os.uname().nodename}"
        self.remotes: list[Remote] = []
        self.closed = False
        double.domains.append(self)

    async def close(self) -> None:
        for remote in list(self.remotes):
            await remote.close()
        self.closed = True

    async def __aenter__(self) -> Domain:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Remote:
    def __init__(
        self,
        double: SalobjDouble,
        domain: Domain,
        name: str,
        index: int | None = 0,
        readonly: bool = False,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        evt_max_history: int = 1,
        start: bool = True,
    ) -> None:
        if include is not None and exclude is not None:
            raise ValueError("Cannot specify both include and exclude")
        if not double.environ.get("LSST_TOPIC_SUBNAME"):
            raise RuntimeError("You must define environment variable LSST_TOPIC_SUBNAME")
        info = double.components.get(name)
        if info is None:
            raise RuntimeError(f"no SAL component named {name!r}")
        index = int(index or 0)
        if index != 0 and not info.indexed:
            raise ValueError(f"index={index} must be 0: {name} is not indexed")
        self.double = double
        self.domain = domain
        self.readonly = readonly
        self.salinfo = types.SimpleNamespace(
            name=name,
            index=index,
            indexed=info.indexed,
            component_info=info,
            domain=domain,
        )
        self._started = False
        self._closed = False
        self._readers: list[ReadTopic] = []

        def wanted(topic: TopicInfo) -> bool:
            if include is not None:
                return topic.name in include
            return exclude is None or topic.name not in exclude

        events = [t for t in info.events if wanted(t)]
        telemetry = [t for t in info.telemetry if wanted(t)]
        commands = [t for t in info.commands if not readonly]
        self.salinfo.event_names = tuple(sorted(t.name for t in events))
        self.salinfo.telemetry_names = tuple(sorted(t.name for t in telemetry))
        self.salinfo.command_names = tuple(sorted(t.name for t in info.commands))
        for topic in events:
            self._add_reader(ReadTopic(self, topic, evt_max_history))
        for topic in telemetry:
            self._add_reader(ReadTopic(self, topic, 0))
        for topic in commands:
            setattr(self, topic.attr_name, RemoteCommand(self, topic))
        domain.remotes.append(self)
        double.remotes.append(self)
        self.start_task: asyncio.Future = asyncio.get_running_loop().create_future()
        if start:
            asyncio.get_running_loop().create_task(self.start())

    def _add_reader(self, reader: ReadTopic) -> None:
        self._readers.append(reader)
        setattr(self, reader.attr_name, reader)

    def assert_started(self) -> None:
        if not self._started:
            raise RuntimeError("Not started")

    async def start(self) -> None:
        """Subscribe, load history, then finish ``start_task`` (or fail it)."""
        try:
            await asyncio.sleep(0)  # like Kafka set-up: the constructor returns first
            gate = self.double.start_gate
            while gate is not None and not gate.is_set():
                # Kafka set-up that has not finished; cancelled by close() or a timeout.
                await asyncio.sleep(0.005)
            if self.double.start_error is not None:
                raise self.double.start_error
            for reader in self._readers:
                reader.load_history(self.double.bus.subscribe(reader))
            self._started = True
            self.start_task.set_result(None)
        except Exception as e:
            if not self.start_task.done():
                self.start_task.set_exception(e)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for reader in self._readers:
            self.double.bus.unsubscribe(reader)
            reader.close()
        if self in self.domain.remotes:
            self.domain.remotes.remove(self)
        if not self.start_task.done():
            self.start_task.cancel()

    async def __aenter__(self) -> Remote:
        await self.start_task
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# ------------------------------------------------------------------------------ module


class SalobjDouble:
    """A module-like object: ``double.Remote``, ``double.Domain``, ``double.AckError``...

    Parameters
    ----------
    components : mapping
        Component interfaces by name (e.g. from ``Catalog.builtin()``).
    environ : mapping, optional
        The environment salobj would read; ``LSST_TOPIC_SUBNAME`` is required.

    Test knobs: ``start_error`` (exception failing every ``start_task``), ``start_gate``
    (a `threading.Event` starts wait for), ``no_handler_delay``.
    """

    AckError = AckError
    AckTimeoutError = AckTimeoutError
    ExpectedError = ExpectedError
    SalRetCode = SalRetCode
    State = State

    def __init__(
        self, components: Mapping[str, ComponentInfo], environ: Mapping[str, str] | None = None
    ) -> None:
        self.components = dict(components)
        self.environ = dict(environ if environ is not None else {"LSST_TOPIC_SUBNAME": "test"})
        self.bus = _Bus()
        self.domains: list[Domain] = []
        self.remotes: list[Remote] = []
        self.command_handlers: dict[tuple[str, str], Callable[..., Any]] = {}
        self.commands_seen: list[tuple[str, int, str, dict]] = []
        self.start_error: BaseException | None = None
        self.start_gate: threading.Event | None = None
        self.no_handler_delay = 0.0
        self.identity = f"user@{os.uname().nodename}"

    # salobj's constructors, bound to this double (hence the capitalised method names)
    def Domain(self) -> Domain:
        return Domain(self)

    def Remote(self, domain: Domain, name: str, index: int | None = 0, **kwargs: Any) -> Remote:
        return Remote(self, domain, name, index, **kwargs)

    # -- test side

    def on_command(self, component: str, name: str, handler: Callable[..., Any]) -> None:
        """Run ``handler(data, index)`` (sync or async) for ``cmd_<name>``; raising fails it."""
        self.command_handlers[component, name] = handler

    def topic_info(self, component: str, attr: str) -> TopicInfo:
        kind = _KIND_OF_PREFIX[attr[: attr.index("_") + 1]]
        topic = self.components[component].topic(kind, attr[attr.index("_") + 1 :])
        if topic is None:
            raise KeyError(f"{component} has no {attr}")
        return topic

    def write(self, component: str, index: int, attr: str, **fields: Any) -> Any:
        """Write a sample as a salobj writer would: private fields stamped (``sndStamp`` TAI,
        ``seqNum`` per topic and index, ``revCode`` of the topic), ``fields`` set on top
        (a ``private_*`` given there wins, e.g. another writer's ``private_revCode``)."""
        topic = self.topic_info(component, attr)
        info = self.components[component]
        data = _data_type(component, topic)()
        key = (component, index, attr)
        with self.bus.lock:
            self.bus.seq[key] = seq = self.bus.seq.get(key, 0) + 1
        snd = time.time() + TAI_MINUS_UTC
        stamps = {
            "private_sndStamp": snd,
            "private_rcvStamp": 0.0,
            "private_efdStamp": snd - TAI_MINUS_UTC,
            "private_kafkaStamp": snd,
            "private_seqNum": seq,
            "private_revCode": rev_code(topic),
            "private_identity": f"{component}:{index}" if info.indexed else component,
            "private_origin": os.getpid(),
        }
        if info.indexed:
            stamps["salIndex"] = index
        for name, value in {**stamps, **fields}.items():
            if not hasattr(data, name):
                raise AttributeError(f"{component}.{attr} has no field {name!r}")
            setattr(data, name, value)
        self.bus.publish(component, attr, data)
        return data

    def write_raw(self, component: str, attr: str, obj: Any) -> None:
        """Deliver ``obj`` as is (e.g. a malformed sample) to every reader of the topic."""
        self.topic_info(component, attr)
        self.bus.publish(component, attr, obj)
