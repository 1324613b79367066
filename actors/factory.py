"""Factory actor: starts the ManagerClient and the CSC actors, restarts them when they die, and
starts components on demand when the manager asks for one nobody monitors.

It owns no thread (it forks every other actor), and it holds no protocol logic: restart delays
and on-demand matching live in `love_producer.fleet.supervision`.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import time
from datetime import timedelta

import attrs
from thespian.actors import (
    ActorExitRequest,
    ActorSystemConventionUpdate,
    ActorTypeDispatcher,
    ChildActorExited,
    WakeupMessage,
)

from actors.csc_actor import CSCActor
from actors.edges.catalog import Catalog
from actors.hosts import HOST, MANAGER_URL, PATTERNS, SOURCE, capacity_of, on_host
from actors.manager_client import ManagerClient
from actors.messages import (
    Idle,
    Rebalance,
    Rebalanced,
    Requests,
    RunConfig,
    StartCSC,
    Started,
    StartFactory,
    StartManagerClient,
    StatusReply,
    StatusRequest,
    StopAll,
    Stopped,
    UnregisterCSC,
    UseManagerClient,
)
from love_producer.fleet.liveness import PING_PERIOD, HostLiveness
from love_producer.fleet.placement import HostSlot, choose_host, plan_rebalance
from love_producer.fleet.status import combine_status
from love_producer.fleet.supervision import RestartPolicy, on_demand_match
from love_producer.interfaces.component_id import ComponentId
from love_producer.kinds import kind_of

log = logging.getLogger("love_actors.factory")

STATUS_TIMEOUT = 2.0
STOP_TIMEOUT = 5.0
PING = -1  # request id of liveness pings
MANAGER_CLIENT = "<manager-client>"


@attrs.define
class Child:
    key: str
    address: object
    component: ComponentId | None = None
    on_demand: bool = False
    host: str = ""  # "" on a single host


def mc_key(host: str) -> str:
    return f"<manager-client {host}>" if host else MANAGER_CLIENT


@attrs.define
class StatusGather:
    requester: object
    waiting: set
    replies: list = attrs.field(factory=list)


class Factory(ActorTypeDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self.config: RunConfig | None = None
        self.infos: dict[ComponentId, object] = {}
        self.children: dict[str, Child] = {}
        self.policy = RestartPolicy()
        self.catalog = None
        self.gathers: dict[int, StatusGather] = {}
        self.next_id = 1
        self.stopping_for = None
        self.refused: set[str] = set()
        # Multi-host (a convention leader): members and what runs where.
        self.hosts: dict[str, HostSlot] = {}
        self.host_caps: dict[str, dict] = {}
        self.unplaced: list[tuple[ComponentId, bool]] = []
        self.stale: dict[str, list] = {}  # host -> addresses of actors replaced elsewhere
        self.liveness = HostLiveness()

    # --- start ----------------------------------------------------------------------------

    def receiveMsg_StartFactory(self, msg: StartFactory, sender):
        if self.config is not None:
            self.send(sender, Started(tuple(self.children), ("already started",)))
            return
        self.config = cfg = msg.config
        self.infos = dict(msg.config.infos)
        errors = []
        if cfg.cluster:
            self.hosts[cfg.host_id] = HostSlot(cfg.host_id, cfg.patterns, cfg.capacity)
            self.host_caps[cfg.host_id] = {}
            self.notifyOnSystemRegistrationChanges(True)
            self.wakeupAfter(timedelta(seconds=PING_PERIOD), payload=("ping",))
            self.unplaced = [(cid, False) for cid in cfg.components]
            self._place_all()
            errors = [f"{cid}: no host fits it yet; waiting" for cid, _ in self.unplaced]
        else:
            for cid in cfg.components:
                try:
                    self._start_csc(cid, on_demand=False)
                except Exception as e:  # one bad component must not stop the others
                    errors.append(f"{cid}: {e}")
        keys = tuple(k for k, c in self.children.items() if c.component is not None)
        self.send(sender, Started(keys, tuple(errors)))

    def _own(self, host: str) -> bool:
        return not host or host == self.config.host_id

    def _start_manager_client(self, host: str = "") -> None:
        cfg = self.config
        key = mc_key(host)
        address = self.createActor(ManagerClient, targetActorRequirements=on_host(host))
        self.children[key] = Child(key, address, host=host)
        self.policy.started(key, time.time())
        own = self._own(host)
        self.send(
            address,
            StartManagerClient(
                url=cfg.manager_url if own else self.host_caps[host].get(MANAGER_URL, ""),
                password=cfg.password if own else None,
                factory=self.myAddress,
                extra_names=cfg.on_demand_names,
                max_message_bytes=cfg.max_message_bytes,
                watch=cfg.watch,
                record=cfg.record,
            ),
        )

    def _start_csc(self, cid: ComponentId, on_demand: bool, host: str = "") -> None:
        cfg = self.config
        if mc_key(host) not in self.children:
            self._start_manager_client(host)
        # Children are forked: objects the collector never visits stay on pages shared with
        # them instead of being copied into every CSC actor.
        gc.freeze()
        address = self.createActor(CSCActor, targetActorRequirements=on_host(host))
        self.children[cid.key] = Child(cid.key, address, cid, on_demand, host)
        if host in self.hosts:
            self.hosts[host].components.add(cid.key)
        self.policy.started(cid.key, time.time())
        source = cfg.source
        if not self._own(host):
            source = attrs.evolve(
                cfg.source, kind=self.host_caps[host].get(SOURCE, cfg.source.kind)
            )
        self.send(
            address,
            StartCSC(
                component=cid,
                info=self.infos[cid],
                source=source,
                settings=cfg.csc,
                manager_client=self.children[mc_key(host)].address,
                start_time=time.time(),
                idle_timeout=cfg.idle_timeout if on_demand else None,
                related=self._related(cid),
                kind=cfg.kind,
                record=cfg.record,
            ),
        )
        where = f" on {host}" if host else ""
        log.info("started %s%s%s", cid, where, " on demand" if on_demand else "")

    # --- placement (multi-host) -----------------------------------------------------------

    def _place_all(self) -> None:
        waiting = []
        for cid, on_demand in self.unplaced:
            host = choose_host(cid.name, self.hosts)
            if host is None:
                waiting.append((cid, on_demand))
                continue
            try:
                self._start_csc(cid, on_demand, host)
            except Exception as e:
                log.warning("cannot start %s on %s: %s", cid, host, e)
                waiting.append((cid, on_demand))
        self.unplaced = waiting

    def receiveMsg_ActorSystemConventionUpdate(self, msg: ActorSystemConventionUpdate, sender):
        caps = msg.remoteCapabilities or {}
        host = caps.get(HOST)
        if not host or self.config is None or not self.config.cluster:
            return
        if msg.remoteAdded:
            log.warning(
                "host %s joined from %s (patterns %r)",
                host,
                msg.remoteAdminAddress,
                caps.get(PATTERNS, ""),
            )
            # Actors it ran before a partition were started again elsewhere: stop them, so
            # no component streams twice once the link heals.
            for address in self.stale.pop(host, []):
                self.send(address, ActorExitRequest())
            self._host_back(host, caps)
        elif host in self.hosts:
            self._host_lost(host)

    def _host_back(self, host: str, caps: dict | None = None) -> None:
        if caps is not None:
            self.host_caps[host] = caps
        caps = self.host_caps.get(host, {})
        self.hosts[host] = HostSlot(host, caps.get(PATTERNS, ""), capacity_of(caps))
        self.hosts[host].components = {c.key for c in self.children.values() if c.host == host}
        self.liveness.seen(host, time.monotonic())
        if not self._own(host) and mc_key(host) not in self.children:
            # Every member gets its ManagerClient at once: it is what the liveness pings ask.
            self._start_manager_client(host)
        self._place_all()

    def _ping_hosts(self) -> None:
        """Our own liveness check of every member (Thespian's takes minutes, and reports no
        child exits for a host that died)."""
        members = [h for h in self.hosts if not self._own(h)]
        for host in members:
            child = self.children.get(mc_key(host))
            if child is not None:
                self.send(child.address, StatusRequest(PING))
        for host in self.liveness.lost(members, time.monotonic()):
            self._host_lost(host)
        # Lost hosts are still asked: an answer means a partition healed.
        for addresses in self.stale.values():
            for address in addresses:
                self.send(address, StatusRequest(PING))
        self.wakeupAfter(timedelta(seconds=PING_PERIOD), payload=("ping",))

    def _pong(self, sender) -> None:
        for host, addresses in list(self.stale.items()):
            if sender in addresses:
                # Back after a partition: its components run elsewhere now, so its old
                # actors must stop before they stream twice.
                log.warning("host %s is reachable again; stopping its replaced actors", host)
                for address in self.stale.pop(host):
                    self.send(address, ActorExitRequest())
                self._host_back(host)
                return
        child = self._child_of(sender)
        if child is not None and child.host:
            self.liveness.seen(child.host, time.monotonic())

    def _host_lost(self, host: str) -> None:
        """Thespian reports no child exits for a host that died: move its components."""
        log.warning("host %s lost; moving its components", host)
        self.hosts.pop(host, None)
        self.liveness.forget(host)
        lost = [c for c in self.children.values() if c.host == host]
        for child in lost:
            del self.children[child.key]
            self.stale.setdefault(host, []).append(child.address)
            if child.component is not None:
                self.unplaced.append((child.component, child.on_demand))
        self._place_all()

    def receiveMsg_Rebalance(self, msg: Rebalance, sender):
        """Move components to even out the hosts: only when asked, since a move restarts a
        component's stream."""
        moves = plan_rebalance(self.hosts) if self.config and self.config.cluster else []
        for key, src, dst in moves:
            old = self.children.pop(key, None)
            if old is None or old.component is None:
                continue
            self.hosts[src].components.discard(key)
            self.send(self.children[mc_key(src)].address, UnregisterCSC(key))
            self.send(old.address, ActorExitRequest())  # its exit is not restarted: popped
            self._start_csc(old.component, old.on_demand, dst)
            log.warning("rebalance: %s moved from %s to %s", key, src, dst)
        self.send(sender, Rebalanced(tuple(moves)))

    # --- supervision ----------------------------------------------------------------------

    def _child_of(self, address) -> Child | None:
        for child in self.children.values():
            if child.address == address:
                return child
        return None

    def receiveMsg_ChildActorExited(self, msg: ChildActorExited, sender):
        child = self._child_of(msg.childAddress)
        if child is None:
            return  # Thespian reports an exit twice; the second finds nothing
        del self.children[child.key]
        if child.host in self.hosts:
            self.hosts[child.host].components.discard(child.key)
        if self.stopping_for is not None:
            self._maybe_stopped()
            return
        if child.on_demand and child.key in self.refused:
            return  # stopped on purpose (idle)
        delay = self.policy.delay_after_death(child.key, time.time())
        log.warning("%s exited; restarting in %.1f s", child.key, delay)
        self.wakeupAfter(timedelta(seconds=delay), payload=("restart", child))

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        payload = msg.payload
        if not isinstance(payload, tuple) or self.stopping_for is not None:
            return
        if payload[0] == "restart":
            child: Child = payload[1]
            if child.key in self.children:
                return
            if child.host and child.host not in self.hosts:
                return  # its host left; its components were placed elsewhere
            if child.component is None:
                self._start_manager_client(child.host)
                address = self.children[child.key].address
                for other in self.children.values():
                    if other.component is not None and other.host == child.host:
                        self.send(other.address, UseManagerClient(address))
            else:
                self._start_csc(child.component, child.on_demand, child.host)
        elif payload[0] == "status":
            self._finish_gather(payload[1])
        elif payload[0] == "ping":
            self._ping_hosts()
        elif payload[0] == "stop":
            self._maybe_stopped(force=True)

    # --- on demand ------------------------------------------------------------------------

    def receiveMsg_Requests(self, msg: Requests, sender):
        """initial_state requests nobody answers: start the component when it may be."""
        cfg = self.config
        if cfg is None or self.stopping_for is not None:
            return
        for req in msg.requests:
            if not isinstance(req.salindex, int) or not on_demand_match(cfg.on_demand, req.csc):
                continue
            cid = ComponentId(req.csc, req.salindex)
            if cid.key in self.children:
                continue
            info = self._info(cid)
            if info is None:
                continue
            self.refused.discard(cid.key)
            if cfg.cluster:
                self.unplaced.append((cid, True))
                self._place_all()
            else:
                self._start_csc(cid, on_demand=True)

    def _related(self, cid: ComponentId) -> dict:
        related = dict(self.config.related)
        for name in kind_of(cid.name).related:
            if name not in related:
                info = self._info(ComponentId(name, 0), check=False)
                if info is not None:
                    related[name] = info
        return related

    def _info(self, cid: ComponentId, check: bool = True):
        if cid in self.infos:
            return self.infos[cid]
        try:
            if self.catalog is None:
                self.catalog = Catalog.default(self.config.xml_dir)
            info = self.catalog.get(cid.name)
            if check:
                info.check_index(cid.index)
        except Exception as e:
            log.warning("cannot start %s on demand: %s", cid, e)
            return None
        self.infos[cid] = info
        return info

    def receiveMsg_Idle(self, msg: Idle, sender):
        child = self.children.get(msg.key)
        if child is not None and child.on_demand:
            log.info("%s stopped: no request for it in %.0f s", msg.key, self.config.idle_timeout)
            self.refused.add(msg.key)
            self.send(self.children[mc_key(child.host)].address, UnregisterCSC(msg.key))
            self.send(child.address, ActorExitRequest())

    # --- status ---------------------------------------------------------------------------

    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        gid = self.next_id
        self.next_id += 1
        gather = StatusGather(sender, {c.key for c in self.children.values()})
        self.gathers[gid] = gather
        for child in self.children.values():
            self.send(child.address, StatusRequest(gid))
        if not gather.waiting:
            self._finish_gather(gid)
        else:
            self.wakeupAfter(timedelta(seconds=STATUS_TIMEOUT), payload=("status", gid))

    def receiveMsg_StatusReply(self, msg: StatusReply, sender):
        if msg.request_id == PING:
            self._pong(sender)
            return
        gather = self.gathers.get(msg.request_id)
        if gather is None:
            return
        child = self._child_of(sender)
        if child is not None:
            gather.waiting.discard(child.key)
        gather.replies.append((child.host if child is not None else "", msg))
        if not gather.waiting:
            self._finish_gather(msg.request_id)

    def _finish_gather(self, gid: int) -> None:
        gather = self.gathers.pop(gid, None)
        if gather is None:
            return
        cluster = self.config is not None and self.config.cluster
        status = combine_status(
            [(h, r.kind, r.status) for h, r in gather.replies],
            {h: slot.patterns for h, slot in self.hosts.items()} if cluster else None,
            self.config.host_id if self.config else "",
        )
        status.update(
            unplaced=[str(cid) for cid, _ in self.unplaced],
            pid=os.getpid(),
            host=socket.gethostname(),
            unanswered=sorted(gather.waiting),
            on_demand=sorted(c.key for c in self.children.values() if c.on_demand),
        )
        self.send(gather.requester, StatusReply(gid, "factory", status))

    # --- stop -----------------------------------------------------------------------------

    def receiveMsg_StopAll(self, msg: StopAll, sender):
        self.stopping_for = sender
        for child in list(self.children.values()):
            self.send(child.address, ActorExitRequest())
        self.wakeupAfter(timedelta(seconds=STOP_TIMEOUT), payload=("stop",))
        self._maybe_stopped()

    def _maybe_stopped(self, force: bool = False) -> None:
        if self.stopping_for is not None and (force or not self.children):
            self.send(self.stopping_for, Stopped())
            self.stopping_for = None
            self.children.clear()
