"""The Kafka SAL environment, read as salobj reads it (`actors.edges.kafka_env`)."""

from __future__ import annotations

import pytest

from actors.edges.kafka_env import KafkaConfigError, KafkaSettings

BASE = {"LSST_TOPIC_SUBNAME": "sal"}


def test_defaults_are_salobjs() -> None:
    s = KafkaSettings.from_env(BASE)
    assert (s.broker, s.registry_url) == ("broker:29092", "http://schema-registry:8081")
    assert s.history_depth("ESS") == 500
    assert "security.protocol" not in s.base_config()


def test_no_subname_is_an_error_that_names_the_variable() -> None:
    with pytest.raises(KafkaConfigError, match="LSST_TOPIC_SUBNAME is not set"):
        KafkaSettings.from_env({})


def test_sasl_only_with_both_user_and_password_and_the_password_never_in_repr() -> None:
    only_user = KafkaSettings.from_env({**BASE, "LSST_KAFKA_SECURITY_USERNAME": "u"})
    assert "sasl.username" not in only_user.base_config()
    env = {
        **BASE,
        "LSST_KAFKA_SECURITY_USERNAME": "u",
        "LSST_KAFKA_SECURITY_PASSWORD": "s3cr&t #ü",
        "LSST_KAFKA_SECURITY_MECHANISM": "PLAIN",
    }
    s = KafkaSettings.from_env(env)
    config = s.base_config()
    assert config["sasl.password"] == "s3cr&t #ü" and config["sasl.mechanism"] == "PLAIN"
    assert config["security.protocol"] == "SASL_PLAINTEXT"
    assert "s3cr&t" not in repr(s)


def test_yaml_files_apply_in_salobjs_order(tmp_path) -> None:
    consumer = tmp_path / "consumer.yaml"
    consumer.write_text("session.timeout.ms: 2000\nbootstrap.servers: ignored:1\n")
    history = tmp_path / "history.yaml"
    history.write_text("ESS: 50\n")
    env = {
        **BASE,
        "LSST_KAFKA_BROKER_ADDR": "kafka:9092",
        "LSST_KAFKA_CONSUMER_CONFIGURATION": str(consumer),
        "LSST_HISTORY_READ_CONFIG": str(history),
        "LSST_MAX_HISTORY_READ": "700",
    }
    s = KafkaSettings.from_env(env)
    config = s.consumer("g")
    assert config["session.timeout.ms"] == 2000
    assert config["bootstrap.servers"] == "kafka:9092"  # the environment wins over the YAML
    assert config["enable.auto.commit"] is False and config["allow.auto.create.topics"] is False
    assert (s.history_depth("ESS"), s.history_depth("Test")) == (50, 700)


@pytest.mark.parametrize(
    "variable, text, message",
    [
        ("LSST_KAFKA_CONSUMER_CONFIGURATION", "- a list\n", "must hold a mapping"),
        ("LSST_KAFKA_PRODUCER_CONFIGURATION", "a: [unclosed\n", "not YAML"),
    ],
)
def test_bad_yaml_names_the_variable(tmp_path, variable, text, message) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(KafkaConfigError, match=f"{variable}=.*{message}"):
        KafkaSettings.from_env({**BASE, variable: str(path)})
    with pytest.raises(KafkaConfigError, match="No such file"):
        KafkaSettings.from_env({**BASE, variable: str(tmp_path / "missing.yaml")})
