"""Starting, supervising and stopping the producer as a user would, with real processes."""

from __future__ import annotations

import json
import os
import signal

import pytest

from actors.app.cli import main
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "components, message",
    [
        (["ATDom"], "did you mean ATDome"),
        (["ATDome:x"], "the index must be a whole number"),
        (["MTHexapod"], "MTHexapod is indexed"),
        (["MTHexapod:7"], "index 7 is not one of"),
        (["ATDome:2"], "ATDome is not indexed"),
    ],
)
def test_bad_components_are_refused_before_anything_starts(capsys, components, message):
    rc = main(
        ["start", "--source", "sim", "--manager-url", "ws://127.0.0.1:9/manager/ws/subscription"]
        + ["--components", *components]
    )
    assert rc == 2
    assert message in capsys.readouterr().err


def test_every_bad_component_is_reported_at_once(capsys):
    rc = main(
        ["start", "--source", "sim", "--manager-url", "ws://h/manager/ws/subscription"]
        + ["--components", "ATDom", "MTHexapod", "ATDome"]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "ATDom" in err and "MTHexapod" in err


def test_missing_interface_folder_is_refused(capsys, tmp_path):
    rc = main(
        ["start", "--source", "sim", "--manager-url", "ws://h/manager/ws/subscription"]
        + ["--xml-dir", str(tmp_path / "nope"), "--components", "ATDome"]
    )
    assert rc == 2
    assert "nope" in capsys.readouterr().err


def test_salobj_source_without_salobj_says_how_to_get_it(capsys):
    rc = main(
        ["start", "--manager-url", "ws://h/manager/ws/subscription", "--components", "ATDome"]
    )
    err = capsys.readouterr().err
    try:
        import lsst.ts.salobj  # noqa: F401

        salobj = True
    except ImportError:
        salobj = False
    if salobj:
        assert "conda install" not in err  # salobj is the default source when installed
    else:
        assert rc == 2
        assert "conda install -c lsstts ts-salobj" in err and "--source sim" in err


def test_no_manager_url_and_no_components(capsys, monkeypatch):
    monkeypatch.delenv("WEBSOCKET_HOST", raising=False)
    monkeypatch.delenv("LOVE_CSC_PRODUCER", raising=False)
    assert main(["start", "--source", "sim", "--components", "ATDome"]) == 2
    assert "WEBSOCKET_HOST" in capsys.readouterr().err
    assert main(["start", "--source", "sim", "--manager-url", "ws://h/x"]) == 2
    assert "no components" in capsys.readouterr().err


def test_status_of_a_remote_leader_is_refused_clearly():
    result = run_cli("status", "--leader", "192.0.2.1:1900")  # TEST-NET-1: never local
    assert result.returncode == 2
    assert "run status on the leader's host" in result.stderr


def test_status_and_stop_without_a_system_fail_clearly():
    port = free_port()
    for command in ("status", "stop"):
        result = run_cli(command, "--admin-port", str(port))
        assert result.returncode == 2
        assert f"no love-actors system is running on admin port {port}" in result.stderr


def start_producer(
    admin_port: int, *components: str, env: dict | None = None, per_actor: int | None = None
) -> Proc:
    # No manager listens on port 9: the producer keeps retrying, which these tests ignore.
    proc = Proc(
        "start",
        "--source",
        "sim",
        "--manager-url",
        "ws://127.0.0.1:9/manager/ws/subscription",
        "--admin-port",
        str(admin_port),
        "--components",
        *components,
        *(("--components-per-actor", str(per_actor)) if per_actor else ()),
        env=env,
    )
    try:
        proc.wait_for_line(" started; connecting to ", timeout=60)
    except BaseException:
        proc.kill_tree()  # the caller never gets it to clean up
        raise
    return proc


def status(admin_port: int) -> dict:
    result = run_cli("status", "--admin-port", str(admin_port), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["detail"]


def pids_by_key(st: dict) -> dict[str, int]:
    return {c["key"]: c["pid"] for c in st["components"]}


def test_a_dead_csc_actor_is_restarted_without_disturbing_the_others():
    admin_port = free_port()
    # One component per process: what one process's death disturbs is its own components.
    proc = start_producer(admin_port, "ATDome", "MTHexapod:1", "ATMCS", per_actor=1)
    try:

        def all_three():
            pids = pids_by_key(status(admin_port))
            return pids if len(pids) == 3 else None

        before = wait_until(all_three, 30, what="three components in status")
        os.kill(before["ATDome:0"], signal.SIGKILL)

        def restarted():
            pids = pids_by_key(status(admin_port))
            return pids if pids.get("ATDome:0") not in (None, before["ATDome:0"]) else None

        after = wait_until(restarted, 20, what="ATDome to be restarted")
        assert after["MTHexapod:1"] == before["MTHexapod:1"]
        assert after["ATMCS:0"] == before["ATMCS:0"]
        # The new actor works: it reports samples from its own source.
        wait_until(
            lambda: (
                next(c for c in status(admin_port)["components"] if c["key"] == "ATDome:0")[
                    "samples_in"
                ]
                > 0
            ),
            20,
            what="the restarted ATDome to receive samples",
        )
        proc.signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        wait_until(lambda: not proc.processes(), 10, what="every process to exit")
    finally:
        proc.kill_tree()


def test_stop_command_stops_a_running_system():
    admin_port = free_port()
    proc = start_producer(admin_port, "ATDome")
    try:
        pids = proc.processes()
        assert len(pids) >= 4
        result = run_cli("stop", "--admin-port", str(admin_port))
        assert result.returncode == 0, result.stderr
        assert proc.wait(20) == 0
        assert "stopped from outside" in proc.text()
        wait_until(lambda: not [p for p in pids if alive(p)], 10, what="actor processes to exit")
    finally:
        proc.kill_tree()


def test_sigkill_of_the_start_command_leaves_no_actor_system_behind():
    admin_port = free_port()
    proc = start_producer(admin_port, "ATDome")
    try:
        actors = proc.processes() - {proc.popen.pid}
        assert len(actors) >= 4  # admin, logger, lifeline, factory, ...
        os.kill(proc.popen.pid, signal.SIGKILL)
        proc.wait(5)
        wait_until(lambda: not proc.processes(), 20, what="the orphaned actor system to stop")
        assert run_cli("status", "--admin-port", str(admin_port)).returncode == 2
    finally:
        proc.kill_tree()


@pytest.mark.skipif(
    not os.environ.get("LOVE_TS_XML_DIR"), reason="set LOVE_TS_XML_DIR to a ts_xml folder"
)
def test_start_with_real_ts_xml_interfaces():
    admin_port = free_port()
    xml_dir = os.path.abspath(os.environ["LOVE_TS_XML_DIR"])
    proc = Proc(
        "start",
        "--source",
        "sim",
        "--manager-url",
        "ws://127.0.0.1:9/manager/ws/subscription",
        "--admin-port",
        str(admin_port),
        "--xml-dir",
        xml_dir,
        "--components",
        "ATPtg",
        "ESS:1",
        "GenericCamera:1",
    )
    try:
        line = proc.wait_for_line(" started; connecting to ", timeout=60)
        assert xml_dir in line

        def all_sampled():
            comps = status(admin_port)["components"]
            return len(comps) == 3 and all(c["samples_in"] > 0 for c in comps)

        wait_until(all_sampled, 30, what="every component to receive samples")
        proc.signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        proc.kill_tree()
