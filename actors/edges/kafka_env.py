"""The Kafka SAL environment, read exactly as salobj 8 reads it (``spec/salobj-kafka-wire.md``
§1), so ``--source kafka`` runs where salobj runs, unchanged."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from love_producer.sal.kafka_wire import MAX_HISTORY_READ


class KafkaConfigError(ValueError):
    """The environment does not describe a usable Kafka SAL."""


def _load_yaml(path: str, variable: str) -> dict:
    # PyYAML comes with the kafka extra only; salobj's configuration files are YAML.
    import yaml

    try:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise KafkaConfigError(f"{variable}={path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise KafkaConfigError(f"{variable}={path}: not YAML ({e})") from None
    if not isinstance(data, dict):
        raise KafkaConfigError(f"{variable}={path}: must hold a mapping of settings")
    return data


@attrs.frozen
class KafkaSettings:
    """Where SAL lives on Kafka and how to reach it. The password never shows in ``repr``."""

    subname: str
    broker: str = "broker:29092"
    registry_url: str = "http://schema-registry:8081"
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    client_config: dict = attrs.field(factory=dict)
    consumer_config: dict = attrs.field(factory=dict)
    producer_config: dict = attrs.field(factory=dict)
    max_history_read: int = MAX_HISTORY_READ
    history_read: dict = attrs.field(factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSettings:
        """Read ``LSST_*`` as salobj does; raises `KafkaConfigError` naming the variable."""
        env = os.environ if env is None else env
        subname = env.get("LSST_TOPIC_SUBNAME", "")
        if not subname:
            raise KafkaConfigError(
                "LSST_TOPIC_SUBNAME is not set (the middle part of every SAL topic name: "
                "'sal' in production)"
            )
        yaml_of = {}
        for key, variable in (
            ("client_config", "LSST_KAFKA_BROKER_CLIENT_CONFIGURATION"),
            ("consumer_config", "LSST_KAFKA_CONSUMER_CONFIGURATION"),
            ("producer_config", "LSST_KAFKA_PRODUCER_CONFIGURATION"),
        ):
            path = env.get(variable)
            yaml_of[key] = _load_yaml(path, variable) if path else {}
        try:
            depth = int(env.get("LSST_MAX_HISTORY_READ", MAX_HISTORY_READ))
        except ValueError:
            raise KafkaConfigError("LSST_MAX_HISTORY_READ must be a whole number") from None
        history: dict = {}
        history_path = env.get("LSST_HISTORY_READ_CONFIG")
        if history_path and os.path.exists(history_path):
            history = _load_yaml(history_path, "LSST_HISTORY_READ_CONFIG")
        return cls(
            subname=subname,
            broker=env.get("LSST_KAFKA_BROKER_ADDR", "broker:29092"),
            registry_url=env.get("LSST_SCHEMA_REGISTRY_URL", "http://schema-registry:8081"),
            username=env.get("LSST_KAFKA_SECURITY_USERNAME") or None,
            password=env.get("LSST_KAFKA_SECURITY_PASSWORD") or None,
            security_protocol=env.get("LSST_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            sasl_mechanism=env.get("LSST_KAFKA_SECURITY_MECHANISM", "SCRAM-SHA-512"),
            max_history_read=depth,
            history_read=history,
            **yaml_of,
        )

    def history_depth(self, component: str) -> int:
        """Offsets an indexed component's history reads back (``LSST_HISTORY_READ_CONFIG``
        first, then ``LSST_MAX_HISTORY_READ``)."""
        return int(self.history_read.get(component, self.max_history_read))

    def base_config(self) -> dict:
        """What every client gets: the broker, SASL only with both user and password (as
        salobj), then ``LSST_KAFKA_BROKER_CLIENT_CONFIGURATION``."""
        config: dict = {"bootstrap.servers": self.broker}
        if self.username and self.password:
            config.update(
                {
                    "security.protocol": self.security_protocol,
                    "sasl.mechanism": self.sasl_mechanism,
                    "sasl.username": self.username,
                    "sasl.password": self.password,
                }
            )
        config.update(self.client_config)
        return config

    def consumer(self, group_id: str) -> dict:
        """A read-only consumer's settings: the consumer YAML first, so the broker and SASL
        from the environment win (salobj's order). No offsets are ever committed."""
        config = {
            "group.id": group_id,
            "enable.auto.commit": False,
            "allow.auto.create.topics": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 50,
        }
        config.update(self.consumer_config)
        config.update(self.base_config())
        return config

    def producer(self) -> dict:
        config = {"acks": "1", "queue.buffering.max.ms": 0}
        config.update(self.producer_config)
        config.update(self.base_config())
        return config
