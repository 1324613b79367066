"""The reaper finds leftover actor processes by session, not only by the pids it was told."""

import os
import subprocess
import sys

from actors.edges.processes import process_alive, session_members
from actors.system import _reap
from tests.helpers.proc_helpers import wait_until


def test_reap_kills_every_process_of_the_systems_session():
    # A daemon-like process in its own session, with a child: what Thespian's admin looks like.
    leader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess,sys,time;"
            "subprocess.Popen([sys.executable,'-c','import time;time.sleep(60)']);time.sleep(60)",
        ],
        start_new_session=True,
    )
    try:
        sid = os.getsid(leader.pid)

        def both_up():
            found = session_members(sid)
            return found if len(found) >= 2 else None

        members = wait_until(both_up, 10, what="the session's two processes")
        assert leader.pid in members
        _reap(set(), set(), sid, grace=0.2)  # told no pid at all
        leader.wait(5)
        assert not [p for p in members if process_alive(p)]
    finally:
        if leader.poll() is None:
            leader.kill()


def test_reap_never_touches_its_own_session():
    _reap(set(), set(), os.getsid(0), grace=0.0)
    assert process_alive(os.getpid())
