"""Connection policy for the manager websocket, without any I/O: URLs, secrets kept out of
logs, reconnect backoff and the initial_state registration schedule."""

from __future__ import annotations

import random
import re
import urllib.parse
from collections.abc import Iterable, Mapping

import attrs

from love_producer.wire.frames import subscribe_text

#: How often the initial_state registration is repeated while connected (upstream: 60 s).
REGISTRATION_PERIOD = 60.0


class ConfigError(ValueError):
    """The manager URL or credentials cannot be used."""


def manager_url(url: str | None, env: Mapping[str, str]) -> str:
    """The websocket URL to use, without credentials.

    ``url`` (``--manager-url``) wins; otherwise ``WEBSOCKET_HOST`` is read the way the upstream
    producer does (``host[:port][/path]``, scheme ``ws://`` added). A value that already has a
    ``ws://`` or ``wss://`` scheme is taken as is.
    """
    raw = url or env.get("WEBSOCKET_HOST", "")
    if not raw:
        raise ConfigError(
            "no manager URL: give --manager-url ws://HOST:PORT/manager/ws/subscription "
            "or set WEBSOCKET_HOST"
        )
    if "://" not in raw:
        raw = "ws://" + raw
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("ws", "wss"):
        raise ConfigError(f"manager URL must start with ws:// or wss://, not {parts.scheme}://")
    if not parts.hostname:
        raise ConfigError(f"manager URL has no host: {redact(raw)}")
    return raw


def with_password(url: str, password: str) -> str:
    """Add ``password=`` to the query, URL-encoded (the upstream producer did not encode it)."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "password"]
    query.append(("password", password))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def redact(url: str) -> str:
    """The URL with its query removed, fit for logs (the query carries the password)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(query="", fragment=""))


_SECRET_PARAM = re.compile(r"\b(password|token)=[^&\s\"'<>]*", re.IGNORECASE)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every ``password=``/``token=`` value and every one of ``secrets`` (as
    typed and URL-encoded) replaced by ``***``: for log lines, errors and status."""
    for secret in secrets:
        if secret:
            for form in {
                secret,
                urllib.parse.quote(secret, safe=""),
                urllib.parse.quote_plus(secret),
            }:
                text = text.replace(form, "***")
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", text)


@attrs.define
class Backoff:
    """Exponential reconnect delay with full jitter, reset after a good connection."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    attempts: int = 0

    def next_delay(self, rng: random.Random) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**self.attempts)
        self.attempts += 1
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempts = 0


def registration_texts(names: Iterable[str], now: float) -> list[str]:
    """Subscribe frames for the initial_state groups of ``names``, ``all`` first, no repeats."""
    ordered = ["all"] + sorted(set(names) - {"all"})
    return [subscribe_text(name, now) for name in ordered]
