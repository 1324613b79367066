"""Every SAL component of the ts_xml copy starts under --source sim and answers (#13),
including one of generic topics only (as ATHeaderService, whose folder has no topic file)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal

import pytest

from actors.devtools.watch_client import FrontendClient
from actors.edges.catalog import Catalog
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, is_stream, start_hub
from tests.helpers.proc_helpers import Proc, free_port, run_cli, wait_until

pytestmark = pytest.mark.e2e
TS_XML = os.environ.get("LOVE_TS_XML_DIR")


@pytest.mark.skipif(not TS_XML, reason="set LOVE_TS_XML_DIR to a ts_xml folder (.ci/run does)")
def test_every_component_and_a_generics_only_one_start_and_answer(tmp_path) -> None:
    xml = tmp_path / "sal_interfaces"
    shutil.copytree(TS_XML, xml)
    (xml / "ATHeaderService").mkdir()  # in SALSubsystems.xml; no topic file of its own
    (xml / "ATHeaderService" / "README.md").write_text("generic topics only\n")
    catalog = Catalog.from_xml_dir(xml)
    specs, states = [], []
    for name in catalog.names():
        if not (xml / name).is_dir():
            continue  # not in this copy
        info = catalog.get(name)
        specs.append(f"{name}:1" if info.indexed else name)
        if "summaryState" in info.event_names:
            states.append((name, 1 if info.indexed else 0))
    assert "ATHeaderService" in specs and len(specs) == 13  # the 12 of the copy, and it
    port, admin = free_port(), free_port()
    hub = start_hub(port)
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    producer = Proc(
        "start", "--source", "sim", "--xml-dir", str(xml), "--admin-port", str(admin),
        "--manager-url", url, "--components", *specs, env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    try:
        producer.wait_for_line(" streaming to ", timeout=120)

        async def ask_all() -> None:
            async with FrontendClient(url, token=TOKEN) as fe:
                for name, index in states:
                    await fe.subscribe("event", name, index, "summaryState")
                for name, index in states:  # an initial_state reply, or the live event
                    await fe.next_frame(is_stream(name, "summaryState", index, "event"), 60)

        asyncio.run(ask_all())

        def all_sampled():
            r = run_cli("status", "--admin-port", str(admin), "--json")
            comps = json.loads(r.stdout)["detail"]["components"] if r.returncode == 0 else []
            return len(comps) == len(specs) and all(c["samples_in"] > 0 for c in comps)

        wait_until(all_sampled, 60, what="every component taking in samples")
    finally:
        producer.signal(signal.SIGINT)
        producer.wait(60)
        hub.signal(signal.SIGINT)
        hub.wait(20)
