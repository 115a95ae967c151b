"""Test harness shipped with the shared package: real infrastructure fixtures and topic helpers.

Enable with ``pytest_plugins = ["switchboard.core.testing.plugin"]`` in a conftest.
"""

from switchboard.core.testing.harness import TopicHarness
from switchboard.core.testing.ports import free_port
from switchboard.core.testing.text import full_width

__all__ = ["TopicHarness", "free_port", "full_width"]
