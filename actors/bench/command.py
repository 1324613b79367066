"""``love-actors bench``: the plain and ``--saturate`` runs (`actors.bench.harness`) or the
``--overload`` phases (`actors.bench.overload`)."""

from __future__ import annotations

import argparse
import sys

from actors.bench import harness, overload
from actors.bench.options import add_bench_arguments


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark ``args`` describe; print the figures; 0 on success."""
    if args.overload:
        return overload.run_command(args)
    return harness.run_bench(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="love-actors bench", description=harness.__doc__.split("\n")[0]
    )
    add_bench_arguments(parser)
    return run_bench(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
