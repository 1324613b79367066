"""HubRouter: the LOVE-manager rules of spec/love-manager-protocol.md, without sockets."""

from __future__ import annotations

import json

import pytest

from love_producer.hub.router import HubRouter, time_data

NOW = 1_764_132_000.0


def sub(category: str, csc: str, salindex: object, stream: str, option: str = "subscribe") -> str:
    return json.dumps(
        {"option": option, "category": category, "csc": csc, "salindex": salindex, "stream": stream}
    )


def frames_for(result_or_list, cid) -> list[dict]:
    deliveries = getattr(result_or_list, "deliveries", result_or_list)
    return [json.loads(text) for to, text in deliveries if to == cid]


def confirmation(group: str, verb: str = "subscribed") -> dict:
    return {"data": f"Successfully {verb} to {group}"}


@pytest.fixture
def router() -> HubRouter:
    r = HubRouter()
    r.connect("prod", "producer")
    r.connect("fe", "frontend")
    r.connect("fe2", "frontend")
    return r


def test_subscribe_confirms_and_joins_group(router: HubRouter) -> None:
    result = router.receive("fe", sub("telemetry", "ATDome", "0", "position"), NOW)
    assert result.warnings == []
    assert frames_for(result, "fe") == [confirmation("telemetry-ATDome-0-position")]
    assert [to for to, _ in result.deliveries] == ["fe"]
    assert router.groups_of("fe") == {"telemetry-ATDome-0-position"}
    # salindex 0 and "0" name the same group
    router.receive("fe2", sub("telemetry", "ATDome", 0, "position"), NOW)
    assert router.members("telemetry-ATDome-0-position") == ("fe", "fe2")


def test_unsubscribe_confirms_with_manager_wording_and_leaves(router: HubRouter) -> None:
    router.receive("fe", sub("telemetry", "ATDome", "0", "position"), NOW)
    result = router.receive("fe", sub("telemetry", "ATDome", "0", "position", "unsubscribe"), NOW)
    assert frames_for(result, "fe") == [confirmation("telemetry-ATDome-0-position", "unsubscribed")]
    assert router.groups_of("fe") == frozenset()
    data = {
        "category": "telemetry",
        "data": [{"csc": "ATDome", "salindex": 0, "data": {"position": {"x": 1}}}],
    }
    assert router.receive("prod", json.dumps(data), NOW).deliveries == []
    # leaving a group never joined still confirms
    result = router.receive("fe", sub("event", "X", "1", "y", "unsubscribe"), NOW)
    assert frames_for(result, "fe") == [confirmation("event-X-1-y", "unsubscribed")]


def test_event_subscribe_sends_initial_state_request_to_csc_group(router: HubRouter) -> None:
    router.receive("prod", sub("initial_state", "ATDome", "all", "all"), NOW)
    router.receive("prod", sub("initial_state", "all", "all", "all"), NOW)
    result = router.receive("fe", sub("event", "ATDome", "0", "summaryState"), NOW)
    assert frames_for(result, "fe") == [confirmation("event-ATDome-0-summaryState")]
    # one request only, although the producer is in both initial_state groups
    assert frames_for(result, "prod") == [
        {
            "category": "initial_state",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"event_name": "summaryState"}}],
            "subscription": "initial_state-all-all-all",
        }
    ]
    # confirmation to the subscriber comes first
    assert result.deliveries[0][0] == "fe"


def test_initial_state_request_salindex_all_and_other_csc(router: HubRouter) -> None:
    router.receive("prod", sub("initial_state", "ATDome", "all", "all"), NOW)
    result = router.receive("fe", sub("event", "ATDome", "all", "all"), NOW)
    assert frames_for(result, "prod")[0]["data"] == [
        {"csc": "ATDome", "salindex": "all", "data": {"event_name": "all"}}
    ]
    # an event of another CSC does not reach this producer in the default mode
    assert frames_for(router.receive("fe", sub("event", "MTDome", "1", "x"), NOW), "prod") == []
    # a telemetry subscribe never triggers a request
    result = router.receive("fe", sub("telemetry", "ATDome", "0", "position"), NOW)
    assert frames_for(result, "prod") == []


def test_every_event_subscribe_triggers_a_request(router: HubRouter) -> None:
    router.receive("prod", sub("initial_state", "ATDome", "all", "all"), NOW)
    router.receive("fe", sub("event", "ATDome", "0", "summaryState"), NOW)
    result = router.receive("fe2", sub("event", "ATDome", "0", "summaryState"), NOW)
    assert len(frames_for(result, "prod")) == 1


def test_legacy_mode_sends_requests_to_all_group_only() -> None:
    router = HubRouter(legacy=True)
    router.connect("csc", "producer")
    router.connect("all", "producer")
    router.connect("fe", "frontend")
    router.receive("csc", sub("initial_state", "ATDome", "all", "all"), NOW)
    router.receive("all", sub("initial_state", "all", "all", "all"), NOW)
    result = router.receive("fe", sub("event", "ATDome", "2", "azimuth"), NOW)
    assert frames_for(result, "csc") == []
    assert frames_for(result, "all") == [
        {
            "category": "initial_state",
            "data": [{"csc": "ATDome", "salindex": 2, "data": {"event_name": "azimuth"}}],
            "subscription": "initial_state-all-all-all",
        }
    ]


def test_event_subscribe_with_bad_salindex_is_dropped(router: HubRouter) -> None:
    router.receive("prod", sub("initial_state", "ATDome", "all", "all"), NOW)
    result = router.receive("fe", sub("event", "ATDome", "x", "summaryState"), NOW)
    assert result.deliveries == []
    assert len(result.warnings) == 1
    assert router.groups_of("fe") == frozenset()


def test_data_fan_out_three_levels(router: HubRouter) -> None:
    for group in ("event-ATDome-0-summaryState", "event-ATDome-0-all", "event-all-all-all"):
        router.receive("fe", sub(*group.split("-")), NOW)
    router.receive("fe2", sub("event", "ATDome", "0", "azimuthState"), NOW)
    router.receive("prod", sub("event", "ATDome", "0", "summaryState"), NOW)  # sender too
    state = [{"summaryState": {"value": 2}}]
    azimuth = [{"state": {"value": 1}}]
    entry = {
        "csc": "ATDome",
        "salindex": 0,
        "data": {"summaryState": state, "azimuthState": azimuth},
    }
    message = {"category": "event", "data": [entry], "producer_snd": 1.5, "extra": "dropped"}
    result = router.receive("prod", json.dumps(message), NOW)
    assert result.warnings == []
    assert frames_for(result, "fe") == [
        {
            "category": "event",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"summaryState": state}}],
            "subscription": "event-ATDome-0-summaryState",
        },
        {
            "category": "event",
            "data": [
                {
                    "csc": "ATDome",
                    "salindex": 0,
                    "data": {"ATDome": {"summaryState": state, "azimuthState": azimuth}},
                }
            ],
            "subscription": "event-ATDome-0-all",
        },
        {"category": "event", "data": [entry], "subscription": "event-all-all-all"},
    ]
    assert frames_for(result, "fe2") == [
        {
            "category": "event",
            "data": [{"csc": "ATDome", "salindex": 0, "data": {"azimuthState": azimuth}}],
            "subscription": "event-ATDome-0-azimuthState",
        },
    ]
    assert len(frames_for(result, "prod")) == 1  # the sender is not excluded
    assert router.stats()["relayed"] == 5


def test_all_group_gets_one_frame_per_message_and_salindex_passes_through(
    router: HubRouter,
) -> None:
    router.receive("fe", sub("telemetry", "all", "all", "all"), NOW)
    router.receive("fe2", sub("telemetry", "MTMount", "1", "all"), NOW)
    data = [
        {"csc": "ATDome", "salindex": "0", "data": {"position": {"a": 1}}},
        {"csc": "MTMount", "salindex": 1, "data": {"elevation": {"e": 2}, "azimuth": {"z": 3}}},
    ]
    result = router.receive("prod", json.dumps({"category": "telemetry", "data": data}), NOW)
    assert frames_for(result, "fe") == [
        {"category": "telemetry", "data": data, "subscription": "telemetry-all-all-all"}
    ]
    assert frames_for(result, "fe2") == [
        {
            "category": "telemetry",
            "data": [
                {
                    "csc": "MTMount",
                    "salindex": 1,
                    "data": {"MTMount": {"elevation": {"e": 2}, "azimuth": {"z": 3}}},
                }
            ],
            "subscription": "telemetry-MTMount-1-all",
        }
    ]
    # a string salindex reaches a "0" subscriber unchanged
    router.receive("fe2", sub("telemetry", "ATDome", 0, "position"), NOW)
    result = router.receive("prod", json.dumps({"category": "telemetry", "data": data[:1]}), NOW)
    assert frames_for(result, "fe2")[0]["data"][0]["salindex"] == "0"


def test_tracing_block() -> None:
    router = HubRouter(tracing=True)
    router.connect("prod", "producer")
    router.connect("fe", "frontend")
    router.receive("fe", sub("event", "ATDome", "0", "summaryState"), NOW)
    router.receive("prod", sub("initial_state", "ATDome", "all", "all"), NOW)
    message = {
        "category": "event",
        "producer_snd": NOW - 0.5,
        "data": [{"csc": "ATDome", "salindex": 0, "data": {"summaryState": [{}]}}],
    }
    frame = frames_for(router.receive("prod", json.dumps(message), NOW), "fe")[0]
    tai = NOW + 37.0
    assert frame["tracing"] == {
        "producer_snd": NOW - 0.5,
        "manager_rcv_from_producer": tai,
        "manager_snd_to_group": tai,
        "manager_rcv_from_group": tai,
        "manager_snd_to_client": tai,
    }
    del message["producer_snd"]
    frame = frames_for(router.receive("prod", json.dumps(message), NOW), "fe")[0]
    assert frame["tracing"]["producer_snd"] is None
    request = frames_for(router.receive("fe", sub("event", "ATDome", "0", "x"), NOW), "prod")[0]
    assert request["tracing"] == {"manager_rcv_from_group": tai, "manager_snd_to_client": tai}


def test_no_tracing_by_default(router: HubRouter) -> None:
    router.receive("fe", sub("event", "all", "all", "all"), NOW)
    message = {
        "category": "event",
        "producer_snd": 1.0,
        "data": [{"csc": "A", "salindex": 0, "data": {"s": 1}}],
    }
    assert "tracing" not in frames_for(router.receive("prod", json.dumps(message), NOW), "fe")[0]


@pytest.mark.parametrize(
    "message",
    [
        {"data": [{"csc": "A", "salindex": 0, "data": {"s": 1}}]},  # no category
        {"category": "event"},  # no data
        {"category": "event", "data": {"csc": "A"}},  # data not a list
        {"category": 3, "data": [{"csc": "A", "salindex": 0, "data": {"s": 1}}]},  # category type
        {
            "category": "event",
            "data": [
                {"csc": "A", "salindex": 0, "data": {"s": 1}},
                {"salindex": 0, "data": {"s": 1}},
            ],
        },  # entry w/o csc
        {"category": "event", "data": [{"csc": "A", "data": {"s": 1}}]},  # no salindex
        {"category": "event", "data": [{"csc": "A", "salindex": 0, "data": [1]}]},  # data not dict
        {"category": "event", "data": [{"csc": "A", "salindex": None, "data": {}}]},
        {"category": "event", "data": ["A"]},
        {"category": "event", "data": [{"csc": "A", "salindex": 0, "data": {"s p": 1}}]},  # group
    ],
)
def test_invalid_data_messages_warn_and_relay_nothing(router: HubRouter, message: dict) -> None:
    router.receive("fe", sub("event", "all", "all", "all"), NOW)
    router.receive("fe", sub("event", "A", "0", "all"), NOW)
    result = router.receive("prod", json.dumps(message), NOW)
    assert result.deliveries == []
    assert len(result.warnings) == 1
    assert router.stats()["warnings"] == 1
    assert router.stats()["received"]["invalid"] == 1


def test_too_deep_payload_is_dropped_not_raised(router: HubRouter) -> None:
    router.receive("fe", sub("event", "A", "0", "s"), NOW)
    for depth in (990, 5000):  # the first parses but cannot be re-encoded
        nested = "[" * depth + "]" * depth
        text = '{"category": "event", "data": [{"csc": "A", "salindex": 0, "data": {"s": %s}}]}'
        result = router.receive("prod", text % nested, NOW)
        assert result.deliveries == []
        assert len(result.warnings) == 1


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "3", '{"a": ', b'{"option": "x"}'])
def test_unparseable_frames_warn(router: HubRouter, text: str | bytes) -> None:
    result = router.receive("prod", text, NOW)
    assert result.deliveries == []
    assert len(result.warnings) == 1
    assert "prod" in result.warnings[0]


@pytest.mark.parametrize(
    "message",
    [
        {"option": "subscribe", "category": "event", "csc": "A", "stream": "s"},  # no salindex
        {"option": "subscribe", "csc": "A", "salindex": 0, "stream": "s"},  # no category
        {"option": "unsubscribe", "category": "event", "csc": "A", "salindex": 0},  # no stream
        {"option": "subscribe", "category": "event", "csc": 1, "salindex": 0, "stream": "s"},
        {"option": "subscribe", "category": "event", "csc": "A", "salindex": [0], "stream": "s"},
        {"option": "subscribe", "category": "event", "csc": "A B", "salindex": 0, "stream": "s"},
        {
            "option": "subscribe",
            "category": "event",
            "csc": "A" * 100,
            "salindex": 0,
            "stream": "s",
        },
    ],
)
def test_invalid_subscriptions_warn(router: HubRouter, message: dict) -> None:
    result = router.receive("fe", json.dumps(message), NOW)
    assert result.deliveries == []
    assert len(result.warnings) == 1
    assert router.groups_of("fe") == frozenset()


@pytest.mark.parametrize(
    "message",
    [
        {"option": "join", "category": "event", "csc": "A", "salindex": 0, "stream": "s"},
        {"action": "reboot"},
        {"category": "event", "data": []},
    ],
)
def test_unknown_options_actions_and_empty_data_are_ignored(
    router: HubRouter, message: dict
) -> None:
    router.receive("fe", sub("event", "all", "all", "all"), NOW)
    result = router.receive("prod", json.dumps(message), NOW)
    assert result.deliveries == []
    assert result.warnings == []
    assert router.stats()["received"]["ignored"] == 1


def test_get_time_data(router: HubRouter) -> None:
    request = {"action": "get_time_data", "request_time": 12.5}
    result = router.receive("fe", json.dumps(request), NOW)
    assert frames_for(result, "fe") == [{"time_data": time_data(NOW), "request_time": 12.5}]
    data = time_data(NOW)
    assert data["utc"] == NOW
    assert data["tai"] == NOW + 37.0
    assert data["tai_to_utc"] == -37.0
    assert data["mjd"] == pytest.approx(NOW / 86400 + 40587)
    # 2025-11-26 04:40 UTC, 04:40:37 TAI -> minus 12 h is still 2025-11-25
    assert data["observing_day"] == "20251125"
    assert 0.0 <= data["sidereal_greenwich"] < 24.0
    assert data["sidereal_summit"] == pytest.approx(
        (data["sidereal_greenwich"] - 70.749417 / 15) % 24
    )


def test_sidereal_time_at_j2000() -> None:
    # GMST at 2000-01-01T12:00 UT1 is 18.697374558 h (the formula's constant)
    assert time_data(946728000.0)["sidereal_greenwich"] == pytest.approx(18.697374558)


def test_manager_heartbeat_every_three_seconds(router: HubRouter) -> None:
    router.receive("fe", sub("heartbeat", "manager", 0, "stream"), NOW)
    expected = {
        "category": "heartbeat",
        "data": [{"csc": "Manager", "salindex": 0, "data": {"timestamp": NOW}}],
        "subscription": "heartbeat",
    }
    assert frames_for(router.tick(NOW), "fe") == [expected]
    assert router.tick(NOW + 1) == []
    assert router.tick(NOW + 2.9) == []
    beat = router.tick(NOW + 3)
    assert [to for to, _ in beat] == ["fe"]
    assert json.loads(beat[0][1])["data"][0]["data"]["timestamp"] == NOW + 3
    assert router.tick(NOW + 4) == []
    assert len(router.tick(NOW + 20)) == 1  # late tick: one beat, then 3 s from there
    assert router.tick(NOW + 22) == []
    assert len(router.tick(NOW + 23)) == 1


def test_disconnect_leaves_all_groups(router: HubRouter) -> None:
    router.receive("fe", sub("event", "all", "all", "all"), NOW)
    router.receive("fe", sub("telemetry", "A", 0, "s"), NOW)
    router.disconnect("fe")
    assert router.members("event-all-all-all") == ()
    assert router.members("telemetry-A-0-s") == ()
    result = router.receive("fe", sub("event", "A", 0, "s"), NOW)  # no longer known
    assert result.deliveries == []
    assert len(result.warnings) == 1
    with pytest.raises(ValueError):
        router.connect("prod", "producer")  # already connected
    with pytest.raises(ValueError):
        router.connect("x", "admin")  # type: ignore[arg-type]


def test_stats(router: HubRouter) -> None:
    router.receive("fe", sub("event", "all", "all", "all"), NOW)
    router.receive("fe", sub("event", "all", "all", "all", "unsubscribe"), NOW)
    router.receive("fe2", sub("event", "all", "all", "all"), NOW)
    router.receive("fe2", json.dumps({"action": "get_time_data", "request_time": 1}), NOW)
    data = {"category": "event", "data": [{"csc": "A", "salindex": 0, "data": {"s": 1}}]}
    router.receive("prod", json.dumps(data), NOW)
    router.receive("prod", "garbage", NOW)
    stats = router.stats()
    assert stats["producers"] == 1
    assert stats["frontends"] == 2
    assert stats["received"] == {
        "subscribe": 2,
        "unsubscribe": 1,
        "action": 1,
        "data": 1,
        "ignored": 0,
        "invalid": 1,
    }
    assert stats["relayed"] == 1
    assert stats["warnings"] == 1
    assert stats["groups"] == 1
    assert stats["per_client"] == {"prod": 2, "fe": 2, "fe2": 2}
