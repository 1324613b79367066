"""Turning ``love-actors`` options and the environment into a validated configuration.

Everything here raises `ConfigError` (or `CatalogError`) with a message for the user, before
any process starts: upstream deployments' variables (``WEBSOCKET_HOST``,
``PROCESS_CONNECTION_PASS``, ``LOVE_CSC_PRODUCER``, ...) work as they did.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import socket

from actors.edges.catalog import Catalog, CatalogError
from actors.edges.journal_files import journal_parts
from actors.edges.kafka_env import KafkaConfigError, KafkaSettings
from actors.edges.settings import RecordConfig, SourceConfig
from actors.hosts import HOST, PATTERNS, SALOBJ, SOURCE
from actors.messages import RunConfig
from love_producer.fleet.core import route
from love_producer.fleet.supervision import on_demand_match
from love_producer.interfaces.component_id import ComponentId, split_components
from love_producer.interfaces.topics import Selections, select_for_all, select_per_component
from love_producer.journal import JournalError, csc_actor_name
from love_producer.kinds import KindSettings, kind_of
from love_producer.link.manager_link import ConfigError, LinkSettings, manager_url, parse_route
from love_producer.state.csc_state import CSCSettings


def _salobj_available() -> bool:
    """Whether lsst.ts.salobj is installed (found, not imported: it is slow to import)."""
    return _installed("lsst.ts.salobj")


SALOBJ_HINT = (
    "lsst.ts.salobj is not installed (it is published only in Rubin's conda channel: "
    "`conda install -c lsstts ts-salobj`); use --source sim to run on simulated components"
)


def kafka_environment() -> KafkaSettings:
    """The Kafka SAL settings from the environment, checked before any process starts."""
    missing = [m for m in ("confluent_kafka", "fastavro", "yaml") if not _installed(m)]
    if missing:
        raise ConfigError(
            f"--source kafka needs {', '.join(missing)}: pip install 'love-actors[kafka]'"
        )
    try:
        return KafkaSettings.from_env()
    except KafkaConfigError as e:
        raise ConfigError(f"--source kafka: {e}") from None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def source_config(args: argparse.Namespace):
    """The SourceConfig the options ask for; raises ConfigError."""
    source = args.source or ("salobj" if _salobj_available() else None)
    if source is None or (source == "salobj" and not _salobj_available()):
        raise ConfigError(SALOBJ_HINT)
    if source == "kafka":
        kafka_environment()
    if source == "replay":
        if not args.journal:
            raise ConfigError("--source replay needs --journal DIR (a folder from --record)")
        if not os.path.isdir(args.journal):
            raise ConfigError(f"--journal {args.journal}: no such folder")
        try:
            journal_parts(args.journal)
        except JournalError as e:
            raise ConfigError(f"--journal {args.journal}: {e}") from None
    elif args.journal:
        raise ConfigError("--journal goes with --source replay")
    if args.replay_speed < 0:
        raise ConfigError("--replay-speed must be >= 0")
    return SourceConfig(
        kind=source,
        seed=args.seed,
        journal_dir=os.path.abspath(args.journal) if args.journal else None,
        replay_speed=args.replay_speed,
    )


def convention_settings(args: argparse.Namespace, leader: tuple[str, int], source: str):
    """Thespian capabilities and environment for a member (or the leader) of a convention."""
    if not args.address:
        raise ConfigError("give this host's --address (the other hosts reach it there)")
    caps = {
        "Convention Address.IPv4": leader,
        HOST: args.name or args.address,
        PATTERNS: args.components_pattern,
        SOURCE: source,
        SALOBJ: _salobj_available(),
    }
    for item in args.capability:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--capability {item!r}: expected KEY=VALUE")
        caps[key] = value
    # Host liveness comes from the Factory's own pings (Thespian reports no child exits for a
    # dead host, and short convention periods make membership flap), so Thespian's
    # re-registration period keeps its default.
    env = {"THESPIAN_BASE_IPADDR": args.address}
    return caps, env


def is_local_address(host: str) -> bool:
    try:
        with socket.socket() as s:
            s.bind((host, 0))  # only an address of this host can be bound
        return True
    except OSError:
        return False


def parse_leader(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"--leader {text!r}: expected HOST:PORT")
    return host, int(port)


def _components_from_env(args: argparse.Namespace, env) -> list[str]:
    """``$LOVE_CSC_PRODUCER`` as upstream containers use it: words, maybe with flags
    (``--log-level N``, ``--periodic-data``/``--asynchronous-data`` and their topics)."""
    words = shlex.split(env.get("LOVE_CSC_PRODUCER", ""))
    items = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w == "--log-level":
            value = words[i] if i < len(words) else None
            if value is None or not value.lstrip("-").isdigit():
                raise ConfigError(
                    "LOVE_CSC_PRODUCER has --log-level without a number "
                    f"(got {value!r}; e.g. --log-level 10)"
                    if value is not None
                    else "LOVE_CSC_PRODUCER ends with --log-level and no number (e.g. 10)"
                )
            args.log_level = int(value)
            i += 1
        elif w in ("--periodic-data", "--asynchronous-data"):
            listed = []
            while i < len(words) and not words[i].startswith("--"):
                listed.append(words[i])
                i += 1
            option = w[2:].replace("-", "_")
            setattr(args, option, (getattr(args, option, None) or []) + listed)
        elif w.startswith("--"):
            raise ConfigError(
                f"LOVE_CSC_PRODUCER has {w}, which love-actors start does not take there "
                "(give it on the command line)"
            )
        else:
            items.append(w)
    return items


def link_settings(args: argparse.Namespace, url_from: str) -> LinkSettings:
    """Where the URL came from (``url_from``) and the password (the option or variable)."""
    password_from = "--password-file" if args.password_file else "PROCESS_CONNECTION_PASS"
    return LinkSettings(url_from=url_from, password_from=password_from)


def read_password(args: argparse.Namespace, env) -> str:
    if args.password_file:
        try:
            with open(args.password_file) as f:
                return f.read().strip()
        except OSError as e:
            raise ConfigError(f"cannot read --password-file: {e.strerror}") from None
    return env.get("PROCESS_CONNECTION_PASS", "")


def _record_config(args: argparse.Namespace):
    if not getattr(args, "record", None):
        return None
    if args.record_file_mb <= 0 or args.record_total_mb <= 0:
        raise ConfigError("--record-file-mb and --record-total-mb must be > 0")
    try:
        os.makedirs(args.record, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create --record folder {args.record}: {e.strerror}") from None
    mb = 1024 * 1024
    return RecordConfig(
        os.path.abspath(args.record),
        max_file_bytes=int(args.record_file_mb * mb),
        max_total_bytes=int(args.record_total_mb * mb),
    )


def recorded_components(parts: dict) -> list[str]:
    """``Name[:index]`` of the CSC actors a journal has parts of."""
    found = []
    for actor in sorted(parts):
        if actor.startswith("csc-"):
            name, _, index = actor[4:].rpartition("-")
            found.append(str(ComponentId(name, int(index))) if index.isdigit() else actor)
    return found


def topic_selections(args: argparse.Namespace, infos: dict) -> Selections:
    """What each component forwards: ``--topics`` per component, and the upstream
    ``--periodic-data``/``--asynchronous-data`` lists (run_love_producer) for all of them."""
    selections = select_per_component(getattr(args, "topics", None) or [], infos)
    for flag, items in (
        ("--periodic-data", getattr(args, "periodic_data", None)),
        ("--asynchronous-data", getattr(args, "asynchronous_data", None)),
    ):
        if items is not None:
            select_for_all(items, infos, flag, into=selections)
    return selections


def check_options(args: argparse.Namespace) -> list[str]:
    """Problems with the numeric options, in the words of the flags."""
    problems = []
    if args.telemetry_rate < 0:
        problems.append(f"--telemetry-rate must be >= 0 (0: no limit), not {args.telemetry_rate:g}")
    if args.components_per_actor < 1:
        problems.append(
            f"--components-per-actor must be 1 or more, not {args.components_per_actor}"
        )
    if args.idle_timeout <= 0:
        problems.append(f"--idle-timeout must be > 0 seconds, not {args.idle_timeout:g}")
    return problems


def build_run_config(args: argparse.Namespace, env=os.environ):
    """Validate options and resolve components; raises ConfigError listing every problem,
    one per line."""
    problems: list[str] = []

    def attempt(fn, *fn_args):
        try:
            return fn(*fn_args)
        except (ConfigError, CatalogError, ValueError) as e:
            problems.extend(str(e).splitlines())
            return None

    if args.components:
        items = args.components
    else:
        items = attempt(_components_from_env, args, env) or []
    ids, bad = split_components(items)
    problems += bad
    if not ids and not bad and not args.on_demand:
        problems.append("no components: give --components NAME[:INDEX] ... or --on-demand")
    problems += check_options(args)
    source = attempt(source_config, args)
    routes = [r for spec in getattr(args, "route", None) or [] if (r := attempt(parse_route, spec))]
    unrouted = [c for c in ids if route(routes, str(c), "") == ""]
    if unrouted or args.on_demand or not routes or args.manager_url or env.get("WEBSOCKET_HOST"):
        url = attempt(manager_url, args.manager_url, env)
    else:
        url = ""  # every component has its route
    password = attempt(read_password, args, env)
    catalog = attempt(Catalog.default, args.xml_dir)
    infos = attempt(catalog.resolve, ids) if catalog is not None else None
    if source is not None and source.kind == "replay":
        recorded = journal_parts(source.journal_dir)
        missing = [str(c) for c in ids if csc_actor_name(c.name, c.index) not in recorded]
        if missing:
            problems.append(
                f"--journal {args.journal} holds no journal for {', '.join(missing)} "
                f"(it has {', '.join(recorded_components(recorded))})"
            )
    kind = attempt(KindSettings.from_env, env)
    record = attempt(_record_config, args)
    selections = None
    if infos is not None:
        selections = topic_selections(args, infos)
        problems += selections.errors
    if problems:
        raise ConfigError("\n".join(problems))
    infos = selections.apply(infos)
    related = {name: catalog.get(name) for cid in ids for name in kind_of(cid.name).related}
    on_demand_names = tuple(n for n in catalog.names() if on_demand_match(args.on_demand, n))
    config = RunConfig(
        components=tuple(ids),
        infos=infos,
        manager_url=url,
        password=password,
        source=source,
        csc=CSCSettings(telemetry_max_rate=args.telemetry_rate),
        kind=kind,
        related=related,
        xml_dir=args.xml_dir,
        on_demand=args.on_demand,
        on_demand_names=on_demand_names,
        idle_timeout=args.idle_timeout,
        components_per_actor=args.components_per_actor,
        max_message_bytes=0 if args.one_frame_per_message else 512 * 1024,
        record=record,
        link_settings=link_settings(
            args, "--manager-url" if args.manager_url else "WEBSOCKET_HOST"
        ),
        routes=tuple(routes),
        notes=tuple(selections.notes),
    )
    return config, catalog
