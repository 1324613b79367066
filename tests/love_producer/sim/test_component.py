"""Tests of the deterministic CSC simulator (love_producer.sim.component)."""

from __future__ import annotations

import math
import re

import attrs
import pytest

from love_producer.interfaces.interface import ComponentInfo, FieldInfo, TopicInfo, private_fields
from love_producer.sim.component import SimSettings, SimulatedComponent

START = 1_700_000_000.25

F = FieldInfo


def _topic(name: str, kind: str, fields: list[FieldInfo], indexed: bool = False) -> TopicInfo:
    return TopicInfo(name, kind, private_fields(indexed) + tuple(fields))  # type: ignore[arg-type]


def atdome(indexed: bool = False, with_config: bool = True) -> ComponentInfo:
    """An ATDome-like component, written by hand (plus array fields to exercise counts)."""
    ev = [
        ("summaryState", [F("summaryState", "long")]),
        ("heartbeat", [F("heartbeat", "boolean")]),
        (
            "softwareVersions",
            [F(n, "string") for n in ("salVersion", "xmlVersion", "cscVersion")]
            + [F("subsystemVersions", "string")],
        ),
        ("logLevel", [F("level", "int"), F("subsystem", "string")]),
        ("simulationMode", [F("mode", "int")]),
        (
            "errorCode",
            [F("errorCode", "long"), F("errorReport", "string"), F("traceback", "string")],
        ),
        ("azimuthState", [F("state", "long")]),
        ("emergencyStop", [F("active", "boolean")]),
    ]
    if with_config:
        ev += [
            ("configurationsAvailable", [F(n, "string") for n in ("overrides", "version")]),
            ("configurationApplied", [F(n, "string") for n in ("configurations", "version")]),
        ]
    tel = [
        (
            "position",
            [
                F("dropoutDoorOpeningPercentage", "double", units="%"),
                F("mainDoorOpeningPercentage", "double", units="%"),
                F("azimuthPosition", "double", units="deg"),
                F("azimuthPositionSet", "double", units="deg"),
            ],
        ),
        (
            "arrays",
            [
                F("temperature", "float", count=8, units="deg_C"),
                F("counts", "long", count=3),
                F("flags", "boolean", count=5),
                F("names", "string", count=2),
                F("scalarInt", "unsigned short"),
            ],
        ),
    ]
    return ComponentInfo(
        "ATDome",
        index_enumeration="any" if indexed else "no",
        telemetry=tuple(_topic(n, "telemetry", f, indexed) for n, f in tel),
        events=tuple(_topic(n, "event", f, indexed) for n, f in ev),
        commands=(_topic("moveAzimuth", "command", [F("azimuth", "double")], indexed),),
    )


def run_chunked(comp: SimulatedComponent, end: float, step: float) -> list:
    out = []
    k = 0
    while True:
        now = min(START + k * step, end)
        out += comp.advance(now)
        if now >= end:
            return out
        k += 1


def as_rows(samples: list) -> list:
    """Samples as comparable rows, including the data's key order."""
    return [
        (s.component, s.index, s.kind, s.topic, list(s.data.items()), s.rcv_time) for s in samples
    ]


def of_topic(samples: list, topic: str) -> list:
    return [s for s in samples if s.topic == topic]


RICH = dict(event_interval=(0.5, 2.0), fault_at=8.5, silent_from=5.0, silent_until=6.5)


# --- chunking and determinism -------------------------------------------------------


@pytest.mark.parametrize("settings", [SimSettings(), SimSettings(**RICH)])
def test_chunking_independence(settings: SimSettings) -> None:
    one = SimulatedComponent(atdome(), 0, 7, START, settings).advance(START + 10)
    many = run_chunked(SimulatedComponent(atdome(), 0, 7, START, settings), START + 10, 0.1)
    assert len(one) > 200
    assert as_rows(one) == as_rows(many)


def test_chunking_irregular_and_before_start() -> None:
    settings = SimSettings(**RICH)
    one = SimulatedComponent(atdome(), 0, 3, START, settings).advance(START + 12)
    comp = SimulatedComponent(atdome(), 0, 3, START, settings)
    assert comp.advance(START - 5) == []
    got = []
    for now in (START, START + 0.33, START + 0.33, START + 2.0, START + 7.777, START + 12):
        got += comp.advance(now)
    assert as_rows(got) == as_rows(one)
    assert comp.advance(START + 12) == []


def test_sorted_by_time_across_chunks() -> None:
    samples = run_chunked(SimulatedComponent(atdome(), 0, 1, START), START + 10, 0.37)
    times = [s.rcv_time for s in samples]
    assert times == sorted(times)


def test_same_seed_identical_different_seed_different() -> None:
    a = SimulatedComponent(atdome(), 0, 11, START).advance(START + 10)
    b = SimulatedComponent(atdome(), 0, 11, START).advance(START + 10)
    c = SimulatedComponent(atdome(), 0, 12, START).advance(START + 10)
    assert as_rows(a) == as_rows(b)

    def positions(samples: list) -> list:
        return [s.data["azimuthPosition"] for s in of_topic(samples, "position")]

    assert positions(a) and positions(c)
    assert positions(a) != positions(c)
    assert a[0].data["private_origin"] != c[0].data["private_origin"]


# --- history, heartbeat, states ----------------------------------------------------


def test_history_first_on_first_call_only() -> None:
    comp = SimulatedComponent(atdome(), 0, 1, START)
    first = comp.advance(START + 0.5)
    expected = ["softwareVersions", "simulationMode", "logLevel", "configurationsAvailable"]
    assert [s.topic for s in first[:5]] == expected + ["summaryState"]
    assert all(s.rcv_time == START and s.kind == "event" for s in first[:5])
    assert first[4].data["summaryState"] == 5
    assert first[0].data["salVersion"] == "8.0.0"
    later = comp.advance(START + 10)
    assert not {s.topic for s in later} & set(expected)


def test_history_without_configurations_available() -> None:
    first = SimulatedComponent(atdome(with_config=False), 0, 1, START).advance(START)
    assert [s.topic for s in first] == [
        "softwareVersions",
        "simulationMode",
        "logLevel",
        "summaryState",
    ]


def test_heartbeat_every_second() -> None:
    samples = SimulatedComponent(atdome(), 0, 1, START).advance(START + 10.5)
    beats = [s.rcv_time for s in of_topic(samples, "heartbeat")]
    assert beats == pytest.approx([START + k for k in range(1, 11)], abs=1e-6)
    assert all(isinstance(s.data["heartbeat"], bool) for s in of_topic(samples, "heartbeat"))


def test_state_schedule_and_configuration_applied() -> None:
    samples = SimulatedComponent(atdome(), 0, 1, START).advance(START + 10)
    states = [
        (s.rcv_time - START, s.data["summaryState"]) for s in of_topic(samples, "summaryState")
    ]
    assert states == [(0.0, 5), (2.0, 1), (4.0, 2)]
    applied = of_topic(samples, "configurationApplied")
    assert [s.rcv_time - START for s in applied] == [2.0]
    i = samples.index(applied[0])
    assert samples[i + 1].topic == "summaryState"
    assert samples[i + 1].data["summaryState"] == 1


def test_fault_at() -> None:
    settings = SimSettings(state_schedule=((0.0, 5), (2.0, 1), (4.0, 2), (9.0, 1)), fault_at=6.0)
    samples = SimulatedComponent(atdome(), 0, 1, START, settings).advance(START + 12)
    states = [
        (s.rcv_time - START, s.data["summaryState"]) for s in of_topic(samples, "summaryState")
    ]
    assert states == [(0.0, 5), (2.0, 1), (4.0, 2), (6.0, 3)]
    errors = of_topic(samples, "errorCode")
    assert len(errors) == 1 and errors[0].rcv_time == START + 6.0
    assert errors[0].data["errorCode"] != 0
    i = samples.index(errors[0])
    assert samples[i + 1].topic == "summaryState" and samples[i + 1].data["summaryState"] == 3


# --- telemetry and events ------------------------------------------------------------


def test_telemetry_count_exact_for_override() -> None:
    settings = SimSettings(telemetry_rates={"position": 10.0, "arrays": 4.0})
    samples = SimulatedComponent(atdome(), 0, 5, START, settings).advance(START + 10)
    assert len(of_topic(samples, "position")) == 100
    assert len(of_topic(samples, "arrays")) == 40
    times = [s.rcv_time for s in of_topic(samples, "position")]
    assert START < times[0] <= START + 0.1
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == pytest.approx(
        [0.1] * 99, abs=1e-6
    )


@pytest.mark.parametrize("seed", range(8))
def test_telemetry_count_default_rates_and_scale(seed: int) -> None:
    duration = 7.3
    settings = SimSettings(rate_scale=3.0)
    comp = SimulatedComponent(atdome(), 0, seed, START, settings)
    samples = comp.advance(START + duration)
    for topic in ("position", "arrays"):
        rate = comp.rate_of(topic)
        assert rate / 3.0 in (1.0, 2.0, 5.0, 10.0, 20.0)
        n = len(of_topic(samples, topic))
        assert math.floor(rate * duration) <= n <= math.ceil(rate * duration)


def test_default_rates_vary_with_topic_and_seed() -> None:
    info = ComponentInfo(
        "Many",
        telemetry=tuple(_topic(f"t{i}", "telemetry", [F("x", "double")]) for i in range(30)),
    )
    comp = SimulatedComponent(info, 0, 1, START)
    assert len({comp.rate_of(f"t{i}") for i in range(30)}) >= 3


def test_component_events_at_random_intervals() -> None:
    settings = SimSettings(event_interval=(1.0, 2.0))
    samples = SimulatedComponent(atdome(), 0, 2, START, settings).advance(START + 30)
    for topic in ("azimuthState", "emergencyStop"):
        times = [START] + [s.rcv_time for s in of_topic(samples, topic)]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert 14 <= len(gaps) <= 30
        assert all(1.0 - 1e-6 <= g <= 2.0 + 1e-6 for g in gaps)
        assert len(set(gaps)) > 1


def test_event_due_after_names_the_time_of_the_next_event_and_never_a_heartbeat() -> None:
    # A reader that drains at each of these times gets every event the moment it is due.
    comp = SimulatedComponent(atdome(), 0, 2, START, SimSettings(event_interval=(1.0, 2.0)))
    comp.advance(START)
    t, seen = START, []
    for _ in range(20):
        due = comp.event_due_after(t)
        got = [s for s in comp.advance(due) if s.kind == "event"]
        assert got, f"nothing due at {due}"
        assert all(s.topic != "heartbeat" or s.rcv_time <= due for s in got)
        assert max(s.rcv_time for s in got if s.topic != "heartbeat") == pytest.approx(due)
        seen += [s.rcv_time for s in got if s.topic != "heartbeat"]
        t = due
    assert seen == sorted(seen) and len(seen) >= 20


def test_a_rate_change_while_running_doubles_the_telemetry_and_undoing_it_restores_the_grid():
    comp = SimulatedComponent(atdome(), 0, 2, START)
    untouched = SimulatedComponent(atdome(), 0, 2, START)

    def telemetry(c, a: float, b: float) -> list[float]:
        return [s.rcv_time for s in run_chunked_between(c, a, b) if s.kind == "telemetry"]

    normal = len(telemetry(comp, START, START + 10))
    comp.set_rate_scale(2.0)
    doubled = len(telemetry(comp, START + 10, START + 20))
    assert 1.9 * normal <= doubled <= 2.1 * normal
    comp.set_rate_scale(1.0)
    # back on the very times a never-changed component publishes at
    later = telemetry(comp, START + 20, START + 30)
    telemetry(untouched, START, START + 20)
    expected = telemetry(untouched, START + 20, START + 30)
    assert later[2:] == pytest.approx(expected[-len(later) + 2 :])
    with pytest.raises(ValueError):
        comp.set_rate_scale(0.0)


def run_chunked_between(comp: SimulatedComponent, a: float, b: float, step: float = 0.1):
    out, t = [], a
    while t < b:
        t = min(t + step, b)
        out += comp.advance(t)
    return out


def test_never_commands() -> None:
    samples = SimulatedComponent(atdome(), 0, 2, START).advance(START + 100)
    assert {s.kind for s in samples} == {"telemetry", "event"}
    assert "moveAzimuth" not in {s.topic for s in samples}


# --- silence -------------------------------------------------------------------------


@pytest.mark.parametrize("start", [START, 1_700_000_000.123, 1_234_567.1])
def test_silent_window(start: float) -> None:
    settings = SimSettings(silent_from=3.0, silent_until=6.0, event_interval=(0.5, 1.0))
    samples = SimulatedComponent(atdome(), 0, 4, start, settings).advance(start + 10)
    assert not [s for s in samples if start + 3.0 <= s.rcv_time < start + 6.0]
    assert [s for s in samples if s.rcv_time < start + 3.0]
    beats = [s.rcv_time - start for s in of_topic(samples, "heartbeat")]
    assert beats == pytest.approx([1, 2, 6, 7, 8, 9, 10], abs=1e-6)
    resumed = [s for s in of_topic(samples, "summaryState") if s.rcv_time == start + 6.0]
    assert [s.data["summaryState"] for s in resumed] == [2]
    position = of_topic(samples, "position")
    assert any(s.rcv_time >= start + 6.0 for s in position)
    seq = [s.data["private_seqNum"] for s in position]
    assert seq == list(range(1, len(seq) + 1))


def test_silent_forever_from_start() -> None:
    settings = SimSettings(silent_from=0.0)
    comp = SimulatedComponent(atdome(), 0, 4, START, settings)
    assert comp.advance(START + 20) == []


# --- fields ----------------------------------------------------------------------------


@pytest.mark.parametrize("indexed", [False, True])
def test_field_names_order_and_types(indexed: bool) -> None:
    info = atdome(indexed=indexed)
    index = 3 if indexed else 0
    settings = SimSettings(event_interval=(0.5, 1.0), fault_at=50.0)
    samples = SimulatedComponent(info, index, 9, START, settings).advance(START + 60)
    seen = set()
    for s in samples:
        topic = info.topic(s.kind, s.topic)
        assert topic is not None
        assert list(s.data) == list(topic.field_names)
        assert s.component == "ATDome" and s.index == index
        for f in topic.fields:
            value = s.data[f.name]
            if f.count > 1:
                assert isinstance(value, list) and len(value) == f.count
                assert all(type(v) is f.python_type for v in value)
            else:
                assert type(value) is f.python_type, (s.topic, f.name, value)
        seen.add(s.topic)
    assert seen == {t.name for t in info.telemetry + info.events}


def test_value_behaviour() -> None:
    settings = SimSettings(telemetry_rates={"position": 20.0, "arrays": 20.0})
    samples = SimulatedComponent(atdome(), 0, 9, START, settings).advance(START + 300)
    pos = of_topic(samples, "position")
    az = [s.data["azimuthPosition"] for s in pos]
    assert all(0.0 <= a <= 360.0 for a in az)
    assert len(set(az)) > len(az) // 2
    assert max(abs(b - a) for a, b in zip(az, az[1:], strict=False)) < 10.0
    door = [s.data["mainDoorOpeningPercentage"] for s in pos]
    assert all(0.0 <= d <= 100.0 for d in door)
    arrays = of_topic(samples, "arrays")
    ints = [s.data["scalarInt"] for s in arrays]
    assert all(0 <= i <= 10 for i in ints)
    changes = sum(a != b for a, b in zip(ints, ints[1:], strict=False))
    assert 0 < changes < len(ints) // 4
    flags = [s.data["flags"][0] for s in arrays]
    flips = sum(a != b for a, b in zip(flags, flags[1:], strict=False))
    assert 0 < flips < len(flags) // 10
    assert all(0 < len(n) <= 20 for s in arrays for n in s.data["names"])
    assert arrays[0].data["temperature"] is not arrays[1].data["temperature"]


def test_unknown_sal_type_does_not_crash() -> None:
    with attrs.validators.disabled():
        odd = [F("c", "char"), F("ld", "long double"), F("u8", "octet", count=2), F("w", "?")]
    info = ComponentInfo("Odd", telemetry=(_topic("odd", "telemetry", odd),))
    samples = SimulatedComponent(info, 0, 1, START).advance(START + 5)
    assert samples
    data = samples[0].data
    assert type(data["c"]) is str and type(data["w"]) is str
    assert type(data["ld"]) is float
    assert len(data["u8"]) == 2 and all(type(v) is int for v in data["u8"])


# --- private fields ---------------------------------------------------------------------


def test_private_fields() -> None:
    settings = SimSettings(event_interval=(0.5, 1.0))
    samples = SimulatedComponent(atdome(indexed=True), 2, 9, START, settings).advance(START + 20)
    origins = {s.data["private_origin"] for s in samples}
    assert len(origins) == 1
    revs: dict[str, set] = {}
    for s in samples:
        d = s.data
        assert d["salIndex"] == 2
        assert d["private_identity"] == "ATDome:2"
        assert d["private_efdStamp"] == s.rcv_time
        assert d["private_sndStamp"] == pytest.approx(s.rcv_time + 37.0, abs=1e-6)
        assert d["private_kafkaStamp"] == d["private_sndStamp"]
        assert 0.0 < d["private_rcvStamp"] - d["private_sndStamp"] < 0.002
        assert re.fullmatch(r"[0-9a-f]{8}", d["private_revCode"])
        revs.setdefault(s.topic, set()).add(d["private_revCode"])
    assert all(len(r) == 1 for r in revs.values())
    assert len({next(iter(r)) for r in revs.values()}) == len(revs)


def test_identity_not_indexed() -> None:
    samples = SimulatedComponent(atdome(), 0, 9, START).advance(START + 2)
    assert {s.data["private_identity"] for s in samples} == {"ATDome"}
    assert all("salIndex" not in s.data for s in samples)


def test_seq_num_per_topic() -> None:
    settings = SimSettings(event_interval=(0.5, 1.0))
    samples = run_chunked(SimulatedComponent(atdome(), 0, 9, START, settings), START + 20, 0.3)
    topics = {s.topic for s in samples}
    assert len(topics) >= 8
    for topic in topics:
        seq = [s.data["private_seqNum"] for s in of_topic(samples, topic)]
        assert seq == list(range(1, len(seq) + 1)), topic


# --- settings and construction -----------------------------------------------------------


def test_bad_index_rejected() -> None:
    with pytest.raises(ValueError):
        SimulatedComponent(atdome(), 1, 0, START)
    with pytest.raises(ValueError):
        SimulatedComponent(atdome(indexed=True), 0, 0, START)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(rate_scale=0.0),
        dict(telemetry_rates={"position": -1.0}),
        dict(default_rates=()),
        dict(state_schedule=()),
        dict(heartbeat_interval=0.0),
        dict(event_interval=(5.0, 1.0)),
        dict(silent_until=3.0),
        dict(silent_from=3.0, silent_until=2.0),
    ],
)
def test_bad_settings_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        SimSettings(**kwargs)


# --- cheap generators: large arrays and many rare scalars --------------------------------


def bulky() -> ComponentInfo:
    """Large arrays (as in ATMCS, ESS) and many bool/int/str scalars in one topic."""
    tel = [
        (
            "accel",
            [
                F("accelerationX", "float", count=400),
                F("azimuthAngles", "double", count=100, units="deg"),
                F("pair", "double", count=2),
                F("triple", "float", count=3, units="%"),
            ],
        ),
        (
            "status",
            [F(f"flag{i}", "boolean") for i in range(6)]
            + [F(f"mode{i}", "long") for i in range(6)]
            + [F(f"word{i}", "string") for i in range(3)]
            + [F("temperature", "double", units="deg_C"), F("counts", "long", count=50)],
        ),
    ]
    return ComponentInfo(
        "Bulky", telemetry=tuple(_topic(n, "telemetry", f) for n, f in tel), events=()
    )


def test_bulky_chunking_independence_and_seed() -> None:
    settings = SimSettings(telemetry_rates={"accel": 20.0, "status": 20.0})
    one = SimulatedComponent(bulky(), 0, 5, START, settings).advance(START + 10)
    many = run_chunked(SimulatedComponent(bulky(), 0, 5, START, settings), START + 10, 0.07)
    assert len(one) == 400
    assert as_rows(one) == as_rows(many)
    other = SimulatedComponent(bulky(), 0, 6, START, settings).advance(START + 10)

    def column(samples: list, topic: str, name: str) -> list:
        return [s.data[name] for s in of_topic(samples, topic)]

    assert column(one, "accel", "accelerationX") != column(other, "accel", "accelerationX")
    assert column(one, "status", "mode0") != column(other, "status", "mode0")


def test_float_arrays_bounded_varying_fresh() -> None:
    settings = SimSettings(telemetry_rates={"accel": 20.0, "status": 1.0})
    samples = of_topic(
        SimulatedComponent(bulky(), 0, 2, START, settings).advance(START + 120), "accel"
    )
    assert len(samples) == 2400
    for name, count, (lo, hi) in (
        ("accelerationX", 400, (0.0, 100.0)),
        ("azimuthAngles", 100, (0.0, 360.0)),
        ("pair", 2, (0.0, 100.0)),
        ("triple", 3, (0.0, 100.0)),
    ):
        arrays = [s.data[name] for s in samples]
        assert all(len(a) == count and all(type(v) is float for v in a) for a in arrays)
        assert all(lo <= v <= hi for a in arrays for v in a), name
        assert all(a is not b for a, b in zip(arrays, arrays[1:], strict=False))
        # every element varies over time, consecutive samples differ, elements differ
        for i in range(count):
            assert len({a[i] for a in arrays}) > len(arrays) // 10, (name, i)
        assert sum(a != b for a, b in zip(arrays, arrays[1:], strict=False)) > len(arrays) // 2
        assert len(set(arrays[0])) == count
        # ... and the whole array drifts: its mean wanders, not only its element order
        means = [sum(a) / count for a in arrays]
        assert max(means) - min(means) > 0.005 * (hi - lo), name
    # a consumer editing a sample's list does not steer the next samples
    comp = SimulatedComponent(bulky(), 0, 2, START, settings)
    first = comp.advance(START + 1)
    for s in of_topic(first, "accel"):
        s.data["accelerationX"][:] = [1e9] * 400
    later = of_topic(comp.advance(START + 5), "accel")
    assert all(0.0 <= v <= 100.0 for s in later for v in s.data["accelerationX"])


def test_rare_scalars_and_int_arrays_change_at_their_rates() -> None:
    settings = SimSettings(telemetry_rates={"accel": 1.0, "status": 20.0})
    samples = of_topic(
        SimulatedComponent(bulky(), 0, 8, START, settings).advance(START + 300), "status"
    )
    n = len(samples)
    assert n == 6000

    def changes(name: str) -> int:
        values = [s.data[name] for s in samples]
        return sum(a != b for a, b in zip(values, values[1:], strict=False))

    for i in range(6):
        assert 0.005 * n < changes(f"flag{i}") < 0.05 * n  # flips with p = 0.02
        assert 0.02 * n < changes(f"mode{i}") < 0.1 * n  # steps with p = 0.05
        assert all(type(s.data[f"flag{i}"]) is bool for s in samples)
        assert all(type(s.data[f"mode{i}"]) is int for s in samples)
        assert all(0 <= s.data[f"mode{i}"] <= 10 for s in samples)
    for i in range(3):
        assert changes(f"word{i}") < 0.03 * n  # changes with p = 0.01
        assert all(type(s.data[f"word{i}"]) is str for s in samples)
    temps = [s.data["temperature"] for s in samples]
    assert all(-10.0 <= t <= 30.0 for t in temps) and len(set(temps)) > n // 2
    counts = [s.data["counts"] for s in samples]
    assert all(len(c) == 50 and all(type(v) is int and 0 <= v <= 10 for v in c) for c in counts)
    for i in range(50):
        column = [c[i] for c in counts]
        moves = sum(a != b for a, b in zip(column, column[1:], strict=False))
        assert 0.02 * n < moves < 0.1 * n, i


# ------------------------------------------------------------------ telemetry grid, due_after


def _many(n: int = 12) -> ComponentInfo:
    return ComponentInfo(
        "Many",
        telemetry=tuple(_topic(f"t{i}", "telemetry", [F("x", "double")]) for i in range(n)),
    )


@pytest.mark.parametrize("seed", range(6))
def test_telemetry_of_a_component_is_published_on_one_grid(seed: int) -> None:
    """Every topic's times are psi + k * period for one psi: the slower topics' times are
    among the faster ones' (as a CSC publishing from one telemetry loop)."""
    comp = SimulatedComponent(_many(), 0, seed, START)
    samples = comp.advance(START + 5.0)
    times: dict[str, set[float]] = {}
    for s in samples:
        if s.kind == "telemetry":
            times.setdefault(s.topic, set()).add(round(s.rcv_time - START, 6))
    by_rate = sorted(times, key=comp.rate_of)
    assert len({comp.rate_of(t) for t in by_rate}) >= 3  # the check below means something
    fastest = times[by_rate[-1]]
    for topic in by_rate:
        assert times[topic] <= fastest, topic
    # and the grid has no common offset across seeds (components are not in step)
    assert 0.0 < min(fastest) <= 1.0 / comp.rate_of(by_rate[-1]) + 1e-9


def test_due_after_is_a_time_at_which_samples_come() -> None:
    comp = SimulatedComponent(_many(), 0, 3, START)
    assert comp.due_after(START - 5.0, 0.1) == START  # before the start: the history
    comp.advance(START)
    t = START + 0.02
    for _ in range(60):
        comp.advance(t)
        due = comp.due_after(t, 0.1)
        assert t <= due <= t + 0.1  # this component has topics faster than 10 Hz
        got = comp.advance(due)
        assert [s for s in got if s.rcv_time == pytest.approx(due)]  # samples come right then
        t = due + 0.09


def test_due_after_prefers_the_slowest_topic_within_the_span() -> None:
    """Within one span, drain where the slowest topic is due, so every topic's newest sample
    is fresh at the drain (on the in-between ticks of a 20 Hz topic a 10 Hz one is 50 ms
    old)."""
    info = ComponentInfo(
        "Two",
        telemetry=(
            _topic("fast", "telemetry", [F("x", "double")]),
            _topic("slow", "telemetry", [F("x", "double")]),
        ),
    )
    settings = SimSettings(telemetry_rates={"fast": 20.0, "slow": 10.0})
    comp = SimulatedComponent(info, 0, 11, START, settings)
    comp.advance(START)
    twin = SimulatedComponent(info, 0, 11, START, settings)
    slow_times = {round(s.rcv_time, 6) for s in of_topic(twin.advance(START + 3), "slow")}
    t = START + 1.0
    for _ in range(10):
        due = comp.due_after(t, 0.1)
        assert round(due, 6) in slow_times
        t = due + 0.09


def test_due_after_with_nothing_in_the_span_is_the_next_time() -> None:
    settings = SimSettings(telemetry_rates={"position": 1.0, "arrays": 1.0})
    comp = SimulatedComponent(atdome(), 0, 2, START, settings)
    comp.advance(START + 0.5)
    due = comp.due_after(START + 0.5, 0.1)
    assert due > START + 0.6  # no telemetry within the span: the first thing due after it
    got = comp.advance(due)
    assert got and all(s.rcv_time == pytest.approx(due) for s in got)


def test_due_after_does_not_leave_a_slow_topic_pending_for_its_next_period() -> None:
    """A 1 Hz sample due just before ``t`` (skipped by an earlier drain's schedule) is due at
    ``t``, not at its next time a second later."""
    settings = SimSettings(telemetry_rates={"position": 1.0, "arrays": 1.0})
    comp = SimulatedComponent(atdome(), 0, 2, START, settings)
    first = min(s.rcv_time for s in of_topic(comp.advance(START + 1.0), "position"))
    sample_t = first + 2.0  # one 1 Hz sample, not yet drained
    comp.advance(sample_t - 0.001)
    t = sample_t + 0.01
    assert comp.due_after(t, 0.1) == t
    assert of_topic(comp.advance(t), "position")


def test_heartbeats_do_not_drive_drains_unless_nothing_else_comes() -> None:
    settings = SimSettings(
        telemetry_rates={"position": 1.0, "arrays": 1.0}, event_interval=(500.0, 600.0)
    )
    comp = SimulatedComponent(atdome(), 0, 2, START, settings)
    samples = comp.advance(START + 1.5)
    psi = min(s.rcv_time for s in of_topic(samples, "position")) - START  # telemetry at psi + k
    beats = [s.rcv_time - START for s in of_topic(samples, "heartbeat")]
    assert beats == pytest.approx([1.0])  # heartbeats at whole seconds, telemetry off them
    assert 0.0 < psi < 1.0
    t = START + 2.0 - 0.05 if psi > 0.5 else START + 2.0 + psi - 0.5
    comp.advance(t)
    # whichever of the heartbeat at 2.0 and the telemetry at 2 + psi comes first, the drain is
    # for the telemetry
    assert comp.due_after(t, 0.1) == pytest.approx(START + 2.0 + psi)

    quiet = ComponentInfo("Quiet", events=atdome().events)
    comp = SimulatedComponent(quiet, 0, 2, START, SimSettings(event_interval=(500.0, 600.0)))
    comp.advance(START + 0.5)
    assert comp.due_after(START + 0.5, 0.1) == pytest.approx(START + 1.0)  # only heartbeats
