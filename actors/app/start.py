"""``love-actors start`` and ``love-actors node``: run a host's share of the system until
Ctrl-C, SIGTERM or a stop from outside."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter

import attrs

from actors.app import site_config
from actors.app.console import StopSignal, fail, log_level, say, set_output
from actors.app.run_config import (
    build_run_config,
    convention_settings,
    parse_leader,
    read_password,
    source_config,
)
from actors.edges.catalog import CatalogError
from actors.edges.log_setup import DEBUG_LIBRARIES_ENV, add_secret, setup_command_logging
from actors.edges.processes import become_subreaper
from actors.hosts import HOST, capacity_of
from actors.remote import admin_listening
from actors.system import SystemError_, free_port, reap_zombies, running_node, running_system
from love_producer.fleet.core import route
from love_producer.link.manager_link import ConfigError, manager_url, redact
from love_producer.views.status import first_contact, format_status_line, plural


def run_start(args: argparse.Namespace) -> int:

    caps = env = None
    try:
        if getattr(args, "config", None):
            site_config.merge(args, args.config)
        config, catalog = build_run_config(args)
        if args.leader:
            if args.admin_port == 0:
                args.admin_port = free_port()
            caps, env = convention_settings(
                args, (args.address or "", args.admin_port), config.source.kind
            )
            config = attrs.evolve(
                config,
                cluster=True,
                host_id=caps[HOST],
                patterns=args.components_pattern,
                capacity=capacity_of(caps),
            )
    except (ConfigError, CatalogError, ValueError) as e:
        return fail(str(e))
    setup_command_logging(log_level(args), args.debug_libraries, args.log_format, sys.stdout)
    set_output(args.log_format)
    add_secret(config.password)
    env = dict(env or {})
    if args.debug_libraries:
        env[DEBUG_LIBRARIES_ENV] = "1"
    health = None
    if args.http_port is not None:
        # Optional: prometheus_client costs about 12 MB, loaded with --http-port only.
        from actors.edges.health_server import HealthServer

        try:
            health = HealthServer(args.http_port, [c.key for c in config.components]).start()
        except OSError as e:
            return fail(f"--http-port {args.http_port}: {e.strerror or e}")
    stop = StopSignal()
    become_subreaper()  # orphans of the actor system are ours to reap (PID 1 in a pod anyway)
    try:
        with running_system(
            config,
            args.admin_port,
            log_level(args),
            capabilities=caps,
            environment=env,
            log_format=args.log_format,
        ) as system:
            started = system.started
            n = len(started.components)
            urls = Counter(
                route(config.routes, str(c), config.manager_url) for c in config.components
            )
            targets = ", ".join(
                f"{redact(u)} ({k})" if len(urls) > 1 else redact(u) for u, k in urls.items()
            ) or redact(config.manager_url)
            where = (
                f"{targets} (source {config.source.kind}, "
                f"interfaces from {catalog.source}; admin port {system.admin_port})"
            )
            say(f"love-actors: {plural(n, 'component')} started; connecting to {where}")
            for note in config.notes:
                say(f"love-actors: {note}")
            for error in started.errors:
                say(f"love-actors: could not start {error}", error=True)
            if config.record is not None:
                say(f"love-actors: recording a journal in {config.record.directory}")
            if config.on_demand:
                say(
                    f"love-actors: on demand: {plural(len(config.on_demand_names), 'component')}"
                    f" match {config.on_demand!r}"
                )
            streaming = False
            said = ""
            next_status = time.monotonic() + (args.status_every or float("inf"))
            while not stop.event.wait(1.0):
                reap_zombies()
                lost = system.check_core()
                if lost is not None:
                    # Nobody supervises these two: stop everything and let whoever runs us
                    # (Kubernetes, systemd, the operator) start afresh.
                    return fail(f"{lost}: stopping every component, exit 1", code=1)
                if not admin_listening(system.admin_port):
                    say("love-actors: the actor system was stopped from outside")
                    break
                st = None
                if not streaming or health is not None:
                    st = system.status()
                    if health is not None:
                        health.update(st)
                if not streaming:
                    state, why = first_contact(st) if st is not None else ("waiting", "")
                    if state == "fatal":
                        return fail(why)
                    if state == "streaming":
                        streaming = True
                        say(
                            f"love-actors: {plural(n, 'component')} streaming to {targets}; "
                            "Ctrl-C stops"
                        )
                    elif why and why != said:
                        said = why
                        say(f"love-actors: {why}")
                if time.monotonic() >= next_status:
                    next_status += args.status_every
                    st = st or system.status()
                    if st is not None:
                        say(format_status_line(st, time.time()))
    except SystemError_ as e:
        return fail(str(e))
    finally:
        reap_zombies()
        if health is not None:
            health.stop()
    say("love-actors: stopped")
    return 0


def run_node(args: argparse.Namespace) -> int:
    """A member host: joins the leader's convention; the leader's Factory places actors here."""

    try:
        leader = parse_leader(args.leader)
        source = source_config(args)
        url = manager_url(args.manager_url, os.environ)
        caps, env = convention_settings(args, leader, source.kind)
        caps["love-actors.manager_url"] = url
        password = read_password(args, os.environ)
    except (ConfigError, ValueError) as e:
        return fail(str(e))
    # Actors placed here read the password from the environment they inherit: it never
    # travels between hosts.
    env["PROCESS_CONNECTION_PASS"] = password
    level = log_level(args)
    setup_command_logging(level, args.debug_libraries, args.log_format, sys.stdout)
    set_output(args.log_format)
    add_secret(password)
    if args.debug_libraries:
        env[DEBUG_LIBRARIES_ENV] = "1"
    stop = StopSignal()
    become_subreaper()
    try:
        with running_node(args.admin_port, caps, env, level, args.log_format) as port:
            print(
                f"love-actors node {caps['love-actors.host']}: member of {args.leader} "
                f"(admin port {port}, runs {args.components_pattern!r}, streams to "
                f"{redact(url)}); Ctrl-C stops",
                flush=True,
            )
            while not stop.event.wait(2.0):
                reap_zombies()
                if not admin_listening(port, args.address or "127.0.0.1"):
                    say("love-actors: the actor system was stopped from outside")
                    break
    except SystemError_ as e:
        return fail(str(e))
    say("love-actors: node stopped")
    return 0
