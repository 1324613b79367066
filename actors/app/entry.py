"""The console scripts' entry point: quiet on Ctrl-C and on a closed pipe, at any moment.

A Ctrl-C while the command's modules are still importing (Thespian, websockets) would print
a traceback from deep inside an import: until they are loaded, SIGINT ends the process at
once with the usual 130. A reader that goes away (``love-actors status | head``) ends the
command quietly too.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))  # nothing to clean up yet

from actors.app import cli, upstream  # noqa: E402  (after the handler: the slow part)


def run(argv: Sequence[str] | None = None, command=None) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return (command or cli.main)(argv)
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the ^C was echoed on
        return 130
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def main() -> None:
    sys.exit(run())


def upstream_main() -> None:
    """``run_love_producer``, the upstream producer's command line."""
    sys.exit(run(sys.argv[1:], upstream.run))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--upstream"]:  # python -m actors.app.entry --upstream ARGS
        sys.exit(run(sys.argv[2:], upstream.run))
    main()
