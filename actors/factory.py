"""Factory actor: starts the ManagerClient and the CSC actors, restarts them when they die, and
starts components on demand when the manager asks for one nobody monitors.

It owns no thread (it forks every other actor), and it holds no protocol logic: restart delays
and on-demand matching live in `love_producer.supervision`.
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
    ActorTypeDispatcher,
    ChildActorExited,
    WakeupMessage,
)

from love_producer.component_id import ComponentId
from love_producer.csc_kinds import RELATED
from love_producer.supervision import RestartPolicy, on_demand_match

from .csc_actor import CSCActor
from .manager_client import ManagerClient
from .messages import (
    Idle,
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

log = logging.getLogger("love_actors.factory")

STATUS_TIMEOUT = 2.0
STOP_TIMEOUT = 5.0
MANAGER_CLIENT = "<manager-client>"


@attrs.define
class Child:
    key: str
    address: object
    component: ComponentId | None = None
    on_demand: bool = False


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

    # --- start ----------------------------------------------------------------------------

    def receiveMsg_StartFactory(self, msg: StartFactory, sender):
        if self.config is not None:
            self.send(sender, Started(tuple(self.children), ("already started",)))
            return
        self.config = msg.config
        self.infos = dict(msg.config.infos)
        self._start_manager_client()
        errors = []
        for cid in self.config.components:
            try:
                self._start_csc(cid, on_demand=False)
            except Exception as e:  # one bad component must not stop the others
                errors.append(f"{cid}: {e}")
        keys = tuple(k for k in self.children if k != MANAGER_CLIENT)
        self.send(sender, Started(keys, tuple(errors)))

    def _start_manager_client(self) -> None:
        cfg = self.config
        address = self.createActor(ManagerClient)
        self.children[MANAGER_CLIENT] = Child(MANAGER_CLIENT, address)
        self.policy.started(MANAGER_CLIENT, time.time())
        self.send(
            address,
            StartManagerClient(
                url=cfg.manager_url,
                password=cfg.password,
                factory=self.myAddress,
                extra_names=cfg.on_demand_names,
                max_message_bytes=cfg.max_message_bytes,
                watch=cfg.watch,
                record=cfg.record,
            ),
        )

    def _start_csc(self, cid: ComponentId, on_demand: bool) -> None:
        cfg = self.config
        # Children are forked: objects the collector never visits stay on pages shared with
        # them instead of being copied into every CSC actor.
        gc.freeze()
        address = self.createActor(CSCActor)
        self.children[cid.key] = Child(cid.key, address, cid, on_demand)
        self.policy.started(cid.key, time.time())
        self.send(
            address,
            StartCSC(
                component=cid,
                info=self.infos[cid],
                source=cfg.source,
                settings=cfg.csc,
                manager_client=self.children[MANAGER_CLIENT].address,
                start_time=time.time(),
                idle_timeout=cfg.idle_timeout if on_demand else None,
                related=self._related(cid),
                kind=cfg.kind,
                record=cfg.record,
            ),
        )
        log.info("started %s%s", cid, " on demand" if on_demand else "")

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
            if child.key == MANAGER_CLIENT:
                self._start_manager_client()
                address = self.children[MANAGER_CLIENT].address
                for other in self.children.values():
                    if other.key != MANAGER_CLIENT:
                        self.send(other.address, UseManagerClient(address))
            else:
                self._start_csc(child.component, child.on_demand)
        elif payload[0] == "status":
            self._finish_gather(payload[1])
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
            self._start_csc(cid, on_demand=True)

    def _related(self, cid: ComponentId) -> dict:
        related = dict(self.config.related)
        for name in RELATED.get(cid.name, ()):
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
                from .catalog import Catalog

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
            self.send(self.children[MANAGER_CLIENT].address, UnregisterCSC(msg.key))
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
        gather = self.gathers.get(msg.request_id)
        if gather is None:
            return
        child = self._child_of(sender)
        if child is not None:
            gather.waiting.discard(child.key)
        gather.replies.append(msg)
        if not gather.waiting:
            self._finish_gather(msg.request_id)

    def _finish_gather(self, gid: int) -> None:
        gather = self.gathers.pop(gid, None)
        if gather is None:
            return
        manager = next((r.status for r in gather.replies if r.kind == "manager_client"), {})
        components = sorted(
            (r.status for r in gather.replies if r.kind == "csc"), key=lambda s: s.get("key", "")
        )
        status = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "manager": manager,
            "components": components,
            "unanswered": sorted(gather.waiting),
            "on_demand": sorted(c.key for c in self.children.values() if c.on_demand),
        }
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
