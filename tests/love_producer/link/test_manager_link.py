import json
import random

import pytest

from love_producer.link.manager_link import (
    Backoff,
    ConfigError,
    LinkSettings,
    RetryLog,
    manager_url,
    redact,
    redact_text,
    refusal,
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


def test_the_default_backoff_keeps_attempts_within_two_seconds() -> None:
    rng = random.Random(3)
    b = Backoff()
    assert max(b.next_delay(rng) for _ in range(50)) <= 2.0


def test_a_refused_first_connection_names_the_setting_to_fix() -> None:
    url = "ws://h:8000/love/manager/ws/subscription"
    typed = LinkSettings("WEBSOCKET_HOST", "--password-file")
    wrong = refusal(403, url, True, False, typed)
    assert "refused the producer password" in wrong and "--password-file" in wrong
    none = refusal(403, url, False, False, LinkSettings())
    assert "none is set" in none and "PROCESS_CONNECTION_PASS" in none
    missing = refusal(404, url, True, False, typed)
    assert "/love/manager/ws/subscription" in missing and "WEBSOCKET_HOST" in missing
    # Once the link worked, the same answers are retried; other answers always are.
    assert refusal(403, url, True, True, typed) is None
    assert refusal(404, url, True, True, typed) is None
    assert refusal(500, url, True, False, typed) is None


def test_retry_log_says_the_first_failure_then_one_line_a_minute() -> None:
    log = RetryLog(every=60.0)
    said = [(t, log.failed(t)) for t in range(0, 130, 2)]
    assert [(t, n) for t, n in said if n is not None] == [(0, 1), (60, 30), (120, 30)]
    log.reset()
    assert log.failed(121.0) == 1  # after a good connection, the next failure is news


def test_redact_text_hides_query_secrets_and_known_passwords() -> None:
    text = "GET /ws?password=a%26b&token=tok#x HTTP/1.1 (p&ss, p%26ss, p%26ss+1)"
    out = redact_text(text, ["p&ss", "p&ss 1"])
    assert out == "GET /ws?password=***&token=*** HTTP/1.1 (***, ***, ***)"
