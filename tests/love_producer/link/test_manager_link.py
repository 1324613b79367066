import json
import random

import pytest

from love_producer.link.manager_link import (
    Backoff,
    ConfigError,
    manager_url,
    redact,
    registration_texts,
    with_password,
)


def test_url_from_websocket_host_like_upstream():
    env = {"WEBSOCKET_HOST": "love-nginx/manager/ws/subscription"}
    assert manager_url(None, env) == "ws://love-nginx/manager/ws/subscription"


def test_explicit_url_wins_and_wss_is_kept():
    env = {"WEBSOCKET_HOST": "other"}
    assert manager_url("wss://h:443/manager/ws/subscription", env).startswith("wss://h:443")


@pytest.mark.parametrize("url", ["http://h/manager/ws/subscription", "ws://"])
def test_bad_urls_are_refused(url):
    with pytest.raises(ConfigError):
        manager_url(url, {})


def test_missing_url_is_a_clear_error():
    with pytest.raises(ConfigError, match="WEBSOCKET_HOST"):
        manager_url(None, {})


def test_password_is_url_encoded_and_redacted():
    url = with_password("ws://h:1/manager/ws/subscription?x=1", "p&w=d /#")
    assert "p%26w%3Dd+%2F%23" in url or "p%26w%3Dd%20%2F%23" in url
    assert "x=1" in url
    assert "p&w" not in redact(url) and "password" not in redact(url)
    assert redact(url) == "ws://h:1/manager/ws/subscription"


def test_backoff_grows_with_jitter_and_resets():
    rng = random.Random(3)
    b = Backoff(initial=1.0, maximum=8.0)
    delays = [b.next_delay(rng) for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    for d, c in zip(delays, ceilings, strict=True):
        assert c / 2 <= d <= c
    assert len(set(delays)) == len(delays)  # jitter: no two equal
    b.reset()
    assert b.next_delay(rng) <= 1.0


def test_registration_all_first_no_duplicates():
    texts = registration_texts(["ATDome", "all", "ATDome", "ATMCS"], 1.0)
    cscs = [json.loads(t)["csc"] for t in texts]
    assert cscs == ["all", "ATDome", "ATMCS"]
