"""The delivery log on the real database: a reply is recorded once, however often it arrives."""

from pymongo import MongoClient

from switchboard.core.contracts import Channel, ReplyReady, new_envelope
from switchboard.ingest.delivery import DeliveryLog


async def test_a_redelivered_reply_is_not_delivered_twice(mongo_settings) -> None:
    with MongoClient(mongo_settings.uri, serverSelectionTimeoutMS=3000) as client:
        log = DeliveryLog(client[mongo_settings.database]["deliveries"])
        envelope = new_envelope(tenant_id="demo", conversation_id="c", customer_id="u", channel=Channel.CHANNEL_WEB)
        reply = ReplyReady(envelope=envelope, text="您好 👋")
        assert await log.deliver(reply) is True
        assert await log.deliver(reply) is False
        assert client[mongo_settings.database]["deliveries"].count_documents({}) == 1
