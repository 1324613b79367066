"""The production SAL source: salobj 8 (Kafka) remotes read in an asyncio thread.

`SalobjSource` follows the `actors.edges.sources.SampleSource` contract. salobj needs a running
event loop, which cannot be the actor's thread (Thespian owns it), so every source of a
process shares one daemon thread running an asyncio loop and one ``salobj.Domain``
(`_Runtime`, created on first use and closed with the last source). Samples cross to the actor
through a `actors.edges.wake_queue.WakeQueue`, whose file descriptor `fileno` returns for
``ThespianWatch``; `drain` takes everything queued, so one wake-up carries a batch.

How salobj is used (``spec/love-producer-behaviour.md`` §7, §10):

* one ``Remote(domain, name, index=index, readonly=not want_commands, include=None)`` for the
  component, plus a read-only one per ``extra_remotes`` name (index 0: every instance, e.g.
  ``Script`` beside a ScriptQueue);
* each topic's ``callback`` is set right after the Remote is built, before ``start_task``
  reads history: history then flows through the callback (for an index-0 remote of an indexed
  component that is the last sample of *every* index, which a callback set later would flush,
  W8). After ``start_task``, ``get()`` is read and delivered too, never ``aget`` (forbidden
  with a callback). The same sample can thus be delivered twice; the state machine drops the
  second copy (`love_producer.sal.dedup`, the one rule for every source);
* the topic name is bound in the callback's closure, never looked up by ``private_revCode``
  (W4), and a sample that cannot be converted is logged and counted without affecting other
  topics.

Failures: a start that fails or times out (no ``LSST_TOPIC_SUBNAME``, Kafka or the schema
registry unreachable) sets `SalobjSource.failed`, wakes the actor, and makes every later
`drain` raise `SalobjSourceFailed`, so the actor can report it and the Factory restart it.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from actors.edges.source_base import ThreadFedSource
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.interface import PREFIX, ComponentInfo, TopicInfo
from love_producer.sal.commands import SalCommand
from love_producer.sal.samples import Sample

log = logging.getLogger("love_actors.salobj")

SALOBJ_MODULE = "lsst.ts.salobj"
INSTALL_HINT = (
    "the salobj source needs lsst-ts-salobj 8 (Kafka), published only in Rubin's conda "
    "channel: conda install -c lsstts ts-salobj (PyPI's ts-salobj 6.9.1 is DDS-era and "
    "cannot work); or use --source sim"
)

#: Kinds of topics a source subscribes to.
_READ_KINDS = ("event", "telemetry")


class SalobjUnavailable(RuntimeError):
    """``lsst.ts.salobj`` cannot be imported."""


class SalobjSourceFailed(RuntimeError):
    """The source failed (its start, or its loop thread); ``__cause__`` holds why."""


def import_salobj() -> ModuleType:
    """Import ``lsst.ts.salobj`` or raise `SalobjUnavailable` saying how to install it."""
    try:
        return importlib.import_module(SALOBJ_MODULE)
    except ImportError as e:
        raise SalobjUnavailable(f"cannot import {SALOBJ_MODULE} ({e}): {INSTALL_HINT}") from e


# ------------------------------------------------------------------------------ runtime


class _Runtime:
    """One asyncio loop thread and one ``salobj.Domain`` shared by a process's sources.

    Reference counted: `release` by the last user closes the domain, stops the loop and joins
    the thread. Keyed by process id (a forked child never reuses its parent's thread) and by
    the salobj module (tests pass doubles).
    """

    def __init__(self, salobj: Any, start_timeout: float) -> None:
        self.salobj = salobj
        self.pid = os.getpid()
        self.users = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="salobj-loop", daemon=True)
        self._running = threading.Event()
        self.thread.start()
        if not self._running.wait(start_timeout):
            raise RuntimeError("the salobj loop thread did not start")
        # salobj objects belong to the loop that made them: make the Domain there.
        try:
            self.domain = self.call(self._make_domain(), start_timeout)
        except BaseException:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(start_timeout)
            raise

    async def _make_domain(self) -> Any:
        return self.salobj.Domain()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._running.set)
        try:
            self.loop.run_forever()
        finally:
            tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                gathered = asyncio.gather(*tasks, return_exceptions=True)
                self.loop.run_until_complete(gathered)
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(self, coro: Any, timeout: float) -> Any:
        """Run ``coro`` on the loop and wait for its result (from another thread only)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float) -> None:
        try:
            self.call(self._close_domain(), timeout)
        except Exception:
            log.exception("closing the salobj domain failed")
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("the salobj loop thread did not stop within %.1f s", timeout)

    async def _close_domain(self) -> None:
        await self.domain.close()


_runtimes: dict[int, _Runtime] = {}
_runtimes_lock = threading.Lock()


def _acquire_runtime(salobj: Any, timeout: float) -> _Runtime:
    with _runtimes_lock:
        runtime = _runtimes.get(id(salobj))
        if runtime is None or runtime.pid != os.getpid() or not runtime.thread.is_alive():
            runtime = _Runtime(salobj, timeout)
            _runtimes[id(salobj)] = runtime
        runtime.users += 1
        return runtime


def _release_runtime(runtime: _Runtime, timeout: float) -> None:
    with _runtimes_lock:
        runtime.users -= 1
        if runtime.users > 0:
            return
        if _runtimes.get(id(runtime.salobj)) is runtime:
            del _runtimes[id(runtime.salobj)]
    runtime.stop(timeout)


def loop_threads_alive() -> int:
    """Number of salobj loop threads alive in this process (for tests and status)."""
    return sum(1 for t in threading.enumerate() if t.name == "salobj-loop" and t.is_alive())


# ------------------------------------------------------------------------------ source


class _Binding:
    """What a topic callback needs, bound once at subscription time."""

    __slots__ = ("component", "indexed", "index", "kind", "topic", "fields", "key")

    def __init__(
        self, component: str, indexed: bool, index: int, kind: str, topic: str, fields: tuple
    ) -> None:
        self.component = component
        self.indexed = indexed
        self.index = index
        self.kind = kind
        self.topic = topic
        self.fields = fields
        self.key = (component, kind, topic)


class SalobjSource(ThreadFedSource):
    """SAL samples of one component instance read through salobj remotes.

    Parameters
    ----------
    component : ComponentId
        The component instance (index 0 when not indexed).
    info : ComponentInfo
        Its interface: topics not in it are not read, and samples carry its fields, in order.
    start_time : float
        When the actor started (unused by salobj, kept for the `open_source` signature).
    related : dict, optional
        Interfaces of other components by name; used for ``extra_remotes`` (e.g. ``Script``).
        An extra remote without one takes its fields from ``topic.topic_info.fields``.
    salobj : module, optional
        The salobj module (``lsst.ts.salobj`` when None, imported here); tests pass a double.
    want_commands : bool
        Build the component's remote with commands (``readonly=False``); only the ScriptQueue
        needs this (``showSchema``...). Extra remotes are always read-only.
    extra_remotes : tuple of str
        Other components read at index 0 (every instance) in the same source.
    start_timeout : float
        Longest wait for ``start_task`` (topics, schemas, history) before the source fails.
    command_timeout : float
        ``timeout`` of ``set_start``: how long to wait for a command's final ack.
    max_commands : int
        Commands in flight at once; more wait their turn.
    """

    Failed = SalobjSourceFailed

    def __init__(
        self,
        component: ComponentId,
        info: ComponentInfo,
        start_time: float,
        related: dict | None = None,
        *,
        salobj: Any = None,
        want_commands: bool = False,
        extra_remotes: tuple[str, ...] = (),
        start_timeout: float = 60.0,
        command_timeout: float = 10.0,
        max_commands: int = 4,
        close_timeout: float = 5.0,
    ) -> None:
        info.check_index(component.index)
        super().__init__(component, info)
        self.start_time = start_time
        self.related = dict(related or {})
        self.want_commands = want_commands
        self.extra_remotes = tuple(extra_remotes)
        self.start_timeout = start_timeout
        self.command_timeout = command_timeout
        self.close_timeout = close_timeout

        self._closed = False
        self._remotes: dict[tuple[str, int], Any] = {}
        # Since Python 3.10 these bind to a loop on first use: the loop thread's.
        self._ready = asyncio.Event()
        self._semaphore = asyncio.Semaphore(max(1, max_commands))
        self._tasks: set[asyncio.Future] = set()

        self.salobj = salobj if salobj is not None else import_salobj()
        self._runtime: _Runtime | None = _acquire_runtime(self.salobj, close_timeout)
        self._start_future = asyncio.run_coroutine_threadsafe(self._start(), self._runtime.loop)

    # --------------------------------------------------------------- SampleSource contract

    def drain(self, now: float) -> list[Sample]:
        return [] if self._closed else super().drain(now)

    def command(self, cmd: SalCommand, now: float) -> None:
        """Send ``cmd`` in the background; the outcome is logged, never raised."""
        if self._closed or self._runtime is None:
            log.warning("%s: closed, command %s dropped", self.component, cmd.name)
            return
        self._runtime.loop.call_soon_threadsafe(self._schedule_command, cmd)

    def close(self) -> None:
        """Close the remotes (and the domain and thread with the last source). Idempotent."""
        if self._closed:
            return
        self._closed = True
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            try:
                runtime.call(self._aclose(), self.close_timeout)
            except Exception:
                log.exception("%s: closing the salobj remotes failed", self.component)
            _release_runtime(runtime, self.close_timeout)
        self._queue.close()

    # ------------------------------------------------------------------------ extras

    # ------------------------------------------------------------------- loop thread

    async def _start(self) -> None:
        try:
            topics = self._open_remote(
                self.info.name, self.info, self.component.index, not self.want_commands
            )
            for name in self.extra_remotes:
                topics += self._open_remote(name, self.related.get(name), 0, True)
            starts = [remote.start_task for remote in self._remotes.values()]
            await asyncio.wait_for(asyncio.gather(*starts), self.start_timeout)
            # The callbacks were set first; get() now adds what a callback may have missed.
            for binding, topic in topics:
                self._deliver(binding, topic.get())
            log.info("%s: salobj remotes started", self.component)
        except Exception as e:
            if isinstance(e, TimeoutError):
                e = TimeoutError(
                    f"salobj start did not finish within {self.start_timeout:.0f} s "
                    "(is the Kafka broker / schema registry reachable?)"
                )
            log.error("%s: salobj start failed: %s", self.component, e)
            self.failed = e
            self._queue.wake()
        finally:
            self.started.set()
            self._ready.set()

    def _open_remote(
        self, name: str, info: ComponentInfo | None, index: int, readonly: bool
    ) -> list[tuple[_Binding, Any]]:
        """Build one Remote and set a callback on each of its topics (before its start
        reads history). Returns the subscribed (binding, topic) pairs."""
        remote = self.salobj.Remote(
            self._runtime.domain, name, index=index, readonly=readonly, include=None
        )
        self._remotes[name, index] = remote
        salinfo = remote.salinfo
        indexed = bool(getattr(salinfo, "indexed", info.indexed if info else False))
        subscribed = []
        for kind in _READ_KINDS:
            names = salinfo.event_names if kind == "event" else salinfo.telemetry_names
            for topic_name in names:
                topic = getattr(remote, PREFIX[kind] + topic_name, None)
                if topic is None:
                    continue
                fields = self._field_names(info, kind, topic_name, topic)
                if fields is None:
                    log.debug("%s: %s %s not in the interface: not read", name, kind, topic_name)
                    continue
                binding = _Binding(name, indexed, index, kind, topic_name, fields)
                topic.callback = self._make_callback(binding)
                subscribed.append((binding, topic))
        return subscribed

    @staticmethod
    def _field_names(
        info: ComponentInfo | None, kind: str, name: str, topic: Any
    ) -> tuple[str, ...] | None:
        if info is not None:
            described: TopicInfo | None = info.topic(kind, name)  # type: ignore[arg-type]
            return described.field_names if described is not None else None
        return tuple(topic.topic_info.fields)

    def _make_callback(self, binding: _Binding) -> Callable[[Any], Any]:
        async def callback(data: Any) -> None:
            self._deliver(binding, data)

        return callback

    def _deliver(self, binding: _Binding, data: Any) -> None:
        """Convert and queue one sample; never raises (one topic cannot stop another)."""
        if data is None or self._closed:
            return
        try:
            values = vars(data)
            sample_data = {name: values[name] for name in binding.fields}
            index = int(sample_data.get("salIndex", binding.index)) if binding.indexed else 0
        except Exception as e:
            self.counts["conversion_errors"] += 1
            self.topic_errors[binding.key] += 1
            if self.topic_errors[binding.key] == 1:
                log.error(
                    "%s %s %s: sample dropped (%s: %s); later errors on this topic are only "
                    "counted",
                    binding.component,
                    binding.kind,
                    binding.topic,
                    type(e).__name__,
                    e,
                )
            return
        self._latest[binding.key] = sample_data
        self.counts["samples"] += 1
        self._queue.put(
            Sample(binding.component, index, binding.kind, binding.topic, sample_data, time.time())
        )

    def _schedule_command(self, cmd: SalCommand) -> None:
        task = asyncio.ensure_future(self._run_command(cmd))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_command(self, cmd: SalCommand) -> None:
        await self._ready.wait()
        if self.failed is not None:
            log.warning("%s: not started, command %s dropped", self.component, cmd.name)
            return
        remote = self._remotes.get((cmd.component, cmd.index))
        if remote is None and cmd.component == self.component.name:
            remote = self._remotes.get((cmd.component, self.component.index))
        topic = getattr(remote, "cmd_" + cmd.name, None) if remote is not None else None
        if topic is None:
            why = "no such remote" if remote is None else "unknown command or read-only remote"
            where = f"{cmd.component}:{cmd.index}"
            log.warning("%s: cannot send %s to %s (%s)", self.component, cmd.name, where, why)
            self.counts["commands_rejected"] += 1
            return
        async with self._semaphore:
            try:
                await topic.set_start(**cmd.fields, timeout=self.command_timeout)
            except self.salobj.AckError as e:
                ack = getattr(e, "ackcmd", None)
                timed_out = isinstance(e, self.salobj.AckTimeoutError)
                log.warning(
                    "%s: command %s %s: ack=%s result=%r",
                    self.component,
                    cmd.name,
                    "timed out" if timed_out else "failed",
                    getattr(ack, "ack", None),
                    getattr(ack, "result", ""),
                )
                self.counts["commands_timed_out" if timed_out else "commands_failed"] += 1
            except Exception:
                log.exception("%s: command %s could not be sent", self.component, cmd.name)
                self.counts["commands_failed"] += 1
            else:
                self.counts["commands_done"] += 1

    async def _aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if not self._start_future.done():
            self._start_future.cancel()
        for remote in self._remotes.values():
            try:
                result = remote.close()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s: closing a remote failed", self.component)
        self._remotes.clear()
