"""The options of ``love-actors bench``, apart from the harness (which the command line
loads only to run a benchmark: it is heavy)."""

from __future__ import annotations

import argparse


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    p = parser
    p.add_argument(
        "--components",
        type=int,
        default=100,
        metavar="N",
        help="number of simulated components, a summit-like mix (default 100)",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=20.0,
        metavar="S",
        help="measured window in seconds (default 20)",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds between every component streaming and the window (default 3)",
    )
    p.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiply every telemetry rate (1-20 Hz) by X (default 1)",
    )
    p.add_argument(
        "--max-rate",
        type=float,
        default=None,
        metavar="HZ",
        help="per-stream telemetry limit of the actor path (default 10; 0 with --saturate)",
    )
    p.add_argument(
        "--saturate",
        action="store_true",
        help="raise the offered load step by step until p99 > 100 ms or drops",
    )
    p.add_argument(
        "--overload",
        action="store_true",
        help="phases of --duration s each: sustained, 2x load, two CPU hogs, normal again "
        "(actors.bench.overload)",
    )
    p.add_argument(
        "--step-factor",
        type=float,
        default=1.5,
        help="offered load multiplier between --saturate steps (default 1.5)",
    )
    p.add_argument("--max-steps", type=int, default=8, help="--saturate steps at most")
    p.add_argument(
        "--components-per-actor",
        type=int,
        default=None,
        metavar="N",
        help="components per CSC actor process (default: start's default)",
    )
    p.add_argument("--xml-dir", help="a ts_xml sal_interfaces folder (default: built-in)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--admin-port", type=int, default=0, help="Thespian admin port (default: a free one)"
    )
    p.add_argument(
        "--startup-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="give up waiting for every component to stream after S s",
    )
    p.add_argument(
        "--record",
        metavar="DIR",
        help="the actor path records a journal (as start --record) into a new "
        "folder under DIR, to measure what recording costs",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the upstream-style run")
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON to FILE")
