"""A schema-registry stand-in for local Kafka SAL (tests, demos): in memory, loopback.

It answers the calls salobj and confluent-kafka make (``spec/salobj-kafka-wire.md`` §3.1,
§9.4): register, lookup, schema by id, subjects and versions, delete, and 404 for the
associations endpoint. ``read_only`` refuses every write with 403 (error code 40301) and
counts the refusals, which is how the Kafka reader is shown to need no write right (W10).
No compatibility checks. Identical schemas share one id, as Confluent's registry does.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Registry:
    """Subjects, versions and ids, shared by the server's threads."""

    def __init__(self, read_only: bool = False) -> None:
        self.read_only = read_only
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}  # schema text -> id
        self.texts: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}  # subject -> ids by version (1-based)
        self.deleted: set[str] = set()
        #: Calls by ``"METHOD kind"`` (``"POST register"``), and refused writes.
        self.calls: Counter[str] = Counter()

    def register(self, subject: str, text: str) -> int:
        with self.lock:
            schema_id = self.ids.get(text)
            if schema_id is None:
                schema_id = len(self.ids) + 1
                self.ids[text] = schema_id
                self.texts[schema_id] = text
            versions = self.subjects.setdefault(subject, [])
            self.deleted.discard(subject)
            if schema_id not in versions:
                versions.append(schema_id)
            return schema_id


class _Handler(BaseHTTPRequestHandler):
    registry: Registry
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet: tests read the counters
        pass

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, error_code: int, message: str) -> None:
        self._send(code, {"error_code": error_code, "message": message})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 16 * 1024 * 1024:
            raise ValueError("body too large")
        data = json.loads(self.rfile.read(length) or b"{}")
        if not isinstance(data, dict) or not isinstance(data.get("schema"), str):
            raise ValueError("no schema in the body")
        return data

    def _route(self, method: str) -> None:
        reg = self.registry
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = urllib.parse.parse_qs(parsed.query)
        try:
            if method == "GET" and (m := re.fullmatch(r"/schemas/ids/(\d+)", path)):
                reg.calls["GET schema"] += 1
                text = reg.texts.get(int(m[1]))
                if text is None:
                    return self._error(404, 40403, "Schema not found")
                return self._send(200, {"schema": text})
            if method == "GET" and path == "/subjects":
                reg.calls["GET subjects"] += 1
                return self._send(200, sorted(set(reg.subjects) - reg.deleted))
            if path.startswith("/associations/"):
                reg.calls["GET associations"] += 1
                return self._error(404, 40401, "No associations")
            m = re.fullmatch(r"/subjects/([^/]+)(/versions(?:/([^/]+))?)?", path)
            if m is None:
                return self._error(404, 404, "Not found")
            subject, versions_part, version = m[1], m[2], m[3]
            known = subject in reg.subjects and subject not in reg.deleted
            if method == "POST" and versions_part and not version:
                reg.calls["POST register"] += 1
                if reg.read_only:
                    reg.calls["refused"] += 1
                    return self._error(403, 40301, "User is denied operation Write on Subject")
                schema_id = reg.register(subject, self._body()["schema"])
                return self._send(200, {"id": schema_id})
            if method == "POST" and not versions_part:
                reg.calls["POST lookup"] += 1
                text = self._body()["schema"]
                if not known:
                    return self._error(404, 40401, f"Subject '{subject}' not found.")
                schema_id = reg.ids.get(text)
                ids = reg.subjects[subject]
                if schema_id not in ids:
                    return self._error(404, 40403, "Schema not found")
                found = {"id": schema_id, "version": ids.index(schema_id) + 1, "schema": text}
                return self._send(200, {"subject": subject, **found})
            if method == "GET" and versions_part:
                reg.calls["GET version"] += 1
                if not known:
                    return self._error(404, 40401, f"Subject '{subject}' not found.")
                ids = reg.subjects[subject]
                if version is None:
                    return self._send(200, list(range(1, len(ids) + 1)))
                number = len(ids) if version in ("latest", "-1") else int(version)
                if not 1 <= number <= len(ids):
                    return self._error(404, 40402, "Version not found")
                schema_id = ids[number - 1]
                text = reg.texts[schema_id]
                body = {"subject": subject, "version": number, "id": schema_id, "schema": text}
                return self._send(200, body)
            if method == "DELETE" and not versions_part:
                reg.calls["DELETE subject"] += 1
                if reg.read_only:
                    reg.calls["refused"] += 1
                    return self._error(403, 40301, "User is denied operation Delete on Subject")
                if subject not in reg.subjects:
                    return self._error(404, 40401, f"Subject '{subject}' not found.")
                versions = list(range(1, len(reg.subjects[subject]) + 1))
                if query.get("permanent", ["false"])[0] == "true":
                    del reg.subjects[subject]
                    reg.deleted.discard(subject)
                else:
                    reg.deleted.add(subject)
                return self._send(200, versions)
            return self._error(405, 405, "Method not allowed")
        except (ValueError, KeyError) as e:
            return self._error(422, 42201, f"Invalid request: {e}")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


class RegistryServer:
    """The stand-in served from a thread: ``with RegistryServer() as r: r.url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, read_only: bool = False):
        self.registry = Registry(read_only)
        handler = type("Handler", (_Handler,), {"registry": self.registry})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RegistryServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="love-actors registry", description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=18081)
    p.add_argument("--read-only", action="store_true", help="refuse every write (403)")
    args = p.parse_args(argv)
    server = RegistryServer(args.host, args.port, args.read_only)
    print(f"schema registry at {server.url}", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
    return 0
