"""run_love_producer as the production image runs it (#13): the unquoted expansion of
``run_love_producer ${LOVE_CSC_PRODUCER} --periodic-data $PERIODIC_TOPICS
--asynchronous-data $ASYNC_TOPICS``, and the frames a frontend then gets."""

from __future__ import annotations

import asyncio
import signal

import pytest

from actors.devtools.watch_client import FrontendClient
from tests.actors.app.test_start_e2e import PASSWORD, TOKEN, is_stream, start_hub
from tests.helpers.proc_helpers import Proc, free_port

pytestmark = pytest.mark.e2e

IMAGE = "run_love_producer ${LOVE_CSC_PRODUCER} --periodic-data $PERIODIC_TOPICS " \
        "--asynchronous-data $ASYNC_TOPICS"  # fmt: skip


def image(port: int, components: str, periodic: str, asynchronous: str) -> Proc:
    return Proc(
        shell=IMAGE,
        env={
            "LOVE_CSC_PRODUCER": f"{components} --source sim --admin-port 0",
            "PERIODIC_TOPICS": periodic,
            "ASYNC_TOPICS": asynchronous,
            "WEBSOCKET_HOST": f"127.0.0.1:{port}/manager/ws/subscription",
            "PROCESS_CONNECTION_PASS": PASSWORD,
        },
    )


async def streams_seen(url: str, wanted: list, unwanted: list, seconds: float) -> set:
    """Which of ``wanted`` and ``unwanted`` (csc, stream, category) arrive within ``seconds``
    after all of ``wanted`` did."""
    async with FrontendClient(url, token=TOKEN) as fe:
        # Subscribing to an event stream makes the manager ask for its last value: a topic
        # that is forwarded answers even if it was sent before we came.
        for csc, stream, category in wanted + unwanted:
            await fe.subscribe(category, csc, 0, stream)
        for csc, stream, category in wanted:
            await fe.next_frame(is_stream(csc, stream, 0, category), 60)
        await asyncio.sleep(seconds)  # a window for what must not come
        return {
            (csc, stream, category)
            for csc, stream, category in wanted + unwanted
            if any(is_stream(csc, stream, 0, category)(f) for f in fe.received)
        }


def test_the_images_command_line_forwards_the_listed_topics_of_each_component() -> None:
    port = free_port()
    hub = start_hub(port)
    producer = image(port, "ATDome:0 ATMCS --log-level 10", "tel_position",
                     "evt_summaryState evt_heartbeat")  # fmt: skip
    try:
        producer.wait_for_line(" streaming to ", timeout=60)
        out = producer.text()
        assert "--periodic-data tel_position: for ATDome; skipped ATMCS (no such topic)" in out
        url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
        wanted = [
            ("ATDome", "position", "telemetry"),
            ("ATDome", "summaryState", "event"),
            ("ATMCS", "summaryState", "event"),
        ]
        unwanted = [
            ("ATMCS", "trajectory", "telemetry"),  # telemetry of ATMCS: not listed
            ("ATDome", "logLevel", "event"),  # an event nobody listed
        ]
        seen = asyncio.run(streams_seen(url, wanted, unwanted, 3.0))
        assert seen == set(wanted)
        producer.signal(signal.SIGTERM)
        assert producer.wait(30) == 0
        assert "DEBUG" in producer.text()  # --log-level 10 from LOVE_CSC_PRODUCER
    finally:
        producer.kill_tree()
        hub.signal(signal.SIGINT)
        hub.wait(20)


def test_empty_topic_variables_mean_every_topic() -> None:
    port = free_port()
    hub = start_hub(port)
    producer = image(port, "ATDome", "", "")
    try:
        producer.wait_for_line(" streaming to ", timeout=60)
        url = f"ws://127.0.0.1:{port}/manager/ws/subscription"
        wanted = [("ATDome", "position", "telemetry"), ("ATDome", "logLevel", "event")]
        assert asyncio.run(streams_seen(url, wanted, [], 0.0)) == set(wanted)
    finally:
        producer.kill_tree()
        hub.signal(signal.SIGINT)
        hub.wait(20)


def test_a_topic_that_fits_no_component_stops_the_image_with_a_suggestion() -> None:
    producer = image(free_port(), "ATDome ATMCS", "tel_positon", "")
    assert producer.wait(60) == 2
    out = producer.text()
    assert "--periodic-data tel_positon: no such topic in ATDome, ATMCS" in out
    assert "did you mean tel_position" in out
