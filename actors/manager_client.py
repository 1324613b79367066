"""ManagerClient actor: one per host, owns the websocket to the LOVE-manager.

It owns a thread (asyncio, in `WebsocketLink`), so it never creates actors (children are
forked, and forking a threaded process is unsafe). It routes initial_state requests to the CSC
actors registered for the requested component and hands the others to the Factory, which may
start a component on demand.

With ``record`` set it journals what its websocket thread hands it (connection changes and
initial_state requests), as ``manager-client`` (``love_producer.journal``).
"""

from __future__ import annotations

import logging
import os
import time

from thespian.actors import ActorExitRequest, ActorTypeDispatcher, ThespianWatch, WakeupMessage

from actors.edges.journal_files import NullRecorder, make_recorder
from actors.edges.log_setup import add_secret, set_component, setup_actor_logging
from actors.edges.websocket_link import (
    CONNECTED,
    DISCONNECTED,
    FATAL,
    PIPE_READY,
    REQUESTS,
    WebsocketLink,
)
from actors.hosts import fits_host
from actors.messages import (
    FrameBatch,
    FramePipe,
    ManagerConnected,
    RegisterCSC,
    Requests,
    StartManagerClient,
    StatusReply,
    StatusRequest,
    UnregisterCSC,
)
from love_producer.journal import MANAGER_CLIENT
from love_producer.link.manager_link import redact
from love_producer.link.routing import RouteTable

#: Seconds a stopping ManagerClient waits for its outbox to reach the manager.
EXIT_FLUSH = 2.0

log = logging.getLogger("love_actors.manager_client")

POLL_INTERVAL = 0.05  # where ThespianWatch is not supported (simpleSystemBase)


class ManagerClient(ActorTypeDispatcher):
    @staticmethod
    def actorSystemCapabilityCheck(capabilities: dict, requirements: dict) -> bool:
        return fits_host(capabilities, requirements)

    def __init__(self) -> None:
        super().__init__()
        self.link: WebsocketLink | None = None
        self.factory = None
        self.routes = RouteTable()
        self.addresses: dict[str, object] = {}
        self.extra_names: tuple[str, ...] = ()
        self.watch = False
        self.recorder = NullRecorder()

    def _next(self):
        if self.link is None:
            return None
        if self.watch:
            return ThespianWatch([self.link.wake_r.fileno()])
        self.wakeupAfter(POLL_INTERVAL)
        return None

    def receiveMsg_StartManagerClient(self, msg: StartManagerClient, sender):
        if self.link is not None:
            return self._next()
        setup_actor_logging()
        set_component(f"manager-client {redact(msg.url)}")
        self.factory = msg.factory
        self.extra_names = msg.extra_names
        self.watch = msg.watch
        self.recorder = make_recorder(msg.record, MANAGER_CLIENT)
        # On a member host the password is not sent over the network: it is this host's own
        # PROCESS_CONNECTION_PASS, inherited from the `love-actors node` that started it.
        password = msg.password
        if password is None:
            password = os.environ.get("PROCESS_CONNECTION_PASS", "")
        add_secret(password)
        self.link = WebsocketLink(msg.url, password, msg.max_message_bytes, msg.settings)
        self._update_registration()
        self.link.start()
        log.info("manager client for %s started", redact(msg.url))
        return self._next()

    def _update_registration(self) -> None:
        if self.link is not None:
            self.link.set_registration(self.routes.names() | set(self.extra_names))

    def receiveMsg_RegisterCSC(self, msg: RegisterCSC, sender):
        self.routes.add(msg.key, msg.names)
        self.addresses[msg.key] = sender
        self._update_registration()
        if self.link is not None and self.link.pipe_address:
            self.send(sender, FramePipe(self.link.pipe_address))  # else: sent once it listens
        if self.link is not None and self.link.connected:
            self.send(sender, ManagerConnected(msg.key))
        return self._next()

    def receiveMsg_UnregisterCSC(self, msg: UnregisterCSC, sender):
        self.routes.remove(msg.key)
        self.addresses.pop(msg.key, None)
        self._update_registration()
        return self._next()

    def receiveMsg_FrameBatch(self, msg: FrameBatch, sender):
        if self.link is not None:
            self.link.submit(msg.frames)
        return self._next()

    def receiveMsg_WatchMessage(self, msg, sender):
        self._drain()
        return self._next()

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        self._drain()
        return self._next()

    def _drain(self) -> None:
        if self.link is None:
            return
        items = self.link.drain()
        now = time.time() if items and self.recorder.enabled else 0.0
        for item in items:
            if item[0] == CONNECTED:
                self.recorder.event("link-connected", now)
                for key, address in self.addresses.items():
                    self.send(address, ManagerConnected(key))
            elif item[0] == DISCONNECTED:
                self.recorder.event("link-disconnected", now, item[1])
                log.warning("manager connection lost: %s", item[1])
            elif item[0] == REQUESTS:
                self.recorder.requests(now, item[1], "link-requests")
                self._route(item[1])
            elif item[0] == FATAL:
                self.recorder.event("link-fatal", now, item[1])
            elif item[0] == PIPE_READY:
                for address in _unique(self.addresses.values()):
                    self.send(address, FramePipe(item[1]))

    def _route(self, requests) -> None:
        by_key, unrouted = self.routes.route(requests)
        for key, reqs in by_key.items():
            self.send(self.addresses[key], Requests(tuple(reqs), key))
        if unrouted and self.factory is not None:
            self.send(self.factory, Requests(tuple(unrouted)))

    def receiveMsg_StatusRequest(self, msg: StatusRequest, sender):
        stats = self.link.stats() if self.link else {"connected": False}
        stats["pid"] = os.getpid()
        self.send(sender, StatusReply(msg.request_id, "manager_client", stats))
        return self._next()

    def receiveMsg_ActorExitRequest(self, msg: ActorExitRequest, sender):
        if self.link is not None:
            if self.link.connected:  # the components stopped first: send what they sent last
                self.link.flush(timeout=EXIT_FLUSH)
            self.link.stop()
            self.link = None
        self.recorder.close()

    def receiveUnrecognizedMessage(self, msg, sender):
        return self._next()


def _unique(addresses) -> list:
    """Each address once (a CSC actor hosting several components is registered under each)."""
    out: list = []
    for a in addresses:
        if all(a != b for b in out):
            out.append(a)
    return out
