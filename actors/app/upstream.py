"""``run_love_producer``: the upstream producer's command line, for its containers unchanged.

The production image runs ``run_love_producer ${LOVE_CSC_PRODUCER} --periodic-data
$PERIODIC_TOPICS --asynchronous-data $ASYNC_TOPICS``, unquoted (the shell splits the words).
This takes exactly that (spec ``love-producer-behaviour.md`` §1): components as positional
``Name[:index]`` arguments, the two topic lists, ``--log-level N``; and the image's
environment (``LOVE_CSC_PRODUCER`` word-split when no component is given, ``PERIODIC_TOPICS``,
``ASYNC_TOPICS``, ``WEBSOCKET_HOST``, ``PROCESS_CONNECTION_PASS``, salobj's Kafka variables
untouched). Every option of ``love-actors start`` works too (``--source sim`` to try it
without SAL). Then it runs ``start``.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Mapping, Sequence

from actors.app import start
from actors.app.console import fail
from actors.app.options import add_start_options

#: Topic list option -> the variable the image fills it from.
LISTS = {"periodic_data": "PERIODIC_TOPICS", "asynchronous_data": "ASYNC_TOPICS"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_love_producer",
        description="The upstream LOVE-producer's command line, run by love-actors.",
    )
    p.add_argument(
        "components",
        nargs="*",
        metavar="NAME[:INDEX]",
        help="components to forward (default: $LOVE_CSC_PRODUCER, word-split)",
    )
    p.add_argument(
        "--periodic-data",
        nargs="*",
        metavar="TOPIC",
        help="forward these topics (tel_x, evt_y) of every component that has them "
        "(default: $PERIODIC_TOPICS; without either list, every topic)",
    )
    p.add_argument(
        "--asynchronous-data",
        nargs="*",
        metavar="TOPIC",
        help="as --periodic-data (default: $ASYNC_TOPICS)",
    )
    add_start_options(p, components=False)
    return p


def parse(argv: Sequence[str], env: Mapping[str, str]) -> argparse.Namespace:
    """The upstream arguments, completed from the image's environment."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if not args.components and env.get("LOVE_CSC_PRODUCER", "").strip():
        # The words of LOVE_CSC_PRODUCER may hold flags (`ATDome:0 --log-level 10`).
        args = parser.parse_args(shlex.split(env["LOVE_CSC_PRODUCER"]) + list(argv))
    for option, variable in LISTS.items():
        items = getattr(args, option)
        if items is None and env.get(variable, "").strip():
            setattr(args, option, env[variable].split())
        elif items == [] and variable in env:
            # `--periodic-data $PERIODIC_TOPICS` with the variable empty: not a list at all.
            setattr(args, option, None)
    args.components = args.components or None
    return args


def run(argv: Sequence[str], env: Mapping[str, str] = os.environ) -> int:
    try:
        args = parse(argv, env)
    except SystemExit as e:  # argparse printed the usage error
        return int(e.code or 0)
    except ValueError as e:  # LOVE_CSC_PRODUCER that the shell could not split
        return fail(f"LOVE_CSC_PRODUCER: {e}")
    return start.run_start(args)
