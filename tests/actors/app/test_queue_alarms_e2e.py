"""End to end (issue 3): a frontend sees a script go from waiting to done and an alarm go from
raised to acknowledged, through a hub process, from a producer process on simulated SAL."""

from __future__ import annotations

import asyncio
import signal

import pytest

from actors.devtools.watch_client import FrontendClient
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, start_hub, stream_of
from tests.helpers.proc_helpers import Proc, free_port

pytestmark = pytest.mark.e2e


def test_frontend_sees_scripts_finish_and_alarms_acknowledged():
    port, admin_port = free_port(), free_port()
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    hub = start_hub(port)
    producer = Proc(
        "start",
        "--components",
        "ScriptQueue:1",
        "Watcher",
        "--source",
        "sim",
        "--manager-url",
        url,
        "--admin-port",
        str(admin_port),
        env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )
    try:
        producer.wait_for_line(" streaming to ", timeout=60)

        async def scenario() -> None:
            async with FrontendClient(url, token=TOKEN) as fe:
                await fe.subscribe("event", "ScriptQueueState", 1, "scriptsStream")
                await fe.subscribe("event", "Watcher", 0, "stream")
                waiting: set[int] = set()
                raised: set[str] = set()
                done_script = acked_alarm = None
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 90
                while done_script is None or acked_alarm is None:
                    frame = await fe.next_frame(timeout=max(0.1, deadline - loop.time()))
                    scripts = stream_of(frame, "ScriptQueueState", "scriptsStream")
                    if isinstance(scripts, dict):
                        assert set(scripts) == {
                            "current_scripts",
                            "waiting_scripts",
                            "finished_scripts",
                        }
                        waiting |= {s["index"] for s in scripts["waiting_scripts"]}
                        for s in scripts["finished_scripts"]:
                            if s["index"] in waiting and s["script_state"] == "DONE":
                                assert s["process_state"] == "DONE"
                                assert s["path"] != "UNKNOWN"
                                done_script = s["index"]
                    alarms = (stream_of(frame, "Watcher", "stream") or {}).get("alarms")
                    for name, alarm in (alarms or {}).items():
                        assert alarm["name"]["value"] == name
                        severity = alarm["severity"]["value"]
                        if severity > 1 and not alarm["acknowledged"]["value"]:
                            raised.add(name)
                        if name in raised and alarm["acknowledged"]["value"]:
                            assert alarm["acknowledgedBy"]["value"]
                            acked_alarm = name
                    assert loop.time() < deadline, (waiting, raised)
                assert 100_000 < done_script < 200_000  # a script of queue 1

        asyncio.run(scenario())
        producer.signal(signal.SIGINT)
        assert producer.wait(20) == 0
    finally:
        producer.kill_tree()
        hub.kill_tree()
