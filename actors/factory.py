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
from love_producer.fleet.processes import ProcessTable
from love_producer.kinds import kind_of

log = logging.getLogger("love_actors.factory")

PING = -1  # request id of liveness pings


class Factory(ActorTypeDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self.config: RunConfig | None = None
        self.fleet: Fleet | None = None
        self.interfaces: Interfaces | None = None
        self.addresses: dict[int, object] = {}  # fleet ref -> actor address
        self.table = ProcessTable(1)  # CSC actor processes and the components they host
        self.processes: dict[int, object] = {}  # process number -> actor address
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
        self.table = ProcessTable(cfg.components_per_actor)
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
        number = self._number_of(msg.childAddress)
        if number is not None:  # every component it still hosted exited with it
            del self.processes[number]
            for ref in self.table.forget_process(number):
                self._gone(ref)
            return
        ref = self._ref_of(msg.childAddress)
        if ref is not None:
            self._gone(ref)

    def receiveMsg_ComponentGone(self, msg: ComponentGone, sender):
        """A CSC actor stopped hosting a component (told to, or it failed there)."""
        number = self._number_of(sender)
        ref = self.table.ref_of(number, msg.key) if number is not None else None
        if ref is None:
            return
        if msg.reason:
            log.warning("%s %s", msg.key, msg.reason)
        self._gone(ref)

    def _gone(self, ref: int) -> None:
        """A child incarnation ended: forget it and tell the fleet (once)."""
        if self.addresses.pop(ref, None) is None:
            return  # Thespian may report an exit twice: once is enough
        empty = self.table.remove(ref)
        if empty is not None:  # nothing left in that process: end it
            self.send(self.processes.pop(empty), ActorExitRequest())
        if self.fleet is not None:
            self._run(self.fleet.child_exited(ref, self.now()))

    def _number_of(self, address) -> int | None:
        return next((n for n, a in self.processes.items() if a == address), None)

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
        number = self._number_of(sender)
        if number is not None:  # a CSC actor answers for one of its components
            ref = self.table.ref_of(number, msg.status.get("key"))
        if msg.request_id == PING:
            if ref is not None:
                self._run(self.fleet.pong(ref, self.now()))
        else:
            self._run(self.fleet.status_reply(msg.request_id, ref, msg.kind, msg.status))

    def receiveMsg_SetLoad(self, msg: SetLoad, sender):
        for address in self.processes.values():
            self.send(address, msg)
        self.send(sender, LoadSet(len(self.processes)))

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
            address = self.addresses[cmd.ref] = self._process_for(cmd)
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
            key = self.table.key_of(cmd.ref)
            if key is not None:
                self._tell(cmd.ref, StopComponent(key))
            else:
                self._tell(cmd.ref, ActorExitRequest())
        elif isinstance(cmd, core.Unregister):
            self._tell(cmd.manager, UnregisterCSC(cmd.key))
        elif isinstance(cmd, core.Repoint):
            for number in self.table.repoint(cmd.refs, cmd.manager):  # one message each
                self.send(self.processes[number], UseManagerClient(self.addresses[cmd.manager]))
        elif isinstance(cmd, core.Ping):
            self._tell(cmd.ref, StatusRequest(PING, self.table.key_of(cmd.ref)))
        elif isinstance(cmd, core.AskStatus):
            self._tell(cmd.ref, StatusRequest(cmd.gather, self.table.key_of(cmd.ref)))
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

    def _process_for(self, cmd: core.SpawnCSC) -> object:
        """The CSC actor process that is to host ``cmd``'s component (started if new)."""
        number, new = self.table.place(cmd.ref, cmd.component.key, cmd.host, cmd.manager)
        if new:
            try:
                # Children are forked: objects the collector never visits stay on pages
                # shared with them instead of being copied into every CSC actor.
                gc.freeze()
                self.processes[number] = self.createActor(
                    CSCActor, targetActorRequirements=on_host(cmd.host)
                )
            except Exception:
                self.table.remove(cmd.ref)
                raise
        return self.processes[number]

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
