"""Browser-test fixtures: an ingest node serving the widget, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import HANDOFF_EVENTS, MESSAGE_RECEIVED, REPLY_READY
from switchboard.ingest.testing import IngestNode, Responder


@pytest.fixture()
async def node(kafka_settings, mongo_settings, private_topic, tmp_path: Path) -> AsyncIterator[IngestNode]:
    """An ingest node whose demo tenant allows the node's own origin (the page the browser opens)."""
    port = free_port()
    shutil.copytree(repo_root() / "tenants" / "demo", tmp_path / "tenants" / "demo")
    channels = tmp_path / "tenants" / "demo" / "channels.yaml"
    config = yaml.safe_load(channels.read_text())
    config["web"]["allowed_origins"] = [f"http://127.0.0.1:{port}"]
    channels.write_text(yaml.safe_dump(config, allow_unicode=True))
    node = IngestNode(
        kafka=kafka_settings,
        mongo=mongo_settings,
        inbound=await private_topic(MESSAGE_RECEIVED),
        outbound=await private_topic(REPLY_READY),
        handoff=await private_topic(HANDOFF_EVENTS),
        responder=Responder(),
        repo=tmp_path,
        port=port,
    )
    async with node:
        yield node


@pytest.fixture()
async def browser() -> AsyncIterator[Any]:
    from devstack.browser import BINARY, FLAGS
    from playwright.async_api import async_playwright

    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `PYTHONPATH=tools python3 -m devstack install-browser` (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(BINARY), args=list(FLAGS), headless=True)
        yield launched
        await launched.close()
