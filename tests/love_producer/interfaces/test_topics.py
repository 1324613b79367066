"""Topic selection (love_producer.interfaces.topics): the upstream lists, --topics, W13."""

from __future__ import annotations

from actors.edges.catalog import Catalog
from love_producer.interfaces.component_id import ComponentId
from love_producer.interfaces.topics import attribute_names, select_for_all, select_per_component
from love_producer.state.csc_state import CSCSettings, GenericCSC

CATALOG = Catalog.builtin()
ATDOME, ATMCS = ComponentId("ATDome"), ComponentId("ATMCS")
INFOS = {ATDOME: CATALOG.get("ATDome"), ATMCS: CATALOG.get("ATMCS")}


def test_attribute_names_are_salobj_names() -> None:
    names = attribute_names(INFOS[ATDOME])
    assert names["tel_position"] == ("telemetry", "position")
    assert names["evt_summaryState"] == ("event", "summaryState")
    assert not any(n.startswith("cmd_") for n in names)


def test_a_list_applies_to_the_components_that_have_each_topic() -> None:
    sel = select_for_all(["tel_position", "evt_summaryState"], INFOS, "--periodic-data")
    assert sel.errors == []
    assert sel.by_component[ATDOME] == {("telemetry", "position"), ("event", "summaryState")}
    assert sel.by_component[ATMCS] == {("event", "summaryState")}
    assert sel.notes == ["--periodic-data tel_position: for ATDome; skipped ATMCS (no such topic)"]
    reduced = sel.apply(INFOS)
    assert reduced[ATDOME].telemetry_names == ("position",)
    assert reduced[ATDOME].event_names == ("summaryState",)
    assert reduced[ATMCS].telemetry == () and reduced[ATMCS].commands == INFOS[ATMCS].commands


def test_a_topic_nobody_has_is_an_error_with_a_suggestion_and_an_empty_list_too() -> None:
    sel = select_for_all(["tel_positon", "position", "evt_nope"], INFOS, "--asynchronous-data")
    assert sel.errors[0].startswith(
        "--asynchronous-data tel_positon: no such topic in ATDome, ATMCS"
    )
    assert "did you mean tel_position" in sel.errors[0]
    assert "a topic is tel_<name> or evt_<name>" in sel.errors[1]
    assert sel.errors[2].startswith("--asynchronous-data evt_nope: no such topic")
    assert select_for_all([], INFOS, "--periodic-data").errors == [
        "--periodic-data names no topic (leave it out to forward every topic)"
    ]


def test_topics_per_component() -> None:
    sel = select_per_component(
        ["ATDome=tel_position,evt_heartbeat", "ATMCS:0=evt_summaryStat"], INFOS
    )
    assert sel.by_component[ATDOME] == {("telemetry", "position"), ("event", "heartbeat")}
    (error,) = sel.errors
    assert error.startswith("--topics ATMCS:0: no topic evt_summaryStat; did you mean evt_summ")
    bad = select_per_component(["MTMount=tel_azimuth", "ATDome", "ATDome="], INFOS)
    assert "MTMount is not one of the components" in bad.errors[0]
    assert "expected NAME[:INDEX]=tel_a,evt_b" in bad.errors[1]
    assert "names no topic" in bad.errors[2]


def test_without_evt_heartbeat_there_is_no_heartbeat_stream() -> None:
    sel = select_per_component(["ATDome=tel_position"], INFOS)
    info = sel.apply(INFOS)[ATDOME]
    csc = GenericCSC(info, 0, CSCSettings(), start_time=0.0)
    assert csc.tick(100.0) == [] and csc.heartbeat_due() == float("inf")
    with_beat = GenericCSC(INFOS[ATDOME], 0, CSCSettings(), start_time=0.0)
    assert [f.csc for f in with_beat.tick(100.0)] == ["Heartbeat"]
