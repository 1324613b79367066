"""The options of the commands that run a producer (``start``, ``node``,
``run_love_producer``), defined once."""

from __future__ import annotations

import argparse

from actors.messages import DEFAULT_PER_ACTOR

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def log_level_value(text: str) -> int:
    """``--log-level``: a number or a level name, any case."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return LEVELS[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a level: a number or one of {', '.join(LEVELS)}"
        ) from None


def add_source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        choices=("salobj", "kafka", "sim", "replay"),
        default=None,
        help="where SAL samples come from: salobj (default when installed), kafka (SAL read "
        "straight from Kafka, no salobj needed: pip install 'love-actors[kafka]'), sim, or "
        "replay (a recorded journal, see --journal)",
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


def add_log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-level",
        type=log_level_value,
        default=None,
        help="Python log level: a number (10, 20) or a name (debug, info, warning, error)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="text lines (default, as upstream) or one JSON object a line for log collectors",
    )
    p.add_argument(
        "--debug-libraries",
        action="store_true",
        help="with --log-level 10: also the debug lines of websockets and asyncio",
    )


def add_run_options(p: argparse.ArgumentParser, components: bool = True) -> None:
    if components:  # run_love_producer takes them as positional arguments
        p.add_argument(
            "--components",
            nargs="*",
            default=None,
            metavar="NAME[:INDEX]",
            help="components to monitor, space or comma separated (default: $LOVE_CSC_PRODUCER)",
        )
    p.add_argument(
        "--topics",
        action="append",
        default=[],
        metavar="NAME[:INDEX]=tel_a,evt_b",
        help="forward only these topics of that component (repeatable; default: every topic)",
    )
    add_source_options(p)
    p.add_argument("--manager-url", help="ws:// or wss:// URL (default: ws://$WEBSOCKET_HOST)")
    p.add_argument(
        "--route",
        action="append",
        default=[],
        metavar="PATTERN=URL",
        help="send the components whose name matches PATTERN to the manager at URL "
        "(repeatable, first match wins; the others go to --manager-url)",
    )
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
    p.add_argument(
        "--components-per-actor",
        type=int,
        default=DEFAULT_PER_ACTOR,
        metavar="N",
        help="components one CSC actor process hosts at most; each keeps its own state "
        "machine, source and journal, and a component that fails restarts alone "
        f"(default {DEFAULT_PER_ACTOR}; 1: a process each)",
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
    add_log_options(p)


def add_start_options(p: argparse.ArgumentParser, components: bool = True) -> None:
    """Everything ``start`` takes (``run_love_producer`` takes it too, bar --components)."""
    add_run_options(p, components)
    p.add_argument(
        "--config",
        metavar="SITE.toml",
        help="read the settings from this file; options given here override it",
    )
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
        "--http-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve /healthz, /readyz and /metrics (Prometheus) on PORT (default: off)",
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


def start_defaults() -> dict:
    """The value of every ``start`` option when it is not given."""
    p = argparse.ArgumentParser()
    add_start_options(p)
    return vars(p.parse_args([]))
