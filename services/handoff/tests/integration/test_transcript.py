"""The transcript on the real database: each reply once, readable per conversation in order."""

from pymongo import MongoClient

from switchboard.core.contracts import Channel, ReplyReady, new_envelope
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
