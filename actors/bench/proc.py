"""What the benchmark reads from /proc: CPU time, PSS and the actor system's process tree.

Thespian daemonizes its admin (re-parented to init), so the tree is found from the Factory's
pid: its parent is the admin, whose other children are the logger and the Lifeline actor.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")

#: Process kinds, in the order they are printed.
KINDS = ("csc", "manager_client", "factory", "admin_logger")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (its threads included), or None if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def pss_mb(pid: int) -> float | None:
    """Proportional set size in MB (shared pages split among the processes sharing them)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def children_of(pids: set[int]) -> dict[int, list[int]]:
    """Direct children of each of ``pids``, from one pass over /proc."""
    out: dict[int, list[int]] = {p: [] for p in pids}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = parent(int(entry))
            if ppid in out:
                out[ppid].append(int(entry))
    return out


def actor_processes(status: dict) -> dict[str, list[int]]:
    """Pids of the actor system by kind, from the Factory's status."""
    factory = status["pid"]
    manager = status.get("manager", {}).get("pid")
    # A CSC actor process may host several components: each pid once.
    cscs = sorted({c["pid"] for c in status.get("components", []) if "pid" in c})
    admin = parent(factory)
    kinds: dict[str, list[int]] = {
        "csc": cscs,
        "manager_client": [manager] if manager else [],
        "factory": [factory],
        "admin_logger": [],
    }
    if admin and admin > 1:
        kids = children_of({admin})[admin]
        kinds["admin_logger"] = [admin] + [p for p in kids if p != factory]
    return kinds


def cpu_snapshot(pids: list[int]) -> dict[int, float]:
    return {p: c for p in pids if (c := cpu_seconds(p)) is not None}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots by the processes present in both."""
    return sum(after[p] - before[p] for p in after if p in before)


def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return None


def all_pids() -> set[int]:
    return {int(e) for e in os.listdir("/proc") if e.isdigit()}


def new_forks(before: set[int]) -> set[int]:
    """Live processes started since ``before`` with this process's command line: the forks of
    the actor system (admin, logger, actors) when its status could not be read."""
    mine = _cmdline(os.getpid())
    return {p for p in all_pids() - before if p != os.getpid() and alive(p) and _cmdline(p) == mine}


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def actor_processes_from_tree(forks: set[int]) -> dict[str, list[int]]:
    """Pids by kind without the Factory's help (it may be too busy to answer a status
    request): the admin is the fork re-parented to init, the Factory the fork with the most
    children, and the ManagerClient the Factory's only child that runs a second thread."""
    kids = children_of(forks)
    admins = [p for p in forks if parent(p) == 1]
    factory = max(forks, key=lambda p: len(kids.get(p, ())))
    below = kids.get(factory, [])
    managers = [p for p in below if _threads(p) > 1]
    return {
        "csc": [p for p in below if p not in managers],
        "manager_client": managers,
        "factory": [factory],
        "admin_logger": admins + [p for a in admins for p in kids.get(a, []) if p != factory],
    }


def folder_mb(path: str) -> float:
    """Size of the files directly in ``path``, in MB."""
    total = 0
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file():
                total += entry.stat().st_size
    return total / 1e6


REPO = Path(__file__).resolve().parents[2]


def start_module(module: str, extra_env: dict[str, str]) -> subprocess.Popen:
    """``python -m module`` from this checkout with ``extra_env`` added to the environment
    (secrets go there, never on a command line); stdin and stdout are text pipes."""
    env = dict(os.environ, **extra_env)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
