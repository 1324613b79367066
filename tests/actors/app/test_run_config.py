"""Configuration as upstream deployments give it (spec §1.1–1.2), validated before start."""

import argparse

import pytest

from actors.app.cli import build_parser
from actors.app.options import log_level_value
from actors.app.run_config import build_run_config
from love_producer.interfaces.component_id import ComponentId
from love_producer.link.manager_link import ConfigError


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["start", "--source", "sim", *argv])


def test_love_csc_producer_words_and_log_level_like_the_containers():
    args = parse()
    env = {"LOVE_CSC_PRODUCER": "ATDome:0 MTHexapod:1 --log-level 10", "WEBSOCKET_HOST": "h:9/x"}
    config, _ = build_run_config(args, env)
    assert config.components == (ComponentId("ATDome", 0), ComponentId("MTHexapod", 1))
    assert args.log_level == 10
    assert config.manager_url == "ws://h:9/x"


def test_love_csc_producer_topic_lists_are_honoured_and_other_flags_refused_by_name():
    config, _ = build_run_config(
        parse(),
        {
            "LOVE_CSC_PRODUCER": "ATDome --periodic-data tel_position --asynchronous-data "
            "evt_summaryState evt_heartbeat",
            "WEBSOCKET_HOST": "h",
        },
    )
    (info,) = config.infos.values()
    assert info.telemetry_names == ("position",)
    assert set(info.event_names) == {"summaryState", "heartbeat"}
    with pytest.raises(ConfigError, match="--frobnicate"):
        build_run_config(
            parse(), {"LOVE_CSC_PRODUCER": "ATDome --frobnicate", "WEBSOCKET_HOST": "h"}
        )


def test_password_from_env_or_file(tmp_path):
    env = {"WEBSOCKET_HOST": "h", "PROCESS_CONNECTION_PASS": "from-env"}
    config, _ = build_run_config(parse("--components", "ATDome"), env)
    assert config.password == "from-env"
    secret = tmp_path / "pass"
    secret.write_text("from-file\n")
    config, _ = build_run_config(
        parse("--components", "ATDome", "--password-file", str(secret)), env
    )
    assert config.password == "from-file"
    assert "from-file" not in repr(config)  # never in a log line built from the config
    with pytest.raises(ConfigError, match="password-file"):
        build_run_config(
            parse("--components", "ATDome", "--password-file", str(tmp_path / "none")), env
        )


def test_environment_for_the_scriptqueue(monkeypatch):
    env = {
        "WEBSOCKET_HOST": "h",
        "FINISHED_SCRIPTS_LIST_SIZE": "3",
        "UPDATE_SCRIPTS_SCHEMA_ON_START": "TRUE",
    }
    config, _ = build_run_config(parse("--components", "ScriptQueue:1"), env)
    assert config.kind.finished_list_size == 3 and config.kind.update_schemas_on_start
    assert "Script" in config.related  # the Script interface rides along for the queue
    with pytest.raises(ValueError, match="FINISHED_SCRIPTS_LIST_SIZE"):
        build_run_config(
            parse("--components", "ScriptQueue:1"), dict(env, FINISHED_SCRIPTS_LIST_SIZE="ten")
        )


def test_on_demand_registers_every_matching_known_component():
    config, catalog = build_run_config(
        parse("--components", "ATDome", "--on-demand", "MT*"), {"WEBSOCKET_HOST": "h"}
    )
    assert config.on_demand_names
    assert all(n.startswith("MT") for n in config.on_demand_names)
    assert set(config.on_demand_names) == {n for n in catalog.names() if n.startswith("MT")}


def test_log_level_takes_numbers_and_names() -> None:
    assert [log_level_value(v) for v in ("10", "DEBUG", "info", "Warning")] == [10, 10, 20, 30]
    with pytest.raises(argparse.ArgumentTypeError, match="'loud' is not a level"):
        log_level_value("loud")
