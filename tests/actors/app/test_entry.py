"""The console entry point (actors.app.entry): --version, Ctrl-C at any moment, closed pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.helpers.proc_helpers import REPO, run_cli, wait_until

CASE = str(REPO / "tests" / "replay" / "scriptqueue" / "journal")


STARTED: list[subprocess.Popen] = []


def command(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen(
        [sys.executable, "-m", "actors.app.entry", *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    STARTED.append(p)
    return p


@pytest.fixture(autouse=True)
def _kill_what_was_started():
    yield
    while STARTED:
        p = STARTED.pop()
        if p.poll() is None:
            p.kill()
            p.wait(10)


def loaded(pid: int, library: str) -> bool:
    try:
        with open(f"/proc/{pid}/maps") as f:
            return library in f.read()
    except OSError:
        return False


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("love-actors ")


def test_ctrl_c_while_the_modules_load_exits_quietly() -> None:
    p = command("replay", CASE, "--speed", "1")
    # orjson is loaded by the domain, which the entry point imports after its handler.
    wait_until(lambda: loaded(p.pid, "orjson") or p.poll() is not None, 30, interval=0.001)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "Traceback" not in err


def test_ctrl_c_while_running_exits_quietly(tmp_path) -> None:
    out = tmp_path / "frames.jsonl"
    p = command("replay", CASE, "--speed", "0.05", "-o", str(out))  # a slow replay
    wait_until(lambda: (out.exists() and out.stat().st_size > 0) or p.poll() is not None, 30)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "Traceback" not in err


def test_a_reader_that_goes_away_is_no_error() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    shell = f"{sys.executable} -m actors.app.entry replay {CASE} | head -n 1"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert r.stdout.startswith('{"t":') and len(r.stdout.splitlines()) == 1
    assert "Error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0
