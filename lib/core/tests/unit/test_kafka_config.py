"""Every Kafka client Switchboard creates is configured safely, and goes through one place."""

from __future__ import annotations

import re
from pathlib import Path

from switchboard.core.kafka import consumer_config, producer_config
from switchboard.core.settings import KafkaSettings

REPO = Path(__file__).resolve().parents[4]


def test_producer_is_idempotent_and_waits_for_all_replicas() -> None:
    config = producer_config(KafkaSettings(bootstrap_servers="k:9092"), "nlu")
    assert config["acks"] == "all"
    assert config["enable_idempotence"] is True
    assert config["bootstrap_servers"] == "k:9092"
    assert config["client_id"] == "switchboard-nlu"


def test_consumer_commits_after_work_and_reads_only_committed_records_from_the_start() -> None:
    config = consumer_config(KafkaSettings(), "switchboard-nlu")
    assert config["enable_auto_commit"] is False
    assert config["isolation_level"] == "read_committed"
    assert config["auto_offset_reset"] == "earliest"
    assert config["group_id"] == "switchboard-nlu"


def test_every_kafka_client_in_the_code_uses_the_shared_configuration() -> None:
    """A client built anywhere else would silently fall back to aiokafka's unsafe defaults."""
    sources = [
        path
        for folder in ("lib", "services", "tests", "bench")
        for path in (REPO / folder).rglob("*.py")
        if "test_kafka_config" not in path.name
    ]
    constructions = 0
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"AIOKafka(Producer|Consumer)\(([^)]*)\)", text):
            constructions += 1
            helper = "producer_config" if match.group(1) == "Producer" else "consumer_config"
            where = f"{path.relative_to(REPO)} builds AIOKafka{match.group(1)} without {helper}()"
            assert "**" in match.group(2) and helper in text, where
    assert constructions >= 3, "expected the publisher, the consumer and the test harness"
