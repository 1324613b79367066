"""``love-actors`` command line: start, demo, hub, watch, status, stop, replay."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

import attrs

from actors.app.run_config import (
    build_run_config,
    convention_settings,
    is_local_address,
    parse_leader,
    read_password,
    source_config,
)
from love_producer.link.manager_link import ConfigError, manager_url, redact

EXIT_USAGE = 2


def add_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        choices=("salobj", "sim", "replay"),
        default=None,
        help="where SAL samples come from: salobj (default when installed), sim, or replay "
        "(a recorded journal, see --journal)",
    )
    p.add_argument("--journal", metavar="DIR", help="journal folder for --source replay")
    p.add_argument(
        "--replay-speed",
        type=float,
        default=1.0,
        help="--source replay: 1 plays at recorded speed, 0 as fast as possible (default 1)",
    )


def add_host_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--address", help="this host's address for the other hosts (THESPIAN_BASE_IPADDR)"
    )
    p.add_argument("--name", help="this host's id (default: its --address)")
    p.add_argument(
        "--components-pattern",
        default="*",
        help="names of the components this host may run, shell patterns, comma separated",
    )
    p.add_argument(
        "--capability",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra capability this host advertises (repeatable)",
    )


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--components",
        nargs="*",
        default=None,
        metavar="NAME[:INDEX]",
        help="components to monitor, space or comma separated (default: $LOVE_CSC_PRODUCER)",
    )
    add_source_options(p)
    p.add_argument("--manager-url", help="ws:// or wss:// URL (default: ws://$WEBSOCKET_HOST)")
    p.add_argument(
        "--password-file",
        help="file holding the manager password (default: $PROCESS_CONNECTION_PASS)",
    )
    p.add_argument("--xml-dir", help="a ts_xml sal_interfaces folder (default: built-in)")
    p.add_argument(
        "--on-demand",
        metavar="PATTERN",
        help="start components the manager asks for when their name matches, e.g. 'MT*'",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=900.0,
        help="seconds without requests before an on-demand component stops (default 900)",
    )
    p.add_argument(
        "--telemetry-rate",
        type=float,
        default=10.0,
        help="maximum frames per second per telemetry stream, 0 = no limit (default 10)",
    )
    p.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    p.add_argument(
        "--admin-port", type=int, default=1900, help="Thespian admin port (0: a free one)"
    )
    p.add_argument(
        "--one-frame-per-message",
        action="store_true",
        help="send every stream in its own websocket message, as the upstream producer does",
    )
    p.add_argument("--log-level", type=int, default=None, help="Python log level (e.g. 10, 20)")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="love-actors", description="LOVE producer as a Thespian actor system"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="run the producer against a LOVE-manager")
    add_run_options(p)
    p.add_argument(
        "--leader",
        action="store_true",
        help="lead a convention: place --components on this host and on `node` members",
    )
    add_host_options(p)
    p.add_argument(
        "--status-every", type=float, default=0, help="print a status line every S seconds"
    )
    p.add_argument(
        "--record",
        metavar="DIR",
        help="record every actor's inputs into a journal in DIR (replay: love-actors replay DIR)",
    )
    p.add_argument(
        "--record-file-mb",
        type=float,
        default=16.0,
        help="start a new journal part after this many MB (default 16)",
    )
    p.add_argument(
        "--record-total-mb",
        type=float,
        default=4096.0,
        help="delete the oldest journal parts beyond this many MB in DIR (default 4096)",
    )

    p = sub.add_parser("record", help="write what a SAL source delivers to a journal")
    p.add_argument("--components", nargs="+", required=True, metavar="NAME[:INDEX]")
    add_source_options(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="journal folder")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--xml-dir", help="a ts_xml sal_interfaces folder (default: built-in)")
    p.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    p.add_argument("--record-file-mb", type=float, default=16.0, help="part size (MB)")
    p.add_argument("--record-total-mb", type=float, default=4096.0, help="folder bound (MB)")

    p = sub.add_parser("replay", help="replay a journal and write the frames the actors sent")
    p.add_argument("dir", metavar="DIR", help="journal folder (from start --record DIR)")
    p.add_argument(
        "-o", "--output", metavar="FRAMES.jsonl", help="write frames here (default: stdout)"
    )
    p.add_argument(
        "--expect",
        metavar="GOLDEN.jsonl",
        help="compare with this file; exit 1 and show the first difference if they differ",
    )
    p.add_argument(
        "--speed",
        default="max",
        help="1: recorded speed, a number: that many times faster, max: no waiting (default)",
    )
    p.add_argument("--to", metavar="URL", help="send the frames to a LOVE-manager, as a producer")
    p.add_argument(
        "--password-file",
        help="file holding the manager password for --to (default: $PROCESS_CONNECTION_PASS)",
    )

    p = sub.add_parser("node", help="join a leader's actor system and run what it places here")
    p.add_argument("--leader", required=True, metavar="HOST:PORT", help="the leader's admin")
    add_source_options(p)
    p.add_argument("--manager-url", help="ws:// or wss:// URL (default: ws://$WEBSOCKET_HOST)")
    p.add_argument("--password-file", help="manager password (default: $PROCESS_CONNECTION_PASS)")
    p.add_argument("--xml-dir", help="a ts_xml sal_interfaces folder (default: built-in)")
    p.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    p.add_argument("--admin-port", type=int, default=1900, help="this host's Thespian admin port")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    add_host_options(p)

    p = sub.add_parser("demo", help="simulated components, a local manager and a live summary")
    p.add_argument(
        "--components",
        nargs="*",
        default=["ATDome", "ATMCS", "MTHexapod:1", "ScriptQueue:1", "Watcher"],
    )
    p.add_argument("--port", type=int, default=0, help="hub port (default: a free one)")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--admin-port", type=int, default=0, help="Thespian admin port (0: free)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--xml-dir")

    p = sub.add_parser("hub", help="a LOVE-manager-compatible endpoint for development")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--password",
        default=None,
        help="producer password (default: $PROCESS_CONNECTION_PASS or dev_pass)",
    )
    p.add_argument("--token", action="append", default=[], help="a frontend token (repeatable)")
    p.add_argument(
        "--legacy",
        action="store_true",
        help="send initial_state requests to initial_state-all-all-all (LOVE_PRODUCER_LEGACY)",
    )
    p.add_argument(
        "--producer-delay",
        type=float,
        default=0.0,
        help="hold producer handshakes for S seconds after start (frontends subscribe first)",
    )

    p = sub.add_parser("watch", help="subscribe like a LOVE frontend and print frames")
    p.add_argument("url")
    p.add_argument("streams", nargs="+", metavar="STREAM", help="e.g. event-ATDome-0-summaryState")
    p.add_argument("--token")
    p.add_argument("--password")
    p.add_argument("--count", type=int, default=None, help="stop after N data frames")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")

    p = sub.add_parser("bench", help="benchmark the actor path against the upstream design")
    from actors.bench.harness import add_bench_arguments

    add_bench_arguments(p)

    p = sub.add_parser("status", help="status of a running system")
    p.add_argument("--admin-port", type=int, default=1900)
    p.add_argument(
        "--leader",
        metavar="HOST:PORT",
        help="the leader's admin (run on the leader's host: HOST must be one of its addresses)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rebalance", help="even out components over the hosts (on the leader)")
    p.add_argument("--admin-port", type=int, default=1900)

    p = sub.add_parser("stop", help="stop a running system")
    p.add_argument("--admin-port", type=int, default=1900)
    return parser


def _fail(message: str) -> int:
    print(f"love-actors: error: {message}", file=sys.stderr)
    return EXIT_USAGE


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


def _log_level(args) -> int:
    if getattr(args, "log_level", None):
        return args.log_level
    return logging.INFO if getattr(args, "verbose", False) else logging.WARNING


def run_start(args: argparse.Namespace) -> int:
    from actors.edges.catalog import CatalogError
    from actors.hosts import HOST, capacity_of
    from actors.remote import admin_listening
    from actors.system import SystemError_, free_port, running_system

    caps = env = None
    try:
        config, catalog = build_run_config(args)
        if args.leader:
            if args.admin_port == 0:
                args.admin_port = free_port()
            caps, env = convention_settings(
                args, (args.address or "", args.admin_port), config.source.kind
            )
            config = attrs.evolve(
                config,
                cluster=True,
                host_id=caps[HOST],
                patterns=args.components_pattern,
                capacity=capacity_of(caps),
            )
    except (ConfigError, CatalogError, ValueError) as e:
        return _fail(str(e))
    logging.basicConfig(level=_log_level(args), format="%(asctime)s %(levelname)s %(message)s")
    stop = StopSignal()
    try:
        with running_system(
            config, args.admin_port, _log_level(args), capabilities=caps, environment=env
        ) as system:
            started = system.started
            print(
                f"love-actors: {len(started.components)} components streaming to "
                f"{redact(config.manager_url)} (source {config.source.kind}, "
                f"interfaces from {catalog.source}; admin port {system.admin_port}); Ctrl-C stops",
                flush=True,
            )
            for error in started.errors:
                print(f"love-actors: could not start {error}", file=sys.stderr)
            if config.record is not None:
                print(f"love-actors: recording a journal in {config.record.directory}", flush=True)
            if config.on_demand:
                print(
                    f"love-actors: on demand: {len(config.on_demand_names)} components match "
                    f"{config.on_demand!r}",
                    flush=True,
                )
            next_status = time.monotonic() + (args.status_every or float("inf"))
            while not stop.event.wait(2.0):
                if not admin_listening(system.admin_port):
                    print("love-actors: the actor system was stopped from outside", flush=True)
                    break
                if time.monotonic() >= next_status:
                    next_status += args.status_every
                    st = system.status()
                    if st is not None:
                        print(format_status_line(st), flush=True)
    except SystemError_ as e:
        return _fail(str(e))
    print("love-actors: stopped", flush=True)
    return 0


def run_node(args: argparse.Namespace) -> int:
    """A member host: joins the leader's convention; the leader's Factory places actors here."""
    from actors.remote import admin_listening
    from actors.system import SystemError_, running_node

    try:
        leader = parse_leader(args.leader)
        source = source_config(args)
        url = manager_url(args.manager_url, os.environ)
        caps, env = convention_settings(args, leader, source.kind)
        caps["love-actors.manager_url"] = url
        password = read_password(args, os.environ)
    except (ConfigError, ValueError) as e:
        return _fail(str(e))
    # Actors placed here read the password from the environment they inherit: it never
    # travels between hosts.
    env["PROCESS_CONNECTION_PASS"] = password
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    stop = StopSignal()
    try:
        with running_node(args.admin_port, caps, env, level) as port:
            print(
                f"love-actors node {caps['love-actors.host']}: member of {args.leader} "
                f"(admin port {port}, runs {args.components_pattern!r}, streams to "
                f"{redact(url)}); Ctrl-C stops",
                flush=True,
            )
            while not stop.event.wait(2.0):
                if not admin_listening(port, args.address or "127.0.0.1"):
                    print("love-actors: the actor system was stopped from outside", flush=True)
                    break
    except SystemError_ as e:
        return _fail(str(e))
    print("love-actors: node stopped", flush=True)
    return 0


def format_status_line(st: dict) -> str:
    m = st.get("manager", {})
    parts = [
        f"manager {'up' if m.get('connected') else 'DOWN'}",
        f"sent {m.get('frames_sent', 0)} frames ({m.get('frames_per_s', 0.0):.0f}/s)",
        f"dropped {m.get('events_dropped', 0)}",
    ]
    for c in st.get("components", []):
        hb = "ok" if not c.get("heartbeat_lost") else f"lost {c.get('heartbeat_lost')}"
        parts.append(f"{c.get('key')}: state {c.get('summary_state')} hb {hb}")
    return "; ".join(parts)


def run_status(args: argparse.Namespace) -> int:
    import json

    from actors.remote import RemoteError, query_status
    from love_producer.views.status import status_document

    try:
        if args.leader:
            host, args.admin_port = parse_leader(args.leader)
            if not is_local_address(host):
                raise ConfigError(
                    f"{host} is not an address of this host: run status on the leader's host "
                    "(Thespian reaches only a local admin)"
                )
        st = query_status(args.admin_port)
    except (RemoteError, ConfigError) as e:
        return _fail(str(e))
    if args.json:
        address = f"{st.get('host', 'localhost')}:{args.admin_port}"
        print(json.dumps(status_document(st, address), indent=1, sort_keys=True))
    else:
        print(format_status_line(st))
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from actors.remote import RemoteError, stop_system

    try:
        stop_system(args.admin_port)
    except RemoteError as e:
        return _fail(str(e))
    print("love-actors: stopped")
    return 0


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not speed > 0:
        raise ConfigError(f"--speed must be max or a number > 0, not {text!r}")
    return speed


def run_replay(args: argparse.Namespace, env=os.environ) -> int:
    """``love-actors replay``: 0 when the output equals --expect (or without it), 1 when it
    differs, 2 for a bad journal or options."""
    from actors.replay import Replay, play_to_manager, read_journal
    from love_producer import journal

    try:
        speed = _speed(args.speed)
        url = manager_url(args.to, env) if args.to else None
        password = read_password(args, env) if url else ""
        records = read_journal(args.dir)
        expected = open(args.expect) if args.expect else None  # noqa: SIM115
    except (ConfigError, journal.JournalError, OSError) as e:
        return _fail(str(e))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    replay = Replay(records)
    mismatch = None
    context = None  # the input that made the first differing frame
    count = 0
    last = None
    out = None
    if args.output:
        out = open(args.output, "w")  # noqa: SIM115
    elif url is None:
        out = sys.stdout

    def steps():
        nonlocal mismatch, context, count, last
        t0 = wall0 = None
        for step in replay:
            if step.frames and speed is not None and url is None:
                if t0 is None:
                    t0, wall0 = step.record.t, time.monotonic()
                delay = wall0 + (step.record.t - t0) / speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            last = step.record if step.frames or last is None else last
            for frame in step.frames:
                line = journal.frame_line(step.record.t, step.record.actor, frame)
                if out is not None:
                    out.write(line + "\n")
                if expected is not None and mismatch is None:
                    want = expected.readline()
                    found = journal.compare([want] if want else [], [line])
                    if found is not None:
                        mismatch = journal.Mismatch(count, found.expected, line)
                        context = step.record
                count += 1
            yield step

    try:
        if url is not None:
            play_to_manager(
                steps(),
                url,
                password,
                speed,
                lambda: {n for names in replay.names.values() for n in names},
                say=lambda text: print(text, file=sys.stderr, flush=True),
            )
        else:
            for _ in steps():
                pass
    except journal.JournalError as e:
        return _fail(str(e))
    except BrokenPipeError:  # stdout closed early (| head): not an error
        out = None
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return 0
    except ConnectionError as e:
        return _fail(f"--to {redact(url)}: {e}")
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
        elif out is sys.stdout:
            sys.stdout.flush()
    if expected is not None:
        if mismatch is None:
            extra = expected.readline()
            if extra:
                mismatch = journal.Mismatch(count, extra.rstrip("\n"), None)
                context = last
        expected.close()
        if mismatch is not None:
            print(f"love-actors: the replay differs from {args.expect}", file=sys.stderr)
            print(mismatch.describe(), file=sys.stderr)
            if context is not None:
                print("  journal input that preceded it:", file=sys.stderr)
                for text in context.describe().splitlines():
                    print("    " + text, file=sys.stderr)
            return 1
        print(f"love-actors: replay identical to {args.expect} ({count} frames)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "start":
        return run_start(args)
    if args.command == "node":
        return run_node(args)
    if args.command == "demo":
        from actors.app.demo import run_demo

        return run_demo(args)
    if args.command == "hub":
        from actors.devtools.hub_server import run_hub

        password = args.password or os.environ.get("PROCESS_CONNECTION_PASS") or "dev_pass"
        return run_hub(args.host, args.port, password, args.token, args.legacy, args.producer_delay)
    if args.command == "watch":
        from actors.devtools.watch_client import parse_stream, run_watch

        try:
            for s in args.streams:
                parse_stream(s)
        except ValueError as e:
            return _fail(str(e))
        return run_watch(
            args.url, args.streams, args.token, args.password, args.count, args.duration
        )
    if args.command == "record":
        from actors.app.record import run_record

        return run_record(args)
    if args.command == "bench":
        from actors.bench.harness import run_bench

        return run_bench(args)
    if args.command == "status":
        return run_status(args)
    if args.command == "rebalance":
        from actors.remote import RemoteError, rebalance

        try:
            moves = rebalance(args.admin_port)
        except RemoteError as e:
            return _fail(str(e))
        for key, src, dst in moves:
            print(f"moved {key} from {src} to {dst}")
        print(f"love-actors: rebalanced ({len(moves)} moves)")
        return 0
    if args.command == "stop":
        return run_stop(args)
    if args.command == "replay":
        return run_replay(args)
    return _fail(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
