"""``love-actors demo``: simulated components streaming into a local hub, with a live
summary computed from what a frontend subscribed to the hub receives."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import threading
import time

from actors.app.console import StopSignal, fail
from actors.devtools.hub_server import HubServer
from actors.devtools.watch_client import FrontendClient
from actors.edges.catalog import Catalog, CatalogError
from actors.edges.log_setup import setup_command_logging
from actors.edges.settings import SourceConfig
from actors.messages import RunConfig
from actors.system import SystemError_, free_port, running_system
from love_producer.interfaces.component_id import parse_components
from love_producer.kinds import kind_of
from love_producer.state.csc_state import CSCSettings
from love_producer.views.summary import Summary, format_table


def run_demo(args) -> int:
    try:
        ids = parse_components(args.components)
        catalog = Catalog.default(args.xml_dir)
        infos = catalog.resolve(ids)
        related = {n: catalog.get(n) for c in ids for n in kind_of(c.name).related}
    except (CatalogError, ValueError) as e:
        return fail(str(e))
    port = args.port or free_port()
    admin_port = args.admin_port or free_port()
    password = secrets.token_urlsafe(12)
    token = secrets.token_urlsafe(12)
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    config = RunConfig(
        components=tuple(ids),
        infos=infos,
        manager_url=url,
        password=password,
        source=SourceConfig(kind="sim", seed=args.seed),
        csc=CSCSettings(),
        related=related,
    )
    stop = StopSignal()
    summary = Summary()
    state = {"connected": False}
    interactive = sys.stdout.isatty()
    setup_command_logging(logging.WARNING)
    for name in ("actors.devtools.hub_server", "actors.devtools.hub_server.websockets"):
        logging.getLogger(name).setLevel(logging.WARNING)  # no per-connection lines

    async def frontend(hub_ready: threading.Event, done: threading.Event) -> None:
        hub = HubServer("127.0.0.1", port, password, (token,))
        await hub.start()
        hub_ready.set()
        try:
            async with FrontendClient(hub.url, token=token) as client:
                for category in ("event", "telemetry"):
                    await client.subscribe(category, "all", "all", "all")
                while not done.is_set():
                    try:
                        frame = await client.next_frame(timeout=0.5)
                    except TimeoutError:
                        frame = None
                    if frame is not None:
                        summary.feed(frame, time.time())
                    state["connected"] = hub.router.stats().get("producers", 0) > 0
        finally:
            await hub.stop()

    done = threading.Event()
    hub_ready = threading.Event()
    thread = None
    try:
        # The actor system forks its processes first, while this process has one thread.
        with running_system(config, admin_port) as system:
            thread = threading.Thread(
                target=lambda: asyncio.run(frontend(hub_ready, done)), daemon=True
            )
            thread.start()
            if not hub_ready.wait(10):
                return fail(f"the hub could not listen on port {port}")
            print(
                f"demo: {len(system.started.components)} simulated components -> {url}"
                f" (frontend token {token}); Ctrl-C stops",
                flush=True,
            )
            deadline = time.monotonic() + args.duration if args.duration else None
            while not stop.event.wait(1.0):
                table = format_table(
                    summary.rows(time.time()),
                    state["connected"],
                    url,
                    summary.queues,
                    summary.alarms,
                )
                if interactive:
                    print("\x1b[H\x1b[2J" + table, flush=True)
                else:
                    print(table + "\n", flush=True)
                if deadline and time.monotonic() >= deadline:
                    break
            final = summary.rows(time.time())
    except SystemError_ as e:
        return fail(str(e))
    finally:
        done.set()
        if thread is not None:
            thread.join(5)
    print("demo: stopped; final summary " + json.dumps(final), flush=True)
    return 0
