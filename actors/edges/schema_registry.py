"""A schema-registry client that reads: writer schemas by id, and a subject's latest schema.

The Kafka reader needs nothing else, and so needs no write right on the registry (a salobj
Remote registers every schema it reads, W10). Only the test writer registers. Standard
library HTTP: the confluent-kafka registry client would bring httpx and authlib for one GET.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request


class RegistryError(RuntimeError):
    """The registry refused a call or could not be reached."""


class RegistryClient:
    """Calls on one registry, with the schemas by id cached (they never change)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._by_id: dict[int, dict] = {}
        self._lock = threading.Lock()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                detail = json.loads(e.read()).get("message", "")
            except Exception:
                detail = ""
            raise RegistryError(f"{method} {path}: HTTP {e.code} {detail}".rstrip()) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise RegistryError(f"schema registry {self.url} unreachable: {reason}") from None

    def schema(self, schema_id: int) -> dict:
        """The schema registered under ``schema_id``, parsed (a dict)."""
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        answer = self._call("GET", f"/schemas/ids/{int(schema_id)}")
        try:
            schema = json.loads(answer["schema"])
        except (KeyError, TypeError, ValueError):
            raise RegistryError(f"schema {schema_id}: the answer is not a schema") from None
        if not isinstance(schema, dict):
            raise RegistryError(f"schema {schema_id}: not an Avro record schema")
        with self._lock:
            self._by_id[schema_id] = schema
        return schema

    def latest(self, subject: str) -> dict:
        """``{"id": ..., "schema": <dict>}`` of the newest schema under ``subject`` (how a
        command is written with the schema its component registered)."""
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions/latest"
        answer = self._call("GET", path)
        try:
            return {"id": int(answer["id"]), "schema": json.loads(answer["schema"])}
        except (KeyError, TypeError, ValueError):
            raise RegistryError(f"{subject}: the answer is not a schema") from None

    def register(self, subject: str, text: str) -> int:
        """Register ``text`` under ``subject`` (the test writer only) and return its id."""
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions?normalize=False"
        return int(self._call("POST", path, {"schema": text, "schemaType": "AVRO"})["id"])
