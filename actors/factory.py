"""Factory actor: the thin shell of the fleet protocol (`love_producer.fleet.core.Fleet`).

It turns mailbox messages into calls on the `Fleet`, and carries out the commands it returns:
creating the ManagerClient and CSC actors (each child incarnation is a ``ref`` to the fleet,
an actor address here), stopping them, forwarding status requests, arming its timer. It owns
no thread, so it can fork every other actor, and it reads time through `now` only.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import time
from datetime import timedelta

from thespian.actors import (
    ActorExitRequest,
    ActorSystemConventionUpdate,
    ActorTypeDispatcher,
    ChildActorExited,
    WakeupMessage,
)

from actors.csc_actor import CSCActor
from actors.edges.catalog import CatalogError, Interfaces
from actors.edges.log_setup import add_secret, set_component, setup_actor_logging
from actors.hosts import HOST, host_info, on_host
from actors.manager_client import ManagerClient
from actors.messages import (
    ComponentGone,
    Idle,
    LoadSet,
    Rebalance,
    Rebalanced,
    Requests,
    RunConfig,
    SetLoad,
    Started,
    StartFactory,
    StatusReply,
    StatusRequest,
    StopAll,
    StopComponent,
    Stopped,
    UnregisterCSC,
    UseManagerClient,
)
from love_producer.fleet import core
from love_producer.fleet.core import Fleet, FleetConfig
from love_producer.kinds import kind_of

log = logging.getLogger("love_actors.factory")

PING = -1  # request id of liveness pings


class Group:
    """One CSC actor process and the components (fleet refs) it hosts."""

    def __init__(self, address: object, host: str, manager: int) -> None:
        self.address, self.host, self.manager = address, host, manager
        self.keys: dict[int, str] = {}  # fleet ref -> component key


class Factory(ActorTypeDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self.config: RunConfig | None = None
        self.fleet: Fleet | None = None
        self.interfaces: Interfaces | None = None
        self.addresses: dict[int, object] = {}  # fleet ref -> actor address
        self.groups: list[Group] = []  # CSC actor processes (`--components-per-actor`)
        self.group_of: dict[int, Group] = {}  # fleet ref of a component -> its process
        self.timer_due: float | None = None

    # Time comes from here only.
    def now(self) -> float:
        return time.monotonic()

    # --- messages -------------------------------------------------------------------------

    def receiveMsg_StartFactory(self, msg: StartFactory, sender):
        if self.fleet is not None:
            keys, _ = self.fleet.started()
            self.send(sender, Started(keys, ("already started",)))
            return
        setup_actor_logging()
        set_component("factory")
        cfg = self.config = msg.config
        add_secret(cfg.password)
        self.interfaces = Interfaces(cfg.infos, cfg.related, cfg.xml_dir)
        self.fleet = Fleet(cfg.fleet_config())
        if msg.config.cluster:
            self.notifyOnSystemRegistrationChanges(True)
        self._run(self.fleet.configure(self.now()))
        self.send(sender, Started(*self.fleet.started(), session=os.getsid(0)))

    def receiveMsg_ActorSystemConventionUpdate(self, msg: ActorSystemConventionUpdate, sender):
        caps = msg.remoteCapabilities or {}
        host = caps.get(HOST)
        if not host or self.fleet is None:
            return
        if msg.remoteAdded:
            log.info("host %s is at %s", host, msg.remoteAdminAddress)
            self._run(self.fleet.host_joined(host, host_info(caps), self.now()))
        else:
            self._run(self.fleet.host_left(host, self.now()))

    def receiveMsg_ChildActorExited(self, msg: ChildActorExited, sender):
        group = next((g for g in self.groups if g.address == msg.childAddress), None)
        if group is not None:  # every component it still hosted exited with it
            self.groups.remove(group)
            for ref in list(group.keys):
                self._gone(ref)
            return
        ref = self._ref_of(msg.childAddress)
        if ref is not None:
            self._gone(ref)

    def receiveMsg_ComponentGone(self, msg: ComponentGone, sender):
        """A CSC actor stopped hosting a component (told to, or it failed there)."""
        group = next((g for g in self.groups if g.address == sender), None)
        if group is None:
            return
        ref = next((r for r, k in group.keys.items() if k == msg.key), None)
        if ref is not None:
            if msg.reason:
                log.warning("%s %s", msg.key, msg.reason)
            self._gone(ref)
        if not group.keys:  # nothing left in that process: end it
            self.groups.remove(group)
            self.send(group.address, ActorExitRequest())

    def _gone(self, ref: int) -> None:
        """A child incarnation ended: forget it and tell the fleet (once)."""
        if self.addresses.pop(ref, None) is None:
            return  # Thespian may report an exit twice: once is enough
        group = self.group_of.pop(ref, None)
        if group is not None:
            group.keys.pop(ref, None)
        if self.fleet is not None:
            self._run(self.fleet.child_exited(ref, self.now()))

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        self.timer_due = None
        if self.fleet is not None:
            self._run(self.fleet.tick(self.now()))
            due = self.fleet.next_deadline()  # one armed wake-up covers the earliest only
            if due is not None:
                self._arm(due)

    def receiveMsg_Requests(self, msg: Requests, sender):
        """initial_state requests nobody answers: start the component when it may be."""
        if self.fleet is None:
            return
        for cid in self.fleet.wanted(msg.requests):
            try:
                self.interfaces.info(cid)
            except (CatalogError, ValueError) as e:
                log.warning("cannot start %s on demand: %s", cid, e)
                continue
            self._run(self.fleet.start_on_demand(cid, self.now()))

    def receiveMsg_Idle(self, msg: Idle, sender):
        if self.fleet is not None:
            self._run(self.fleet.idle(msg.key, self.now()))

    def receiveMsg_Rebalance(self, msg: Rebalance, sender):
        if self.fleet is None:
            self.send(sender, Rebalanced(()))
        else:
            self._run(self.fleet.rebalance(sender, self.now()))

    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        fleet = self.fleet or Fleet(FleetConfig())
        self._run(fleet.ask_status(sender, self.now()))

    def receiveMsg_StatusReply(self, msg: StatusReply, sender):
        if self.fleet is None:
            return
        ref = self._ref_of(sender)
        group = next((g for g in self.groups if g.address == sender), None)
        if group is not None:  # a CSC actor answers for one of its components
            key = msg.status.get("key")
            ref = next((r for r, k in group.keys.items() if k == key), None)
        if msg.request_id == PING:
            if ref is not None:
                self._run(self.fleet.pong(ref, self.now()))
        else:
            self._run(self.fleet.status_reply(msg.request_id, ref, msg.kind, msg.status))

    def receiveMsg_SetLoad(self, msg: SetLoad, sender):
        for g in self.groups:
            self.send(g.address, msg)
        self.send(sender, LoadSet(len(self.groups)))

    def receiveMsg_StopAll(self, msg: StopAll, sender):
        fleet = self.fleet or Fleet(FleetConfig())
        self._run(fleet.stop(sender, self.now()))

    # --- commands -------------------------------------------------------------------------

    def _run(self, commands: list) -> None:
        pending = list(commands)
        while pending:
            cmd = pending.pop(0)
            more: list = []
            try:
                self._do(cmd)
            except Exception as e:  # createActor failed: the fleet decides what follows
                ref = getattr(cmd, "ref", None)
                log.warning("%s failed: %s", type(cmd).__name__, e)
                more = self.fleet.spawn_failed(ref, str(e), self.now()) if self.fleet else []
            pending[:0] = more

    def _do(self, cmd) -> None:
        cfg = self.config
        if isinstance(cmd, core.SpawnCSC):
            group = self._group_for(cmd.host, cmd.manager)
            group.keys[cmd.ref] = cmd.component.key
            self.group_of[cmd.ref] = group
            address = self.addresses[cmd.ref] = group.address
            related = self.interfaces.related(kind_of(cmd.component.name).related)
            info = self.interfaces.info(cmd.component)
            manager = self.addresses[cmd.manager]
            start = cfg.csc_start(
                cmd.component, info, manager, related, cmd.idle_timeout, cmd.source
            )
            self.send(address, start)
        elif isinstance(cmd, core.SpawnManager):
            address = self.createActor(ManagerClient, targetActorRequirements=on_host(cmd.host))
            self.addresses[cmd.ref] = address
            start = cfg.manager_client_start(cmd.url, cmd.own, self.myAddress, cmd.default_url)
            self.send(address, start)
        elif isinstance(cmd, core.StopChild):
            group = self.group_of.get(cmd.ref)
            if group is not None:
                self._tell(cmd.ref, StopComponent(group.keys[cmd.ref]))
            else:
                self._tell(cmd.ref, ActorExitRequest())
        elif isinstance(cmd, core.Unregister):
            self._tell(cmd.manager, UnregisterCSC(cmd.key))
        elif isinstance(cmd, core.Repoint):
            told: list[object] = []
            for ref in cmd.refs:
                if ref in self.group_of:
                    self.group_of[ref].manager = cmd.manager
                address = self.addresses.get(ref)
                if address is not None and all(address != t for t in told):
                    told.append(address)  # one message per process
                    self.send(address, UseManagerClient(self.addresses[cmd.manager]))
        elif isinstance(cmd, core.Ping):
            self._tell(cmd.ref, StatusRequest(PING, self._key_of(cmd.ref)))
        elif isinstance(cmd, core.AskStatus):
            self._tell(cmd.ref, StatusRequest(cmd.gather, self._key_of(cmd.ref)))
        elif isinstance(cmd, core.ArmTimer):
            self._arm(cmd.at)
        elif isinstance(cmd, core.Reply):
            self.send(cmd.to, self._reply(cmd.message))
        elif isinstance(cmd, core.Note):
            log.log(logging.WARNING if cmd.level == "warning" else logging.INFO, "%s", cmd.text)

    def _reply(self, message: object) -> object:
        if isinstance(message, core.StatusReady):
            status = dict(message.status, pid=os.getpid(), host=socket.gethostname())
            return StatusReply(0, "factory", status)
        if isinstance(message, core.Rebalanced):
            return Rebalanced(message.moves)
        return Stopped()

    def _group_for(self, host: str, manager: int) -> Group:
        """A CSC actor process on ``host`` streaming to ``manager`` with room for one more
        component, started if there is none."""
        size = max(1, self.config.components_per_actor)
        for g in self.groups:
            if g.host == host and g.manager == manager and len(g.keys) < size:
                return g
        # Children are forked: objects the collector never visits stay on pages shared
        # with them instead of being copied into every CSC actor.
        gc.freeze()
        address = self.createActor(CSCActor, targetActorRequirements=on_host(host))
        group = Group(address, host, manager)
        self.groups.append(group)
        return group

    def _key_of(self, ref: int) -> str | None:
        group = self.group_of.get(ref)
        return group.keys.get(ref) if group is not None else None

    def _tell(self, ref: int, message: object) -> None:
        address = self.addresses.get(ref)
        if address is not None:
            self.send(address, message)

    def _ref_of(self, address) -> int | None:
        for ref, known in self.addresses.items():
            if known == address:
                return ref
        return None

    def _arm(self, at: float) -> None:
        if self.timer_due is None or at < self.timer_due:
            self.timer_due = at
            self.wakeupAfter(timedelta(seconds=max(0.0, at - self.now())))
