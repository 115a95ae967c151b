"""The dialogue service on the real broker and database: decisions and replies out, silence while a
person has the conversation, the same ids again on redelivery."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import MongoClient

from switchboard.core.contracts import Language, ReplySource
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.settings import HttpSettings
from switchboard.core.testing.harness import wait_until
from switchboard.core.testing.plugin import repo_root
from switchboard.core.topics import HANDOFF_EVENTS, MESSAGE_UNDERSTOOD, REPLY_DECIDED, REPLY_READY, ConversationTopics
from switchboard.dialogue.app import build
from switchboard.dialogue.settings import AssistantSettings, Settings
from switchboard.dialogue.testing import returned_to_bot, understood


@pytest.fixture()
async def service(kafka_settings, mongo_settings, private_topic, trained_model, action_server, monkeypatch):
    # The demo's endpoints.yml names its action server by this variable: the session's, not a dev stack's.
    monkeypatch.setenv("DEMO_ACTIONS_URL", action_server.url)
    topics = ConversationTopics(
        understood=await private_topic(MESSAGE_UNDERSTOOD),
        decided=await private_topic(REPLY_DECIDED),
        outbound=await private_topic(REPLY_READY),
        handoff=await private_topic(HANDOFF_EVENTS),
    )
    settings = Settings(
        kafka=kafka_settings,
        mongo=mongo_settings,
        http=HttpSettings(port=0),
        assistant=AssistantSettings(tenants_dir=str(repo_root() / "tenants"), cache_dir=str(trained_model.parent)),
    )
    runtime = ServiceRuntime("dialogue", settings)
    await build(runtime, settings, topics)
    task = asyncio.create_task(runtime.run())
    yield topics
    runtime.request_stop()
    await asyncio.wait_for(task, 30)


async def test_turns_through_the_broker(service, kafka_harness, mongo_settings) -> None:
    topics = service
    greeting = understood("svc-1", "Hello 👋", "greet", language="en")
    await kafka_harness.send(topics.understood, greeting)
    [decided] = await kafka_harness.expect(topics.decided, 1, timeout_s=60)
    [reply] = await kafka_harness.expect(topics.outbound, 1)
    assert decided.template.template_id == "utter_greet"
    assert reply.source == ReplySource.REPLY_SOURCE_TEMPLATE
    assert reply.language == Language.LANGUAGE_EN
    assert reply.text.startswith("Hello")
    assert reply.envelope.causation_id == decided.envelope.event_id
    assert decided.envelope.causation_id == greeting.envelope.event_id

    # Redelivered: the same decision and reply ids again, so every dedup key downstream holds.
    await kafka_harness.send(topics.understood, greeting)
    decided_twice = await kafka_harness.expect(topics.decided, 2)
    replies_twice = await kafka_harness.expect(topics.outbound, 2)
    assert len({d.envelope.event_id for d in decided_twice}) == 1
    assert len({r.envelope.event_id for r in replies_twice}) == 1

    # A person takes over: a handoff decision, no reply; silence until the agent gives it back.
    await kafka_harness.send(topics.understood, understood("svc-1", "I want a human", "human_agent", language="en"))
    decided_now = await kafka_harness.expect(topics.decided, 3)
    assert decided_now[2].WhichOneof("decision") == "handoff"
    ignored = understood("svc-1", "hello?", "greet", language="en")
    await kafka_harness.send(topics.understood, ignored)
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        trackers = client[mongo_settings.database].dialogue_trackers
        # The two topics are consumed independently: let the silent turn land before the agent returns.
        await wait_until(
            lambda: trackers.find_one({"_id": "demo/svc-1", "paused": True, "turn_ids": ignored.envelope.event_id})
        )
        await kafka_harness.send(topics.handoff, returned_to_bot("svc-1"))
        await wait_until(lambda: trackers.find_one({"_id": "demo/svc-1", "paused": False}))
    await kafka_harness.send(topics.understood, understood("svc-1", "thanks!", "thank", language="en"))
    decided_now = await kafka_harness.expect(topics.decided, 4, timeout_s=60)
    assert decided_now[3].template.template_id == "utter_thank"
    replies = await kafka_harness.expect(topics.outbound, 3)
    assert [r.text.split(",")[0] for r in replies][-1] == "You're welcome"
