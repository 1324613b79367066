"""Helpers for tests that run love-actors commands as real processes and clean them up."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from actors import system

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free port outside the ephemeral range (where actors and clients take theirs)."""
    return system.free_port()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` right now (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tagged(tag: str) -> set[int]:
    """Processes whose environment carries ``LOVE_ACTORS_TEST_TAG=<tag>``.

    Thespian daemonizes its admin (a new session, re-parented to init), so neither process
    groups nor the process tree reach the actor processes; the environment is inherited by
    every fork, so it does.
    """
    marker = f"LOVE_ACTORS_TEST_TAG={tag}".encode()
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        found.add(int(entry))
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


ENTRY = [sys.executable, "-m", "actors.app.entry"]
#: The venv's console scripts (love-actors, run_love_producer), for commands run as typed.
BIN = Path(sys.executable).parent

#: Every Proc started, so a fixture can clean up what a failing test could not.
STARTED: list[Proc] = []


class Proc:
    """A ``love-actors`` command in its own session, with its output collected by lines
    (``shell``: a bash command line instead, with the venv's scripts on PATH)."""

    def __init__(
        self,
        *args: str,
        env: dict | None = None,
        wrap: list[str] | None = None,
        shell: str | None = None,
    ) -> None:
        full_env = dict(os.environ)
        full_env.update(env or {})
        full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONUNBUFFERED"] = "1"
        self.tag = uuid.uuid4().hex
        full_env["LOVE_ACTORS_TEST_TAG"] = self.tag
        full_env["PATH"] = str(BIN) + os.pathsep + full_env.get("PATH", "")
        self.args = args
        self.popen = subprocess.Popen(
            [*(wrap or []), *(["bash", "-c", shell] if shell else ENTRY), *args],
            cwd=REPO,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        STARTED.append(self)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_line(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line with {text!r} within {timeout} s:\n{self.text()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if text in line:
                return line

    def text(self) -> str:
        return "".join(self.output)

    def signal(self, sig: int = signal.SIGINT) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def processes(self) -> set[int]:
        """This command's process and every process forked from it, daemonized or not."""
        return {p for p in tagged(self.tag) | descendants(self.popen.pid) if alive(p)}

    def kill_tree(self) -> None:
        """Last resort cleanup: kill every process this command started."""
        for pid in self.processes() | {self.popen.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 60.0, wrap: list[str] | None = None
):
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [*(wrap or []), sys.executable, "-m", "actors.app.entry", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
