"""``love-actors replay DIR``: replay a journal and write, compare or send the frames.

The driver is `actors.replay.Replay`; this module adds what the command does with its steps:
pacing (`paced`, the one place that waits between steps), the comparison with a golden file,
and the producer link of ``--to``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator

from actors.app.console import fail
from actors.app.run_config import link_settings, read_password
from actors.edges.journal_files import read_journal
from actors.edges.log_setup import add_secret, setup_command_logging
from actors.edges.websocket_link import WebsocketLink
from actors.replay import Replay, Step
from love_producer import journal
from love_producer.link.manager_link import ConfigError, LinkSettings, manager_url, redact


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not speed > 0:
        raise ConfigError(f"--speed must be max or a number > 0, not {text!r}")
    return speed


def paced(
    steps: Iterable[Step],
    speed: float | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Step]:
    """``steps`` with their recorded spacing divided by ``speed`` (None: no waiting).

    Only steps that made frames wait; the first of them sets the origin.
    """
    t0 = wall0 = None
    for step in steps:
        if step.frames and speed is not None:
            if t0 is None:
                t0, wall0 = step.record.t, clock()
            delay = wall0 + (step.record.t - t0) / speed - clock()
            if delay > 0:
                sleep(delay)
        yield step


def play_to_manager(
    steps: Iterable[Step],
    url: str,
    password: str,
    names: Callable[[], Iterable[str]],
    connect_timeout: float = 30.0,
    settings: LinkSettings | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Send replayed frames to a LOVE-manager as a producer would; returns frames submitted.

    Frames go out as ``steps`` yields them (pace them with `paced`). Telemetry frames still
    waiting when a newer frame of their stream arrives are replaced, as in a live producer.
    """
    link = WebsocketLink(url, password, settings=settings)
    link.start()
    submitted = 0
    try:
        deadline = time.monotonic() + connect_timeout
        while not link.connected:
            if link.fatal:
                raise ConfigError(f"--to: {link.fatal}")
            if time.monotonic() > deadline:
                raise ConnectionError(
                    f"not connected after {connect_timeout:.0f} s: {link.last_error}"
                )
            time.sleep(0.05)
        registered: set[str] = set()
        for step in steps:
            if not step.frames:
                continue
            current = set(names())
            if current != registered:
                registered = current
                link.set_registration(current)
            while link.stats()["queued"] > 5000:
                time.sleep(0.01)
            link.submit(step.frames)
            submitted += len(step.frames)
        if not link.flush(timeout=30.0):
            say("love-actors: the manager did not take every frame within 30 s")
        s = link.stats()
        say(
            f"love-actors: replayed {submitted} frames to the manager "
            f"({s['frames_sent']} sent, {s['telemetry_replaced']} telemetry frames replaced, "
            f"{s['events_dropped']} events dropped)"
        )
    finally:
        link.stop()
    return submitted


def run_replay(args: argparse.Namespace, env=os.environ) -> int:
    """``love-actors replay``: 0 when the output equals --expect (or without it), 1 when it
    differs, 2 for a bad journal or options."""
    try:
        speed = _speed(args.speed)
        url = manager_url(args.to, env) if args.to else None
        password = read_password(args, env) if url else ""
        records = read_journal(args.dir)
        expected = open(args.expect) if args.expect else None  # noqa: SIM115
    except (ConfigError, journal.JournalError, OSError) as e:
        return fail(str(e))
    setup_command_logging(logging.WARNING)
    add_secret(password)
    replay = Replay(records)
    mismatch = None
    context = None  # the input that made the first differing frame
    count = 0
    last = None
    out = None
    if args.output:
        out = open(args.output, "w")  # noqa: SIM115
    elif url is None and expected is None:  # with --expect, only the verdict is printed
        out = sys.stdout

    def steps():
        nonlocal mismatch, context, count, last
        for step in paced(replay, speed):
            last = step.record if step.frames or last is None else last
            for frame in step.frames:
                line = journal.frame_line(step.record.t, step.record.actor, frame)
                if out is not None:
                    out.write(line + "\n")
                if expected is not None and mismatch is None:
                    want = expected.readline()
                    found = journal.compare([want] if want else [], [line])
                    if found is not None:
                        mismatch = journal.Mismatch(count, found.expected, line)
                        context = step.record
                count += 1
            yield step

    try:
        if url is not None:
            play_to_manager(
                steps(),
                url,
                password,
                lambda: {n for names in replay.names.values() for n in names},
                connect_timeout=args.connect_timeout,
                settings=link_settings(args, "--to"),
                say=lambda text: print(text, file=sys.stderr, flush=True),
            )
        else:
            for _ in steps():
                pass
    except journal.JournalError as e:
        return fail(str(e))
    except BrokenPipeError:  # stdout closed early (| head): not an error
        out = None
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (no flush error at exit)
        return 0
    except ConfigError as e:  # the manager refused the settings
        return fail(str(e))
    except ConnectionError as e:  # one-shot: no manager to be had within the bound
        print(f"love-actors: --to {redact(url)}: {e}; giving up", file=sys.stderr)
        return 1
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
        elif out is sys.stdout:
            sys.stdout.flush()
    if expected is not None:
        if mismatch is None:
            extra = expected.readline()
            if extra:
                mismatch = journal.Mismatch(count, extra.rstrip("\n"), None)
                context = last
        expected.close()
        if mismatch is not None:
            print(f"love-actors: the replay differs from {args.expect}", file=sys.stderr)
            print(mismatch.describe(), file=sys.stderr)
            if context is not None:
                print("  journal input that preceded it:", file=sys.stderr)
                for text in context.describe().splitlines():
                    print("    " + text, file=sys.stderr)
            return 1
        print(f"love-actors: replay identical to {args.expect} ({count} frames)", file=sys.stderr)
    return 0
