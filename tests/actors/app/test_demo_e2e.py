"""The demo as a user sees it: a live screen in a terminal (driven through tmux), plain text in
a pipe, Ctrl-C that exits cleanly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers.proc_helpers import REPO, run_cli, wait_until

pytestmark = pytest.mark.e2e

TMUX = shutil.which("tmux")
ROW = re.compile(r"ATDome\W+(\w+)\W+(\w+)\W+position\.azimuthPosition ([-\d.]+) deg")


def pane(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(TMUX is None, reason="needs tmux (.ci/run installs it)")
def test_the_demo_screen_shows_live_values_and_ctrl_c_exits_cleanly() -> None:
    session = f"demo{os.getpid()}"
    command = (
        f"cd {REPO} && PYTHONPATH={REPO} {sys.executable} -m actors.app.entry demo"
        " --duration 300; echo EXIT=$?; sleep 120"
    )
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")  # box drawing and sparklines
    subprocess.run(["tmux", "-u", "new-session", "-d", "-s", session, "-x", "180", "-y", "45",
                    command], check=True, env=env)  # fmt: skip
    try:

        def azimuth() -> float | None:
            m = ROW.search(pane(session))
            return float(m.group(3)) if m else None

        first = wait_until(azimuth, 60, what="the ATDome row with a value")
        wait_until(lambda: (a := azimuth()) is not None and a != first, 30,
                   what="the ATDome azimuth to change on screen")  # fmt: skip
        screen = pane(session)
        assert "LOVE is the Rubin Observatory's operator screens" in screen
        assert re.search(r"love-actors watch ws://127\.0\.0\.1:\d+/manager/ws/subscription", screen)
        assert "--token " in screen
        wait_until(lambda: "ScriptQueue:1  " in (s := pane(session)) and "Watcher alarms" in s,
                   60, what="the ScriptQueue's scripts and the Watcher's alarms")  # fmt: skip
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)

        def exited() -> str | None:
            text = pane(session)
            return text if "EXIT=" in text else None

        after = wait_until(exited, 60, what="the demo to exit after Ctrl-C")
        assert "EXIT=0" in after and "demo: stopped" in after and "Traceback" not in after
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_in_a_pipe_the_demo_prints_plain_tables() -> None:
    r = run_cli("demo", "--duration", "7", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "\x1b[" not in r.stdout  # no terminal codes in a log
    tables = r.stdout.count("love-actors demo  manager ws://127.0.0.1:")
    assert tables >= 1
    assert re.search(r"ATDome\s+ENABLED|ATDome\s+\w+\s+\S+\s+[\d.]+\s+\d+\s+position", r.stdout)
    assert "demo: stopped; final summary" in r.stdout
