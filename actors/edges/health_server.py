"""``--http-port``: ``/healthz``, ``/readyz`` and ``/metrics`` (Prometheus text format).

The command's main loop asks the actor system for its status and hands each answer to
`HealthServer.update`; requests are answered from the last one, so a scrape never waits on
the actors (and never talks to Thespian from a second thread). Exposition is
``prometheus_client``'s own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from love_producer.views.health import healthy, metric_samples, ready


class _Collector:
    def __init__(self, server: HealthServer) -> None:
        self.server = server

    def collect(self):
        st, _ = self.server.snapshot()
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
        for s in metric_samples(st or {}, time.time()):
            family = families.get(s.name)
            if family is None:
                cls = CounterMetricFamily if s.kind == "counter" else GaugeMetricFamily
                family = families[s.name] = cls(s.name, s.help, labels=[k for k, _ in s.labels])
            family.add_metric([v for _, v in s.labels], s.value)
        yield from families.values()


class HealthServer:
    """A small HTTP server in a daemon thread; `update` it with each status."""

    def __init__(self, port: int, expected: Iterable[str], host: str = "0.0.0.0") -> None:
        self.expected = tuple(expected)
        self._status: dict | None = None
        self._at = time.monotonic()
        self._lock = threading.Lock()
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(self))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    return self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                st, age = server.snapshot()
                if path == "/healthz":
                    ok, why = healthy(st, age, server.expected)
                elif path == "/readyz":
                    ok, why = ready(st)
                else:
                    return self._send(404, b"use /healthz, /readyz or /metrics\n")
                return self._send(200 if ok else 503, (why + "\n").encode())

            def _send(self, code: int, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds: not worth a log line each

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def update(self, status: dict | None) -> None:
        """A fresh answer from the actor system (None: it did not answer)."""
        if status is not None:
            with self._lock:
                self._status, self._at = status, time.monotonic()

    def snapshot(self) -> tuple[dict | None, float]:
        """The last status and its age in seconds."""
        with self._lock:
            return self._status, time.monotonic() - self._at

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
