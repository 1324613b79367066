"""What the Kafka reader costs per sample, against the floor of a bare consumer.

A child process writes ``--rate`` records/s of ``Test:1`` (telemetry ``scalars`` and the
event ``scalars``, half each) to a local broker for ``--duration`` s (`SalWriter`, as salobj
writes them); this process reads them, first with `KafkaSource` (the ``--source kafka``
path: decoding, projection, filters, the hand-over to the actor's thread), then with a bare
confluent-kafka consumer that only decodes (the baseline), each on a fresh topic subname.
Printed per reader: samples received, CPU ms per 1000 samples (this process), latency
p50/p99 (receive time minus the record's sndStamp), and the ratio of the two CPU figures.

    python scripts/bench_kafka_source.py --rate 2000 --duration 10
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import select
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.devtools.local_kafka import LocalKafka, SalWriter  # noqa: E402
from actors.edges.catalog import Catalog  # noqa: E402
from actors.edges.kafka_env import KafkaSettings  # noqa: E402
from actors.edges.kafka_source import KafkaSource, import_kafka  # noqa: E402
from love_producer.interfaces.component_id import ComponentId  # noqa: E402
from love_producer.sal.kafka_wire import kafka_topic  # noqa: E402

TAI = 37.0


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def write(env: dict, rate: float, duration: float, ready, wait: float) -> None:
    settings = KafkaSettings.from_env(env)
    writer = SalWriter(settings, Catalog.builtin().get("Test"), 1)
    writer.write("tel_scalars", int0=-1)  # create the topics before the reader starts
    writer.write("evt_scalars", int0=-1)
    writer.flush()
    ready.set()
    time.sleep(wait)  # the reader assigns its partitions (a salobj Remote takes seconds)
    start = time.monotonic()
    n = 0
    total = int(rate * duration)
    while n < total:
        due = min(total, int((time.monotonic() - start) * rate))
        while n < due:
            writer.write("tel_scalars" if n % 2 else "evt_scalars", int0=n)
            n += 1
        time.sleep(0.002)
    writer.flush()


def run_writer(kafka: LocalKafka, subname: str, rate: float, duration: float, wait=1.0):
    env = dict(kafka.env(), LSST_TOPIC_SUBNAME=subname)
    ready = multiprocessing.Event()
    proc = multiprocessing.get_context("fork").Process(
        target=write, args=(env, rate, duration, ready, wait)
    )
    proc.start()
    assert ready.wait(30), "the writer did not start"
    return proc, KafkaSettings.from_env(env)


def measure_source(kafka, rate, duration, expected) -> dict:
    proc, settings = run_writer(kafka, "bs" + str(time.time_ns()), rate, duration)
    t0 = time.monotonic()
    source = KafkaSource(
        ComponentId("Test", 1), Catalog.builtin().get("Test"), time.time(), settings=settings
    )
    assert source.started.wait(30)
    print(f"  (KafkaSource started in {time.monotonic() - t0:.2f} s)", flush=True)
    return read_source(source, proc, duration, expected)


def read_source(source, proc, duration: float, expected: int) -> dict:
    lat, got = [], 0
    c0 = cpu()
    deadline = time.monotonic() + duration + 30
    while got < expected and time.monotonic() < deadline:
        select.select([source.fileno()], [], [], 1.0)
        now = time.time()
        for s in source.drain(now):
            if s.data.get("int0", -1) >= 0:
                got += 1
                lat.append(now - (s.data["private_sndStamp"] - TAI))
    used = cpu() - c0
    source.close()
    proc.join(30)
    return {"samples": got, "cpu": used, "lat": lat}


def measure_salobj(kafka, rate, duration, expected) -> dict | None:
    """The salobj source (a real Remote) on the same broker, where salobj is installed."""
    try:
        from actors.edges.salobj_source import SalobjSource, import_salobj

        import_salobj()
    except Exception:
        return None
    subname = "bo" + str(time.time_ns())
    os.environ.update(kafka.env(), LSST_TOPIC_SUBNAME=subname)
    proc, _ = run_writer(kafka, subname, rate, duration, wait=5.0)
    t0 = time.monotonic()
    source = SalobjSource(ComponentId("Test", 1), Catalog.builtin().get("Test"), time.time())
    assert source.started.wait(60) and source.failed is None, source.failed
    print(f"  (salobj Remote started in {time.monotonic() - t0:.1f} s)", flush=True)
    return read_source(source, proc, duration, expected)


def measure_bare(kafka, rate, duration, expected) -> dict:
    confluent_kafka, fastavro = import_kafka()
    proc, settings = run_writer(kafka, "bb" + str(time.time_ns()), rate, duration)
    consumer = confluent_kafka.Consumer(settings.consumer("bench"))
    topics = [kafka_topic(settings.subname, "Test", k, "scalars") for k in ("telemetry", "event")]
    ends = [
        consumer.get_watermark_offsets(confluent_kafka.TopicPartition(t, 0), 10, cached=False)[1]
        for t in topics
    ]
    consumer.assign(
        [confluent_kafka.TopicPartition(t, 0, hi) for t, hi in zip(topics, ends, strict=True)]
    )
    from actors.edges.schema_registry import RegistryClient

    registry = RegistryClient(settings.registry_url)
    parsed: dict = {}
    lat, got = [], 0
    c0 = cpu()
    deadline = time.monotonic() + duration + 30
    while got < expected and time.monotonic() < deadline:
        for m in consumer.consume(500, 0.1):
            if m.error():
                continue
            v = m.value()
            sid = int.from_bytes(v[1:5], "big")
            if sid not in parsed:
                parsed[sid] = fastavro.parse_schema(registry.schema(sid))
            r = fastavro.schemaless_reader(io.BytesIO(v[5:]), parsed[sid], None)
            if r["int0"] >= 0:
                got += 1
                lat.append(time.time() - (r["private_sndStamp"] - TAI))
    used = cpu() - c0
    consumer.close()
    proc.join(30)
    return {"samples": got, "cpu": used, "lat": lat}


def line(name: str, r: dict) -> str:
    lat = sorted(r["lat"]) or [float("nan")]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    per_k = 1000 * r["cpu"] / max(1, r["samples"]) * 1000
    return (
        f"{name:12s} {r['samples']:7d} samples  {per_k:7.1f} CPU ms/1000  "
        f"p50 {1000 * statistics.median(lat):6.1f} ms  p99 {1000 * p99:6.1f} ms"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=2000.0, help="records written per second")
    p.add_argument("--duration", type=float, default=10.0)
    args = p.parse_args()
    expected = int(args.rate * args.duration)
    with LocalKafka() as kafka:
        print(f"writing {expected} records at {args.rate:g}/s, Test:1, tel+evt scalars", flush=True)
        ours = measure_source(kafka, args.rate, args.duration, expected)
        print(line("KafkaSource", ours), flush=True)
        bare = measure_bare(kafka, args.rate, args.duration, expected)
        print(line("bare reader", bare), flush=True)
        real = measure_salobj(kafka, args.rate, args.duration, expected)
        if real is not None:
            print(line("SalobjSource", real), flush=True)
    ratio = (ours["cpu"] / max(1, ours["samples"])) / (bare["cpu"] / max(1, bare["samples"]))
    print(f"CPU per sample, KafkaSource / bare consumer+decode: {ratio:.2f}")
    if real is not None:
        per = real["cpu"] / max(1, real["samples"])
        ours_per = ours["cpu"] / max(1, ours["samples"])
        print(f"CPU per sample, SalobjSource / KafkaSource: {per / ours_per:.2f}")
    else:
        print("(salobj is not installed here: the SalobjSource line is left out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
