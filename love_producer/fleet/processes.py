"""Which CSC actor process hosts which components (``--components-per-actor``).

The fleet (`love_producer.fleet.core`) knows each component incarnation by a ``ref``; a CSC
actor process may host up to ``size`` of them, all on one host and streaming to one manager.
This table places a new one, says which refs a process still hosts, and when a process hosts
nothing any more (the Factory then ends it). Processes are numbered here; the Factory keeps
the actor address of each number.
"""

from __future__ import annotations

import attrs


@attrs.define
class Process:
    """One CSC actor process and the components (fleet refs) it hosts."""

    number: int
    host: str
    manager: int  # fleet ref of the ManagerClient its components stream to
    keys: dict[int, str] = attrs.field(factory=dict)  # fleet ref -> component key


class ProcessTable:
    """CSC actor processes and their components.

    Parameters
    ----------
    size : int
        Components one process hosts at most (at least 1).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.processes: dict[int, Process] = {}
        self._of: dict[int, Process] = {}  # ref -> its process
        self._next = 0

    def place(self, ref: int, key: str, host: str, manager: int) -> tuple[int, bool]:
        """Put component ``ref`` into a process on ``host`` streaming to ``manager`` with
        room, or into a new one; returns its number and whether it is new (to be started)."""
        p = next(
            (
                p
                for p in self.processes.values()
                if p.host == host and p.manager == manager and len(p.keys) < self.size
            ),
            None,
        )
        new = p is None
        if p is None:
            self._next += 1
            p = self.processes[self._next] = Process(self._next, host, manager)
        p.keys[ref] = key
        self._of[ref] = p
        return p.number, new

    def forget_process(self, number: int) -> list[int]:
        """The process ``number`` is gone: the refs it still hosted (each one exited)."""
        p = self.processes.pop(number, None)
        if p is None:
            return []
        for ref in p.keys:
            self._of.pop(ref, None)
        return list(p.keys)

    def remove(self, ref: int) -> int | None:
        """Component ``ref`` left its process; the number of that process if it now hosts
        nothing (and is forgotten), else None."""
        p = self._of.pop(ref, None)
        if p is None:
            return None
        p.keys.pop(ref, None)
        if p.keys:
            return None
        del self.processes[p.number]
        return p.number

    def process_of(self, ref: int) -> int | None:
        p = self._of.get(ref)
        return p.number if p is not None else None

    def key_of(self, ref: int) -> str | None:
        p = self._of.get(ref)
        return p.keys.get(ref) if p is not None else None

    def ref_of(self, number: int, key: str | None) -> int | None:
        """The ref process ``number`` hosts ``key`` under."""
        p = self.processes.get(number)
        if p is None:
            return None
        return next((r for r, k in p.keys.items() if k == key), None)

    def repoint(self, refs, manager: int) -> list[int]:
        """The components ``refs`` stream to ``manager`` now; the numbers of their processes,
        each once."""
        numbers: list[int] = []
        for ref in refs:
            p = self._of.get(ref)
            if p is not None:
                p.manager = manager
                if p.number not in numbers:
                    numbers.append(p.number)
        return numbers
