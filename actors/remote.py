"""Talking to an actor system that another ``love-actors`` process started."""

from __future__ import annotations

import socket

from thespian.actors import ActorSystem

from actors.messages import Rebalance, Rebalanced, StatusReply, StatusRequest, StopAll
from actors.system import FACTORY_NAME


class RemoteError(RuntimeError):
    pass


def admin_listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _join(port: int) -> ActorSystem:
    # Joining with a port nobody listens on would start a new admin: check first.
    if not admin_listening(port):
        raise RemoteError(f"no love-actors system is running on admin port {port}")
    return ActorSystem("multiprocTCPBase", {"Admin Port": port}, transientUnique=True)


def _ask_factory(port: int, message: object, reply_type: type, timeout: float):
    asys = _join(port)
    factory = asys.createActor("actors.factory.Factory", globalName=FACTORY_NAME)
    reply = asys.ask(factory, message, timeout)
    if not isinstance(reply, reply_type):
        raise RemoteError(f"the system on admin port {port} did not answer within {timeout} s")
    return asys, reply


def query_status(port: int, timeout: float = 5.0) -> dict:
    return _ask_factory(port, StatusRequest(), StatusReply, timeout)[1].status


def stop_system(port: int, timeout: float = 10.0) -> None:
    """Stop the actors, then the admin; the admin goes down even if the Factory is too busy
    to confirm."""
    asys = _join(port)
    try:
        factory = asys.createActor("actors.factory.Factory", globalName=FACTORY_NAME)
        asys.ask(factory, StopAll(), timeout)
    finally:
        asys.shutdown()


def rebalance(port: int, timeout: float = 30.0) -> tuple:
    return _ask_factory(port, Rebalance(), Rebalanced, timeout)[1].moves
