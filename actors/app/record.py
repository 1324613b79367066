"""``love-actors record``: write what a SAL source delivers to a journal, with no manager and
no actor system, so a night of real SAL traffic can become a replay test."""

from __future__ import annotations

import argparse
import os
import select
import sys
import time

from actors.app.console import StopSignal, fail
from actors.app.run_config import source_config
from actors.edges.catalog import Catalog, CatalogError
from actors.edges.journal_files import make_recorder
from actors.edges.settings import RecordConfig
from actors.edges.sources import SourceError, open_source
from love_producer.interfaces.component_id import parse_components
from love_producer.journal import StartConfig, csc_actor_name
from love_producer.kinds import KindSettings, kind_of
from love_producer.link.manager_link import ConfigError
from love_producer.state.csc_state import CSCSettings

PROGRESS_EVERY = 5.0


def run_record(args: argparse.Namespace) -> int:
    try:
        ids = parse_components(args.components)
        catalog = Catalog.default(args.xml_dir)
        infos = catalog.resolve(ids)
        source = source_config(args)
        kind = KindSettings.from_env(os.environ)
        if args.record_file_mb <= 0 or args.record_total_mb <= 0:
            raise ConfigError("--record-file-mb and --record-total-mb must be > 0")
        os.makedirs(args.output, exist_ok=True)
    except (ConfigError, CatalogError, ValueError) as e:
        return fail(str(e))
    except OSError as e:
        return fail(f"cannot create {args.output}: {e.strerror}")
    mb = 1024 * 1024
    record = RecordConfig(
        os.path.abspath(args.output),
        max_file_bytes=int(args.record_file_mb * mb),
        max_total_bytes=int(args.record_total_mb * mb),
    )
    start_time = time.time()
    opened = []
    stop = StopSignal()
    try:
        for cid in ids:
            related = {n: catalog.get(n) for n in kind_of(cid.name).related}
            start = StartConfig(
                cid.name, cid.index, infos[cid], CSCSettings(), kind, start_time, related
            )
            src = open_source(cid, infos[cid], source, start_time, related)
            opened.append(
                (cid, src, make_recorder(record, csc_actor_name(cid.name, cid.index), start))
            )
    except SourceError as e:
        for _, src, rec in opened:
            src.close()
            rec.close()
        return fail(str(e))
    print(
        f"record: {len(ids)} components from {source.kind} into {args.output}; "
        + (f"{args.duration:g} s" if args.duration else "Ctrl-C stops"),
        flush=True,
    )
    deadline = start_time + args.duration if args.duration else None
    total = 0
    next_progress = time.monotonic() + PROGRESS_EVERY
    try:
        while not stop.event.is_set():
            fds = [s.fileno() for _, s, _ in opened if s.fileno() is not None]
            timeout = source.poll_interval
            if fds:
                select.select(fds, [], [], timeout)
            else:
                stop.event.wait(timeout)
            now = time.time()
            for _, src, rec in opened:
                samples = src.drain(now)
                if samples:
                    rec.step("wakeup", now, samples)
                    total += len(samples)
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_EVERY
                print(f"record: {total} samples so far", flush=True)
            if deadline is not None and now >= deadline:
                break
    except Exception as e:  # a source that failed mid-way: keep what was recorded
        print(f"record: stopped: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        for _, src, rec in opened:
            src.close()
            rec.close()
    print(f"record: {total} samples from {len(ids)} components written to {args.output}")
    return 0
