"""``love-actors demo``: simulated components streaming into a local hub, and a first screen
that shows what LOVE gets: each component's state, heartbeat and one live value with its
recent trend, the ScriptQueue's scripts, the Watcher's alarms, computed from what a frontend
subscribed to the hub receives.

On a terminal the screen is a live table (rich); in a pipe or a log (``demo | tee log``) a
plain-text table is printed every few seconds instead, with no terminal codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import threading
import time

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

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
from love_producer.views.summary import Summary, format_table, pick_value, sparkline, value_text

INTRO = (
    "LOVE is the Rubin Observatory's operator screens. love-actors carries each control "
    "component's telemetry and events to the LOVE-manager, which feeds the screens. Here the "
    "components are simulated and the manager is a local stand-in; this table is what a "
    "screen subscribed to it receives."
)
PLAIN_EVERY = 5.0  # seconds between tables when the output is not a terminal
STATE_STYLE = {"ENABLED": "green", "DISABLED": "yellow", "STANDBY": "cyan", "FAULT": "bold red"}


def screen(summary: Summary, connected: bool, url: str, token: str, now: float) -> Group:
    """The demo's screen as rich renderables."""
    table = Table(expand=True, header_style="bold")
    for column in ("component", "state", "heartbeat", "live value", "last seconds", "frames/s"):
        table.add_column(column, justify="right" if column == "frames/s" else "left")
    for row in summary.rows(now):
        beat = row["heartbeat"]
        table.add_row(
            row["component"],
            Text(row["summary_state"], style=STATE_STYLE.get(row["summary_state"], "")),
            Text(beat, style="green" if beat == "ok" else "red" if beat != "-" else ""),
            f"{row['value_name']} {value_text(row)}" if row["value_name"] else "-",
            sparkline(row["history"][-24:]),
            f"{row['frames_per_s']:.1f}",
        )
    parts: list = [Text(INTRO, style="dim"), table]
    for index, text in sorted(summary.queues.items()):
        parts.append(Text.assemble(("ScriptQueue:" + str(index), "bold"), "  ", text))
    if summary.alarms:
        parts.append(Text.assemble(("Watcher alarms", "bold"), "  ", summary.alarms))
    link = "connected" if connected else "waiting for the producer"
    watch = (
        f"love-actors watch {url} event-ATDome-0-summaryState telemetry-ATDome-0-position "
        f"--token {token}"
    )
    parts.append(
        Panel(
            Text.assemble(f"manager {url} ({link})\nraw frames in another terminal:\n  ", watch),
            title="Ctrl-C stops",
            title_align="right",
        )
    )
    return Group(*parts)


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
    watch = {cid.name: w for cid, info in infos.items() if (w := pick_value(info)) is not None}
    summary = Summary(watch=watch)
    state = {"connected": False}
    interactive = sys.stdout.isatty()
    setup_command_logging(logging.WARNING)

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
    final: list = []
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
                f"demo: {len(system.started.components)} simulated components -> {url}",
                flush=True,
            )
            deadline = time.monotonic() + args.duration if args.duration else None

            def over() -> bool:
                return deadline is not None and time.monotonic() >= deadline

            if interactive:
                console = Console()
                with Live(console=console, refresh_per_second=4, transient=False) as live:
                    while not stop.event.wait(0.25) and not over():
                        live.update(screen(summary, state["connected"], url, token, time.time()))
            else:
                while not stop.event.wait(PLAIN_EVERY) and not over():
                    rows = summary.rows(time.time())
                    text = format_table(
                        rows, state["connected"], url, summary.queues, summary.alarms
                    )
                    print(text + "\n", flush=True)
            final = summary.rows(time.time())
    except SystemError_ as e:
        return fail(str(e))
    finally:
        done.set()
        if thread is not None:
            thread.join(5)
    for row in final:
        del row["history"]
    print("demo: stopped; final summary " + json.dumps(final), flush=True)
    return 0
