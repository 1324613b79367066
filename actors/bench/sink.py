"""The benchmark's stand-in for the LOVE-manager: a websocket server that accepts producers,
parses every message and measures what arrives.

It runs as its own process (``python -m actors.bench.sink``), so its CPU is neither charged to
the producer under test nor competing with it for a GIL, and so the bench process stays
single-threaded (the actor system forks from it). The bench drives it with one-word commands on
stdin and reads one JSON line per answer on stdout:

- ``mark``: start the measured window (counters and latencies are reset);
- ``report``: the window's figures;
- ``seen``: when the first frame of each component arrived (UTC seconds);
- ``quit`` (or end of stdin): stop.

Latency of a stream payload = arrival time - (``private_sndStamp`` - 37), the SAL send time in
UTC. Payloads without ``private_sndStamp`` (Heartbeat frames) are counted, not timed; a payload
whose ``private_seqNum`` repeats the previous one of its stream (a refresh or a replay of the
event cache) is counted as a repeat, not timed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import serve

from actors.bench.proc import start_module
from actors.bench.stats import summarize_latencies
from love_producer.sim.component import TAI_MINUS_UTC

PASSWORD_ENV = "LOVE_BENCH_SINK_PASSWORD"


class SinkCounters:
    """What arrived at the sink; the domain part of the sink, without I/O."""

    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}
        self.last_seq: dict[tuple, object] = {}
        self.frames_total = 0
        self.mark(time.time())

    def mark(self, now: float) -> None:
        self.window_start = now
        self.frames = 0
        self.telemetry_frames = 0
        self.messages = 0
        self.bytes = 0
        self.control = 0
        self.repeats = 0
        self.untimed = 0
        self.bad = 0
        self.latencies: list[float] = []
        self.event_latencies: list[float] = []  # of events (heartbeats are untimed)
        self.seen_in_window: set[str] = set()
        self.event_gaps = 0  # event seqNums skipped (each one an event that never arrived)
        #: (second since the mark, latency) of every timed frame, for the p99 by second
        self.timeline: list[tuple[int, float]] = []

    def feed(self, text: str | bytes, now: float) -> None:
        self.messages += 1
        self.bytes += len(text)
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                msg = json.loads(text)  # the upstream way writes NaN as a bare token
            except ValueError:
                self.bad += 1
                return
        if not isinstance(msg, dict) or "option" in msg:
            self.control += 1
            return
        category = msg.get("category")
        for entry in msg.get("data") or ():
            if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
                self.bad += 1
                continue
            csc, salindex = entry.get("csc"), entry.get("salindex")
            key = f"{csc}:{salindex}"
            if key not in self.first_seen:
                self.first_seen[key] = now
            self.seen_in_window.add(key)
            streams = entry["data"]
            self.frames += len(streams)
            self.frames_total += len(streams)
            if category == "telemetry":
                self.telemetry_frames += len(streams)
            for stream, payload in streams.items():
                self._time(payload, (category, csc, salindex, stream), now)

    def _time(self, payload: object, key: tuple, now: float) -> None:
        fields = payload[0] if isinstance(payload, list) and payload else payload
        snd = fields.get("private_sndStamp") if isinstance(fields, dict) else None
        value = snd.get("value") if isinstance(snd, dict) else None
        if not isinstance(value, int | float):
            self.untimed += 1
            return
        seq = fields.get("private_seqNum")
        seq = (seq.get("value") if isinstance(seq, dict) else None, value)
        last = self.last_seq.get(key)
        if last == seq:
            self.repeats += 1
            return
        self.last_seq[key] = seq
        latency = now - (value - TAI_MINUS_UTC)
        self.latencies.append(latency)
        self.timeline.append((int(now - self.window_start), latency))
        if key[0] == "event":
            self.event_latencies.append(latency)
            if last is not None and isinstance(seq[0], int) and isinstance(last[0], int):
                self.event_gaps += max(0, seq[0] - last[0] - 1)

    def report(self, now: float) -> dict:
        return {
            "window_s": now - self.window_start,
            "frames": self.frames,
            "frames_total": self.frames_total,
            "telemetry_frames": self.telemetry_frames,
            "messages": self.messages,
            "bytes": self.bytes,
            "control": self.control,
            "repeats": self.repeats,
            "untimed": self.untimed,
            "bad": self.bad,
            "latency": summarize_latencies(self.latencies).as_dict(),
            "event_latency": summarize_latencies(self.event_latencies).as_dict(),
            "event_gaps": self.event_gaps,
            "seen": sorted(self.seen_in_window),
            "p99_by_second_ms": p99_by_second(self.timeline),
        }


def p99_by_second(timeline: list[tuple[int, float]]) -> list[float | None]:
    """p99 latency (ms) of each whole second since the mark (None: nothing timed in it)."""
    buckets: dict[int, list[float]] = {}
    for second, latency in timeline:
        buckets.setdefault(second, []).append(latency)
    if not buckets:
        return []
    out: list[float | None] = []
    for second in range(max(buckets) + 1):
        values = buckets.get(second)
        out.append(summarize_latencies(values).p99_ms if values else None)
    return out


async def _serve(password: str) -> None:
    logging.getLogger("love_actors.bench_sink.ws").setLevel(logging.CRITICAL)
    counters = SinkCounters()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    connections = [0]

    def check(connection, request):
        query = parse_qs(urlsplit(request.path).query)
        given = (query.get("password") or [""])[0]
        if not hmac.compare_digest(given.encode(), password.encode()):
            return connection.respond(403, "Forbidden\n")
        return None

    async def handler(ws) -> None:
        connections[0] += 1
        clock = time.time
        feed = counters.feed
        async for message in ws:
            feed(message, clock())

    def command(line: str) -> None:
        word = line.strip()
        now = time.time()
        if word == "mark":
            counters.mark(now)
            answer: dict = {"ok": True, "t": now}
        elif word == "report":
            answer = counters.report(now)
            answer["connections"] = connections[0]
        elif word == "seen":
            answer = {"first_seen": counters.first_seen, "frames_total": counters.frames_total}
        elif word in ("quit", ""):
            stop.set()
            return
        else:
            answer = {"error": f"unknown command {word!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(command, line if line.strip() else "quit")
        loop.call_soon_threadsafe(stop.set)

    async with serve(
        handler,
        "127.0.0.1",
        0,
        process_request=check,
        max_size=None,
        compression=None,
        ping_interval=None,
        # A producer cut off at teardown is expected; its traceback is not news.
        logger=logging.getLogger("love_actors.bench_sink.ws"),
    ) as server:
        port = server.sockets[0].getsockname()[1]
        sys.stdout.write(json.dumps({"port": port}) + "\n")
        sys.stdout.flush()
        threading.Thread(target=read_stdin, daemon=True).start()
        await stop.wait()


class SinkProcess:
    """Handle on a sink subprocess; always use it as a context manager (it kills the process
    on exit, whatever happened)."""

    def __init__(self, password: str) -> None:
        self.popen = start_module("actors.bench.sink", {PASSWORD_ENV: password})
        try:
            first = self._read()
            self.port: int = first["port"]
        except Exception:
            self.close()
            raise
        self.url = f"ws://127.0.0.1:{self.port}/manager/ws/subscription"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read(self) -> dict:
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError("the bench sink exited")
        return json.loads(line)

    def ask(self, word: str) -> dict:
        self.popen.stdin.write(word + "\n")
        self.popen.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.popen.poll() is None:
            try:
                self.popen.stdin.write("quit\n")
                self.popen.stdin.flush()
            except OSError:
                pass
            try:
                self.popen.wait(3)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(3)
        for f in (self.popen.stdin, self.popen.stdout):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self) -> SinkProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main() -> None:
    asyncio.run(_serve(os.environ.get(PASSWORD_ENV, "")))


if __name__ == "__main__":
    main()
