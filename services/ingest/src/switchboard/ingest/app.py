"""Composition root of the ingest service: channel adapters, reply routing, the delivery consumer.

Replies reach customers on two paths. Every replica runs a group-less reader of the outbound and
handoff topics (``TopicBroadcast``) that wakes the requests and sockets *it* holds. The grouped
delivery consumer hands each reply to its channel's ``send`` once per reply id, through the outbox,
for replies no waiting request took (WeChat's API, the phone's next webhook, web chat history).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from switchboard.core.contracts import Channel, ReplyReady
from switchboard.core.kafka import TopicBroadcast
from switchboard.core.logs import get_logger
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.topics import ConversationTopics
from switchboard.ingest.channel_config import Tenants
from switchboard.ingest.channels import ChannelAdapter, Context
from switchboard.ingest.identity import Customers
from switchboard.ingest.intake import Intake
from switchboard.ingest.limits import RateLimiter
from switchboard.ingest.outbox import Outbox
from switchboard.ingest.reply_hub import ReplyHub
from switchboard.ingest.rest import RestAdapter
from switchboard.ingest.settings import Settings
from switchboard.ingest.voice import VoiceAdapter
from switchboard.ingest.webchat import WebChatAdapter
from switchboard.ingest.wechat import WeChatAdapter
from switchboard.ingest.wechat_api import WeChatApi

log = get_logger(__name__)


class Delivery:
    """The grouped consumer's handler: each final reply goes to its channel's adapter."""

    def __init__(self, adapters: dict[int, ChannelAdapter]) -> None:
        self._adapters = adapters

    async def __call__(self, reply: ReplyReady) -> None:
        if reply.partial:
            return  # partial text is for live sockets only (see ReplyReady.partial)
        adapter = self._adapters.get(reply.envelope.channel)
        if adapter is None:
            log.warning("channel.reply.no_adapter", channel=reply.envelope.channel)
            return
        await adapter.send(reply)


def use_io_threads(count: int) -> None:
    """Sizes the running loop's default executor, where every ``asyncio.to_thread`` database call waits.

    The default (CPU count + 4) queues channel requests behind each other on small machines.
    """
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=count, thread_name_prefix="ingest-io")
    )


def build_context(settings: Settings, database, publish) -> Context:
    hub = ReplyHub()
    intake = Intake(
        database["inbound_messages"],
        Customers(database["customer_identities"]),
        RateLimiter(settings.limits),
        settings.limits,
        publish,
        hub,
    )
    outbox = Outbox(database["deliveries"])
    intake.ensure_indexes()
    outbox.ensure_indexes()
    return Context(settings, Tenants.load(Path(settings.tenants_dir)), intake, hub, outbox)


def build_adapters(context: Context, http: aiohttp.ClientSession, database) -> tuple[list, dict[int, ChannelAdapter]]:
    """Every route provider, and the adapter that sends each channel's replies."""
    web_chat = WebChatAdapter(context)
    wechat = WeChatAdapter(context, WeChatApi(context.settings.wechat_api_base, database["wechat_tokens"], http))
    voice = VoiceAdapter(context)
    senders: dict[int, ChannelAdapter] = {
        Channel.CHANNEL_WEB: web_chat,
        Channel.CHANNEL_WECHAT: wechat,
        Channel.CHANNEL_VOICE: voice,
    }
    return [web_chat, RestAdapter(context), wechat, voice], senders


@dataclass(frozen=True, slots=True)
class IngestParts:
    """What ``build`` wired into the runtime: the channels' shared context, the client of the channels' APIs
    and the per-replica reply readers."""

    context: Context
    http: aiohttp.ClientSession
    readers: list[TopicBroadcast]


async def build(runtime: ServiceRuntime, settings: Settings, topics: ConversationTopics | None = None) -> IngestParts:
    """Serves every channel route; writes ``topics.inbound``, delivers ``topics.outbound`` and reads
    ``topics.handoff`` (the declared topics unless given)."""
    topics = topics or ConversationTopics()
    use_io_threads(settings.io_threads)
    database = runtime.database()
    context = build_context(settings, database, lambda message: runtime.publish(topics.inbound, message))
    http = aiohttp.ClientSession()
    runtime.on_close(http.close)
    providers, senders = build_adapters(context, http, database)
    for provider in providers:
        runtime.http_app.router.add_routes(provider.routes())
    runtime.consume(topics.outbound, Delivery(senders))
    readers = [
        TopicBroadcast(topic=topic, handler=handler, settings=settings.kafka, client_name=f"ingest-{topic.name}")
        for topic, handler in ((topics.outbound, context.hub.on_reply), (topics.handoff, context.hub.on_handoff))
    ]
    for reader in readers:
        runtime.background(reader.run)

    async def reload_tenants() -> None:
        # A tenant added or changed at runtime is served without a restart.
        while True:
            await asyncio.sleep(settings.tenants_reload_s)
            for tenant_id in await asyncio.to_thread(context.tenants.refresh):
                log.info("ingest.tenant.loaded", tenant_id=tenant_id)

    runtime.background(reload_tenants)
    return IngestParts(context, http, readers)
