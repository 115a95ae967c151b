"""Root conftest: the shared harness gives every test the real Kafka and database fixtures."""

pytest_plugins = ["switchboard.core.testing.plugin"]
