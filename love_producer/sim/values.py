"""Value generators for simulated SAL topics (pure: every generator draws from a
`random.Random` it is given).

A generator is a zero-argument callable returning the next value of a field (or the list of
values of a topic's user fields). They are closures, not objects, because the simulator calls
them for every sample: a benchmark pushes about 10,000 samples per second through them.
"""

from __future__ import annotations

import math
import operator
import random
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from love_producer.interfaces.interface import PYTHON_TYPE_OF_SAL_TYPE, FieldInfo, private_fields

Generator = Callable[[], object]
TopicGenerator = Callable[[], list]

#: Fields salobj fills itself; the simulator computes them per sample, never at random.
PRIVATE_NAMES = frozenset(f.name for f in private_fields(indexed=True))

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
#: Float arrays: the common offset wanders within this fraction of the bounds' width either
#: way, the shape's per-element noise is this fraction, the window rotates by 1..this per sample.
_ARRAY_OFFSET = 0.1
_SHAPE_NOISE = 0.01
_ROTATE_MAX = 3
#: Float arrays: samples between moves of the common offset.
_OFFSET_EVERY = 8
_WORDS = ("ok", "idle", "ready", "moving", "tracking", "parked")
#: Texts of message-like string fields, as a CSC words them ({} is a number).
_SENTENCES = (
    "Moving to azimuth {:.1f} deg",
    "Moving to elevation {:.1f} deg",
    "Target reached; position error {:.3f} deg",
    "Tracking; following error {:.4f} deg",
    "Configuration applied in {:.1f} s",
    "Temperature {:.1f} C within limits",
    "Command accepted; it should take {:.1f} s",
    "Heartbeat of the low-level controller back after {:.1f} s",
    "Reconnected to the controller after {:.0f} attempts",
)
#: String fields whose values are sentences rather than words (lower-case substrings).
_MESSAGE_NAMES = ("message", "text", "report", "reason", "explanation")


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
    """Bounded random walk, reflected at the bounds; see `_float_array` for arrays."""
    if count > 1:
        return _float_array(rng, lo, hi, count)
    width = hi - lo
    step = width * _WALK_STEP
    rand = rng.random
    x = lo + width * rand()

    def scalar() -> float:
        nonlocal x
        x += (rand() - 0.5) * step
        if x < lo:
            x = 2.0 * lo - x
        elif x > hi:
            x = 2.0 * hi - x
        return x

    return scalar


def _float_array(rng: random.Random, lo: float, hi: float, count: int) -> Generator:
    """``count`` floats per sample for about one random draw and one list slice.

    A fixed cyclic shape (a few random harmonics plus per-element noise, drawn once) plus a
    common offset is read through a window that rotates by 1 to `_ROTATE_MAX` elements per
    sample: element ``i`` of sample ``k`` is ``shape[(s_k + i) % count] + offset_k``. Every
    element varies (neighbours alike, as in sensor arrays and time series) and the whole array
    drifts. The offset walks like a scalar field, but moves (and the shifted ring is rebuilt)
    only every `_OFFSET_EVERY` samples, by a step of matching spread, so that most samples
    cost one slice. Values stay within ``[lo, hi]``: the shape fills
    ``[lo + margin, hi - margin]`` and the offset is reflected within ``±margin``.
    """
    width = hi - lo
    margin = width * _ARRAY_OFFSET
    jump = width * _WALK_STEP * math.sqrt(_OFFSET_EVERY)
    rand = rng.random
    guard = width * 1e-9  # keeps shape + offset inside [lo, hi] despite rounding
    shape = _cyclic_shape(rng, lo + margin + guard, hi - margin - guard, count)
    n = count
    s = int(rand() * n)
    o = margin * (2.0 * rand() - 1.0)
    k = 0
    ring: list[float] = []

    def array() -> list[float]:
        nonlocal s, o, k, ring
        if k == 0:
            k = _OFFSET_EVERY
            o += (rand() - 0.5) * jump
            if o > margin:
                o = 2.0 * margin - o
            elif o < -margin:
                o = -2.0 * margin - o
            off = o
            ring = [x + off for x in shape]
            ring += ring  # a window of the doubled ring is a rotation; the floats are shared
        k -= 1
        s = (s + 1 + int(rand() * _ROTATE_MAX)) % n
        return ring[s : s + n]  # a fresh list on every call

    return array


def _cyclic_shape(rng: random.Random, lo: float, hi: float, count: int) -> list[float]:
    """``count`` values within ``[lo, hi]``, smooth around the cycle but for a little noise."""
    width = hi - lo
    noise = width * _SHAPE_NOISE
    waves = [(k, width * rng.uniform(0.05, 0.15), rng.uniform(0.0, math.tau)) for k in (1, 2, 3)]
    centre = lo + width / 2
    room = width / 2 - sum(a for _, a, _ in waves) - noise  # >= 0.04 * width
    centre += room * (2.0 * rng.random() - 1.0)
    scale = math.tau / count
    shape = []
    for i in range(count):
        x = centre + noise * (2.0 * rng.random() - 1.0)
        for k, a, phase in waves:
            x += a * math.sin(k * i * scale + phase)
        shape.append(min(hi, max(lo, x)))  # already inside; guards rounding
    return shape


def _int_change(rand: Callable[[], float]) -> Callable[[int], int]:
    lo, hi = _INT_BOUNDS

    def change(x: int) -> int:
        if (rand() < 0.5 and x > lo) or x >= hi:
            return x - 1
        return x + 1

    return change


def _int_walk(rng: random.Random, count: int) -> Generator:
    """Small ints that step by one now and then."""
    lo, hi = _INT_BOUNDS
    initial = [rng.randint(lo, hi) for _ in range(count)]
    rand = rng.random
    if count > 1:
        return _sparse_changes(rand, initial, _INT_CHANGE, _int_change(rand))
    x = initial[0]

    def scalar() -> int:
        nonlocal x
        u = rand()
        if u < _INT_CHANGE:
            if (u < _INT_CHANGE / 2 and x > lo) or x >= hi:
                x -= 1
            else:
                x += 1
        return x

    return scalar


def _bool_flips(rng: random.Random, count: int) -> Generator:
    """Booleans that flip rarely."""
    rand = rng.random
    initial = [rand() < 0.5 for _ in range(count)]
    if count > 1:
        return _sparse_changes(rand, initial, _BOOL_FLIP, operator.not_)
    x = initial[0]

    def scalar() -> bool:
        nonlocal x
        if rand() < _BOOL_FLIP:
            x = not x
        return x

    return scalar


def _sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES).format(rng.uniform(0.0, 360.0))


def _picker(field: FieldInfo, rng: random.Random) -> Callable[[Any], Any]:
    """A new value for a rarely changing scalar of ``field``, whatever the old one."""
    if field.choices:
        choices = field.choices
        return lambda _x: rng.choice(choices)
    name = field.name.lower()
    if name == "traceback":  # a CSC sends one only with an error
        return lambda _x: ""
    if any(word in name for word in _MESSAGE_NAMES):
        return lambda _x: _sentence(rng)
    return lambda _x: rng.choice(_WORDS)


def _words(rng: random.Random, count: int) -> Generator:
    """Short words that change rarely."""
    rand = rng.random
    initial = [rng.choice(_WORDS) for _ in range(count)]

    def change(_x: str) -> str:
        return rng.choice(_WORDS)

    if count > 1:
        return _sparse_changes(rand, initial, _STR_CHANGE, change)
    x = initial[0]

    def scalar() -> str:
        nonlocal x
        if rand() < _STR_CHANGE:
            x = rng.choice(_WORDS)
        return x

    return scalar


def _sparse_changes(
    rand: Callable[[], float], initial: list, p: float, change: Callable[[Any], Any]
) -> Generator:
    """An array whose elements each change with probability ``p`` per sample, on average.

    Rather than a draw per element, each sample changes ``count * p`` elements (rounded up
    or down at random, so the mean is exact), picked at random: a few draws per sample.
    """
    xs = list(initial)
    n = len(xs)
    rate = n * p

    def array() -> list:
        for _ in range(int(rate + rand())):
            i = int(rand() * n)
            xs[i] = change(xs[i])
        return xs.copy()  # a copy: a consumer editing it must not steer the walk

    return array


def _choices(field: FieldInfo, rng: random.Random) -> Generator:
    """Values of an enumerated field: one of its choices, changing now and then."""
    change = _picker(field, rng)
    row = [change(None) for _ in range(field.count)]
    if field.count > 1:
        return _sparse_changes(rng.random, row, _INT_CHANGE, change)
    value = row[0]

    def scalar() -> int:
        nonlocal value
        if rng.random() < _INT_CHANGE:
            value = change(value)
        return value

    return scalar


def field_generator(field: FieldInfo, rng: random.Random) -> Generator:
    """Generator of one field's values: a scalar, or a fresh list of ``count`` elements."""
    kind = python_type_of(field)
    if field.choices and kind is int:
        return _choices(field, rng)
    if kind is float:
        lo, hi = float_bounds(field)
        return _float_walk(rng, lo, hi, field.count)
    if kind is bool:
        return _bool_flips(rng, field.count)
    if kind is int:
        return _int_walk(rng, field.count)
    return _words(rng, field.count)


def _rare_scalar(
    field: FieldInfo, rng: random.Random
) -> tuple[object, float, Callable[[Any], Any]]:
    """(initial value, change probability per sample, change) of a bool, int or str scalar:
    an enumerated int stays within its choices, a message-like string reads as a sentence."""
    kind = python_type_of(field)
    rand = rng.random
    if kind is bool:
        return rand() < 0.5, _BOOL_FLIP, operator.not_
    if kind is int and not field.choices:
        return rng.randint(*_INT_BOUNDS), _INT_CHANGE, _int_change(rand)
    change = _picker(field, rng)
    return change(None), _INT_CHANGE if kind is int else _STR_CHANGE, change


def topic_generator(fields: Iterable[FieldInfo], rng: random.Random) -> TopicGenerator:
    """Generator of the values of ``fields`` (user fields, in order) as a fresh list.

    Float scalars and arrays have a generator each. Bool, int and str scalars change rarely, so
    they are kept in a row of current values, and each sample changes ``sum(p)`` of them
    (rounded up or down at random, so the mean is exact), each picked with probability
    proportional to its own ``p``: each field changes with its own probability on average, for
    a few draws per sample instead of one per field.
    """
    row: list = []
    gens: list[tuple[int, Generator]] = []
    slots: list[int] = []
    changes: list[Callable[[Any], Any]] = []
    cumulative: list[float] = []
    total = 0.0
    for i, field in enumerate(fields):
        kind = python_type_of(field)
        if field.count == 1 and kind is not float:
            value, p, change = _rare_scalar(field, rng)
            row.append(value)
            slots.append(i)
            changes.append(change)
            total += p
            cumulative.append(total)
        else:
            row.append(None)
            gens.append((i, field_generator(field, rng)))
    if not slots:
        only = [g for _, g in gens]
        return lambda: [g() for g in only]
    rand = rng.random
    last = len(slots) - 1

    def values() -> list:
        for _ in range(int(total + rand())):
            j = min(bisect_right(cumulative, rand() * total), last)  # min: rounding guard
            i = slots[j]
            row[i] = changes[j](row[i])
        out = row.copy()
        for i, g in gens:
            out[i] = g()
        return out

    return values


def sim_default(field: FieldInfo) -> object:
    """What a simulator writes into a field it sets no value for: the first value of an
    enumerated field (0 is often outside the enumeration), else salobj's default."""
    if field.choices:
        first = field.choices[0]
        return [first] * field.count if field.count > 1 else first
    return field.default_value()


def _coerce(value: object, kind: type, count: int) -> object:
    """``value`` as ``kind`` (repeated ``count`` times for arrays); the default on failure."""
    try:
        scalar = kind(value)
    except (TypeError, ValueError):
        scalar = kind()
    return [scalar] * count if count > 1 else scalar


def fixed_values(fields: Iterable[FieldInfo], overrides: Mapping[str, object]) -> TopicGenerator:
    """Generator of constant values: ``overrides`` by field name (coerced to the field's type),
    else the first value of an enumerated field, else the field's default. Arrays are fresh
    lists on every call."""
    values = []
    for f in fields:
        kind = python_type_of(f)
        values.append(_coerce(overrides.get(f.name, sim_default(f)), kind, f.count))
    if any(isinstance(v, list) for v in values):
        return lambda: [list(v) if isinstance(v, list) else v for v in values]
    return lambda: list(values)
