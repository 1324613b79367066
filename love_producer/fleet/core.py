"""The fleet protocol: what the Factory decides, as a state machine with no I/O and no clock.

Events go in as method calls, each with the time (`Fleet.configure`, `child_exited`,
`host_joined`, `host_left`, `pong`, `idle`, `start_on_demand`, `rebalance`, `ask_status`,
`status_reply`, `stop`, `tick`); commands come out as lists of small values (`SpawnManager`,
`SpawnCSC`, `StopChild`, `Unregister`, `Repoint`, `Ping`, `AskStatus`, `ArmTimer`, `Reply`,
`Note`). The Factory actor carries the commands out and maps each child's ``ref`` (a number
per incarnation) to its actor address.

What it covers: restarts with backoff (`RestartPolicy`), placement on member hosts
(`choose_host`), host loss from our own liveness pings (`HostLiveness`), partitions that heal
(actors of a host replaced elsewhere stay *stale* until the host answers again, then stop),
re-pointing CSC actors at a restarted ManagerClient, on-demand starts and idle stops,
rebalancing on request, status gathering and the stop protocol.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import attrs

from love_producer.fleet.liveness import PING_PERIOD, HostLiveness
from love_producer.fleet.placement import HostSlot, choose_host, plan_rebalance
from love_producer.fleet.status import combine_status
from love_producer.fleet.supervision import RestartPolicy, on_demand_match
from love_producer.interfaces.component_id import ComponentId
from love_producer.wire.requests import InitialStateRequest

STATUS_TIMEOUT = 2.0
STOP_TIMEOUT = 5.0


def manager_key(host: str, url: str = "") -> str:
    """The child key of a ManagerClient: one per host and manager URL (``url`` "": the
    host's default manager)."""
    words = " ".join(w for w in ("manager-client", host, url) if w)
    return f"<{words}>"


def route(routes: Iterable[tuple[str, str]], component: str, default: str) -> str:
    """The manager URL of ``component`` (``Name`` or ``Name:index``): the first route whose
    pattern matches its name or its name and index (``ScriptQueue:2``, ``ESS:1*``), else
    ``default``."""
    name = component.partition(":")[0]
    for pattern, url in routes:
        if on_demand_match(pattern, component) or on_demand_match(pattern, name):
            return url
    return default


# ------------------------------------------------------------------------------ settings


@attrs.frozen
class FleetConfig:
    """What the fleet is asked to run (from the Factory's `RunConfig`)."""

    components: tuple[ComponentId, ...] = ()
    manager_url: str = ""
    on_demand: str | None = None
    idle_timeout: float = 900.0
    cluster: bool = False  # a convention leader: place components on member hosts
    own_host: str = ""
    patterns: str = "*"  # components the leader's own host may run
    capacity: int = 1000
    routes: tuple[tuple[str, str], ...] = ()  # (name pattern, manager URL), first match wins


@attrs.frozen
class HostInfo:
    """What a member host advertises (its Thespian capabilities)."""

    patterns: str = ""
    capacity: int = 1000
    manager_url: str = ""
    source: str | None = None  # its SAL source kind (None: the leader's)


# ------------------------------------------------------------------------------ commands


@attrs.frozen
class SpawnManager:
    """Create ``host``'s ManagerClient; ``own``: on the leader's host (it has the password)."""

    ref: int
    host: str
    url: str
    own: bool
    default_url: str = ""  # the host's default manager (the routes pick the others)


@attrs.frozen
class SpawnCSC:
    """Create the CSC actor of ``component`` on ``host``, sending to ``manager``."""

    ref: int
    component: ComponentId
    host: str
    on_demand: bool
    manager: int
    source: str | None  # the host's source kind (None: the configured one)
    idle_timeout: float | None


@attrs.frozen
class StopChild:
    ref: int


@attrs.frozen
class Unregister:
    """Tell the ManagerClient ``manager`` to stop routing requests to ``key``."""

    manager: int
    key: str


@attrs.frozen
class Repoint:
    """The ManagerClient was restarted: these CSC actors send to ``manager`` from now on."""

    refs: tuple[int, ...]
    manager: int


@attrs.frozen
class Ping:
    ref: int


@attrs.frozen
class AskStatus:
    ref: int
    gather: int


@attrs.frozen
class ArmTimer:
    """Call `Fleet.tick` at ``at`` (or later)."""

    at: float


@attrs.frozen
class Reply:
    """Answer ``to`` (the token the request came with) with ``message``."""

    to: object
    message: object


@attrs.frozen
class Note:
    """A line for the log."""

    level: str  # "info" | "warning"
    text: str


# Reply messages


@attrs.frozen
class StatusReady:
    status: dict


@attrs.frozen
class Rebalanced:
    moves: tuple[tuple[str, str, str], ...]


@attrs.frozen
class AllStopped:
    pass


# ------------------------------------------------------------------------------- state


@attrs.define
class Child:
    """One incarnation of a child actor."""

    ref: int
    key: str
    host: str = ""  # "" on a single host
    component: ComponentId | None = None  # None: a ManagerClient
    on_demand: bool = False
    url: str = ""  # the manager it talks to (a ManagerClient) or streams to (a CSC actor)


@attrs.define
class _Gather:
    to: object
    waiting: set[str]
    replies: list[tuple[str, str, dict]] = attrs.field(factory=list)


class Fleet:
    """The fleet of one Factory: its children, hosts, timers and pending answers."""

    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.children: dict[str, Child] = {}
        self.policy = RestartPolicy()
        self.hosts: dict[str, HostSlot] = {}
        self.host_info: dict[str, HostInfo] = {}
        self.unplaced: list[tuple[ComponentId, bool]] = []
        self.stale: dict[str, list[int]] = {}  # host -> refs of actors replaced elsewhere
        self.liveness = HostLiveness()
        self.refused: set[str] = set()  # on-demand keys stopped for idleness
        self.start_errors: list[str] = []
        self.stopping: object | None = None  # who asked to stop, until answered
        self.stopped = False  # once asked to stop, nothing starts again
        self.managers_stopped = False  # (while stopping) the ManagerClients were told to
        self._configured = False
        self._answered_start = False
        self._next_ref = 1
        self._gathers: dict[int, _Gather] = {}
        self._timers: list[tuple[float, int, tuple]] = []
        self._timer_seq = 0
        self._out: list = []

    # --------------------------------------------------------------------------- events

    def configure(self, now: float) -> list:
        """Start what the configuration names; `started` then says what runs."""
        if self._configured:
            return []
        self._configured = True
        cfg = self.config
        if cfg.cluster:
            self.hosts[cfg.own_host] = HostSlot(cfg.own_host, cfg.patterns, cfg.capacity)
            self.host_info[cfg.own_host] = HostInfo()
            self._timer(now + PING_PERIOD, ("ping",))
            self.unplaced = [(cid, False) for cid in cfg.components]
            self._place_all(now)
            self.start_errors += [
                f"{cid}: no host fits it yet; waiting" for cid, _ in self.unplaced
            ]
        else:
            for cid in cfg.components:
                self._start_csc(cid, False, "", now)
        return self._take()

    def started(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(component keys running, errors)`` for the answer to the start."""
        self._answered_start = True
        keys = tuple(k for k, c in self.children.items() if c.component is not None)
        return keys, tuple(self.start_errors)

    def spawn_failed(self, ref: int, reason: str, now: float) -> list:
        """The actor of ``ref`` could not be created."""
        child = self._by_ref(ref)
        if child is None:
            return []
        self._forget(child)
        name = str(child.component) if child.component is not None else child.key
        if self.config.cluster and child.component is not None:
            self._note("warning", f"cannot start {name} on {child.host}: {reason}")
            self.unplaced.append((child.component, child.on_demand))
        elif not self._answered_start:
            self.start_errors.append(f"{name}: {reason}")
        else:
            self._schedule_restart(child, now, f"could not be started ({reason})")
        return self._take()

    def child_exited(self, ref: int, now: float) -> list:
        child = self._by_ref(ref)
        if child is None:
            return []  # Thespian reports an exit twice; the second finds nothing
        self._forget(child)
        if self.stopped:
            if all(c.component is None for c in self.children.values()):
                self._stop_managers()
            self._maybe_stopped(force=False)
        elif not (child.on_demand and child.key in self.refused):
            self._schedule_restart(child, now, "exited")
        return self._take()

    def host_joined(self, host: str, info: HostInfo, now: float) -> list:
        if not self.config.cluster:
            return []
        self._note("warning", f"host {host} joined (patterns {info.patterns!r})")
        # Actors it ran before a partition were started again elsewhere: stop them, so no
        # component streams twice once the link heals.
        for ref in self.stale.pop(host, []):
            self._out.append(StopChild(ref))
        self._host_back(host, info, now)
        return self._take()

    def host_left(self, host: str, now: float) -> list:
        if self.config.cluster and host in self.hosts:
            self._host_lost(host, now)
        return self._take()

    def pong(self, ref: int, now: float) -> list:
        for host, refs in list(self.stale.items()):
            if ref in refs:
                # Back after a partition: its components run elsewhere now, so its old
                # actors must stop before they stream twice.
                self._note(
                    "warning", f"host {host} is reachable again; stopping its replaced actors"
                )
                for old in self.stale.pop(host):
                    self._out.append(StopChild(old))
                self._host_back(host, None, now)
                return self._take()
        child = self._by_ref(ref)
        if child is not None and child.host:
            self.liveness.seen(child.host, now)
        return self._take()

    def wanted(self, requests: Iterable[InitialStateRequest]) -> list[ComponentId]:
        """Components that unanswered initial_state requests ask for and that may be started
        on demand (the caller checks each against the interfaces, then `start_on_demand`)."""
        if not self._configured or self.stopped:
            return []
        found: list[ComponentId] = []
        waiting = {cid for cid, _ in self.unplaced}
        for req in requests:
            if not isinstance(req.salindex, int) or isinstance(req.salindex, bool):
                continue
            if not on_demand_match(self.config.on_demand, req.csc):
                continue
            cid = ComponentId(req.csc, req.salindex)
            if cid.key not in self.children and cid not in found and cid not in waiting:
                found.append(cid)
        return found

    def start_on_demand(self, cid: ComponentId, now: float) -> list:
        if cid.key in self.children or self.stopped:
            return []
        self.refused.discard(cid.key)
        if self.config.cluster:
            self.unplaced.append((cid, True))
            self._place_all(now)
        else:
            self._start_csc(cid, True, "", now)
        return self._take()

    def idle(self, key: str, now: float) -> list:
        """An on-demand component had no request for its idle timeout: stop it."""
        child = self.children.get(key)
        if child is None or not child.on_demand:
            return []
        self._note("info", f"{key} stopped: no request for it in {self.config.idle_timeout:.0f} s")
        self.refused.add(key)
        manager = self.children.get(self._manager_key(child.host, child.url))
        if manager is not None:
            self._out.append(Unregister(manager.ref, key))
        self._out.append(StopChild(child.ref))
        return self._take()

    def rebalance(self, to: object, now: float) -> list:
        """Move components to even out the hosts: only when asked, since a move restarts a
        component's stream."""
        moves = plan_rebalance(self.hosts) if self.config.cluster else []
        for key, src, dst in moves:
            old = self.children.get(key)
            if old is None or old.component is None:
                continue
            self._forget(old)  # its exit is not restarted: it is no child any more
            manager = self.children.get(self._manager_key(src, old.url))
            if manager is not None:
                self._out.append(Unregister(manager.ref, key))
            self._out.append(StopChild(old.ref))
            self._start_csc(old.component, old.on_demand, dst, now)
            self._note("warning", f"rebalance: {key} moved from {src} to {dst}")
        self._out.append(Reply(to, Rebalanced(tuple(moves))))
        return self._take()

    def ask_status(self, to: object, now: float) -> list:
        """Ask every child; answer ``to`` when all did or after `STATUS_TIMEOUT`."""
        gid = self._new_ref()
        self._gathers[gid] = _Gather(to, set(self.children))
        for child in self.children.values():
            self._out.append(AskStatus(child.ref, gid))
        if self.children:
            self._timer(now + STATUS_TIMEOUT, ("status", gid))
        else:
            self._finish_gather(gid)
        return self._take()

    def status_reply(self, gather: int, ref: int | None, kind: str, status: dict) -> list:
        g = self._gathers.get(gather)
        if g is None:
            return []
        child = self._by_ref(ref) if ref is not None else None
        if child is not None:
            g.waiting.discard(child.key)
        g.replies.append((child.host if child is not None else "", kind, status))
        if not g.waiting:
            self._finish_gather(gather)
        return self._take()

    def stop(self, to: object, now: float) -> list:
        """Stop every child; answer ``to`` once all exited, or after `STOP_TIMEOUT`."""
        self.stopping = to
        self.stopped = True
        # CSC actors first, ManagerClients once they are gone: a ManagerClient that exited
        # first would break every frame pipe and lose the last frames written into it.
        cscs = [c for c in self.children.values() if c.component is not None]
        for child in cscs:
            self._out.append(StopChild(child.ref))
        if not cscs:
            self._stop_managers()
        self._timer(now + STOP_TIMEOUT, ("stop",))
        self._maybe_stopped(force=False)
        return self._take()

    def _stop_managers(self) -> None:
        if not self.managers_stopped:
            self.managers_stopped = True
            for child in self.children.values():
                if child.component is None:
                    self._out.append(StopChild(child.ref))

    def tick(self, now: float) -> list:
        """Run every timer due at ``now``."""
        while self._timers and self._timers[0][0] <= now:
            _, _, payload = heapq.heappop(self._timers)
            if payload[0] == "restart":
                self._restart(payload[1], now)
            elif payload[0] == "status":
                self._finish_gather(payload[1])
            elif payload[0] == "ping":
                self._ping_hosts(now)
            elif payload[0] == "stop":
                self._stop_managers()
                self._maybe_stopped(force=True)
        return self._take()

    def next_deadline(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def child(self, ref: int) -> Child | None:
        return self._by_ref(ref)

    # ------------------------------------------------------------------------ internals

    def _take(self) -> list:
        out, self._out = self._out, []
        return out

    def _note(self, level: str, text: str) -> None:
        self._out.append(Note(level, text))

    def _new_ref(self) -> int:
        ref = self._next_ref
        self._next_ref += 1
        return ref

    def _timer(self, at: float, payload: tuple) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (at, self._timer_seq, payload))
        self._out.append(ArmTimer(at))

    def _own(self, host: str) -> bool:
        return not host or host == self.config.own_host

    def _by_ref(self, ref: int) -> Child | None:
        for child in self.children.values():
            if child.ref == ref:
                return child
        return None

    def _forget(self, child: Child) -> None:
        if self.children.get(child.key) is child:
            del self.children[child.key]
        if child.host in self.hosts:
            self.hosts[child.host].components.discard(child.key)

    def _default_url(self, host: str) -> str:
        if self._own(host):
            return self.config.manager_url
        return self.host_info.get(host, HostInfo()).manager_url

    def _url_for(self, cid: ComponentId, host: str) -> str:
        return route(self.config.routes, str(cid), self._default_url(host))

    def _manager_key(self, host: str, url: str) -> str:
        return manager_key(host, "" if url == self._default_url(host) else url)

    def _start_manager(self, host: str, url: str, now: float) -> Child:
        key = self._manager_key(host, url)
        child = self.children[key] = Child(self._new_ref(), key, host, url=url)
        self.policy.started(key, now)
        self._out.append(
            SpawnManager(child.ref, host, url, self._own(host), self._default_url(host))
        )
        return child

    def _start_csc(self, cid: ComponentId, on_demand: bool, host: str, now: float) -> None:
        url = self._url_for(cid, host)
        manager = self.children.get(self._manager_key(host, url))
        if manager is None:
            manager = self._start_manager(host, url, now)
        child = Child(self._new_ref(), cid.key, host, cid, on_demand, url)
        self.children[cid.key] = child
        if host in self.hosts:
            self.hosts[host].components.add(cid.key)
        self.policy.started(cid.key, now)
        source = None if self._own(host) else self.host_info.get(host, HostInfo()).source
        idle = self.config.idle_timeout if on_demand else None
        self._out.append(SpawnCSC(child.ref, cid, host, on_demand, manager.ref, source, idle))
        where = f" on {host}" if host else ""
        self._note("info", f"started {cid}{where}{' on demand' if on_demand else ''}")

    def _schedule_restart(self, child: Child, now: float, what: str) -> None:
        delay = self.policy.delay_after_death(child.key, now)
        self._note("warning", f"{child.key} {what}; restarting in {delay:.1f} s")
        self._timer(now + delay, ("restart", child))

    def _restart(self, child: Child, now: float) -> None:
        if self.stopped or child.key in self.children:
            return
        if child.host and child.host not in self.hosts:
            return  # its host left; its components were placed elsewhere
        if child.component is not None:
            self._start_csc(child.component, child.on_demand, child.host, now)
            return
        manager = self._start_manager(child.host, child.url, now)
        refs = tuple(
            c.ref
            for c in self.children.values()
            if c.component is not None and c.host == child.host and c.url == child.url
        )
        if refs:
            self._out.append(Repoint(refs, manager.ref))

    def _place_all(self, now: float) -> None:
        waiting = []
        for cid, on_demand in self.unplaced:
            host = choose_host(cid.name, self.hosts)
            if host is None:
                waiting.append((cid, on_demand))
            else:
                self._start_csc(cid, on_demand, host, now)
        self.unplaced = waiting

    def _host_back(self, host: str, info: HostInfo | None, now: float) -> None:
        if info is not None:
            self.host_info[host] = info
        info = self.host_info.get(host, HostInfo())
        slot = self.hosts[host] = HostSlot(host, info.patterns, info.capacity)
        slot.components = {c.key for c in self.children.values() if c.host == host}
        self.liveness.seen(host, now)
        if not self._own(host) and manager_key(host) not in self.children:
            # Every member gets its ManagerClient at once: it is what the liveness pings ask.
            self._start_manager(host, self._default_url(host), now)
        self._place_all(now)

    def _host_lost(self, host: str, now: float) -> None:
        """Thespian reports no child exits for a host that died: move its components."""
        self._note("warning", f"host {host} lost; moving its components")
        self.hosts.pop(host, None)
        self.liveness.forget(host)
        for child in [c for c in self.children.values() if c.host == host]:
            del self.children[child.key]
            self.stale.setdefault(host, []).append(child.ref)
            if child.component is not None:
                self.unplaced.append((child.component, child.on_demand))
        self._place_all(now)

    def _ping_hosts(self, now: float) -> None:
        """Our own liveness check of every member (Thespian's takes minutes, and reports no
        child exits for a host that died)."""
        members = [h for h in self.hosts if not self._own(h)]
        for child in self.children.values():
            if child.component is None and child.host in members:
                self._out.append(Ping(child.ref))  # any of a host's managers answers for it
        for host in self.liveness.lost(members, now):
            self._host_lost(host, now)
        # Lost hosts are still asked: an answer means a partition healed.
        for refs in self.stale.values():
            self._out += [Ping(ref) for ref in refs]
        self._timer(now + PING_PERIOD, ("ping",))

    def _finish_gather(self, gid: int) -> None:
        g = self._gathers.pop(gid, None)
        if g is None:
            return
        cfg = self.config
        status = combine_status(
            g.replies,
            {h: slot.patterns for h, slot in self.hosts.items()} if cfg.cluster else None,
            cfg.own_host,
        )
        status.update(
            unplaced=[str(cid) for cid, _ in self.unplaced],
            unanswered=sorted(g.waiting),
            on_demand=sorted(c.key for c in self.children.values() if c.on_demand),
        )
        self._out.append(Reply(g.to, StatusReady(status)))

    def _maybe_stopped(self, force: bool) -> None:
        if self.stopping is not None and (force or not self.children):
            self._out.append(Reply(self.stopping, AllStopped()))
            self.stopping = None
            self.children.clear()
