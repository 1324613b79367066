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
    setting = "--manager-url" if url else "WEBSOCKET_HOST"
    if not raw:
        raise ConfigError(
            "no manager URL: give --manager-url ws://HOST:PORT/manager/ws/subscription "
            "or set WEBSOCKET_HOST"
        )
    if "://" not in raw:
        raw = "ws://" + raw
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("ws", "wss"):
        raise ConfigError(f"{setting} must start with ws:// or wss://, not {parts.scheme}://")
    if not parts.hostname:
        raise ConfigError(f"{setting} has no host: {redact(raw)}")
    return raw


def parse_route(spec: str, setting: str = "--route") -> tuple[str, str]:
    """``PATTERN=URL`` (a component-name pattern, shell style, comma separated) as
    ``(pattern, url)``; raises ConfigError naming ``setting``."""
    pattern, sep, url = spec.partition("=")
    if not sep or not pattern.strip() or not url.strip():
        raise ConfigError(f"{setting} {spec!r}: expected PATTERN=URL, e.g. 'AT*=ws://host/ws'")
    try:
        return pattern.strip(), manager_url(url.strip(), {})
    except ConfigError as e:
        raise ConfigError(f"{setting} {spec!r}: {str(e).replace('--manager-url ', '')}") from None


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
    quote, quote_plus = urllib.parse.quote, urllib.parse.quote_plus
    forms = {f for s in secrets if s for f in (s, quote(s, safe=""), quote_plus(s))}
    for form in sorted(forms, key=len, reverse=True):  # a secret inside another goes last
        text = text.replace(form, "***")
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", text)


@attrs.define
class Backoff:
    """Exponential reconnect delay with jitter, reset after a good connection.

    The ceiling is low (2 s; the upstream producer retries every 3 s): an attempt costs little,
    and screens stay empty for as long as the link waits after the manager is back. What backs
    off is the logging (`RetryLog`)."""

    initial: float = 0.5
    maximum: float = 2.0
    factor: float = 2.0
    attempts: int = 0

    def next_delay(self, rng: random.Random) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**self.attempts)
        self.attempts += 1
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempts = 0


@attrs.frozen
class LinkSettings:
    """Where the link's URL and password came from, in the user's words, for messages that
    say which setting to fix (``--manager-url`` or ``WEBSOCKET_HOST``;
    ``--password-file`` or ``PROCESS_CONNECTION_PASS``)."""

    url_from: str = "--manager-url"
    password_from: str = "PROCESS_CONNECTION_PASS"


def refusal(
    status: int, url: str, password_set: bool, worked_before: bool, settings: LinkSettings
) -> str | None:
    """What an HTTP answer to the websocket handshake means for the run.

    On the run's first connection a 403 or 404 says the settings are wrong: the message
    returned names the setting to fix, and the run should end. Once the link has worked, the
    same answers are retried (a manager being redeployed answers them for a while): None.
    """
    if worked_before or status not in (403, 404):
        return None
    if status == 404:
        path = urllib.parse.urlsplit(url).path or "/"
        return (
            f"the manager has no websocket at {path} (HTTP 404): {settings.url_from} must "
            "name the manager's websocket path, e.g. HOST:PORT/manager/ws/subscription"
        )
    if not password_set:
        return (
            "the manager asks for a producer password and none is set (HTTP 403): "
            f"set {settings.password_from}"
        )
    return f"the manager refused the producer password (HTTP 403): check {settings.password_from}"


@attrs.define
class RetryLog:
    """When a failed connection attempt deserves a log line: the first one, then one every
    ``every`` seconds with the count since (not a line per attempt)."""

    every: float = 60.0
    failures: int = 0
    _next: float | None = None

    def failed(self, now: float) -> int | None:
        """Count a failure; returns the failures to report now, or None to stay quiet."""
        self.failures += 1
        if self._next is not None and now < self._next:
            return None
        self._next = now + self.every
        count, self.failures = self.failures, 0
        return count

    def reset(self) -> None:
        self.failures = 0
        self._next = None


def registration_texts(names: Iterable[str], now: float) -> list[str]:
    """Subscribe frames for the initial_state groups of ``names``, ``all`` first, no repeats."""
    ordered = ["all"] + sorted(set(names) - {"all"})
    return [subscribe_text(name, now) for name in ordered]
