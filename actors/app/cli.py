"""``love-actors``: the command line's parser and dispatch; each command lives in its own
module."""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Sequence

from actors.app import control, record, replay_command, sal_sim, site_config, start
from actors.app.console import fail
from actors.app.options import (
    add_host_options,
    add_log_options,
    add_source_options,
    add_start_options,
)
from actors.app.sal_sim import add_sal_sim_parser
from actors.bench.options import add_bench_arguments
from actors.devtools import hub_server, watch_client


def version() -> str:
    try:
        return importlib.metadata.version("love-actors")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="love-actors", description="LOVE producer as a Thespian actor system"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", help="run the producer against a LOVE-manager")
    add_start_options(p)

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
        "--connect-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="--to: give up (exit 1) when the manager cannot be reached within S s (default 30)",
    )
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
    add_log_options(p)
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
        help="producer password (default: --password-file, $PROCESS_CONNECTION_PASS or "
        "dev_pass); shows in ps: prefer the file or the variable",
    )
    p.add_argument("--password-file", help="file holding the producer password")
    p.add_argument("--token", action="append", default=[], help="a frontend token (repeatable)")
    p.add_argument(
        "--no-frontend-auth",
        action="store_true",
        help="accept frontends without a token (development only)",
    )
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

    add_sal_sim_parser(sub)

    p = sub.add_parser("watch", help="subscribe like a LOVE frontend and print frames")
    p.add_argument("url")
    p.add_argument("streams", nargs="+", metavar="STREAM", help="e.g. event-ATDome-0-summaryState")
    p.add_argument("--token")
    p.add_argument("--password")
    p.add_argument("--count", type=int, default=None, help="stop after N data frames")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")

    p = sub.add_parser("bench", help="benchmark the actor path against the upstream design")
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

    p = sub.add_parser("config", help="check a site configuration file")
    config = p.add_subparsers(dest="config_command", required=True)
    check = config.add_parser("check", help="validate SITE.toml without starting anything")
    check.add_argument("file", metavar="SITE.toml")

    p = sub.add_parser("stop", help="stop a running system")
    p.add_argument("--admin-port", type=int, default=1900)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "watch":
        try:
            for s in args.streams:
                watch_client.parse_stream(s)
        except ValueError as e:
            return fail(str(e))
        return watch_client.run_watch(
            args.url, args.streams, args.token, args.password, args.count, args.duration
        )
    if args.command == "demo":
        # Optional: the terminal screen (rich) is loaded for the demo only, not into pods.
        from actors.app.demo import run_demo

        return run_demo(args)
    if args.command == "bench":
        # Optional: the benchmark harness is heavy and loaded to run a benchmark only.
        from actors.bench.command import run_bench

        return run_bench(args)
    commands = {
        "start": start.run_start,
        "node": start.run_node,
        "record": record.run_record,
        "replay": replay_command.run_replay,
        "status": control.run_status,
        "rebalance": control.run_rebalance,
        "stop": control.run_stop,
        "hub": hub_server.run_hub_command,
        "sal-sim": sal_sim.run_sal_sim,
        "config": site_config.run_check,
    }
    return commands[args.command](args)
