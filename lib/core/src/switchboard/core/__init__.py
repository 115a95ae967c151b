"""Switchboard's shared package: contracts, Kafka bus, telemetry, settings pieces, test harness."""
