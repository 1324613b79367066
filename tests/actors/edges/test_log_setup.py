"""Log records that cross a process boundary (actors.edges.log_setup)."""

from __future__ import annotations

import logging
import pickle
import sys

import pytest

from actors.edges import log_setup
from actors.edges.log_setup import add_secret, make_portable


def record(msg: str, *args, **extra) -> logging.LogRecord:
    r = logging.LogRecord("websockets.client", logging.DEBUG, __file__, 1, msg, args, None)
    r.__dict__.update(extra)
    return r


def test_a_record_with_an_unpicklable_extra_becomes_plain_text() -> None:
    r = record("> %s %s", "EOF", 3, websocket=(x for x in range(3)))
    with pytest.raises(TypeError):
        pickle.dumps(r)  # what made Thespian's forwarding fail
    make_portable(r)
    copy = pickle.loads(pickle.dumps(r))
    assert copy.getMessage() == "> EOF 3" and not hasattr(copy, "websocket")


def test_secrets_and_tracebacks_are_redacted_at_every_level(monkeypatch) -> None:
    monkeypatch.setattr(log_setup, "_secrets", set())
    add_secret("s3 cr&t")
    for level in (10, 20, 30, 40, 50):
        try:
            raise ValueError("bad password s3 cr&t")
        except ValueError:
            r = logging.LogRecord(
                "x", level, __file__, 1, "GET %s", ("/p?password=a%20b&x=1",), sys.exc_info()
            )
        make_portable(r)
        assert r.getMessage() == "GET /p?password=***&x=1"
        assert "s3 cr&t" not in r.exc_text and "ValueError" in r.exc_text
        assert r.exc_info is None
        pickle.dumps(r)


def test_a_bad_format_string_is_kept_not_dropped() -> None:
    r = record("%d items", "not a number")
    make_portable(r)
    assert "%d items" in r.getMessage() and "unformattable" in r.getMessage()
