"""Faults injected into a running system, each with its written outcome (``docs/reliability.md``).

The fault tier (``-m faults``, run by ``.ci/run``): loopback only, each scenario bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import urllib.parse
from contextlib import contextmanager

import pytest

from actors.edges.processes import parent_of
from tests.actors.app.test_start_e2e import PASSWORD, start_hub
from tests.helpers.manager_endpoint import ManagerEndpoint
from tests.helpers.proc_helpers import Proc, alive, free_port, run_cli, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

#: How long a lost Factory or admin may go unnoticed, and the stop after it may take.
NOTICE_AND_STOP = 30.0


def start_producer(port: int, admin_port: int, *components: str) -> Proc:
    url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
    producer = Proc(
        "start", "--components", *components, "--source", "sim", "--manager-url", url,
        "--admin-port", str(admin_port), env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    producer.wait_for_line(" streaming to ", timeout=60)
    return producer


def stop_all(*procs: Proc | None) -> None:
    """Stop each command (SIGINT), killing what does not end within 20 s."""
    for proc in procs:
        if proc is not None:
            proc.signal()
            try:
                proc.wait(20)
            except Exception:
                proc.kill_tree()


@contextmanager
def streaming(
    manager: ManagerEndpoint,
    admin_port: int,
    *components: str,
    timeout: float = 60,
    options: tuple[str, ...] = (),
):
    """``love-actors start`` of simulated ``components`` streaming to ``manager``; stopped
    (and the manager closed) on exit, whatever happened."""
    producer = Proc(
        "start", "--components", *components, "--source", "sim", "--manager-url",
        manager.url, "--admin-port", str(admin_port), *options,
        env={"PROCESS_CONNECTION_PASS": PASSWORD},
    )  # fmt: skip
    try:
        producer.wait_for_line(" streaming to ", timeout=timeout)
        yield producer
    finally:
        producer.signal()
        try:
            producer.wait(30)
        except Exception:
            producer.kill_tree()
        manager.close()


def factory_pid(admin_port: int) -> int:
    r = run_cli("status", "--admin-port", str(admin_port), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["detail"]["pid"]


@pytest.mark.parametrize("victim", ["the Factory", "Thespian's admin"])
def test_a_killed_factory_or_admin_is_noticed_and_start_exits_1_leaving_nothing(victim):
    """Nobody supervises the Factory or the admin: once one dies, `start` stops everything
    and exits 1, so whoever runs it (Kubernetes, systemd) starts afresh."""
    port, admin_port = free_port(), free_port()
    hub = start_hub(port)
    producer = None
    try:
        producer = start_producer(port, admin_port, "ATDome", "Test:1")
        processes = producer.processes()
        factory = factory_pid(admin_port)
        pid = factory if victim == "the Factory" else parent_of(factory)
        assert pid in processes and pid != producer.popen.pid
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        assert producer.wait(NOTICE_AND_STOP) == 1
        print(f"{victim} killed: start exited 1 after {time.monotonic() - killed:.2f} s")
        assert f"{victim} (pid {pid}) died" in producer.text()
        assert "Traceback" not in producer.text()
        wait_until(
            lambda: not any(alive(p) for p in processes), 10, what="every process to be gone"
        )
        r = run_cli("status", "--admin-port", str(admin_port))
        assert r.returncode != 0 and "Traceback" not in r.stderr
    finally:
        stop_all(producer, hub)


class RecordingManager(ManagerEndpoint):
    """A manager endpoint that records every frame it receives with its arrival time
    (``delay``: seconds it spends on each message, a slow manager)."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, dict]] = []  # (arrival, one entry of a frame)
        self.delay = 0.0
        self._ws = None
        super().__init__()

    async def handle(self, ws) -> None:
        self._ws = ws
        async for message in ws:
            try:
                frame = json.loads(message)
            except ValueError:
                continue
            now, wall = time.monotonic(), time.time()
            for entry in frame.get("data", []) if isinstance(frame.get("data"), list) else []:
                if isinstance(entry, dict):
                    entry = dict(entry, category=frame.get("category"), arrived=wall)
                    self.frames.append((now, entry))
            if self.delay:
                await asyncio.sleep(self.delay)  # a slow manager: fewer messages a second


class FloodingManager(RecordingManager):
    """A manager that, once asked, floods the producer with initial_state requests for a
    few streams, and counts the replies that come back."""

    STREAMS = [
        (csc, index, event)
        for csc, index in (("ATDome", 0), ("Test", 1))
        for event in ("summaryState", "softwareVersions", "simulationMode")
    ]

    def __init__(self) -> None:
        self.sent = 0
        super().__init__()

    @property
    def replies(self) -> list[float]:
        """Arrival times of reply entries (the streams requested are events that change
        rarely after start: what comes for them is the replies)."""
        return [
            t
            for t, e in list(self.frames)
            if e["category"] == "event"
            and any((e.get("csc"), e.get("salindex"), n) in self.STREAMS for n in e.get("data", {}))
        ]

    def flood(self, seconds: float, per_second: float) -> float:
        """Send requests for ``seconds``; returns the rate achieved."""

        async def run() -> None:
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < seconds:
                while self.sent < elapsed * per_second:
                    csc, index, event = self.STREAMS[self.sent % len(self.STREAMS)]
                    data = [{"csc": csc, "salindex": index, "data": {"event_name": event}}]
                    await self._ws.send(json.dumps({"category": "initial_state", "data": data}))
                    self.sent += 1
                await asyncio.sleep(0.005)

        start = time.monotonic()
        self.run(run(), seconds + 60)
        return self.sent / (time.monotonic() - start)


def test_an_initial_state_flood_is_answered_once_per_window_and_never_starves_status():
    """10 s of requests for 6 streams as fast as the manager can send them: each stream is
    answered about once a second, status answers meanwhile, and replies end with the flood."""
    manager = FloodingManager()
    admin_port = free_port()
    with streaming(manager, admin_port, "ATDome", "Test:1"):
        assert manager.connected.wait(30)
        statuses: list[int] = []

        def ask_status() -> None:
            while flooding.is_alive():
                r = run_cli("status", "--admin-port", str(admin_port), "--json", timeout=30)
                statuses.append(r.returncode)

        before = len(manager.replies)
        flooding = threading.Thread(target=manager.flood, args=(10.0, 10_000.0))
        flood_started = time.monotonic()
        flooding.start()
        asker = threading.Thread(target=ask_status)
        asker.start()
        flooding.join(90)
        flood_ended = time.monotonic()
        asker.join(60)
        assert statuses and all(rc == 0 for rc in statuses), statuses
        # The replies stop within a few seconds of the flood's end.
        wait_until(
            lambda: not manager.replies or time.monotonic() - manager.replies[-1] > 2.0,
            30,
            what="replies to stop",
        )
        replies = manager.replies[before:]
        seconds = flood_ended - flood_started
        assert manager.sent > 10_000, manager.sent  # a flood it was
        # Once per stream per 1 s window (plus the first answers), not once per request.
        assert len(replies) <= len(FloodingManager.STREAMS) * (seconds + 3), len(replies)
        assert replies and replies[-1] - flood_ended < 5.0
        print(
            f"flood: {manager.sent} requests in {seconds:.1f} s, {len(replies)} replies, "
            f"last {replies[-1] - flood_ended:+.2f} s after the end, {len(statuses)} status calls"
        )
        st = json.loads(run_cli("status", "--admin-port", str(admin_port), "--json").stdout)
        requests = st["detail"]["manager"]["requests"]
        assert requests["merged"] > manager.sent * 0.9


def event_seqs(frames: list[tuple[float, dict]]) -> dict[tuple, list[int]]:
    """private_seqNum of every event sample received, per stream, in arrival order."""
    seqs: dict[tuple, list[int]] = {}
    for _, entry in frames:
        if entry["category"] != "event":
            continue
        for stream, samples in entry.get("data", {}).items():
            for sample in samples if isinstance(samples, list) else []:
                seq = sample.get("private_seqNum", {}).get("value")
                if isinstance(seq, int):
                    seqs.setdefault((entry["csc"], entry["salindex"], stream), []).append(seq)
    return seqs


def test_after_outages_of_5_and_60_s_frames_flow_within_2_s_and_no_event_is_lost():
    manager = RecordingManager()
    admin_port = free_port()
    with streaming(manager, admin_port, "ATDome", "MTHexapod:1", "Test:1"):
        outages = []
        for seconds in (5.0, 60.0):
            manager.stop()
            gone = time.monotonic()
            assert not manager.connected.wait(seconds)  # nobody gets in meanwhile
            back = manager.start()
            wait_until(
                lambda b=back: any(t > b for t, _ in list(manager.frames)),
                30,
                what="frames after the manager came back",
            )
            first = min(t for t, _ in list(manager.frames) if t > back)
            outages.append((seconds, first - back, back - gone))
            assert first - back < 2.0, f"frames {first - back:.1f} s after a {seconds} s outage"
        print(
            "outages (outage s, frames again after s):", [(o, round(d, 2)) for o, d, _ in outages]
        )
        seqs = event_seqs(manager.frames)
        streams = [k for k, v in seqs.items() if len(v) >= 2]
        assert len(streams) >= 5, seqs  # enough event streams to see a loss
        for key in streams:
            values = seqs[key]
            # In order and without a gap: every event of the outages came after them. A
            # repeat of the newest one is the state sent again on each reconnect.
            assert values == sorted(values), (key, values)
            distinct = sorted(set(values))
            assert distinct == list(range(distinct[0], distinct[-1] + 1)), (key, values)
        st = json.loads(run_cli("status", "--admin-port", str(admin_port), "--json").stdout)
        assert st["detail"]["manager"]["events_dropped"] == 0
        assert st["detail"]["manager"]["connects"] >= 3


def status_detail(admin_port: int) -> dict:
    r = run_cli("status", "--admin-port", str(admin_port), "--json", timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["detail"]


def assert_no_event_lost(frames) -> int:
    """Per event stream: no gap in the seqNums received (a frame may come twice: events are
    sent again to a ManagerClient that replaces a dead one). Returns the streams checked."""
    seqs = event_seqs(frames)
    streams = [k for k, v in seqs.items() if len(set(v)) >= 2]
    for key in streams:
        distinct = sorted(set(seqs[key]))
        assert distinct == list(range(distinct[0], distinct[-1] + 1)), (key, seqs[key])
    return len(streams)


@pytest.mark.parametrize("victim", ["manager", "csc"])
def test_a_killed_manager_client_or_csc_actor_is_back_alone_and_no_event_is_lost(victim):
    """SIGKILL three times in a row: the actor comes back within seconds, the other
    processes keep their pids, and every event stream arrives in order without a gap."""
    manager = RecordingManager()
    admin_port = free_port()
    one_each = ("--components-per-actor", "1")  # each component alone in its process
    with streaming(manager, admin_port, "ScriptQueue:1", "ATDome", "Test:1", options=one_each):
        recoveries = []
        for _ in range(3):
            st = status_detail(admin_port)
            components = {c["key"]: c["pid"] for c in st["components"]}
            if victim == "manager":
                pid = st["manager"]["pid"]
            else:
                pid = components["ATDome:0"]
            others = (set(components.values()) | {st["manager"]["pid"]}) - {pid}
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)

            def back(pid: int = pid) -> bool:
                d = status_detail(admin_port)
                pids = {c["key"]: c.get("pid") for c in d["components"]}
                new = d["manager"].get("pid") if victim == "manager" else pids.get("ATDome:0")
                return new not in (None, pid) and bool(d["manager"].get("connected"))

            wait_until(back, 60, interval=0.2, what=f"a new {victim} actor")
            wait_until(
                lambda k=killed: any(
                    t > k and e.get("csc") == "ATDome" for t, e in list(manager.frames)
                ),
                30,
                what="ATDome frames again",
            )
            recoveries.append(
                min(t for t, e in list(manager.frames) if t > killed and e.get("csc") == "ATDome")
                - killed
            )
            d = status_detail(admin_port)
            now = {c["pid"] for c in d["components"]} | {d["manager"]["pid"]}
            assert others <= now, "another actor was restarted too"
        print(
            f"{victim} killed 3 times: ATDome frames again after", [round(r, 2) for r in recoveries]
        )
        assert assert_no_event_lost(manager.frames) >= 5
        assert status_detail(admin_port)["manager"]["events_dropped"] == 0


def test_components_sharing_a_process_come_back_together_and_the_other_processes_stay():
    """--components-per-actor 2 with four components: two CSC actor processes. SIGKILL of
    the one hosting ATDome brings ATDome and its partner back in a new process; the other
    process keeps its pid, and no event stream has a gap."""
    manager = RecordingManager()
    admin_port = free_port()
    four = ("ATDome", "ATMCS", "Test:1", "Test:2")
    with streaming(manager, admin_port, *four, options=("--components-per-actor", "2")):
        st = status_detail(admin_port)
        pids = {c["key"]: c["pid"] for c in st["components"]}
        assert len(pids) == 4 and len(set(pids.values())) == 2, pids
        victim = pids["ATDome:0"]
        partners = {k for k, p in pids.items() if p == victim}
        assert len(partners) == 2
        other = (set(pids.values()) - {victim}).pop()
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def back() -> bool:
            d = status_detail(admin_port)
            now = {c["key"]: c.get("pid") for c in d["components"]}
            return all(now.get(k) not in (None, victim) for k in partners)

        wait_until(back, 60, interval=0.2, what="both components in a new process")
        for key in partners:
            csc = key.split(":")[0]
            wait_until(
                lambda c=csc: any(
                    t > killed and e.get("csc") == c for t, e in list(manager.frames)
                ),
                30,
                what=f"{key} frames again",
            )
        d = status_detail(admin_port)
        now = {c["key"]: c["pid"] for c in d["components"]}
        assert {now[k] for k in now if k not in partners} == {other}, "the other process restarted"
        assert len({now[k] for k in partners}) == 1  # still together, in one new process
        assert assert_no_event_lost(manager.frames) >= 2


TWENTY = (
    ["ATDome", "ATMCS", "ATPtg", "MTMount", "ScriptQueue:1", "Watcher"]
    + [f"Test:{i}" for i in range(1, 8)]
    + [f"ESS:{i}" for i in range(1, 8)]
)


def test_sigterm_with_20_components_exits_0_within_5_s_ten_times_leaving_nothing():
    manager = RecordingManager()
    took = []
    try:
        for _ in range(10):
            producer = Proc(
                "start", "--components", *TWENTY, "--source", "sim", "--manager-url",
                manager.url, "--admin-port", "0", "--components-per-actor", "1",
                env={"PROCESS_CONNECTION_PASS": PASSWORD},
            )  # fmt: skip
            try:
                producer.wait_for_line(" streaming to ", timeout=90)
                processes = producer.processes()
                assert len(processes) >= 20
                asked = time.monotonic()
                producer.signal(signal.SIGTERM)
                assert producer.wait(30) == 0
                took.append(time.monotonic() - asked)
                wait_until(lambda p=processes: not any(alive(x) for x in p), 10, what="no leftover")
            finally:
                producer.kill_tree()
        print("SIGTERM to exit (s):", [round(t, 2) for t in took])
        assert max(took) < 5.0, took
    finally:
        manager.close()


def test_a_password_of_any_characters_authenticates_and_shows_nowhere(tmp_path):
    """&, #, spaces and non-ASCII: accepted by the hub from a file, used by the producer
    from the environment, and absent from every log line, status, journal and process
    title (raw and URL-encoded)."""
    password = " p&ss #wörd ✓ "
    secret_file = tmp_path / "password"
    secret_file.write_text(password + "\n", encoding="utf-8")
    journal = tmp_path / "journal"
    port, admin_port = free_port(), free_port()
    hub = Proc("hub", "--port", str(port), "--password-file", str(secret_file), "--token", "t")
    producer = None
    try:
        hub.wait_for_line("hub listening on", timeout=20)
        producer = Proc(
            "start", "--components", "ATDome", "--source", "sim", "--manager-url",
            f"ws://127.0.0.1:{port}/manager/ws/subscription", "--admin-port", str(admin_port),
            "--record", str(journal), "--log-level", "debug",
            env={"PROCESS_CONNECTION_PASS": password},
        )  # fmt: skip
        producer.wait_for_line(" streaming to ", timeout=60)
        titles = []
        for pid in producer.processes() | hub.processes():
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                titles.append(f.read().decode(errors="replace"))
        status = run_cli("status", "--admin-port", str(admin_port), "--json")
        assert status.returncode == 0
        producer.signal()
        assert producer.wait(30) == 0
        hub.signal()
        hub.wait(30)
        journal_text = "".join(
            p.read_bytes().decode(errors="replace") for p in journal.rglob("*") if p.is_file()
        )
        forms = {password, password.strip(), urllib.parse.quote(password),
                 urllib.parse.quote_plus(password), "p&ss", "wörd"}  # fmt: skip
        for where, text in (
            ("the producer's output", producer.text()),
            ("the hub's output", hub.text()),
            ("status", status.stdout + status.stderr),
            ("the journal", journal_text),
            ("a process title", "\n".join(titles)),
        ):
            for form in forms:
                assert form not in text, f"{form!r} in {where}"
        assert "refused" not in hub.text()  # it authenticated
    finally:
        stop_all(producer, hub)


def telemetry_ages(frames, since: float, until: float = float("inf")) -> list[float]:
    """Age at arrival (s) of every telemetry sample that arrived in ``[since, until)``."""
    ages = []
    for t, entry in frames:
        if entry["category"] != "telemetry" or not since <= t < until:
            continue
        for payload in entry.get("data", {}).values():
            stamp = payload.get("private_sndStamp", {}).get("value")
            if isinstance(stamp, int | float):
                ages.append(entry["arrived"] - (stamp - 37.0))
    return ages


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_a_slow_manager_gets_fresh_telemetry_and_memory_stays_bounded():
    """The manager takes 10 messages a second for 30 s: what it gets is at most seconds
    old (the backlog waits in the outbox, where telemetry is coalesced, not in socket
    buffers), the ManagerClient's memory stays flat, no event is dropped, and once it is
    fast again the age is back to normal within seconds."""
    manager = RecordingManager()
    admin_port = free_port()
    with streaming(manager, admin_port, *TWENTY, timeout=90):
        mc = status_detail(admin_port)["manager"]["pid"]
        rss_before = rss_mb(mc)
        manager.delay = 0.1
        slow_from = time.monotonic()
        wait_until(lambda: time.monotonic() - slow_from > 30, 40, interval=0.5, what="30 s")
        rss_slow = rss_mb(mc)
        manager.delay = 0.0
        fast_from = time.monotonic()
        wait_until(lambda: time.monotonic() - fast_from > 10, 20, interval=0.5, what="10 s")
        slow = telemetry_ages(manager.frames, slow_from + 10, fast_from)
        after = telemetry_ages(manager.frames, fast_from + 5)
        assert slow and after
        slow.sort()
        after.sort()
        p99_slow, p99_after = slow[int(0.99 * len(slow))], after[int(0.99 * len(after))]
        print(
            f"slow manager: telemetry age p99 {p99_slow:.2f} s while slow, {p99_after:.2f} s "
            f"5 s after; ManagerClient RSS {rss_before:.0f} -> {rss_slow:.0f} MB"
        )
        assert p99_slow < 5.0
        assert p99_after < 1.0
        assert rss_slow - rss_before < 50
        st = status_detail(admin_port)
        assert st["manager"]["events_dropped"] == 0
        assert st["manager"]["telemetry_replaced"] > 0  # the outbox coalesced meanwhile


class HostileManagerEndpoint(RecordingManager):
    """A manager that answers every producer connection with a barrage of bad frames and
    requests for what does not exist, then records what the producer sends."""

    BAD = [
        "not json",
        b"\x00\x01binary",
        "[1, 2, 3]",
        "{" * 100_000,
        json.dumps({"category": 5, "data": []}),
        json.dumps({"category": "nonsense", "data": [{"csc": "ATDome"}]}),
        json.dumps({"category": "initial_state", "data": "all"}),
        json.dumps({"category": "initial_state", "data": [{"csc": 7, "salindex": "x"}]}),
    ] + [
        json.dumps(
            {
                "category": "initial_state",
                "data": [{"csc": csc, "salindex": index, "data": {"event_name": event}}],
            }
        )
        for csc, index, event in (
            ("NoSuchCSC", 0, "summaryState"),
            ("ATDome", -1, "summaryState"),
            ("Test", 10**30, "summaryState"),
            ("ATDome", 0, "noSuchEvent"),
            ("ATDome", 0, ["not", "a", "name"]),
        )
    ]

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        super().__init__()

    async def handle(self, ws) -> None:
        for _ in range(self.rounds):
            for frame in self.BAD:
                await ws.send(frame)
        await super().handle(ws)


def test_a_hostile_manager_leaves_every_process_up_and_memory_bounded():
    """100 rounds of 13 kinds of bad frames (1,300 frames): no process dies, the link stays
    up (one connection), telemetry keeps flowing, the ManagerClient's memory stays within
    bounds and the log holds a handful of warning lines, not one per frame."""
    manager = HostileManagerEndpoint(rounds=100)
    admin_port = free_port()
    with streaming(manager, admin_port, "ATDome", "Test:1") as producer:
        st = status_detail(admin_port)
        pids = {c["pid"] for c in st["components"]} | {st["manager"]["pid"], st["pid"]}
        rss = rss_mb(st["manager"]["pid"])
        wait_until(
            lambda: status_detail(admin_port)["manager"]["invalid_inbound"] >= 100 * 8,
            60,
            interval=0.5,
            what="the bad frames to be counted",
        )
        since = time.monotonic()
        wait_until(
            lambda: any(t > since and e["category"] == "telemetry" for t, e in manager.frames),
            30,
            what="telemetry after the barrage",
        )
        st = status_detail(admin_port)
        assert {c["pid"] for c in st["components"]} | {st["manager"]["pid"], st["pid"]} == pids
        assert st["manager"]["connects"] == 1 and st["manager"]["connected"]
        assert manager.connections == 1
        growth = rss_mb(st["manager"]["pid"]) - rss
        print(f"hostile manager: {st['manager']['invalid_inbound']} bad frames counted, "
              f"ManagerClient RSS {growth:+.1f} MB")  # fmt: skip
        assert growth < 30
        warnings = [line for line in producer.text().splitlines() if "ignored a frame" in line]
        assert 1 <= len(warnings) <= 10, warnings
