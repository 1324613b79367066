"""Lifeline actor: stops the actor system when the command that started it dies.

A Thespian admin outlives the process that started it. ``love-actors start`` stops it in a
``finally``, but a SIGKILL (or an OOM kill) skips that, and the admin and every actor would run
on, unseen. The Lifeline polls the owner's pid; when it is gone, it runs ``love-actors stop`` in
a detached process, which stops the actors and the admin the normal way. (An actor cannot shut
down its own system, and SIGTERM to the admin orphans the actors.)
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta

import attrs
from thespian.actors import ActorTypeDispatcher, WakeupMessage

from actors.edges.processes import process_alive

log = logging.getLogger("love_actors.lifeline")

POLL = timedelta(seconds=1)


@attrs.frozen
class WatchOwner:
    owner_pid: int
    admin_port: int


class Lifeline(ActorTypeDispatcher):
    def __init__(self) -> None:
        super().__init__()
        self.watch: WatchOwner | None = None

    def receiveMsg_WatchOwner(self, msg: WatchOwner, sender):
        self.watch = msg
        # The session Thespian's daemonized admin made: every actor process of this system is
        # in it, which lets the starter reap them all even when no actor can answer.
        self.send(sender, os.getsid(0))
        self.wakeupAfter(POLL)

    def receiveMsg_WakeupMessage(self, msg: WakeupMessage, sender):
        if self.watch is None:
            return
        if process_alive(self.watch.owner_pid):
            self.wakeupAfter(POLL)
            return
        log.error(
            "the love-actors command (pid %d) died without stopping its actors; stopping them",
            self.watch.owner_pid,
        )
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "actors.app.entry",
                "stop",
                "--admin-port",
                str(self.watch.admin_port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        self.watch = None
