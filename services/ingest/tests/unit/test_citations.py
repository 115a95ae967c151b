"""Citations travel with a reply to web chat and REST: title and source, never the retrieval score."""

from __future__ import annotations

from switchboard.core.contracts import Channel, Citation, Language, ReplyReady, new_envelope
from switchboard.ingest.outbox import reply_document
from switchboard.ingest.rest import rasa_messages
from switchboard.ingest.webchat import reply_frame

RETURNS = Citation(source="returns.md#return-shipping", title="Returns / Return shipping", score=0.82)
REFUNDS = Citation(source="refunds.md#timing", title="Refunds / How long a refund takes", score=0.61)


def cited(language: int = Language.LANGUAGE_EN, *citations: Citation) -> ReplyReady:
    envelope = new_envelope(tenant_id="demo", conversation_id="c1", customer_id="u1", channel=Channel.CHANNEL_WEB)
    return ReplyReady(envelope=envelope, text="Returns are free.", language=language, citations=citations)


def test_the_reply_frame_carries_the_citations_and_the_language_without_scores() -> None:
    frame = reply_frame(cited(Language.LANGUAGE_EN, RETURNS, REFUNDS))
    assert frame["citations"] == [
        {"title": "Returns / Return shipping", "source": "returns.md#return-shipping"},
        {"title": "Refunds / How long a refund takes", "source": "refunds.md#timing"},
    ]
    assert frame["language"] == "en"
    assert reply_frame(cited(Language.LANGUAGE_ZH, RETURNS))["language"] == "zh"
    assert reply_frame(cited(Language.LANGUAGE_MIXED, RETURNS))["language"] == "zh"


def test_a_reply_without_citations_has_an_empty_list_and_may_have_no_language() -> None:
    frame = reply_frame(cited(Language.LANGUAGE_UNSPECIFIED))
    assert frame["citations"] == [] and frame["language"] == ""


def test_the_outbox_keeps_the_citations_for_history() -> None:
    assert reply_document(cited(Language.LANGUAGE_EN, RETURNS), "delivered")["citations"] == [
        {"title": "Returns / Return shipping", "source": "returns.md#return-shipping"}
    ]


def test_rest_replies_carry_citations_as_rasa_custom_data_only_when_there_are_some() -> None:
    assert rasa_messages("s", [cited(Language.LANGUAGE_EN, RETURNS), cited()]) == [
        {
            "recipient_id": "s",
            "text": "Returns are free.",
            "custom": {"citations": [{"title": "Returns / Return shipping", "source": "returns.md#return-shipping"}]},
        },
        {"recipient_id": "s", "text": "Returns are free."},
    ]
