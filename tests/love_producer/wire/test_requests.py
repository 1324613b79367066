"""Tests of love_producer.wire.requests: untrusted manager text in, typed inbound values out."""

from __future__ import annotations

import json

import pytest

from love_producer.wire.requests import (
    Confirmation,
    InitialStateRequest,
    InvalidFrame,
    OtherFrame,
    parse_manager_text,
)


def request_text(*entries: object, **extra: object) -> str:
    return json.dumps({"category": "initial_state", "data": list(entries), **extra})


def entry(csc: object = "ATDome", salindex: object = 0, event_name: object = "summaryState"):
    return {"csc": csc, "salindex": salindex, "data": {"event_name": event_name}}


def test_manager_request_as_observed() -> None:
    text = request_text(
        entry(),
        subscription="initial_state-all-all-all",
        tracing={"manager_rcv_from_group": 1.0, "manager_snd_to_client": 2.0},
    )
    assert parse_manager_text(text) == [InitialStateRequest("ATDome", 0, "summaryState")]


def test_one_request_per_entry_in_order() -> None:
    text = request_text(entry("ATDome", 0, "summaryState"), entry("ScriptQueue", 1, "queue"))
    assert parse_manager_text(text) == [
        InitialStateRequest("ATDome", 0, "summaryState"),
        InitialStateRequest("ScriptQueue", 1, "queue"),
    ]


@pytest.mark.parametrize(
    "salindex, expected", [(0, 0), (3, 3), ("2", 2), ("007", 7), ("all", "all")]
)
def test_salindex_forms(salindex: object, expected: object) -> None:
    (req,) = parse_manager_text(request_text(entry(salindex=salindex)))
    assert req == InitialStateRequest("ATDome", expected, "summaryState")
    assert type(req.salindex) is type(expected)


def test_event_name_all_is_a_request() -> None:
    assert parse_manager_text(request_text(entry(event_name="all"))) == [
        InitialStateRequest("ATDome", 0, "all")
    ]


def test_bytes_input_is_accepted() -> None:
    text = request_text(entry()).encode()
    assert parse_manager_text(text) == [InitialStateRequest("ATDome", 0, "summaryState")]


@pytest.mark.parametrize(
    "text",
    [
        '{"data": "Successfully subscribed to initial_state-ATDome-all-all"}',
        '{"data": "Successfully unsubscribed to initial_state-ATDome-all-all"}',
    ],
)
def test_confirmation(text: str) -> None:
    assert parse_manager_text(text) == [Confirmation(json.loads(text)["data"])]


def test_other_categories() -> None:
    text = json.dumps({"category": "event", "data": [{"csc": "X", "salindex": 0, "data": {}}]})
    assert parse_manager_text(text) == [OtherFrame("event")]
    assert parse_manager_text('{"category": "time_data", "data": {}}') == [OtherFrame("time_data")]


def only_invalid(text: str | bytes, **kwargs: int) -> InvalidFrame:
    result = parse_manager_text(text, **kwargs)
    assert len(result) == 1
    assert isinstance(result[0], InvalidFrame), result
    assert result[0].reason
    return result[0]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "{",
        '{"category": "initial_state", "data": [NaN]}',
        "\udcff",
        b"\xff\xfe",
    ],
)
def test_non_json(text: str | bytes) -> None:
    assert "JSON" in only_invalid(text).reason


@pytest.mark.parametrize("text", ["[]", "[1, 2]", '"text"', "42", "null", "true"])
def test_not_an_object(text: str) -> None:
    assert "object" in only_invalid(text).reason


def test_too_big() -> None:
    small = request_text(entry())
    assert "too big" in only_invalid(small, max_bytes=len(small) - 1).reason
    assert parse_manager_text(small, max_bytes=len(small)) == [
        InitialStateRequest("ATDome", 0, "summaryState")
    ]
    # Size is counted in UTF-8 bytes, not characters.
    wide = json.dumps({"data": "é" * 100}, ensure_ascii=False)
    assert len(wide) <= 150 < len(wide.encode())
    assert "too big" in only_invalid(wide, max_bytes=150).reason


def test_too_big_default_limit() -> None:
    text = json.dumps({"data": "x" * (1_048_576 + 1)})
    assert "too big" in only_invalid(text).reason


@pytest.mark.parametrize(
    "frame",
    [
        {"data": 3},
        {"data": ["a"]},
        {},
        {"category": 5, "data": []},
        {"category": None, "data": []},
        {"category": "initial_state"},
        {"category": "initial_state", "data": {"csc": "ATDome"}},
        {"category": "initial_state", "data": "ATDome"},
        {"category": "initial_state", "data": []},
    ],
)
def test_bad_envelopes(frame: dict) -> None:
    only_invalid(json.dumps(frame))


BAD_ENTRIES = [
    "not an object",
    ["ATDome", 0],
    {"salindex": 0, "data": {"event_name": "summaryState"}},  # no csc
    {"csc": "ATDome", "data": {"event_name": "summaryState"}},  # no salindex
    {"csc": "ATDome", "salindex": 0},  # no data
    {"csc": "ATDome", "salindex": 0, "data": {}},  # no event_name
    {"csc": "ATDome", "salindex": 0, "data": ["summaryState"]},
    {"csc": "ATDome", "salindex": 0, "stream": {"event_name": "summaryState"}},  # base shape
    entry(csc=3),
    entry(csc=None),
    entry(csc=""),
    entry(csc="AT-Dome"),
    entry(csc="ATDome:1"),
    entry(csc="ATDome\n"),
    entry(csc="../etc"),
    entry(event_name=7),
    entry(event_name=""),
    entry(event_name="summary State"),
    entry(event_name="summaryState\n"),
    entry(event_name="é"),
    entry(salindex=True),
    entry(salindex=1.0),
    entry(salindex=-1),
    entry(salindex=2**31),
    entry(salindex=None),
    entry(salindex=[0]),
    entry(salindex=""),
    entry(salindex="-1"),
    entry(salindex="1.0"),
    entry(salindex=" 1"),
    entry(salindex="1\n"),
    entry(salindex="²"),
    entry(salindex="ALL"),
    entry(salindex="9" * 5000),
]


@pytest.mark.parametrize("bad", BAD_ENTRIES)
def test_bad_entries(bad: object) -> None:
    only_invalid(request_text(bad))


def test_a_bad_entry_does_not_hide_good_ones() -> None:
    result = parse_manager_text(request_text(entry(csc="x-y"), entry("ATDome", "1", "logLevel")))
    assert isinstance(result[0], InvalidFrame)
    assert "data[0]" in result[0].reason
    assert result[1] == InitialStateRequest("ATDome", 1, "logLevel")


def test_never_raises_on_odd_input() -> None:
    odd = [None, 12, request_text(entry()) + "x", "{" * 100_000, "[" * 2000 + "]" * 2000]
    for text in odd:
        result = parse_manager_text(text)  # type: ignore[arg-type]
        assert len(result) == 1 and isinstance(result[0], InvalidFrame)
