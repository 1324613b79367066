"""What is particular to the salobj adapter (`actors.edges.salobj_source`), over the salobj double.

The properties every source shares are in `tests.test_source_contract`.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import threading
import time
import types

import pytest

from actors.edges import salobj_source
from actors.edges.catalog import Catalog
from actors.edges.salobj_source import (
    SalobjSource,
    SalobjSourceFailed,
    SalobjUnavailable,
    import_salobj,
    loop_threads_alive,
)
from love_producer.interfaces.component_id import ComponentId
from love_producer.sal.commands import SalCommand
from love_producer.state.csc_state import GenericCSC
from tests.actors.edges.test_source_contract import seen, wait_samples
from tests.helpers.salobj_double import SalobjDouble

CATALOG = Catalog.builtin()
TEST = CATALOG.get("Test")
TEST_1 = ComponentId("Test", 1)
TIMEOUT = 10.0


def wait_for(predicate, what: str, timeout: float = TIMEOUT) -> None:
    """Wait for a condition set by the loop thread, checking every 5 ms, up to ``timeout``."""
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        tick.wait(0.005)


@pytest.fixture
def double() -> SalobjDouble:
    return SalobjDouble(
        {name: CATALOG.get(name) for name in ("Test", "ATDome", "ScriptQueue", "Script")}
    )


@pytest.fixture
def open_source(double):
    """Open sources on the double; every one is closed at the end, and no thread is left."""
    sources: list[SalobjSource] = []

    def _open(component: ComponentId = TEST_1, wait=True, **kwargs) -> SalobjSource:
        info = CATALOG.get(component.name)
        source = SalobjSource(component, info, time.time(), salobj=double, **kwargs)
        sources.append(source)
        if wait:
            assert source.started.wait(TIMEOUT)
        return source

    yield _open
    for source in sources:
        source.close()
    if double.start_gate is not None:
        double.start_gate.set()
    assert loop_threads_alive() == 0


# ------------------------------------------------------------------------ the double itself


def test_double_flushes_the_queue_when_a_callback_is_set(double) -> None:
    """The salobj behaviour the adapter is built around: history that sits in the queue is
    lost to a callback set after start, but ``get()`` still returns it."""
    double.write("Test", 1, "evt_summaryState", summaryState=2)
    received = []

    async def scenario():
        domain = double.Domain()
        remote = double.Remote(domain, "Test", index=1, readonly=True)
        with pytest.raises(RuntimeError):
            remote.evt_summaryState.get()  # not started
        await remote.start_task
        assert remote.evt_summaryState.nqueued == 1

        async def callback(data):
            received.append(data)

        remote.evt_summaryState.callback = callback
        assert remote.evt_summaryState.nqueued == 0
        with pytest.raises(RuntimeError):
            await remote.evt_summaryState.aget(timeout=1)
        for _ in range(3):
            await asyncio.sleep(0)
        newest = remote.evt_summaryState.get()
        assert not hasattr(remote, "cmd_enable")  # read-only: no commands
        await domain.close()
        return newest

    newest = asyncio.run(scenario())
    assert received == []
    assert newest.summaryState == 2


# ----------------------------------------------------------------- history and duplicates


def test_history_reaches_the_state_machine_exactly_once(double, open_source) -> None:
    """The history sample arrives through the callback and again through get(): the adapter
    forwards both copies, and the state machine, where the one de-duplication rule lives,
    sends one frame for them."""
    double.write("Test", 1, "evt_summaryState", summaryState=2)
    source = open_source()
    samples = wait_samples(source, lambda s: len(seen(s, "event", "summaryState")) >= 2)
    copies = seen(samples, "event", "summaryState")
    assert len(copies) == 2 and copies[0].data == copies[1].data

    state = GenericCSC(TEST, 1, start_time=time.time())
    frames = state.on_samples(samples, time.time())
    assert [f.stream for f in frames if f.stream == "summaryState"] == ["summaryState"]
    # Fed the duplicate as well, the state machine still sends nothing more for it.
    assert state.on_samples(samples[-1:], time.time()) == []


def test_history_loaded_before_the_callback_is_recovered_by_get(double, open_source) -> None:
    """If a remote had read history before the callbacks were set (the flush case), the
    history sample still comes, from get(), once."""
    double.write("Test", 1, "evt_summaryState", summaryState=3)
    original = double.Remote

    def eager_remote(domain, name, index=0, **kwargs):
        remote = original(domain, name, index, start=False, **kwargs)
        for reader in remote._readers:  # start synchronously: history already queued
            reader.load_history(double.bus.subscribe(reader))
        remote._started = True
        remote.start_task.set_result(None)
        return remote

    double.Remote = eager_remote
    source = open_source()
    samples = wait_samples(source, lambda s: seen(s, "event", "summaryState"))
    samples += source.drain(time.time())
    assert [s.data["summaryState"] for s in seen(samples, "event", "summaryState")] == [3]
    assert source.counts["samples"] == 1  # the callback never saw it: get() did


def test_every_index_of_an_extra_remote_keeps_its_history(double, open_source) -> None:
    """A ScriptQueue reads Script at index 0: the last event of every script before the
    start is delivered (callbacks are set before the history is read, W8)."""
    double.write("Script", 100001, "evt_state", state=2)
    double.write("Script", 100002, "evt_state", state=3)
    source = open_source(
        ComponentId("ScriptQueue", 1),
        want_commands=True,
        extra_remotes=("Script",),
        related={"Script": CATALOG.get("Script")},
    )
    samples = wait_samples(source, lambda s: len(seen(s, "event", "state")) >= 2)
    states = {(s.component, s.index): s.data["state"] for s in seen(samples, "event", "state")}
    assert states == {("Script", 100001): 2, ("Script", 100002): 3}
    double.write("Script", 100003, "evt_state", state=1)
    samples = wait_samples(source, lambda s: seen(s, "event", "state"))
    assert [(s.component, s.index) for s in samples] == [("Script", 100003)]
    assert source.latest("event", "state", component="Script")["salIndex"] == 100003
    readonly = {r.salinfo.name: r.readonly for r in double.remotes}
    assert readonly == {"ScriptQueue": False, "Script": True}


# --------------------------------------------------------------------------- topic binding


def test_writer_with_another_rev_code_is_delivered(double, open_source) -> None:
    """W4: the topic is bound at subscription, so a foreign rev_code changes nothing."""
    source = open_source()
    double.write("Test", 1, "evt_logLevel", level=20, private_revCode="0badc0de")
    samples = wait_samples(source, lambda s: seen(s, "event", "logLevel"))
    (sample,) = seen(samples, "event", "logLevel")
    assert sample.data["private_revCode"] == "0badc0de"
    assert sample.data["level"] == 20


def test_conversion_errors_are_counted_per_topic(double, open_source, caplog) -> None:
    source = open_source()
    with caplog.at_level(logging.ERROR, logger="love_actors.salobj"):
        for _ in range(3):  # no private fields: vars() has none of the topic's fields
            double.write_raw("Test", "tel_scalars", types.SimpleNamespace(salIndex=1))
        double.write("Test", 1, "tel_arrays")
        wait_samples(source, lambda s: seen(s, "telemetry", "arrays"))
        wait_for(lambda: source.counts["conversion_errors"] == 3, "three bad samples")
    assert source.topic_errors == {("Test", "telemetry", "scalars"): 3}
    assert len([r for r in caplog.records if "scalars" in r.getMessage()]) == 1  # logged once


def test_samples_of_an_indexed_component_carry_the_sal_index(double, open_source) -> None:
    source = open_source(ComponentId("Test", 2))
    double.write("Test", 1, "evt_logLevel", level=1)  # another instance: not read
    double.write("Test", 2, "evt_logLevel", level=2)
    samples = wait_samples(source, lambda s: seen(s, "event", "logLevel"))
    assert [(s.index, s.data["level"]) for s in samples] == [(2, 2)]


# -------------------------------------------------------------------------------- batching


def test_many_samples_wake_the_actor_once(double, open_source) -> None:
    source = open_source()
    for i in range(50):
        double.write("Test", 1, "tel_scalars", int0=i)
    wait_for(lambda: source.counts["samples"] >= 50, "50 samples queued")
    pending = socket.socket(fileno=socket.dup(source.fileno()))
    try:
        pending.setblocking(False)
        assert len(pending.recv(64, socket.MSG_PEEK)) == 1  # one wake byte for 50 samples
    finally:
        pending.close()
    batch = source.drain(time.time())
    assert [s.data["int0"] for s in batch] == list(range(50))
    assert select.select([source.fileno()], [], [], 0)[0] == []  # drained: fd quiet again
    assert source.drain(time.time()) == []


# -------------------------------------------------------------------------------- commands


def test_command_reaches_the_csc_and_its_result_comes_back_as_samples(double, open_source):
    def set_scalars(data, index):
        double.write("Test", index, "evt_scalars", int0=data.int0)

    double.on_command("Test", "setScalars", set_scalars)
    source = open_source(want_commands=True)
    source.command(SalCommand("Test", 1, "setScalars", {"int0": 42}), time.time())
    samples = wait_samples(source, lambda s: seen(s, "event", "scalars"))
    assert [s.data["int0"] for s in seen(samples, "event", "scalars")] == [42]
    wait_for(lambda: source.counts["commands_done"] == 1, "the ack")


def test_command_failures_are_logged_not_raised(double, open_source, caplog) -> None:
    def refuse(data, index):
        raise RuntimeError("not enabled")

    double.on_command("Test", "setScalars", refuse)
    source = open_source(want_commands=True, command_timeout=1.0)
    with caplog.at_level(logging.WARNING, logger="love_actors.salobj"):
        source.command(SalCommand("Test", 1, "setScalars", {"int0": 1}), time.time())
        source.command(SalCommand("Test", 1, "enable"), time.time())  # no handler: no ack
        source.command(SalCommand("Test", 1, "noSuchCommand"), time.time())
        wait_for(
            lambda: (
                sum(
                    source.counts[k]
                    for k in ("commands_failed", "commands_timed_out", "commands_rejected")
                )
                == 3
            ),
            "three outcomes",
        )
    assert source.counts["commands_failed"] == 1
    assert source.counts["commands_timed_out"] == 1
    assert source.counts["commands_rejected"] == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "ack=-302" in text and "not enabled" in text
    assert "ack=-301" in text
    assert "noSuchCommand" in text
    assert source.failed is None
    assert source.drain(time.time()) == []


def test_read_only_source_does_not_send_commands(double, open_source) -> None:
    double.on_command("Test", "setScalars", lambda data, index: None)
    source = open_source()  # want_commands=False
    source.command(SalCommand("Test", 1, "setScalars", {"int0": 1}), time.time())
    wait_for(lambda: source.counts["commands_rejected"] == 1, "the rejection")
    assert double.commands_seen == []


def test_commands_run_at_most_four_at_a_time(double, open_source) -> None:
    running = 0
    most = 0
    release = asyncio.Event()

    async def slow(data, index):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1

    double.on_command("Test", "setScalars", slow)
    source = open_source(want_commands=True)
    for i in range(6):
        source.command(SalCommand("Test", 1, "setScalars", {"int0": i}), time.time())
    wait_for(lambda: running == 4, "four commands in flight")
    assert len(double.commands_seen) == 4
    source._runtime.loop.call_soon_threadsafe(release.set)
    wait_for(lambda: source.counts["commands_done"] == 6, "all six acks")
    assert most == 4


# --------------------------------------------------------------------------- failures


def test_start_failure_surfaces_through_drain(double, open_source) -> None:
    double.start_error = RuntimeError("Kafka broker unreachable")
    source = open_source(wait=False)
    readable, _, _ = select.select([source.fileno()], [], [], TIMEOUT)
    assert readable, "a failed start must wake the actor"
    with pytest.raises(SalobjSourceFailed, match="Kafka broker unreachable") as raised:
        source.drain(time.time())
    assert raised.value.__cause__ is source.failed
    source.command(SalCommand("Test", 1, "enable"), time.time())  # ignored, not raised


def test_missing_topic_subname_fails_the_start(open_source) -> None:
    double = SalobjDouble({"Test": TEST}, environ={})
    source = SalobjSource(ComponentId("Test", 1), TEST, time.time(), salobj=double)
    try:
        assert source.started.wait(TIMEOUT)
        assert "LSST_TOPIC_SUBNAME" in str(source.failed)
        with pytest.raises(SalobjSourceFailed):
            source.drain(time.time())
    finally:
        source.close()


def test_start_that_never_finishes_times_out(double, open_source) -> None:
    double.start_gate = threading.Event()  # Kafka set-up that never ends
    source = open_source(start_timeout=0.2)
    assert isinstance(source.failed, TimeoutError)
    assert "Kafka" in str(source.failed)
    with pytest.raises(SalobjSourceFailed):
        source.drain(time.time())


def test_missing_salobj_says_how_to_install(monkeypatch) -> None:
    def no_module(name, *args):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(salobj_source.importlib, "import_module", no_module)
    with pytest.raises(SalobjUnavailable, match="conda install -c lsstts ts-salobj"):
        import_salobj()
    with pytest.raises(SalobjUnavailable):
        SalobjSource(ComponentId("Test", 1), TEST, time.time())
    assert loop_threads_alive() == 0


# ----------------------------------------------------------------------------- cleanup


def test_sources_of_a_process_share_one_thread_and_domain(double, open_source) -> None:
    first = open_source(ComponentId("Test", 1))
    second = open_source(ComponentId("ATDome", 0))
    assert loop_threads_alive() == 1
    assert len(double.domains) == 1
    first.close()
    assert loop_threads_alive() == 1
    assert not double.domains[0].closed
    double.write("ATDome", 0, "evt_logLevel", level=5)
    assert [s.topic for s in wait_samples(second, lambda s: s)] == ["logLevel"]
    second.close()
    assert loop_threads_alive() == 0
    assert double.domains[0].closed
    assert all(r._closed for r in double.remotes)


def test_close_releases_the_socket_and_thread_and_is_idempotent(double, open_source) -> None:
    source = open_source()
    rsock, wsock = source._queue._rsock, source._queue._wsock
    source.close()
    source.close()
    assert rsock.fileno() == -1 and wsock.fileno() == -1
    assert source.fileno() is None
    assert loop_threads_alive() == 0
    double.write("Test", 1, "evt_logLevel", level=5)  # nobody listens any more
    assert source.drain(time.time()) == []


def test_close_during_a_pending_start(double, open_source) -> None:
    double.start_gate = threading.Event()  # the start is still waiting for Kafka
    source = open_source(wait=False)
    source.close()
    assert source.started.is_set()  # the start was cancelled, not left running
    assert loop_threads_alive() == 0
    assert all(r._closed for r in double.remotes)
