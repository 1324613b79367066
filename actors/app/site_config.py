"""``--config site.toml``: a whole site in one file (components, routes, topic subsets,
rates, on-demand patterns, sources); command-line options override it.

The file holds settings only, never secrets: the password comes from
``PROCESS_CONNECTION_PASS`` or ``password_file``. Every key is checked, and every problem is
reported at once, naming the file and the key (``site.toml: routes[2].url: ...``).
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actors.app.console import fail
from actors.app.options import start_defaults
from actors.app.run_config import build_run_config
from actors.edges.catalog import CatalogError
from love_producer.fleet.core import route
from love_producer.link.manager_link import ConfigError, redact
from love_producer.views.status import plural

#: Keys of the file's top level -> (argument name, check). A check returns an error or None.
Check = Callable[[Any], str | None]


def _number(minimum: float, strict: bool = False) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int | float) and not isinstance(v, bool)
        if not ok or (v <= minimum if strict else v < minimum):
            return f"must be a number {'>' if strict else '>='} {minimum:g}"
        return None

    return check


def _integer(minimum: int) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
            return f"must be a whole number >= {minimum}"
        return None

    return check


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "must be a non-empty string"


def _flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}"


SCALARS: dict[str, tuple[str, Check]] = {
    "manager_url": ("manager_url", _text),
    "password_file": ("password_file", _text),
    "source": ("source", _one_of("salobj", "kafka", "sim", "replay")),
    "journal": ("journal", _text),
    "replay_speed": ("replay_speed", _number(0)),
    "xml_dir": ("xml_dir", _text),
    "on_demand": ("on_demand", _text),
    "idle_timeout": ("idle_timeout", _number(0, strict=True)),
    "components_per_actor": ("components_per_actor", _integer(1)),
    "telemetry_rate": ("telemetry_rate", _number(0)),
    "seed": ("seed", _integer(0)),
    "admin_port": ("admin_port", _integer(0)),
    "one_frame_per_message": ("one_frame_per_message", _flag),
    "log_level": ("log_level", _integer(1)),
    "status_every": ("status_every", _number(0)),
    "http_port": ("http_port", _integer(0)),
    "record": ("record", _text),
    "record_file_mb": ("record_file_mb", _number(0, strict=True)),
    "record_total_mb": ("record_total_mb", _number(0, strict=True)),
}
LISTS = ("components", "routes", "topics")


def read(path: str) -> dict:
    """The file's settings as argument values; raises ConfigError listing every problem."""
    name = Path(path).name
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"--config {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: not valid TOML: {e}") from None
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in SCALARS:
            dest, check = SCALARS[key]
            error = check(value)
            if error:
                problems.append(f"{name}: {key} {error}, not {value!r}")
            else:
                values[dest] = value
        elif key not in LISTS:
            known = ", ".join(sorted([*SCALARS, *LISTS]))
            problems.append(f"{name}: unknown key {key!r} (known: {known})")
    components, topics = _components(name, data.get("components", []), problems)
    topics += _topics(name, data.get("topics", {}), problems)
    routes = _routes(name, data.get("routes", []), problems)
    if problems:
        raise ConfigError("\n".join(problems))
    if components:
        values["components"] = components
    if topics:
        values["topics"] = topics
    if routes:
        values["route"] = routes
    return values


def _components(name: str, items: Any, problems: list[str]) -> tuple[list[str], list[str]]:
    """``components = ["ATDome", {name = "MTM1M3", topics = [...]}, ...]``."""
    if not isinstance(items, list):
        problems.append(f"{name}: components must be a list of names or tables")
        return [], []
    found, topics = [], []
    for i, item in enumerate(items):
        where = f"{name}: components[{i}]"
        if isinstance(item, str) and item.strip():
            found.append(item.strip())
        elif isinstance(item, dict):
            unknown = set(item) - {"name", "topics"}
            if unknown:
                problems.append(f"{where}: unknown key {sorted(unknown)[0]!r} (name, topics)")
            if _text(item.get("name")):
                problems.append(f"{where}.name must be a non-empty string")
                continue
            found.append(item["name"].strip())
            if "topics" in item:
                listed = item["topics"]
                if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
                    problems.append(f"{where}.topics must be a list of topic names")
                else:
                    topics.append(f"{item['name'].strip()}={','.join(listed)}")
        else:
            problems.append(f'{where} must be a name ("ATDome", "ESS:1") or a table')
    return found, topics


def _topics(name: str, table: Any, problems: list[str]) -> list[str]:
    """``[topics]`` ``MTM1M3 = ["tel_forceActuatorData", ...]``."""
    if not isinstance(table, dict):
        problems.append(f"{name}: topics must be a table of component = [topics]")
        return []
    out = []
    for component, listed in table.items():
        if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
            problems.append(f"{name}: topics.{component} must be a list of topic names")
        else:
            out.append(f"{component}={','.join(listed)}")
    return out


def _routes(name: str, items: Any, problems: list[str]) -> list[str]:
    """``[[routes]]`` ``pattern = "AT*"``, ``url = "ws://..."`` (first match wins)."""
    if not isinstance(items, list):
        problems.append(f"{name}: routes must be a list of tables ([[routes]])")
        return []
    out = []
    for i, item in enumerate(items):
        where = f"{name}: routes[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a table with pattern and url")
            continue
        for key in sorted(set(item) - {"pattern", "url"}):
            problems.append(f"{where}: unknown key {key!r} (pattern, url)")
        bad = [k for k in ("pattern", "url") if _text(item.get(k))]
        for k in bad:
            problems.append(f"{where}.{k} must be a non-empty string")
        if not bad:
            out.append(f"{item['pattern']}={item['url']}")
    return out


def merge(args: argparse.Namespace, path: str) -> None:
    """Fill ``args`` from the file where the command line left an option at its default."""
    defaults = start_defaults()
    for dest, value in read(path).items():
        current = getattr(args, dest, None)
        if current == defaults.get(dest) or current in (None, []):
            setattr(args, dest, value)


def run_check(args: argparse.Namespace) -> int:
    """``love-actors config check SITE.toml``: everything ``start`` would check, nothing
    started. 0 when the file would run, 2 with every problem listed otherwise."""
    run = argparse.Namespace(**start_defaults())
    try:
        merge(run, args.file)
        config, catalog = build_run_config(run, os.environ)
    except (ConfigError, CatalogError) as e:
        return fail(str(e))
    urls = Counter(route(config.routes, str(c), config.manager_url) for c in config.components)
    selected = len({spec.partition("=")[0] for spec in run.topics})
    print(
        f"{args.file}: {plural(len(config.components), 'component')} for "
        f"{plural(len(urls), 'manager')}, {selected} with a topic selection; it would run"
    )
    for url, count in sorted(urls.items()):
        print(f"  {redact(url) or '(no default manager)'}: {plural(count, 'component')}")
    for note in config.notes:
        print(f"  {note}")
    return 0
