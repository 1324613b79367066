"""The benchmark's baseline: the upstream LOVE-producer's way of turning samples into frames,
in one asyncio process (``python -m actors.bench.baseline``).

Upstream (``spec/love-producer-behaviour.md`` §3.3-3.5, §4.2-4.3, W1, W14): one coroutine per
component, one websocket guarded by one lock, and per sample a ``copy.deepcopy`` of the topic's
field template, the values written in, ``json.dumps`` of the whole message, one message per
sample. The simulated samples are the very ones the actor path gets (same `SimSource`, same
seeds). One deliberate difference: upstream polls telemetry every 2 s and sends only the newest
sample, which would make it look cheap; here every telemetry sample is sent when it is drawn
with the actor path's drain schedule (``love_producer.link.poll_schedule``), so both carry the same
offered load.

Configuration comes as JSON in ``$LOVE_BENCH_BASELINE`` (the password included, so it never
shows on a command line). SIGTERM, SIGINT or the end of stdin stop it; it then prints one JSON
line with what it sent.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import subprocess
import sys
import time

from websockets.asyncio.client import connect

from actors.bench.proc import start_module
from actors.edges.catalog import Catalog
from actors.edges.settings import SourceConfig
from actors.edges.sim_source import SimSource
from love_producer.interfaces.component_id import ComponentId, parse_components
from love_producer.interfaces.interface import ComponentInfo, TopicInfo
from love_producer.link.manager_link import with_password
from love_producer.link.poll_schedule import next_poll
from love_producer.sim.component import SimSettings
from love_producer.wire.encoding import data_type

CONFIG_ENV = "LOVE_BENCH_BASELINE"
HEARTBEAT_PERIOD = 2.0


def field_template(topic: TopicInfo) -> dict:
    """Upstream's per-topic template: ``{field: {"value", "dataType", "units"}}``, built once."""
    return {
        f.name: {
            "value": f.default_value(),
            "dataType": data_type(f.default_value()),
            "units": f.units,
        }
        for f in topic.fields
    }


class UpstreamProducer:
    """One component's producer, as upstream's ``LoveProducerCSC`` builds messages."""

    def __init__(self, cid: ComponentId, info: ComponentInfo, source, ws, lock) -> None:
        self.cid = cid
        self.info = info
        self.source = source
        self.ws = ws
        self.lock = lock
        self.templates: dict[tuple[str, str], dict] = {}
        self.last_heartbeat = -1.0
        self.sent = 0

    def convert(self, sample) -> dict:
        key = (sample.kind, sample.topic)
        template = self.templates.get(key)
        if template is None:
            template = self.templates[key] = field_template(self.info.topic(*key))
        payload = copy.deepcopy(template)
        for name, field in payload.items():
            if name in sample.data:
                field["value"] = sample.data[name]
        return {sample.topic: [payload] if sample.kind == "event" else payload}

    async def send(self, category: str, entry: dict) -> None:
        message = {"category": category, "data": [entry], "producer_snd": time.time()}
        text = json.dumps(message)
        async with self.lock:
            await self.ws.send(text)
        self.sent += 1

    async def run(self, poll_interval: float, start: float) -> None:
        next_heartbeat = start + HEARTBEAT_PERIOD
        last_poll = time.time()
        while True:
            due = next_poll(last_poll, poll_interval, self.source.due_after)
            await asyncio.sleep(max(0.0, due - time.time()))
            now = last_poll = time.time()
            for sample in self.source.drain(now):
                if sample.kind == "event" and sample.topic == "heartbeat":
                    self.last_heartbeat = now
                    continue
                entry = {
                    "csc": self.cid.name,
                    "salindex": self.cid.index,
                    "data": self.convert(sample),
                }
                await self.send(sample.kind, entry)
            if now >= next_heartbeat:
                next_heartbeat += HEARTBEAT_PERIOD
                beat = {
                    "csc": self.cid.name,
                    "salindex": self.cid.index,
                    "lost": 0,
                    "last_heartbeat_timestamp": self.last_heartbeat,
                    "max_lost_heartbeats": 5,
                }
                await self.send(
                    "event", {"csc": "Heartbeat", "salindex": 0, "data": {"stream": beat}}
                )


async def run(config: dict) -> dict:

    start = time.time()
    catalog = Catalog.default(config.get("xml_dir"))
    ids = parse_components(config["components"])
    infos = catalog.resolve(ids)
    source_config = SourceConfig(
        kind="sim", seed=config["seed"], sim=SimSettings(rate_scale=config["rate_scale"])
    )
    poll = config.get("poll_interval", source_config.poll_interval)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sources: list[SimSource] = []

    def command() -> None:
        """A line on stdin: ``scale X`` changes the telemetry rates; the end of stdin stops."""
        line = sys.stdin.readline()
        if not line:
            stop.set()
        elif line.startswith("scale "):
            for source in sources:
                source.set_rate_scale(float(line.split()[1]))

    loop.add_reader(sys.stdin.fileno(), command)
    url = with_password(config["url"], config["password"])
    async with connect(url, max_size=None, compression=None, ping_interval=None) as ws:
        lock = asyncio.Lock()
        producers = []
        for cid in ids:
            for name in ("all", cid.name):  # upstream's initial_state registration
                await ws.send(
                    json.dumps(
                        {
                            "option": "subscribe",
                            "category": "initial_state",
                            "csc": name,
                            "salindex": "all",
                            "stream": "all",
                            "producer_snd": time.time(),
                        }
                    )
                )
            source = SimSource(cid, infos[cid], source_config, start)
            sources.append(source)
            producers.append(UpstreamProducer(cid, infos[cid], source, ws, lock))
        tasks = [asyncio.create_task(p.run(poll, start)) for p in producers]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"frames_sent": sum(p.sent for p in producers)}


class BaselineProcess:
    """Handle on a baseline subprocess; use it as a context manager (it is stopped on exit)."""

    def __init__(self, config: dict) -> None:
        self.popen = start_module("actors.bench.baseline", {CONFIG_ENV: json.dumps(config)})
        self.result: dict = {}

    @property
    def pid(self) -> int:
        return self.popen.pid

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                out, _ = self.popen.communicate(timeout=5)
                if out.strip():
                    self.result = json.loads(out.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(3)
            except ValueError:
                pass
        else:
            self.popen.wait()

    def set_rate_scale(self, scale: float) -> None:
        """Multiply the telemetry rates (from their base) by ``scale`` from now on."""
        self.popen.stdin.write(f"scale {scale}\n")
        self.popen.stdin.flush()

    def __enter__(self) -> BaselineProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main() -> None:
    config = json.loads(os.environ[CONFIG_ENV])
    result = asyncio.run(run(config))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
