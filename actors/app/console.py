"""What every command shares: how errors are reported, the exit codes, the stop signal."""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import signal
import sys
import threading

#: Exit code of a command that cannot run as asked (bad options, configuration, journal).
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print ``message`` (one error per line) and return ``code`` (`EXIT_USAGE` by default)."""
    for line in message.splitlines() or [""]:
        print(f"love-actors: error: {line}", file=sys.stderr)
    return code


class StopSignal:
    """SIGINT, SIGTERM and SIGHUP set an event the main loop waits on."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, self._handle)

    def _handle(self, signum, frame) -> None:
        if self.event.is_set():
            return  # a second Ctrl-C while stopping changes nothing
        self.signum = signum
        self.event.set()


def log_level(args: argparse.Namespace) -> int:
    """``--log-level N``, else INFO with ``-v``, else WARNING."""
    if getattr(args, "log_level", None):
        return args.log_level
    return logging.INFO if getattr(args, "verbose", False) else logging.WARNING


_json_output = False


def set_output(log_format: str) -> None:
    """``json``: what `say` prints becomes JSON lines too, like the logs."""
    global _json_output
    _json_output = log_format == "json"


def say(text: str, error: bool = False) -> None:
    """A line for the operator (stdout; stderr for an error), as text or as a JSON log line."""
    stream = sys.stderr if error else sys.stdout
    if _json_output:
        now = datetime.datetime.now(tz=datetime.UTC).isoformat()
        level = "ERROR" if error else "INFO"
        text = json.dumps({"time": now, "level": level, "component": "love-actors",
                           "logger": "love_actors.command", "message": text},
                          ensure_ascii=False)  # fmt: skip
    print(text, file=stream, flush=True)
