"""Process liveness, for reaping what an actor system leaves behind."""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Iterator


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie counts as gone (it is only waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc: trust kill(0)


def parent_of(pid: int) -> int | None:
    """The parent process id of ``pid``, or None when it is gone (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def processes() -> Iterator[tuple[int, list[str]]]:
    """``(pid, fields)`` of every process, from /proc: state, ppid, pgrp, session, ..."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    yield int(entry), f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile


def session_members(sid: int) -> set[int]:
    """Every live process of session ``sid``."""
    return {pid for pid, fields in processes() if int(fields[3]) == sid and fields[0] != "Z"}


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt the orphans of our descendants (Linux ``PR_SET_CHILD_SUBREAPER``), as PID 1 of a
    container does anyway: Thespian's admin daemonizes, and its launcher and the admin itself
    would otherwise be reaped by nobody. False where the call is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """For ``preexec_fn``: the child is killed when the process that started it dies, even by
    SIGKILL (Linux ``PR_SET_PDEATHSIG``); a no-op where the call is not available."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_orphans(keep: set[int] = frozenset()) -> int:
    """Wait for every exited child of this process that is not in ``keep`` (children that
    their own code waits for, such as multiprocessing's); returns how many were reaped."""
    me = os.getpid()
    reaped = 0
    for pid, fields in processes():
        if pid not in keep and fields[0] == "Z" and int(fields[1]) == me:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    reaped += 1
            except ChildProcessError:
                pass
    return reaped
