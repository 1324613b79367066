"""--config SITE.toml and `love-actors config check` (#13)."""

from __future__ import annotations

import argparse
import tomllib

import pytest

from actors.app import site_config
from actors.app.options import start_defaults
from actors.app.run_config import build_run_config
from actors.edges.catalog import Catalog
from love_producer.fleet.core import route
from love_producer.link.manager_link import ConfigError
from tests.helpers.proc_helpers import REPO, run_cli

EXAMPLES = REPO / "conf" / "examples"


def write(tmp_path, text: str):
    path = tmp_path / "site.toml"
    path.write_text(text)
    return str(path)


def test_the_file_fills_what_the_command_line_left_and_the_command_line_wins(tmp_path) -> None:
    path = write(
        tmp_path,
        """
source = "sim"
manager_url = "ws://h:1/manager/ws/subscription"
telemetry_rate = 4
components = ["ATDome", { name = "ATMCS", topics = ["evt_summaryState"] }]
[topics]
ATDome = ["tel_position", "evt_heartbeat"]
[[routes]]
pattern = "ATMCS"
url = "ws://q:2/manager/ws/subscription"
""",
    )
    args = argparse.Namespace(**start_defaults())
    args.telemetry_rate = 2.0  # given on the command line
    site_config.merge(args, path)
    config, _ = build_run_config(args, {})
    assert [str(c) for c in config.components] == ["ATDome", "ATMCS"]
    assert config.csc.telemetry_max_rate == 2.0  # the command line wins
    assert config.source.kind == "sim"
    by_name = {c.name: config.infos[c] for c in config.components}
    assert by_name["ATDome"].telemetry_names == ("position",)
    assert by_name["ATMCS"].event_names == ("summaryState",)
    assert route(config.routes, "ATMCS", config.manager_url) == "ws://q:2/manager/ws/subscription"


def test_every_problem_is_named_by_file_and_key(tmp_path) -> None:
    path = write(
        tmp_path,
        """
telemetry_rate = -1
sorce = "sim"
admin_port = "1900"
components = ["ATDome", 3, { name = "ATMCS", colour = "red" }]
routes = [{ pattern = "AT*" }, "x"]
[topics]
ATDome = "tel_position"
""",
    )
    with pytest.raises(ConfigError) as e:
        site_config.read(path)
    lines = str(e.value).splitlines()
    assert "site.toml: telemetry_rate must be a number >= 0, not -1" in lines
    assert any(x.startswith("site.toml: unknown key 'sorce' (known: ") for x in lines)
    assert "site.toml: admin_port must be a whole number >= 0, not '1900'" in lines
    assert any(x.startswith("site.toml: components[1] must be a name") for x in lines)
    assert "site.toml: components[2]: unknown key 'colour' (name, topics)" in lines
    assert "site.toml: routes[0].url must be a non-empty string" in lines
    assert "site.toml: routes[1] must be a table with pattern and url" in lines
    assert "site.toml: topics.ATDome must be a list of topic names" in lines
    with pytest.raises(ConfigError, match="site.toml: not valid TOML"):
        site_config.read(write(tmp_path, "components = ["))


def test_config_check_validates_without_starting_anything(tmp_path) -> None:
    r = run_cli("config", "check", str(EXAMPLES / "demo-site.toml"))
    assert r.returncode == 0, r.stderr
    assert "5 components for 2 managers, 1 with a topic selection; it would run" in r.stdout
    bad = write(tmp_path, 'source = "sim"\nmanager_url = "ws://h/x"\ncomponents = ["ATDomee"]\n')
    r = run_cli("config", "check", bad)
    assert r.returncode == 2 and "unknown component 'ATDomee'; did you mean ATDome?" in r.stderr


def test_the_summit_example_is_the_summit_s_shape() -> None:
    with open(EXAMPLES / "summit.toml", "rb") as f:
        data = tomllib.load(f)
    values = site_config.read(str(EXAMPLES / "summit.toml"))  # every key checks out
    urls = {r["url"] for r in data["routes"]} | {data["manager_url"]}
    assert len(urls) == 12  # the summit's manager endpoints
    names = set(Catalog.builtin().names())
    for spec in values["components"]:
        assert spec.partition(":")[0] in names, spec  # every one a SAL component
    assert len(data["topics"]["MTM1M3"]) > 20  # the split pods' lists, joined
    routes = [(r["pattern"], r["url"]) for r in data["routes"]]
    assert route(routes, "ScriptQueue:2", "").endswith("/atqueue/ws/subscription")
    assert route(routes, "ATWhiteLight", "").endswith("/calsys/ws/subscription")
    assert route(routes, "ESS:303", "").endswith("/envsys-3/ws/subscription")
    assert route(routes, "CCCamera", "default") == "default"  # producers


def test_components_per_actor_from_the_file_or_the_flag_and_a_bad_value_names_it(tmp_path) -> None:
    base = 'source = "sim"\nmanager_url = "ws://h/x"\ncomponents = ["ATDome"]\n'
    good = write(tmp_path, base + "components_per_actor = 4\n")
    assert site_config.read(good)["components_per_actor"] == 4
    bad = write(tmp_path, base + "components_per_actor = 0\n")
    with pytest.raises(ConfigError, match="components_per_actor must be a whole number >= 1"):
        site_config.read(bad)
    r = run_cli(
        "start", "--components", "ATDome", "--source", "sim", "--components-per-actor", "0",
        "--manager-url", "ws://127.0.0.1:9/x", "--admin-port", "0",
    )  # fmt: skip
    assert r.returncode == 2 and "--components-per-actor must be 1 or more, not 0" in r.stderr
