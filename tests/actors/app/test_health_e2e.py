"""--http-port (#13): /healthz, /readyz and /metrics of a running system, scraped the way
Kubernetes and Prometheus would, parsed with prometheus_client's own parser."""

from __future__ import annotations

import json
import os
import signal
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.actors.app.test_start_e2e import PASSWORD, start_hub
from tests.helpers.proc_helpers import Proc, free_port, run_cli, wait_until

pytestmark = pytest.mark.e2e


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def samples(port: int) -> dict:
    code, text = get(port, "/metrics")
    assert code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_health_readiness_and_metrics_of_a_running_system() -> None:
    port, http = free_port(), free_port()
    hub = start_hub(port)
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    producer = Proc(
        "start", "--components", "ATDome", "MTHexapod:1", "--source", "sim", "--admin-port",
        "0", "--manager-url", url, "--http-port", str(http),
        env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    try:
        producer.wait_for_line(" streaming to ", timeout=60)
        wait_until(lambda: get(http, "/healthz") == (200, "ok\n"), 30, what="/healthz ok")
        wait_until(lambda: get(http, "/readyz") == (200, "ok\n"), 30, what="/readyz ok")

        def streaming() -> dict | None:
            m = samples(http)
            key = ("love_actors_frames_sent_total",
                   (("category", "telemetry"), ("component", "ATDome")))  # fmt: skip
            beat = ("love_actors_heartbeat_age_seconds", (("component", "ATDome"),))
            return m if m.get(key, 0) > 0 and beat in m else None

        m = wait_until(streaming, 30, what="ATDome telemetry counted")
        assert m[("love_actors_link_up", (("url", url),))] == 1
        assert m[("love_actors_summary_state", (("component", "MTHexapod:1"),))] in (1, 2, 5)
        assert m[("love_actors_heartbeat_age_seconds", (("component", "ATDome"),))] < 10
        lag = m[("love_actors_sample_lag_seconds", (("component", "ATDome"),))]
        assert 0 <= lag < 5
        assert m[("love_actors_events_dropped_total", (("url", url),))] == 0
        assert m[("love_actors_components", ())] == 2

        hub.signal(signal.SIGINT)
        hub.wait(20)
        wait_until(lambda: get(http, "/readyz")[0] == 503, 30, what="/readyz 503 without a hub")
        code, why = get(http, "/readyz")
        assert why.startswith(f"not connected: {url}")
        assert get(http, "/healthz")[0] == 200  # the actors are fine
        assert get(http, "/nope")[0] == 404
    finally:
        producer.signal(signal.SIGINT)
        producer.wait(30)
        if hub.popen.poll() is None:
            hub.signal(signal.SIGINT)
            hub.wait(20)


def test_a_component_that_stops_answering_is_named_by_healthz() -> None:
    port, http, admin = free_port(), free_port(), free_port()
    hub = start_hub(port)
    producer = Proc(
        "start", "--components", "ATDome", "--source", "sim", "--admin-port", str(admin),
        "--manager-url", f"ws://127.0.0.1:{port}/manager/ws/subscription",
        "--http-port", str(http), env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    stopped = None
    try:
        producer.wait_for_line(" streaming to ", timeout=60)
        wait_until(lambda: get(http, "/healthz")[0] == 200, 30, what="/healthz ok")
        pid = int(component_pid(admin))
        os.kill(pid, signal.SIGSTOP)  # hung, not dead: no restart, no answer
        stopped = pid
        wait_until(lambda: get(http, "/healthz") == (503, "not answering: ATDome\n"), 30,
                   what="/healthz naming the hung component")  # fmt: skip
        os.kill(pid, signal.SIGCONT)
        stopped = None
        wait_until(lambda: get(http, "/healthz")[0] == 200, 30, what="/healthz ok again")
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
        producer.signal(signal.SIGINT)
        producer.wait(30)
        hub.signal(signal.SIGINT)
        hub.wait(20)


def component_pid(admin: int) -> int:
    r = run_cli("status", "--admin-port", str(admin), "--json")
    (c,) = json.loads(r.stdout)["detail"]["components"]
    return c["pid"]
