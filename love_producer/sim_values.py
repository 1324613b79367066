"""Value generators for simulated SAL topics (pure: every generator draws from a
`random.Random` it is given).

A generator is a zero-argument callable returning the next value of a field (or the list of
values of a topic's user fields). They are closures, not objects, because the simulator calls
them for every sample: a benchmark pushes about 10,000 samples per second through them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from love_producer.interface import PYTHON_TYPE_OF_SAL_TYPE, FieldInfo

Generator = Callable[[], object]
TopicGenerator = Callable[[], list]

#: Fields salobj fills itself; the simulator computes them per sample, never at random.
PRIVATE_NAMES = frozenset(
    {
        "salIndex",
        "private_sndStamp",
        "private_rcvStamp",
        "private_efdStamp",
        "private_kafkaStamp",
        "private_seqNum",
        "private_revCode",
        "private_identity",
        "private_origin",
    }
)

#: Bounds of float random walks, by a lower-case substring of the field name (first match).
_BOUNDS_BY_NAME: tuple[tuple[str, tuple[float, float]], ...] = (
    ("azimuth", (0.0, 360.0)),
    ("elevation", (0.0, 90.0)),
    ("altitude", (0.0, 90.0)),
    ("zenith", (0.0, 90.0)),
    ("temperature", (-10.0, 30.0)),
    ("humidity", (0.0, 100.0)),
    ("percent", (0.0, 100.0)),
)
_DEFAULT_BOUNDS = (0.0, 100.0)
_INT_BOUNDS = (0, 10)
#: Per-sample probabilities: ints step by one, booleans flip, strings change word.
_INT_CHANGE = 0.05
_BOOL_FLIP = 0.02
_STR_CHANGE = 0.01
#: Float walk step: this fraction of the bounds' width, at most, per sample.
_WALK_STEP = 0.01
_WORDS = ("ok", "idle", "ready", "moving", "tracking", "parked")


def python_type_of(field: FieldInfo) -> type:
    """The field's Python type; a guess from the name of an unknown SAL type (never raises)."""
    known = PYTHON_TYPE_OF_SAL_TYPE.get(field.sal_type)
    if known is not None:
        return known
    sal_type = field.sal_type.lower()
    if "bool" in sal_type:
        return bool
    if "float" in sal_type or "double" in sal_type:
        return float
    if any(word in sal_type for word in ("int", "long", "short", "byte", "octet")):
        return int
    return str


def float_bounds(field: FieldInfo) -> tuple[float, float]:
    """Range a float field wanders in (``azimuthPosition`` in 0..360, ...)."""
    name = field.name.lower()
    for word, bounds in _BOUNDS_BY_NAME:
        if word in name:
            return bounds
    if field.units.lower() in ("%", "percent"):
        return (0.0, 100.0)
    return _DEFAULT_BOUNDS


def _float_walk(rng: random.Random, lo: float, hi: float, count: int) -> Generator:
    """Bounded random walk, reflected at the bounds, element-wise for arrays."""
    width = hi - lo
    step = width * _WALK_STEP
    rand = rng.random

    def move(x: float) -> float:
        x += (rand() - 0.5) * step
        if x < lo:
            return 2.0 * lo - x
        if x > hi:
            return 2.0 * hi - x
        return x

    if count == 1:
        x = lo + width * rand()

        def scalar() -> float:  # move() inlined: this is the hottest path
            nonlocal x
            x += (rand() - 0.5) * step
            if x < lo:
                x = 2.0 * lo - x
            elif x > hi:
                x = 2.0 * hi - x
            return x

        return scalar
    xs = [lo + width * rand() for _ in range(count)]

    def array() -> list[float]:
        nonlocal xs
        xs = [move(x) for x in xs]
        return list(xs)  # a copy: a consumer editing it must not steer the walk

    return array


def _int_walk(rng: random.Random, count: int) -> Generator:
    """Small ints that step by one now and then."""
    lo, hi = _INT_BOUNDS
    rand = rng.random

    def move(x: int) -> int:
        u = rand()
        if u >= _INT_CHANGE:
            return x
        if (u < _INT_CHANGE / 2 and x > lo) or x >= hi:
            return x - 1
        return x + 1

    return _stepper(move, [rng.randint(lo, hi) for _ in range(count)])


def _bool_flips(rng: random.Random, count: int) -> Generator:
    """Booleans that flip rarely."""
    rand = rng.random

    def move(x: bool) -> bool:
        return (not x) if rand() < _BOOL_FLIP else x

    return _stepper(move, [rand() < 0.5 for _ in range(count)])


def _words(rng: random.Random, count: int) -> Generator:
    """Short words that change rarely."""
    rand = rng.random

    def move(x: str) -> str:
        return rng.choice(_WORDS) if rand() < _STR_CHANGE else x

    return _stepper(move, [rng.choice(_WORDS) for _ in range(count)])


def _stepper(move: Callable[[Any], Any], initial: list) -> Generator:
    """Apply ``move`` to the previous value(s) on each call; arrays are fresh lists."""
    if len(initial) == 1:
        x = initial[0]

        def scalar() -> object:
            nonlocal x
            x = move(x)
            return x

        return scalar
    xs = initial

    def array() -> list:
        nonlocal xs
        xs = [move(x) for x in xs]
        return list(xs)  # a copy: a consumer editing it must not steer the walk

    return array


def field_generator(field: FieldInfo, rng: random.Random) -> Generator:
    """Generator of one field's values: a scalar, or a fresh list of ``count`` elements."""
    kind = python_type_of(field)
    if kind is float:
        lo, hi = float_bounds(field)
        return _float_walk(rng, lo, hi, field.count)
    if kind is bool:
        return _bool_flips(rng, field.count)
    if kind is int:
        return _int_walk(rng, field.count)
    return _words(rng, field.count)


def topic_generator(fields: Iterable[FieldInfo], rng: random.Random) -> TopicGenerator:
    """Generator of the values of ``fields`` (user fields, in order) as a list."""
    gens = [field_generator(f, rng) for f in fields]
    return lambda: [g() for g in gens]


def _coerce(value: object, kind: type, count: int) -> object:
    """``value`` as ``kind`` (repeated ``count`` times for arrays); the default on failure."""
    try:
        scalar = kind(value)
    except (TypeError, ValueError):
        scalar = kind()
    return [scalar] * count if count > 1 else scalar


def fixed_values(fields: Iterable[FieldInfo], overrides: Mapping[str, object]) -> TopicGenerator:
    """Generator of constant values: ``overrides`` by field name (coerced to the field's type),
    the field's default otherwise. Arrays are fresh lists on every call."""
    values = []
    for f in fields:
        kind = python_type_of(f)
        values.append(_coerce(overrides.get(f.name, kind()), kind, f.count))
    if any(isinstance(v, list) for v in values):
        return lambda: [list(v) if isinstance(v, list) else v for v in values]
    return lambda: list(values)
