"""Commands that talk to a running system: ``status``, ``stop``, ``rebalance``."""

from __future__ import annotations

import argparse
import json
import time

from actors.app.console import fail
from actors.app.run_config import is_local_address, parse_leader
from actors.remote import RemoteError, query_status, rebalance, stop_system
from love_producer.link.manager_link import ConfigError
from love_producer.views.status import format_status_line, status_document


def run_status(args: argparse.Namespace) -> int:
    try:
        if args.leader:
            host, args.admin_port = parse_leader(args.leader)
            if not is_local_address(host):
                raise ConfigError(
                    f"{host} is not an address of this host: run status on the leader's host "
                    "(Thespian reaches only a local admin)"
                )
        st = query_status(args.admin_port)
    except (RemoteError, ConfigError) as e:
        return fail(str(e))
    if args.json:
        address = f"{st.get('host', 'localhost')}:{args.admin_port}"
        print(json.dumps(status_document(st, address), indent=1, sort_keys=True))
    else:
        print(format_status_line(st, time.time()))
    return 0


def run_stop(args: argparse.Namespace) -> int:
    try:
        stop_system(args.admin_port)
    except RemoteError as e:
        return fail(str(e))
    print("love-actors: stopped")
    return 0


def run_rebalance(args: argparse.Namespace) -> int:
    try:
        moves = rebalance(args.admin_port)
    except RemoteError as e:
        return fail(str(e))
    for key, src, dst in moves:
        print(f"moved {key} from {src} to {dst}")
    print(f"love-actors: rebalanced ({len(moves)} moves)")
    return 0
