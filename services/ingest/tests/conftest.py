"""Fixtures of the ingest tests: an in-process ingest node on private topics, a stand-in WeChat API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from switchboard.core.testing import free_port
from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import HANDOFF_EVENTS, MESSAGE_RECEIVED, REPLY_READY
from switchboard.ingest.testing import IngestNode, Responder


@dataclass
class FakeWeChat:
    """Records what is sent to WeChat's API; ``errors`` are errcodes returned by the next sends."""

    base_url: str = ""
    sent: list[dict] = field(default_factory=list)
    token_requests: int = 0
    errors: list[int] = field(default_factory=list)

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        return web.json_response({"access_token": f"TOKEN{self.token_requests}", "expires_in": 7200})

    async def send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.errors:
            code = self.errors.pop(0)
            return web.json_response({"errcode": code, "errmsg": "refused"})
        self.sent.append({"token": request.query.get("access_token"), **body})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture()
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat()
    app = web.Application()
    app.router.add_get("/cgi-bin/token", fake.token)
    app.router.add_post("/cgi-bin/message/custom/send", fake.send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.base_url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


@pytest.fixture()
async def make_node(kafka_settings, mongo_settings, private_topic, fake_wechat) -> AsyncIterator[Callable[..., Any]]:
    """Starts ingest nodes sharing topics, database and delivery group (several = several replicas)."""
    topics = {
        "inbound": await private_topic(MESSAGE_RECEIVED),
        "outbound": await private_topic(REPLY_READY),
        "handoff": await private_topic(HANDOFF_EVENTS),
    }
    started: list[IngestNode] = []

    async def make(responder: Responder | None = None, **overrides: Any) -> IngestNode:
        node = IngestNode(
            kafka=kafka_settings,
            mongo=mongo_settings,
            responder=responder,
            settings_overrides={"wechat_api_base": fake_wechat.base_url, **overrides},
            repo=repo_root(),
            delivery_group=f"ingest-delivery-{id(topics)}",
            **topics,
        )
        started.append(await node.__aenter__())
        return node

    yield make
    for node in reversed(started):
        await node.__aexit__(None, None, None)
