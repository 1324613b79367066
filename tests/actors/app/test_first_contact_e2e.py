"""First contact with a manager (#12): settings that cannot work end the run with exit 2 and a
message naming the setting; a manager that is not there yet is waited for, quietly; a run says
"streaming" only once frames have gone out."""

from __future__ import annotations

import signal
import time

import pytest

from tests.actors.app.test_start_e2e import PASSWORD, start_hub
from tests.helpers.proc_helpers import Proc, free_port, run_cli

pytestmark = pytest.mark.e2e

REPLAY_CASE = "tests/replay/initial_state/journal"


def start(url: str, env: dict, *extra: str) -> Proc:
    return Proc(
        "start", "--components", "ATDome", "--source", "sim", "--admin-port", "0", *extra,
        *(["--manager-url", url] if url else []), env=env,
    )  # fmt: skip


@pytest.mark.parametrize(
    "case, names",
    [
        ("wrong password", "PROCESS_CONNECTION_PASS"),
        ("no password", "PROCESS_CONNECTION_PASS"),
        ("no path", "--manager-url"),
        ("no path in WEBSOCKET_HOST", "WEBSOCKET_HOST"),
    ],
)
def test_settings_the_manager_refuses_end_the_run(case: str, names: str) -> None:
    port = free_port()
    hub = start_hub(port)
    good = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    runs = {
        "wrong password": (good, {"PROCESS_CONNECTION_PASS": "not-it"}),
        "no password": (good, {"PROCESS_CONNECTION_PASS": ""}),
        "no path": (f"ws://127.0.0.1:{port}/", {"PROCESS_CONNECTION_PASS": PASSWORD}),
        "no path in WEBSOCKET_HOST": (
            "",
            {"PROCESS_CONNECTION_PASS": PASSWORD, "WEBSOCKET_HOST": f"127.0.0.1:{port}"},
        ),
    }
    url, env = runs[case]
    producer = start(url, env)
    try:
        assert producer.wait(60) == 2
        out = producer.text()
        (error,) = [line for line in out.splitlines() if line.startswith("love-actors: error:")]
        assert names in error and ("HTTP 403" in error or "HTTP 404" in error)
        assert " streaming to " not in out
        assert not producer.processes()  # the actor system went with it
    finally:
        producer.kill_tree()
        hub.signal(signal.SIGINT)
        hub.wait(20)


def test_a_manager_that_comes_later_is_waited_for_and_then_streamed_to() -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    producer = start(url, {"PROCESS_CONNECTION_PASS": PASSWORD})
    hub = None
    try:
        producer.wait_for_line("waiting for the manager (connection refused)", timeout=60)
        time.sleep(4)  # several attempts fail meanwhile (the point of the test: no line each)
        assert producer.popen.poll() is None
        retries = [ln for ln in producer.text().splitlines() if "not reachable yet" in ln]
        assert len(retries) == 1, retries
        hub = start_hub(port)
        started = time.monotonic()
        producer.wait_for_line(" streaming to ", timeout=30)
        assert time.monotonic() - started < 10  # attempts stay frequent
        producer.signal(signal.SIGINT)
        assert producer.wait(30) == 0
    finally:
        producer.kill_tree()
        if hub is not None:
            hub.signal(signal.SIGINT)
            hub.wait(20)


def test_a_journal_folder_without_the_journal_is_refused_at_start(tmp_path) -> None:
    r = run_cli("start", "--components", "ATDome", "--source", "replay", "--journal",
                str(tmp_path), "--manager-url", "ws://127.0.0.1:9/x")  # fmt: skip
    assert r.returncode == 2 and "--journal" in r.stderr and "no journal" in r.stderr
    r = run_cli("start", "--components", "ATMCS", "--source", "replay", "--journal",
                REPLAY_CASE, "--manager-url", "ws://127.0.0.1:9/x")  # fmt: skip
    assert r.returncode == 2
    assert "holds no journal for ATMCS (it has ATDome)" in r.stderr


def test_replay_to_gives_up_with_exit_1_when_no_manager_answers() -> None:
    started = time.monotonic()
    r = run_cli("replay", REPLAY_CASE, "--to", f"ws://127.0.0.1:{free_port()}/manager/ws",
                "--connect-timeout", "2", env={"PROCESS_CONNECTION_PASS": "x"})  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "giving up" in r.stderr and time.monotonic() - started < 30
