"""Pure arithmetic of the benchmark: percentiles, ratios, offered load and the component mix.

No I/O and no clock here, so the figures `actors.bench.harness` prints can be checked by unit tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs

#: Components that exist once on the summit (not indexed, or with a fixed set of indices).
SUMMIT_FIXED = ("ATDome", "ATMCS", "ATPtg", "MTHexapod:1", "MTHexapod:2", "MTMount")
#: Indexed components that repeat to fill up the mix, in this cycle. The simulator publishes
#: every one of ESS's 35 telemetry topics, where a real ESS instance has a few sensors, so ESS
#: comes once per cycle and the small Test component three times.
SUMMIT_REPEATED = ("ESS", "Test", "Test", "Test")


def summit_mix(n: int) -> list[str]:
    """``n`` component specs: the fixed summit components first, then the repeated cycle
    (``ESS:1, Test:1, Test:2, Test:3, ESS:2, Test:4, ...``).

    A list shorter than the fixed part keeps its order (3 gives ATDome, ATMCS, ATPtg).
    """
    if n < 0:
        raise ValueError("the number of components must be >= 0")
    specs = list(SUMMIT_FIXED[:n])
    counts: dict[str, int] = {}
    i = 0
    while len(specs) < n:
        name = SUMMIT_REPEATED[i % len(SUMMIT_REPEATED)]
        counts[name] = counts.get(name, 0) + 1
        specs.append(f"{name}:{counts[name]}")
        i += 1
    return specs


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of already sorted values, by linear interpolation.

    Returns NaN for no values.
    """
    if not sorted_values:
        return math.nan
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be in [0, 100], not {q!r}")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


@attrs.frozen
class LatencySummary:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict:
        return attrs.asdict(self)


def summarize_latencies(seconds: Iterable[float]) -> LatencySummary:
    """p50, p99 and max of latencies given in seconds, reported in milliseconds."""
    values = sorted(seconds)
    if not values:
        return LatencySummary(0, math.nan, math.nan, math.nan)
    return LatencySummary(
        len(values),
        percentile(values, 50) * 1000.0,
        percentile(values, 99) * 1000.0,
        values[-1] * 1000.0,
    )


def ratio(ours: float, baseline: float) -> float | None:
    """``ours / baseline``; None when the baseline is zero or a figure is missing."""
    if ours is None or baseline is None or not baseline or math.isnan(baseline):
        return None
    if math.isnan(ours):
        return None
    return ours / baseline


def per_thousand(cpu_seconds: float, frames: int) -> float | None:
    """CPU seconds per 1000 frames; None when no frame was delivered."""
    return cpu_seconds * 1000.0 / frames if frames > 0 else None


@attrs.frozen
class OfferedLoad:
    """Telemetry samples per second the simulators produce, and what a per-stream rate limit
    lets through (both exact: they follow from the seeds and rates, not from a measurement)."""

    streams: int
    samples_per_s: float
    capped_per_s: float  # sum over streams of min(rate, max_rate); = samples_per_s if no cap


def offered_load(rates: Iterable[float], max_rate: float) -> OfferedLoad:
    """Offered telemetry load from the rate (Hz) of every telemetry stream; ``max_rate`` is
    the per-stream limit of the producer (0: none)."""
    rates = list(rates)
    capped = sum(min(r, max_rate) for r in rates) if max_rate > 0 else sum(rates)
    return OfferedLoad(len(rates), sum(rates), capped)
