"""The simulators speak the interface: every enumerated field takes only values of its
enumeration, logging levels are Python levels, messages read like a CSC's (#12).

Runs over a minute of simulated time for every built-in component and, where
``LOVE_TS_XML_DIR`` points at a ts_xml folder (``.ci/run`` sets it), every component there.
"""

from __future__ import annotations

import os
import re

import pytest

from actors.edges.catalog import Catalog
from love_producer.interfaces.interface import ComponentInfo
from love_producer.kinds import kind_of
from love_producer.sim.component import SimSettings

START = 1_800_000_000.0
LEVELS = {10, 20, 30, 40}


def catalogs() -> list[tuple[str, Catalog]]:
    found = [("built-in", Catalog.builtin())]
    if os.environ.get("LOVE_TS_XML_DIR"):
        found.append(("ts_xml", Catalog.from_xml_dir(os.environ["LOVE_TS_XML_DIR"])))
    return found


def components() -> list:
    out = []
    for label, catalog in catalogs():
        for name in catalog.names():
            try:
                info = catalog.get(name)
            except Exception:  # a name without a description here (built-in: names only)
                continue
            out.append(pytest.param(catalog, info, id=f"{label}-{name}"))
    return out


def simulate(catalog: Catalog, info: ComponentInfo, seconds: float = 60.0) -> list:
    kind = kind_of(info.name)
    related = {n: catalog.get(n) for n in kind.related}
    index = 1 if info.indexed else 0
    sim = kind.make_simulator(info, index, 7, START, SimSettings(), related)
    samples = []
    t = START
    while t < START + seconds:
        t += 0.25
        samples += sim.advance(t)
    return samples


@pytest.mark.parametrize("catalog, info", components())
def test_every_enumerated_field_stays_in_its_enumeration(catalog, info) -> None:
    infos = {info.name: info} | {n: catalog.get(n) for n in kind_of(info.name).related}
    checked = 0
    for s in simulate(catalog, info):
        topic = infos[s.component].topic(s.kind, s.topic)
        assert topic is not None, (s.component, s.kind, s.topic)
        for field in topic.fields:
            if not field.choices:
                continue
            values = s.data[field.name]
            for v in values if isinstance(values, list) else [values]:
                assert v in field.choices, f"{s.component} {s.topic}.{field.name} = {v}"
                checked += 1
        if s.topic == "logMessage":
            assert s.data["level"] in LEVELS
            assert re.search(r"[A-Za-z]+ .*\w", s.data["message"]), s.data["message"]
    # summaryState and logLevel at least: the check is never vacuous
    assert checked >= 2


def test_the_enumerations_are_read_from_ts_xml_as_their_values() -> None:
    atdome = Catalog.builtin().get("ATDome")
    state = {f.name: f for f in atdome.topic("event", "mainDoorState").fields}["state"]
    assert state.choices == (1, 2, 3, 4, 5)  # ShutterDoorState CLOSED=1 ... CLOSING=5
    level = {f.name: f for f in atdome.topic("event", "logMessage").fields}["level"]
    assert set(level.choices) == LEVELS
    summary = {f.name: f for f in atdome.topic("event", "summaryState").fields}["summaryState"]
    assert summary.choices == (1, 2, 3, 4, 5)
