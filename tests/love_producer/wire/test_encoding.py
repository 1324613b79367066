"""Tests of love_producer.wire.encoding against payloads written by hand from the spec
(§3.3-3.5)."""

from __future__ import annotations

import json
import math

import pytest

from love_producer.interfaces.interface import FieldInfo, TopicInfo, private_fields
from love_producer.wire.encoding import TopicEncoder, data_type


def strict_loads(text: str) -> object:
    """json.loads that rejects NaN / Infinity tokens (plain json.loads accepts them)."""

    def reject(token: str) -> object:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=reject)


def atdome_position() -> TopicInfo:
    return TopicInfo(
        "position",
        "telemetry",
        private_fields(False)
        + (
            FieldInfo("dropoutDoorOpeningPercentage", "double"),
            FieldInfo("mainDoorOpeningPercentage", "double"),
            FieldInfo("azimuthPosition", "double", units="deg"),
            FieldInfo("azimuthEncoderPosition", "long"),
        ),
    )


POSITION_SAMPLE = {
    "private_sndStamp": 1764132037.412,
    "private_rcvStamp": 1764132037.419,
    "private_efdStamp": 1764132000.412,
    "private_kafkaStamp": 1764132037.412,
    "private_seqNum": 1532,
    "private_revCode": "a1b2c3d4",
    "private_identity": "ATDome",
    "private_origin": 17,
    "dropoutDoorOpeningPercentage": 0.0,
    "mainDoorOpeningPercentage": 100.0,
    "azimuthPosition": 212.5,
    "azimuthEncoderPosition": 1203398,
}

# Written out from the §3.4 example, not computed.
POSITION_EXPECTED = {
    "private_sndStamp": {"value": 1764132037.412, "dataType": "Float", "units": "second"},
    "private_rcvStamp": {"value": 1764132037.419, "dataType": "Float", "units": "second"},
    "private_efdStamp": {"value": 1764132000.412, "dataType": "Float", "units": "second"},
    "private_kafkaStamp": {"value": 1764132037.412, "dataType": "Float", "units": "second"},
    "private_seqNum": {"value": 1532, "dataType": "Int", "units": "unitless"},
    "private_revCode": {"value": "a1b2c3d4", "dataType": "String", "units": "unitless"},
    "private_identity": {"value": "ATDome", "dataType": "String", "units": "unitless"},
    "private_origin": {"value": 17, "dataType": "Int", "units": "unitless"},
    "dropoutDoorOpeningPercentage": {"value": 0.0, "dataType": "Float", "units": "unitless"},
    "mainDoorOpeningPercentage": {"value": 100.0, "dataType": "Float", "units": "unitless"},
    "azimuthPosition": {"value": 212.5, "dataType": "Float", "units": "deg"},
    "azimuthEncoderPosition": {"value": 1203398, "dataType": "Int", "units": "unitless"},
}


def test_atdome_position_telemetry_matches_spec_example() -> None:
    parsed = strict_loads(TopicEncoder(atdome_position()).telemetry(POSITION_SAMPLE))
    assert parsed == POSITION_EXPECTED
    assert list(parsed) == list(POSITION_EXPECTED)  # field order: private fields first
    for name, field in parsed.items():
        assert list(field) == ["value", "dataType", "units"], name
    # Types survive: a Float field's 100.0 stays a JSON float, an Int stays an int.
    assert isinstance(parsed["mainDoorOpeningPercentage"]["value"], float)
    assert type(parsed["azimuthEncoderPosition"]["value"]) is int


def test_event_is_a_one_element_list_and_telemetry_a_dict() -> None:
    enc = TopicEncoder(atdome_position())
    event = strict_loads(enc.event(POSITION_SAMPLE))
    telemetry = strict_loads(enc.telemetry(POSITION_SAMPLE))
    assert isinstance(telemetry, dict)
    assert event == [POSITION_EXPECTED]


def test_indexed_topic_starts_with_salindex_int_unitless() -> None:
    topic = TopicInfo(
        "queue",
        "event",
        private_fields(True)
        + (
            FieldInfo("enabled", "boolean"),
            FieldInfo("salIndices", "long", count=4),
        ),
    )
    sample = {"salIndex": 1, "enabled": True, "salIndices": [100013, 0, 0, 0]}
    (parsed,) = strict_loads(TopicEncoder(topic).event(sample))
    assert list(parsed)[0] == "salIndex"
    assert parsed["salIndex"] == {"value": 1, "dataType": "Int", "units": "unitless"}
    assert parsed["enabled"] == {"value": True, "dataType": "Int", "units": "unitless"}
    assert parsed["salIndices"] == {
        "value": [100013, 0, 0, 0],
        "dataType": "Array<Int>",
        "units": "unitless",
    }
    assert list(parsed)[-2:] == ["enabled", "salIndices"]


def test_bool_is_labelled_int_but_sent_as_json_true() -> None:
    topic = TopicInfo("t", "event", (FieldInfo("flag", "boolean"),))
    text = TopicEncoder(topic).telemetry({"flag": True})
    assert '"value":true' in text.replace(" ", "")
    parsed = strict_loads(text)
    assert parsed["flag"]["value"] is True
    assert parsed["flag"]["dataType"] == "Int"


def test_bool_array_is_array_of_int_with_json_booleans() -> None:
    topic = TopicInfo("t", "event", (FieldInfo("flags", "boolean", count=3),))
    parsed = strict_loads(TopicEncoder(topic).telemetry({"flags": [True, False, True]}))
    assert parsed["flags"]["dataType"] == "Array<Int>"
    assert parsed["flags"]["value"] == [True, False, True]
    assert all(type(v) is bool for v in parsed["flags"]["value"])


@pytest.mark.parametrize(
    "default, expected",
    [
        ("", "String"),
        (0.0, "Float"),
        (0, "Int"),
        (False, "Int"),
        ([0.0, 0.0], "Array<Float>"),
        ([0, 0, 0], "Array<Int>"),
        ([False, False], "Array<Int>"),
        (None, "None"),
    ],
)
def test_data_type_table(default: object, expected: str) -> None:
    assert data_type(default) == expected


def test_data_type_comes_from_the_default_not_the_live_value() -> None:
    topic = TopicInfo("t", "event", (FieldInfo("x", "double"), FieldInfo("n", "long")))
    parsed = strict_loads(TopicEncoder(topic).telemetry({"x": 3, "n": 2.5}))
    assert parsed == {
        "x": {"value": 3, "dataType": "Float", "units": "unitless"},
        "n": {"value": 2.5, "dataType": "Int", "units": "unitless"},
    }


def test_non_finite_floats_become_null_also_in_arrays() -> None:
    topic = TopicInfo(
        "t",
        "telemetry",
        (
            FieldInfo("a", "double"),
            FieldInfo("b", "double"),
            FieldInfo("c", "double"),
            FieldInfo("arr", "double", count=4),
        ),
    )
    nan, inf = float("nan"), float("inf")
    sample = {"a": nan, "b": inf, "c": -inf, "arr": [1.5, nan, inf, -inf]}
    text = TopicEncoder(topic).telemetry(sample)
    parsed = strict_loads(text)  # raises on NaN / Infinity tokens
    assert [parsed[k]["value"] for k in "abc"] == [None, None, None]
    assert parsed["arr"]["value"] == [1.5, None, None, None]


def test_missing_fields_get_defaults_and_extra_keys_are_ignored() -> None:
    topic = TopicInfo(
        "t",
        "event",
        (
            FieldInfo("s", "string"),
            FieldInfo("f", "float"),
            FieldInfo("i", "int"),
            FieldInfo("b", "boolean"),
            FieldInfo("arr", "double", count=2),
        ),
    )
    parsed = strict_loads(TopicEncoder(topic).telemetry({"i": 4, "unexpected": 99}))
    assert {k: v["value"] for k, v in parsed.items()} == {
        "s": "",
        "f": 0.0,
        "i": 4,
        "b": False,
        "arr": [0.0, 0.0],
    }
    assert "unexpected" not in parsed


def test_wrong_types_still_give_valid_json() -> None:
    class ArrayLike:
        def tolist(self) -> list[float]:
            return [1.0, float("nan")]

    topic = TopicInfo(
        "t",
        "telemetry",
        (
            FieldInfo("f", "double"),
            FieldInfo("s", "string"),
            FieldInfo("arr", "double", count=2),
            FieldInfo("tup", "long", count=2),
            FieldInfo("none", "long"),
        ),
    )
    sample = {"f": "oops", "s": 12, "arr": ArrayLike(), "tup": (1, 2), "none": None}
    parsed = strict_loads(TopicEncoder(topic).telemetry(sample))
    assert {k: v["value"] for k, v in parsed.items()} == {
        "f": "oops",
        "s": 12,
        "arr": [1.0, None],
        "tup": [1, 2],
        "none": None,
    }


def test_unencodable_value_raises_type_error_naming_the_field() -> None:
    topic = TopicInfo("pos", "telemetry", (FieldInfo("ok", "double"), FieldInfo("bad", "double")))
    with pytest.raises(TypeError, match=r"pos\.bad"):
        TopicEncoder(topic).telemetry({"ok": 1.0, "bad": object()})


def test_strings_and_units_are_escaped() -> None:
    topic = TopicInfo(
        "t",
        "event",
        (FieldInfo("msg", "string", units='%"\\'), FieldInfo("pct", "double", units="%")),
    )
    text = 'quote " backslash \\ newline \n percent %s unicode é'
    parsed = strict_loads(TopicEncoder(topic).event({"msg": text, "pct": 50.0}))
    assert parsed == [
        {
            "msg": {"value": text, "dataType": "String", "units": '%"\\'},
            "pct": {"value": 50.0, "dataType": "Float", "units": "%"},
        }
    ]


def test_float_and_int_values_round_trip_exactly() -> None:
    topic = TopicInfo(
        "t", "telemetry", (FieldInfo("x", "double"), FieldInfo("big", "unsigned long long"))
    )
    x = 0.1 + 0.2
    big = 2**64 - 1
    parsed = strict_loads(TopicEncoder(topic).telemetry({"x": x, "big": big}))
    assert parsed["x"]["value"] == x and math.isfinite(parsed["x"]["value"])
    assert parsed["big"]["value"] == big


def test_topic_without_fields() -> None:
    enc = TopicEncoder(TopicInfo("empty", "event", ()))
    assert strict_loads(enc.telemetry({"a": 1})) == {}
    assert strict_loads(enc.event({})) == [{}]


def test_encoder_is_reusable_across_samples() -> None:
    enc = TopicEncoder(atdome_position())
    first = strict_loads(enc.telemetry({"azimuthPosition": 1.0}))
    second = strict_loads(enc.telemetry({"azimuthPosition": 2.0}))
    assert first["azimuthPosition"]["value"] == 1.0
    assert second["azimuthPosition"]["value"] == 2.0
    assert first["private_seqNum"]["value"] == 0
