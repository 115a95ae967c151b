"""The transcript on the real database: each reply once, readable per conversation in order."""

import shutil
from shutil import ignore_patterns

from pymongo import MongoClient

from switchboard.core.contracts import Channel, Citation, Language, ReplyReady, new_envelope
from switchboard.core.projects.profile import load_profile
from switchboard.core.tenant_watch import TenantWatch
from switchboard.core.testing.plugin import repo_root
from switchboard.handoff.app import TENANT_FILES, reload_setups
from switchboard.handoff.handoffs import Handoffs
from switchboard.handoff.testing import customer_message, understood
from switchboard.handoff.transcript import Transcript
from switchboard.handoff.workflow import TenantSetup


async def test_replies_are_recorded_once_in_conversation_order(mongo_settings) -> None:
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        transcript = Transcript(client[mongo_settings.database]["transcript"])
        transcript.ensure_indexes()
        replies = []
        for text in ("第一条", "second 🙂"):
            envelope = new_envelope(
                tenant_id="demo", conversation_id="c9", customer_id="u", channel=Channel.CHANNEL_WEB
            )
            replies.append(ReplyReady(envelope=envelope, text=text, agent_name="李雷" if text == "second 🙂" else ""))
        for reply in (*replies, replies[0]):
            await transcript.record_reply(reply)
        entries = list(transcript.collection.find({"tenant_id": "demo", "conversation_id": "c9"}).sort("at", 1))
        assert [(e["text"], e["speaker"]) for e in entries] == [("第一条", "bot"), ("second 🙂", "agent")]


async def test_a_reply_keeps_its_citations_and_language_and_older_entries_read_as_before(mongo_settings) -> None:
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        transcript = Transcript(client[mongo_settings.database]["transcript"])
        envelope = new_envelope(tenant_id="demo", conversation_id="c10", customer_id="u", channel=Channel.CHANNEL_WEB)
        citations = [
            Citation(source="returns.md#return-shipping", title="退货 / 退货运费", score=0.9),
            Citation(source="returns.md#window", title="退货 / 退货期限", score=0.7),
        ]
        cited = ReplyReady(
            envelope=envelope, text="退货运费由我们承担。", language=Language.LANGUAGE_ZH, citations=citations
        )
        await transcript.record_reply(cited)
        entry = transcript.collection.find_one({"_id": envelope.event_id})
        assert entry["citations"] == [
            {"title": "退货 / 退货运费", "source": "returns.md#return-shipping"},
            {"title": "退货 / 退货期限", "source": "returns.md#window"},
        ]
        assert entry["language"] == "zh"
        plain = ReplyReady(
            envelope=new_envelope(
                tenant_id="demo", conversation_id="c10", customer_id="u", channel=Channel.CHANNEL_WEB
            ),
            text="还有别的问题吗？",
        )
        await transcript.record_reply(plain)
        assert transcript.collection.find_one({"_id": plain.envelope.event_id})["citations"] == []


async def test_the_facts_agents_see_are_the_tenants_own_entities(mongo_settings) -> None:
    broadband = load_profile(repo_root() / "tenants" / "broadband")
    demo = load_profile(repo_root() / "tenants" / "demo")
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        transcript = Transcript(client[mongo_settings.database]["transcript"])
        message = customer_message("c11", "账号 LN100004 又断网了", tenant_id="broadband")
        event = understood(message, entities={"account_id": "LN100004", "language": "zh"})
        assert (await transcript.record_understanding(event, broadband.fact_entities))["facts"] == {
            "account_id": "LN100004"
        }
        entry = transcript.collection.find_one({"_id": message.envelope.event_id})
        assert entry["facts"] == {"account_id": "LN100004"}
        # The shop's entities are not the helpdesk's: its account number is no fact of the shop.
        assert (await transcript.record_understanding(event, demo.fact_entities))["facts"] == {}


def test_each_tenants_setup_carries_its_domains_entities(mongo_settings, tmp_path) -> None:
    for tenant_id in ("demo", "broadband"):
        shutil.copytree(repo_root() / "tenants" / tenant_id, tmp_path / tenant_id, ignore=ignore_patterns("actions"))
    setups: dict[str, TenantSetup] = {}
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        store = Handoffs.of(client[mongo_settings.database])
        reload_setups(TenantWatch(tmp_path, TENANT_FILES), setups, store)
    assert setups["broadband"].facts == ("account_id",)
    assert "order_id" in setups["demo"].facts and "account_id" not in setups["demo"].facts
