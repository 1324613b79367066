"""The catalog of interface descriptions: built-in JSON, ts_xml folders, name checks.

The last group reads the real ts_xml copy and runs only when ``LOVE_TS_XML_DIR`` is set
(CI sets it to ``../shared/ts_xml``; a relative path is taken from the repository root).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from actors.edges.catalog import Catalog, CatalogError, builtin_dir
from love_producer.interfaces.component_id import ComponentId, parse_components
from love_producer.interfaces.interface import FieldInfo
from love_producer.interfaces.interface_json import FORMAT_VERSION, from_json_dict, to_json_dict
from love_producer.interfaces.ts_xml import parse_topic_file

REPO = Path(__file__).resolve().parents[3]
BUILTIN = (
    "ATDome",
    "ATMCS",
    "ATPtg",
    "MTHexapod",
    "MTMount",
    "ScriptQueue",
    "Script",
    "Watcher",
    "Test",
    "ESS",
)


@pytest.fixture(scope="module")
def builtin() -> Catalog:
    return Catalog.builtin()


def own_fields(topic):
    return [f for f in topic.fields if f.name != "salIndex" and not f.name.startswith("private_")]


# Built-in catalog


def test_builtin_dir_is_the_source_tree_conf():
    assert builtin_dir() == REPO / "conf" / "interfaces"
    assert (builtin_dir() / "subsystems.json").is_file()


def test_builtin_atdome_position(builtin):
    info = builtin.get("ATDome")
    assert info.telemetry_names == ("position",)
    assert own_fields(info.telemetry[0]) == [
        FieldInfo("dropoutDoorOpeningPercentage", "float", 1, "unitless"),
        FieldInfo("mainDoorOpeningPercentage", "float", 1, "unitless"),
        FieldInfo("azimuthPosition", "double", 1, "deg"),
        FieldInfo("azimuthEncoderPosition", "long long", 1, "unitless"),
    ]
    assert info.telemetry[0].fields[0].name == "private_sndStamp"
    assert "summaryState" in info.event_names


def test_builtin_get_is_cached(builtin):
    assert builtin.get("MTMount") is builtin.get("MTMount")


def test_names_has_all_63_subsystems(builtin):
    names = builtin.names()
    assert len(names) == 63
    assert len(set(names)) == 63
    assert {"ATDome", "ATCamera", "MTHexapod", "ScriptQueue", "WeatherForecast"} <= set(names)
    assert "built-in" in builtin.source


def test_known_component_without_description(builtin):
    with pytest.raises(CatalogError) as err:
        builtin.get("ATCamera")
    message = str(err.value)
    assert message.startswith("ATCamera is a SAL component but its interface description")
    assert str(builtin_dir()) in message
    assert "--xml-dir" in message


def test_resolve_valid_ids(builtin):
    ids = parse_components(["ATDome MTHexapod:1,MTHexapod:2 ScriptQueue:3 Test:42"])
    resolved = builtin.resolve(ids)
    assert list(resolved) == ids
    assert resolved[ComponentId("MTHexapod", 2)].name == "MTHexapod"
    assert resolved[ComponentId("ATDome")] is builtin.get("ATDome")


def test_resolve_collects_every_error(builtin):
    ids = parse_components(["ATDom", "ATDome", "MTHexapod", "MTHexapod:3", "ATDome:1"])
    with pytest.raises(CatalogError) as err:
        builtin.resolve(ids)
    lines = str(err.value).splitlines()
    assert len(lines) == 4
    assert lines[0] == "unknown component 'ATDom'; did you mean ATDome?"
    assert "MTHexapod is indexed" in lines[1] and "MTHexapod:1" in lines[1]
    assert "index 3" in lines[2] and "1 (CameraHexapod), 2 (M2Hexapod)" in lines[2]
    assert "ATDome is not indexed" in lines[3]


def test_resolve_suggests_case_fix_and_reports_no_match(builtin):
    with pytest.raises(CatalogError, match="did you mean ScriptQueue"):
        builtin.resolve([ComponentId("scriptqueue", 1)])
    with pytest.raises(CatalogError) as err:
        builtin.resolve([ComponentId("Zzzzzz")])
    assert str(err.value) == "unknown component 'Zzzzzz'"


def test_resolve_reports_missing_description(builtin):
    with pytest.raises(CatalogError, match="ATCamera is a SAL component"):
        builtin.resolve([ComponentId("ATCamera")])


def test_default_without_ts_xml_is_builtin(monkeypatch):
    monkeypatch.setattr(Catalog, "installed_ts_xml", classmethod(lambda cls: None))
    assert Catalog.default(None).source == Catalog.builtin().source


def test_default_with_bad_xml_dir(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        Catalog.default(str(tmp_path / "nope"))
    with pytest.raises(CatalogError, match="not a ts_xml sal_interfaces folder"):
        Catalog.default(str(tmp_path))


# JSON form


def test_json_round_trip_of_every_builtin(builtin):
    for name in BUILTIN:
        info = builtin.get(name)
        d = to_json_dict(info)
        assert "private_" not in json.dumps(d)
        assert from_json_dict(json.loads(json.dumps(d))) == info


def test_json_field_form(builtin):
    d = to_json_dict(builtin.get("ATDome"))
    assert d["format_version"] == FORMAT_VERSION == 1
    assert d["telemetry"][0]["fields"][2] == {
        "name": "azimuthPosition",
        "sal_type": "double",
        "units": "deg",
    }
    mt = to_json_dict(builtin.get("MTHexapod"))
    assert mt["index_enumeration"] == "CameraHexapod,M2Hexapod"
    assert "salIndex" not in json.dumps(mt)


def test_json_unknown_version_rejected(builtin):
    d = to_json_dict(builtin.get("ATDome"))
    d["format_version"] = 99
    with pytest.raises(ValueError, match="unsupported format_version 99"):
        from_json_dict(d)
    del d["format_version"]
    with pytest.raises(ValueError, match="unsupported format_version None"):
        from_json_dict(d)


def test_json_unknown_key_rejected(builtin):
    d = to_json_dict(builtin.get("ATDome"))
    d["telemetry"][0]["fields"][0]["colour"] = "red"
    with pytest.raises(ValueError, match="colour"):
        from_json_dict(d)


# A ts_xml folder written here


SUBSYSTEMS = """<SALSubsystemSet>
<SALSubsystem><Name>Dome</Name><IndexEnumeration>no</IndexEnumeration>
<AddedGenerics>csc</AddedGenerics></SALSubsystem>
<SALSubsystem><Name>Camera</Name><IndexEnumeration>any</IndexEnumeration>
<AddedGenerics>csc</AddedGenerics></SALSubsystem>
<SALSubsystem><Name>Broken</Name><IndexEnumeration>no</IndexEnumeration>
<AddedGenerics>csc</AddedGenerics></SALSubsystem>
<SALSubsystem><Name>HeaderService</Name><IndexEnumeration>no</IndexEnumeration>
<AddedGenerics>csc</AddedGenerics></SALSubsystem>
</SALSubsystemSet>"""
GENERICS = """<SALObjects><SALCommandSet/><SALEventSet>
<SALEvent><EFDB_Topic>SALGeneric_logevent_heartbeat</EFDB_Topic>
<Category>mandatory</Category></SALEvent>
<SALEvent><EFDB_Topic>SALGeneric_logevent_summaryState</EFDB_Topic><Category>csc</Category>
<item><EFDB_Name>summaryState</EFDB_Name><IDL_Type>long</IDL_Type><Count>1</Count></item>
</SALEvent></SALEventSet></SALObjects>"""
DOME_TEL = """<SALTelemetrySet><SALTelemetry><EFDB_Topic>Dome_position</EFDB_Topic>
<item><EFDB_Name>az</EFDB_Name><IDL_Type>double</IDL_Type><Units>deg</Units><Count>1</Count>
</item></SALTelemetry></SALTelemetrySet>"""


@pytest.fixture
def xml_dir(tmp_path) -> Path:
    (tmp_path / "SALSubsystems.xml").write_text(SUBSYSTEMS)
    (tmp_path / "SALGenerics.xml").write_text(GENERICS)
    (tmp_path / "Dome").mkdir()
    (tmp_path / "Dome" / "Dome_Telemetry.xml").write_text(DOME_TEL)
    (tmp_path / "Broken").mkdir()
    (tmp_path / "Broken" / "Broken_Events.xml").write_text("<SALEventSet><oops")
    (tmp_path / "HeaderService").mkdir()  # generic topics only, as ATHeaderService
    (tmp_path / "HeaderService" / "README.md").write_text("no topics of its own\n")
    return tmp_path


def test_xml_dir_catalog(xml_dir):
    catalog = Catalog.from_xml_dir(xml_dir)
    assert catalog.names() == ["Broken", "Camera", "Dome", "HeaderService"]
    assert str(xml_dir) in catalog.source
    dome = catalog.get("Dome")
    assert dome.telemetry_names == ("position",)
    assert own_fields(dome.telemetry[0]) == [FieldInfo("az", "double", 1, "deg")]
    assert dome.event_names == ("heartbeat", "summaryState")
    assert dome.commands == ()


def test_a_component_with_generic_topics_only_is_described_by_them(xml_dir):
    header = Catalog.from_xml_dir(xml_dir).get("HeaderService")
    assert header.event_names == ("heartbeat", "summaryState")
    assert header.telemetry == () and header.commands == ()


def test_xml_dir_missing_component_folder(xml_dir):
    catalog = Catalog.from_xml_dir(xml_dir)
    with pytest.raises(CatalogError) as err:
        catalog.get("Camera")
    assert str(err.value) == (
        f"Camera is a SAL component but its interface description is not in {xml_dir}:"
        " point --xml-dir at a ts_xml sal_interfaces folder"
    )


def test_xml_dir_broken_file_named(xml_dir):
    catalog = Catalog.from_xml_dir(xml_dir)
    with pytest.raises(CatalogError, match="cannot read the interface of Broken"):
        catalog.get("Broken")


def test_xml_dir_resolve_errors(xml_dir):
    catalog = Catalog.from_xml_dir(xml_dir)
    with pytest.raises(CatalogError) as err:
        catalog.resolve([ComponentId("Dome", 2), ComponentId("Dom"), ComponentId("Camera", 1)])
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert "Dome is not indexed" in lines[0]
    assert lines[1] == "unknown component 'Dom'; did you mean Dome?"
    assert lines[2].startswith("Camera is a SAL component")


# Real ts_xml (LOVE_TS_XML_DIR)

TS_XML_ENV = os.environ.get("LOVE_TS_XML_DIR")
needs_ts_xml = pytest.mark.skipif(
    not TS_XML_ENV, reason="set LOVE_TS_XML_DIR to a ts_xml sal_interfaces folder"
)


@pytest.fixture(scope="module")
def ts_xml_dir() -> Path:
    return REPO / TS_XML_ENV  # an absolute path replaces REPO


@pytest.fixture(scope="module")
def ts_xml(ts_xml_dir) -> Catalog:
    return Catalog.from_xml_dir(ts_xml_dir)


# ts_xml-notes §5: own tel/evt/cmd, generic evt/cmd, own fields tel/evt/cmd, own elements.
SIZES = {
    "ATDome": (1, 16, 7, 9, 6, (4, 38, 3), 45),
    "ATDomeTrajectory": (0, 3, 1, 9, 6, (0, 6, 1), 7),
    "ATMCS": (8, 37, 4, 9, 6, (63, 51, 13), 5382),
    "ATPtg": (7, 28, 31, 7, 6, (55, 95, 76), 820),
    "MTMount": (27, 48, 18, 10, 6, (752, 168, 29), 1419),
    "MTHexapod": (3, 10, 10, 9, 6, (12, 47, 53), 164),
    "ScriptQueue": (0, 7, 10, 7, 6, (0, 45, 25), 1268),
    "Script": (0, 4, 6, 5, 1, (0, 26, 9), 36),
    "Watcher": (0, 2, 6, 9, 6, (0, 22, 10), 32),
    "Test": (2, 2, 4, 9, 6, (21, 21, 23), 185),
    "ESS": (35, 6, 0, 9, 6, (586, 31, 0), 4444),
    "GenericCamera": (1, 34, 10, 11, 6, (1, 104, 18), 123),
}


@needs_ts_xml
@pytest.mark.parametrize("name", sorted(SIZES))
def test_ts_xml_sizes(ts_xml, ts_xml_dir, name):
    tel, evt, cmd, gen_evt, gen_cmd, fields, elements = SIZES[name]
    own: dict[str, list] = {}
    for kind, suffix in (("telemetry", "Telemetry"), ("event", "Events"), ("command", "Commands")):
        path = ts_xml_dir / name / f"{name}_{suffix}.xml"
        own[kind] = parse_topic_file(path.read_bytes(), kind) if path.is_file() else []
    assert [len(own[k]) for k in ("telemetry", "event", "command")] == [tel, evt, cmd]
    assert tuple(sum(len(f) for _, f in own[k]) for k in own) == fields
    assert sum(f.count for k in own for _, fs in own[k] for f in fs) == elements
    info = ts_xml.get(name)
    assert (len(info.telemetry), len(info.events), len(info.commands)) == (
        tel,
        evt + gen_evt,
        cmd + gen_cmd,
    )


@needs_ts_xml
def test_ts_xml_generic_choices(ts_xml):
    assert len(ts_xml.names()) == 63
    script = ts_xml.get("Script")
    assert script.topic("event", "summaryState") is None
    assert [t.name for t in script.commands][0] == "setLogLevel"
    assert script.topic("event", "largeFileObjectAvailable") is not None
    queue = ts_xml.get("ScriptQueue")
    assert queue.topic("event", "configurationApplied") is None
    assert queue.topic("event", "summaryState") is not None
    assert ts_xml.get("MTMount").topic("event", "clockOffset") is not None
    assert ts_xml.get("ATDome").topic("event", "clockOffset") is None
    camera = ts_xml.get("GenericCamera")
    assert camera.topic("event", "statusCode") is not None
    oil = ts_xml.get("MTMount").topic("telemetry", "oilSupplySystem")
    assert len(own_fields(oil)) == 365


@needs_ts_xml
def test_ts_xml_indexed_count(ts_xml):
    indexed = [n for n in ts_xml.names() if ts_xml.subsystem(n).index_enumeration != "no"]
    assert len(indexed) == 21
    assert ts_xml.subsystem("MTHexapod").index_enumeration == "CameraHexapod,M2Hexapod"


@needs_ts_xml
def test_builtin_matches_ts_xml(builtin, ts_xml):
    assert builtin.names() == ts_xml.names()
    for name in builtin.names():
        assert builtin.subsystem(name) == ts_xml.subsystem(name)
    for name in BUILTIN:
        assert builtin.get(name) == ts_xml.get(name), name
