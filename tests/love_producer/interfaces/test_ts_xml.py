"""Parsing rules of love_producer.interfaces.ts_xml, on small XML written here."""

from __future__ import annotations

import pytest

from love_producer.interfaces.interface import FieldInfo
from love_producer.interfaces.ts_xml import (
    SubsystemEntry,
    build_component,
    parse_generics,
    parse_subsystems,
    parse_topic_file,
)

TELEMETRY = """<?xml version="1.0" encoding="UTF-8"?>
<SALTelemetrySet>
  <Enumeration>Motion_Stopped,Motion_Moving</Enumeration>
  <SALTelemetry>
    <Subsystem>Dome</Subsystem>
    <Description>ignored prose</Description>
    <EFDB_Topic>Dome_position</EFDB_Topic>
    <item>
      <EFDB_Name>azimuth</EFDB_Name>
      <Description>ignored</Description>
      <IDL_Type>double</IDL_Type>
      <Units>deg</Units>
      <Count>1</Count>
    </item>
    <item>
      <EFDB_Name>encoder</EFDB_Name>
      <IDL_Type>long long</IDL_Type>
      <Count>1</Count>
    </item>
    <item>
      <EFDB_Name>temperatures</EFDB_Name>
      <IDL_Type>float</IDL_Type>
      <Units>  </Units>
      <Count>4</Count>
    </item>
  </SALTelemetry>
  <SALTelemetry>
    <EFDB_Topic>Dome_motor_status</EFDB_Topic>
  </SALTelemetry>
</SALTelemetrySet>
"""

EVENTS = """<SALEventSet>
  <SALEvent>
    <EFDB_Topic>Dome_logevent_inPosition</EFDB_Topic>
    <item><EFDB_Name>inPosition</EFDB_Name><IDL_Type>boolean</IDL_Type>
      <Units>unitless</Units><Count>1</Count></item>
  </SALEvent>
</SALEventSet>
"""

COMMANDS = """<SALCommandSet>
  <SALCommand>
    <EFDB_Topic>Dome_command_move</EFDB_Topic>
    <item><EFDB_Name>target</EFDB_Name><IDL_Type>double</IDL_Type>
      <Units>deg</Units><Count>1</Count></item>
  </SALCommand>
</SALCommandSet>
"""

GENERICS = """<SALObjects>
  <SALCommandSet>
    <SALCommand><EFDB_Topic>SALGeneric_command_abort</EFDB_Topic></SALCommand>
    <SALCommand><EFDB_Topic>SALGeneric_command_start</EFDB_Topic>
      <Category>csc</Category>
      <item><EFDB_Name>configurationOverride</EFDB_Name><IDL_Type>string</IDL_Type>
        <Count>1</Count></item>
    </SALCommand>
    <SALCommand><EFDB_Topic>SALGeneric_command_setLogLevel</EFDB_Topic>
      <Category>csc</Category></SALCommand>
  </SALCommandSet>
  <SALEventSet>
    <SALEvent><EFDB_Topic>SALGeneric_logevent_clockOffset</EFDB_Topic>
      <item><EFDB_Name>offset</EFDB_Name><IDL_Type>double</IDL_Type><Units>s</Units>
        <Count>1</Count></item>
    </SALEvent>
    <SALEvent><EFDB_Topic>SALGeneric_logevent_summaryState</EFDB_Topic>
      <Category>csc</Category></SALEvent>
    <SALEvent><EFDB_Topic>SALGeneric_logevent_heartbeat</EFDB_Topic>
      <Category>mandatory</Category></SALEvent>
    <SALEvent><EFDB_Topic>SALGeneric_logevent_configurationApplied</EFDB_Topic>
      <Category>configurable</Category></SALEvent>
  </SALEventSet>
</SALObjects>
"""

SUBSYSTEMS = """<SALSubsystemSet>
  <SALSubsystem>
    <Name>Dome</Name><Description>prose</Description>
    <IndexEnumeration>no</IndexEnumeration>
    <AddedGenerics>csc, configurable, logevent_clockOffset</AddedGenerics>
  </SALSubsystem>
  <SALSubsystem>
    <Name>Hexapod</Name>
    <IndexEnumeration>Camera,M2</IndexEnumeration>
    <AddedGenerics>csc,configurable</AddedGenerics>
  </SALSubsystem>
  <SALSubsystem>
    <Name>Bare</Name>
    <IndexEnumeration>any</IndexEnumeration>
    <AddedGenerics/>
  </SALSubsystem>
</SALSubsystemSet>
"""

#: Private fields written out here, independently of interface.private_fields.
PRIVATE_NAMES = [
    "private_sndStamp",
    "private_rcvStamp",
    "private_efdStamp",
    "private_kafkaStamp",
    "private_seqNum",
    "private_revCode",
    "private_identity",
    "private_origin",
]


def test_topic_file_names_and_fields():
    topics = parse_topic_file(TELEMETRY, "telemetry")
    assert [name for name, _ in topics] == ["position", "motor_status"]
    fields = topics[0][1]
    assert fields == [
        FieldInfo("azimuth", "double", 1, "deg"),
        FieldInfo("encoder", "long long", 1, "unitless"),
        FieldInfo("temperatures", "float", 4, "unitless"),
    ]
    assert topics[1][1] == []


def test_topic_file_accepts_bytes():
    assert parse_topic_file(TELEMETRY.encode(), "telemetry")[0][0] == "position"


def test_event_and_command_prefixes_stripped():
    assert [n for n, _ in parse_topic_file(EVENTS, "event")] == ["inPosition"]
    assert [n for n, _ in parse_topic_file(COMMANDS, "command")] == ["move"]


def test_topic_file_of_wrong_kind_is_rejected():
    with pytest.raises(ValueError, match="SALEventSet"):
        parse_topic_file(TELEMETRY, "event")


def test_unknown_idl_type_names_the_field():
    bad = EVENTS.replace("boolean", "quaternion")
    with pytest.raises(ValueError, match="inPosition.*quaternion"):
        parse_topic_file(bad, "event")


def test_repeated_field_is_rejected():
    item = "<item><EFDB_Name>x</EFDB_Name><IDL_Type>int</IDL_Type></item>"
    xml = f"<SALEventSet><SALEvent><EFDB_Topic>A_logevent_e</EFDB_Topic>{item}{item}"
    xml += "</SALEvent></SALEventSet>"
    with pytest.raises(ValueError, match="'x' is defined twice"):
        parse_topic_file(xml, "event")


def test_parse_subsystems():
    entries = parse_subsystems(SUBSYSTEMS)
    assert list(entries) == ["Dome", "Hexapod", "Bare"]
    assert entries["Dome"] == SubsystemEntry(
        "Dome", "no", ("csc", "configurable", "logevent_clockOffset")
    )
    assert entries["Hexapod"].added_generics == ("csc", "configurable")
    assert entries["Hexapod"].index_enumeration == "Camera,M2"
    assert entries["Bare"].added_generics == ()


def test_parse_generics_categories():
    generics = parse_generics(GENERICS)
    assert [(t.name, t.category) for t in generics.commands] == [
        ("abort", None),
        ("start", "csc"),
        ("setLogLevel", "csc"),
    ]
    assert [(t.name, t.category) for t in generics.events] == [
        ("clockOffset", None),
        ("summaryState", "csc"),
        ("heartbeat", "mandatory"),
        ("configurationApplied", "configurable"),
    ]
    assert generics.commands[1].fields == (
        FieldInfo("configurationOverride", "string", 1, "unitless"),
    )
    assert generics.by_sal_name("logevent_clockOffset").fields == (
        FieldInfo("offset", "double", 1, "s"),
    )


def build(entry: SubsystemEntry, **files):
    return build_component(entry, parse_generics(GENERICS), files)


def test_component_assembly_order_and_private_fields():
    entry = parse_subsystems(SUBSYSTEMS)["Dome"]
    info = build(entry, telemetry=TELEMETRY, event=EVENTS, command=COMMANDS)
    assert info.name == "Dome"
    assert not info.indexed
    # mandatory first, then csc, configurable, the single topic, then own topics
    assert info.event_names == (
        "heartbeat",
        "summaryState",
        "configurationApplied",
        "clockOffset",
        "inPosition",
    )
    assert [t.name for t in info.commands] == ["start", "setLogLevel", "move"]
    assert info.telemetry_names == ("position", "motor_status")
    position = info.topic("telemetry", "position")
    assert list(position.field_names) == PRIVATE_NAMES + ["azimuth", "encoder", "temperatures"]
    assert list(info.topic("event", "heartbeat").field_names) == PRIVATE_NAMES
    assert info.topic("event", "inPosition").kind == "event"


def test_indexed_component_gets_sal_index_first():
    entry = parse_subsystems(SUBSYSTEMS)["Hexapod"]
    info = build(entry, telemetry=TELEMETRY)
    assert info.indexed
    position = info.topic("telemetry", "position")
    assert list(position.field_names) == ["salIndex"] + PRIVATE_NAMES + [
        "azimuth",
        "encoder",
        "temperatures",
    ]
    assert position.fields[0] == FieldInfo("salIndex", "long", 1, "unitless")
    # every topic, generic ones included
    assert all(t.fields[0].name == "salIndex" for t in info.events + info.commands)


def test_mandatory_added_without_any_added_generics():
    info = build(SubsystemEntry("Bare", "any", ()))
    assert info.event_names == ("heartbeat",)
    assert info.commands == ()
    assert info.telemetry == ()


def test_single_generic_topic_without_its_category():
    info = build(SubsystemEntry("Script", "any", ("command_setLogLevel",)))
    assert [t.name for t in info.commands] == ["setLogLevel"]
    assert info.event_names == ("heartbeat",)
    assert info.topic("command", "start") is None


def test_own_topic_redefining_a_generic_is_rejected():
    clash = EVENTS.replace("Dome_logevent_inPosition", "Dome_logevent_summaryState")
    with pytest.raises(ValueError, match="logevent_summaryState"):
        build(SubsystemEntry("Dome", "no", ("csc",)), event=clash)


def test_repeated_own_topic_is_rejected():
    twice = COMMANDS.replace("</SALCommandSet>", "") + COMMANDS.replace("<SALCommandSet>", "")
    with pytest.raises(ValueError, match="command_move.*twice"):
        build(SubsystemEntry("Dome", "no", ()), command=twice)


def test_unknown_added_generics_are_rejected():
    with pytest.raises(ValueError, match="logevent_nope"):
        build(SubsystemEntry("Dome", "no", ("logevent_nope",)))
    with pytest.raises(ValueError, match="category 'nope'"):
        build(SubsystemEntry("Dome", "no", ("nope",)))


def test_same_name_in_telemetry_and_event_is_allowed():
    # SAL names differ (position vs logevent_position), as in upstream ts_xml
    events = EVENTS.replace("inPosition</EFDB_Topic>", "position</EFDB_Topic>")
    info = build(SubsystemEntry("Dome", "no", ()), telemetry=TELEMETRY, event=events)
    assert info.topic("event", "position") is not None
    assert info.topic("telemetry", "position") is not None
