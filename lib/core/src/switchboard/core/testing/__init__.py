"""Test harness shipped with the shared package: real infrastructure fixtures and topic helpers.

Enable with ``pytest_plugins = ["switchboard.core.testing.plugin"]`` in a conftest.
"""

from switchboard.core.testing.harness import TopicHarness
from switchboard.core.testing.ports import free_port

__all__ = ["TopicHarness", "free_port"]
