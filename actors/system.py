"""Starting and stopping the actor system so that nothing is left behind.

A Thespian ``multiprocTCPBase`` admin outlives the process that started it, so every command
that starts one stops it in a ``finally``, and then checks that every actor process it knew of
is really gone (Thespian can orphan a child that was starting during shutdown).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from thespian.actors import ActorSystem

from actors.edges.log_setup import log_defs
from actors.edges.processes import parent_of, process_alive, reap_orphans, session_members
from actors.factory import Factory
from actors.lifeline import Lifeline, WatchOwner
from actors.messages import RunConfig, Started, StartFactory, StatusReply, StatusRequest, StopAll

log = logging.getLogger("love_actors.system")

FACTORY_NAME = "love-actors-factory"
#: Longest wait for a SIGKILLed process to exit (a loaded machine may take a while).
KILL_WAIT = 10.0


class SystemError_(RuntimeError):
    """The actor system could not be started."""


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


#: Where free listening ports are picked: below Linux's ephemeral range (32768-60999), from
#: which every outgoing connection and every Thespian actor takes its port, so a port found
#: free here is not taken by one of those before its listener binds it.
PORT_RANGE = (20000, 32000)


def free_port(rng: random.Random | None = None) -> int:
    """A port nothing listens on now, on every interface, outside the ephemeral range."""
    rng = rng or random.Random()
    for _ in range(200):
        port = rng.randrange(*PORT_RANGE)
        if not port_in_use(port):
            return port
    with socket.socket() as s:  # the range is crowded: take what the kernel gives
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningSystem:
    """A started actor system with its Factory."""

    def __init__(self, asys: ActorSystem, factory, started: Started) -> None:
        self.asys = asys
        self.factory = factory
        self.started = started
        self.known_pids: set[int] = set()
        self.admin_port = 0
        self.session: int | None = None
        #: The processes nothing else supervises (the Factory, the admin), learnt from the
        #: first status; and why the system is lost, once one of them has died.
        self.core_pids: dict[str, int] = {}
        self.lost: str | None = None
        self.admin_lost = False

    def check_core(self) -> str | None:
        """Why the system cannot go on (the Factory or the admin died), or None."""
        if self.lost is None:
            for name, pid in self.core_pids.items():
                if not process_alive(pid):
                    self.lost = f"{name} (pid {pid}) died"
                    self.admin_lost = name == ADMIN
                    break
        return self.lost

    def status(self, timeout: float = 5.0) -> dict | None:
        reply = self.asys.ask(self.factory, StatusRequest(), timeout)
        if not isinstance(reply, StatusReply):
            return None
        st = reply.status
        if not self.core_pids and "pid" in st:
            # The Factory is forked by Thespian's admin: its parent is the admin.
            self.core_pids = {"the Factory": st["pid"]}
            admin = parent_of(st["pid"])
            if admin is not None and admin != os.getpid():
                self.core_pids[ADMIN] = admin
        self.known_pids |= {st["pid"]} | {c["pid"] for c in st["components"] if "pid" in c}
        if "pid" in st.get("manager", {}):
            self.known_pids.add(st["manager"]["pid"])
        return st


ADMIN = "Thespian's admin"


@contextmanager
def running_system(
    config: RunConfig,
    admin_port: int,
    log_level: int = logging.WARNING,
    base: str = "multiprocTCPBase",
    capabilities: dict | None = None,
    environment: dict | None = None,
    log_format: str = "text",
) -> Iterator[RunningSystem]:
    """Start the actor system and the Factory; stop everything on exit, whatever happens."""
    if base == "multiprocTCPBase" and admin_port == 0:
        admin_port = free_port()  # Thespian itself cannot start an admin on port 0
    if base == "multiprocTCPBase" and port_in_use(admin_port):
        raise SystemError_(
            f"admin port {admin_port} is in use (another love-actors or Thespian system?): "
            "stop it with `love-actors stop` or choose --admin-port"
        )
    caps = {"Admin Port": admin_port} if base == "multiprocTCPBase" else {}
    caps.update(capabilities or {})
    # The admin and every actor are forked from here: they inherit these.
    os.environ.update(environment or {})
    before = {p.pid for p in multiprocessing.active_children()}
    # The admin is forked from here and every actor from it: objects the collector never
    # visits stay on pages they all share instead of being copied into each (PSS).
    gc.collect()
    gc.freeze()
    try:
        defs = log_defs(log_level, log_format)
        asys = ActorSystem(base, caps, logDefs=defs, transientUnique=True)
    except Exception as e:
        raise SystemError_(
            f"the actor system could not start on admin port {admin_port}: {e}"
        ) from e
    system = None
    try:
        factory = asys.createActor(Factory, globalName=FACTORY_NAME)
        if base == "multiprocTCPBase" and os.getpid() != 1:
            # As PID 1 of a pod the kernel ends every process of the namespace with us: no
            # Lifeline needed (one process less).
            lifeline = asys.createActor(Lifeline)
            asys.ask(lifeline, WatchOwner(os.getpid(), admin_port), 10)
        started = asys.ask(factory, StartFactory(config), 60)
        if not isinstance(started, Started):
            raise SystemError_("the Factory did not answer within 60 s")
        system = RunningSystem(asys, factory, started)
        system.admin_port = admin_port
        system.session = started.session if base == "multiprocTCPBase" else None
        yield system
    finally:
        if system is not None and system.lost is None:
            try:
                system.status(timeout=2.0)  # learn every actor's pid before stopping
            except Exception:
                pass
            try:
                asys.ask(system.factory, StopAll(), 10)
            except Exception as e:
                log.warning("stopping actors: %s", e)
        if system is None or not system.admin_lost:
            asys.shutdown()  # with the admin dead it would only wait for it: reap instead
        _reap(
            before,
            system.known_pids if system else set(),
            system.session if system else None,
        )


def reap_zombies() -> int:
    """Wait for this process's exited children that nobody else waits for (the admin's
    launcher, orphans a subreaper adopted); multiprocessing's own children are left to it."""
    return reap_orphans(keep={p.pid for p in multiprocessing.active_children()})


def _reap(before: set[int], actor_pids: set[int], session: int | None, grace: float = 3.0) -> None:
    """Wait for the admin and every actor process to exit; kill what does not.

    Actor processes are known by pid (from the last status) and by session (all of this
    system's processes share the session of Thespian's daemonized admin), so a Factory too busy
    to answer cannot make us miss any.
    """
    deadline = time.monotonic() + grace
    children = [p for p in multiprocessing.active_children() if p.pid not in before]
    for p in children:
        p.join(max(0.0, deadline - time.monotonic()))
    if session is not None and session != os.getsid(0):
        actor_pids = set(actor_pids) | session_members(session)
    leftovers = [pid for pid in actor_pids if process_alive(pid)]
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.05)
        leftovers = [pid for pid in leftovers if process_alive(pid)]
    killed = leftovers + [p.pid for p in children if p.is_alive()]
    for pid in killed:
        log.warning("process %d outlived the actor system; killing it", pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # SIGKILL is delivered asynchronously: return once every killed process has exited (a
    # zombie waiting for its parent to reap it has), so callers see nothing left running.
    deadline = time.monotonic() + KILL_WAIT
    while any(process_alive(pid) for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.01)


@contextmanager
def running_node(
    admin_port: int,
    capabilities: dict,
    environment: dict,
    log_level: int = logging.WARNING,
    log_format: str = "text",
) -> Iterator[int]:
    """A member of a convention: an actor system with no Factory of its own (the leader's
    Factory places actors here). Yields the admin port; stops and reaps on exit."""
    if admin_port == 0:
        admin_port = free_port()
    if port_in_use(admin_port):
        raise SystemError_(f"admin port {admin_port} is in use (another love-actors?)")
    caps = {"Admin Port": admin_port, **capabilities}
    os.environ.update(environment)
    before = {p.pid for p in multiprocessing.active_children()}
    try:
        asys = ActorSystem(
            "multiprocTCPBase", caps, logDefs=log_defs(log_level, log_format), transientUnique=True
        )
    except Exception as e:
        raise SystemError_(f"the actor system could not start: {e}") from e
    session = None
    try:
        lifeline = asys.createActor(Lifeline)
        session = asys.ask(lifeline, WatchOwner(os.getpid(), admin_port), 10)
        yield admin_port
    finally:
        asys.shutdown()
        _reap(before, set(), session if isinstance(session, int) else None)
