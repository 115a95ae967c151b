"""The transcript on the real database: each reply once, readable per conversation in order."""

from pymongo import MongoClient

from switchboard.core.contracts import Channel, Citation, Language, ReplyReady, new_envelope
from switchboard.handoff.transcript import Transcript


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
