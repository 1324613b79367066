"""Logging that works at every level in every process, and never shows a secret.

Thespian forwards an actor's log records to its logger process by pickling them. A record a
library made with ``extra`` attributes (websockets attaches its connection object, which holds
generators) cannot be pickled, and the forwarding handler then fails inside the thread that
logged (at ``--log-level 10`` the websocket thread died on its first debug line). So every
handler of the process first makes each record portable: the message rendered to text,
tracebacks rendered to text, attributes that are not the standard ones dropped. It also
redacts secrets: ``password=``/``token=`` values, and the manager password itself.

Third-party debug output (websockets frames, asyncio) stays at INFO unless asked for with
``debug_libraries`` (``LOVE_ACTORS_DEBUG_LIBRARIES=1`` for the actor processes).
"""

from __future__ import annotations

import asyncio.log
import datetime
import json
import logging
import os
import sys
import traceback
from typing import TextIO

from love_producer.link.manager_link import redact_text

#: Loggers whose DEBUG lines are noise for operators (and may carry URLs).
LIBRARIES = ("websockets", "asyncio")
DEBUG_LIBRARIES_ENV = "LOVE_ACTORS_DEBUG_LIBRARIES"
FORMAT = "%(asctime)s %(levelname)s %(component)s %(name)s: %(message)s"
FORMATS = ("text", "json")

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "actorAddress",  # set by Thespian's forwarder
    "component",  # what this process serves (set_component)
}
_secrets: set[str] = set()
_component = "love-actors"


def set_component(name: str) -> None:
    """Name every later log line of this process after ``name`` (``ATDome:0``, ...)."""
    global _component
    _component = name


class TextFormatter(logging.Formatter):
    """``time LEVEL component logger: message``, one line (tracebacks follow)."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "component", None):
            record.component = _component
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: time (UTC), level, component, logger,
    message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname,
            "component": getattr(record, "component", None) or _component,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["traceback"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False)


def formatter(log_format: str = "text") -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def log_defs(level: int, log_format: str = "text") -> dict:
    """Thespian's ``logDefs``: its logger process writes every actor's lines to stdout."""
    factory = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"f": {"()": f"{__name__}.{factory.__name__}"}},
        "handlers": {
            "h": {
                "class": "logging.StreamHandler",
                "formatter": "f",
                "level": level,
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["h"], "level": level},
    }


#: Shorter secrets would redact ordinary words; query values are redacted whatever their size.
MIN_SECRET = 4


def add_secret(secret: str | None) -> None:
    """Redact ``secret`` from every later log line of this process."""
    if secret and len(secret) >= MIN_SECRET:
        _secrets.add(secret)


def make_portable(record: logging.LogRecord) -> None:
    """Turn ``record`` into plain text fields only, secrets redacted (in place)."""
    try:
        message = record.getMessage()
    except Exception as e:  # a bad format string or argument: keep what can be kept
        message = f"{record.msg!s} (unformattable arguments: {type(e).__name__})"
    record.msg = redact_text(message, _secrets)
    record.args = None
    if not getattr(record, "component", None):
        record.component = _component
    if record.exc_info:
        if not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text, _secrets)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info, _secrets)
    for key in [k for k in vars(record) if k not in _STANDARD]:
        del record.__dict__[key]


def _portable_handle(handle):
    def wrapper(record: logging.LogRecord):
        make_portable(record)
        return handle(record)

    wrapper.portable = True
    return wrapper


def _roots() -> list[logging.Logger]:
    """The root loggers records of this process can reach: Thespian replaces the root in
    its processes, and loggers made before that still lead to the old one."""
    roots = [logging.root, logging.Logger.root]
    logger: logging.Logger | None = logging.getLogger("love_actors")
    while logger is not None and logger.parent is not None:
        logger = logger.parent
    if logger is not None:
        roots.append(logger)
    return list({id(r): r for r in roots}.values())


def make_records_portable() -> None:
    """Wrap every handler reachable from this process's roots (once each)."""
    for root in _roots():
        for handler in root.handlers:
            if not getattr(handler.handle, "portable", False):
                handler.handle = _portable_handle(handler.handle)


def quiet_libraries(debug_libraries: bool | None = None) -> None:
    """Keep third-party loggers at INFO at least, unless asked for their debug output."""
    if debug_libraries is None:
        debug_libraries = os.environ.get(DEBUG_LIBRARIES_ENV) == "1"
    level = logging.NOTSET if debug_libraries else logging.INFO
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(level)
    asyncio.log.logger.setLevel(level)  # made at import, maybe under another root


def setup_actor_logging() -> None:
    """In an actor process, once Thespian has set its logging up (the first message)."""
    quiet_libraries()
    make_records_portable()


def setup_command_logging(
    level: int,
    debug_libraries: bool = False,
    log_format: str = "text",
    stream: TextIO | None = None,
) -> None:
    """In a command's own process: one handler at ``level``, on ``stream`` (stderr unless
    given: a producer logs to stdout, as upstream; replay keeps stdout for its frames)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet_libraries(debug_libraries)
    make_records_portable()
