"""Run ``love-actors bench`` from a checkout: ``python scripts/bench.py --components 10``.

See ``docs/benchmarks.md`` for what it measures and the figures measured so far.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from actors.bench.command import main

if __name__ == "__main__":
    sys.exit(main())
