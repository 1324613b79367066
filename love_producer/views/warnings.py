"""Warnings about bad input, logged as a summary instead of a line per frame.

A manager or a client that sends garbage would otherwise flood the log (595 invalid frames
gave 623 warning lines, #16). `WarningTally` says what to log: the first warning of each kind
as it comes (a few kinds per interval at most), then one line per interval with the counts by
kind. The caller passes the time and logs the lines it gets back.
"""

from __future__ import annotations

import re
from collections import Counter

#: Kinds logged in full within one interval; the rest are only counted.
FIRST_LINES_PER_INTERVAL = 5

_CLIENT = re.compile(r"\b[a-z]+-\d+: ")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+")


def warning_kind(text: str) -> str:
    """What a warning is about, without the parts that vary between frames (client ids,
    quoted values, numbers), so that one kind counts every frame with the same fault."""
    text = _CLIENT.sub("", text)
    text = _QUOTED.sub("'...'", text)
    return _NUMBER.sub("N", text)[:100]


class WarningTally:
    """Counts warnings by kind and returns the lines worth logging.

    Parameters
    ----------
    what : str
        What is counted, for the summary line ("frames from the manager ignored").
    interval : float
        Seconds between summary lines.
    """

    def __init__(self, what: str, interval: float = 60.0) -> None:
        self.what = what
        self.interval = interval
        #: Every warning ever noted, by kind.
        self.totals: Counter[str] = Counter()
        self._pending: Counter[str] = Counter()
        self._logged: set[str] = set()
        self._first_lines = 0
        self._window_end: float | None = None

    def note(self, text: str, now: float) -> list[str]:
        """Count one warning; returns the lines to log now (maybe none)."""
        kind = warning_kind(text)
        self.totals[kind] += 1
        lines = self.flush(now)
        if self._window_end is None:
            self._window_end = now + self.interval
        if kind not in self._logged and self._first_lines < FIRST_LINES_PER_INTERVAL:
            self._logged.add(kind)
            self._first_lines += 1
            lines.append(f"{text} (more like it are counted: a summary every {self.interval:g} s)")
        else:
            self._pending[kind] += 1
        return lines

    def flush(self, now: float) -> list[str]:
        """The summary line once an interval has passed with warnings counted, else none."""
        if self._window_end is None or now < self._window_end:
            return []
        self._window_end = None
        self._first_lines = 0
        if not self._pending:
            return []
        total = sum(self._pending.values())
        kinds = ", ".join(f"{n} {kind}" for kind, n in self._pending.most_common(8))
        more = len(self._pending) - 8
        if more > 0:
            kinds += f", and {more} other kinds"
        self._pending.clear()
        return [f"{total} {self.what} in the last {self.interval:g} s: {kinds}"]
