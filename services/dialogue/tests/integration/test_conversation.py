"""Conversation-level behaviour on the real database: small talk, digressions, corrections,
language switches, handoff pause and resume, escalations, and redelivery without duplicates."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.core.contracts import HandoffReason, Language, Turn
from switchboard.core.projects.profile import load_profile
from switchboard.core.testing.plugin import repo_root
from switchboard.dialogue.testing import Decisions, returned_to_bot, understood

DEMO = load_profile(repo_root() / "tenants" / "demo")


@pytest.mark.parametrize(
    ("intent", "template", "en_fragment"),
    [
        ("greet", "utter_greet", "Hello"),
        ("goodbye", "utter_goodbye", "goodbye"),
        ("thank", "utter_thank", "welcome"),
        ("chitchat", "utter_chitchat", "assistant"),
        ("deny", "utter_anything_else", "anything else"),
        ("nlu_fallback", "utter_default", "Sorry"),
    ],
)
async def test_small_talk_in_both_languages(chat, intent, template, en_fragment) -> None:
    zh = await chat.say("你好呀 😊", intent)
    english_chat = type(chat)(chat.assistant, chat.conversation_id + "-en")
    en = await english_chat.say("hi there 😊", intent, language="en")
    assert zh.templates == en.templates == [template]
    assert en_fragment in en.texts[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.texts[0])


@pytest.mark.parametrize("intent", ["policy_question", "product_question"])
async def test_questions_go_to_the_generator_with_context(chat, intent) -> None:
    await chat.say("你好", "greet")
    turn = await chat.say("退货运费谁出？", intent)
    generate = turn.only("generate").generate
    assert generate.question == "退货运费谁出？"
    assert generate.intent == intent
    assert generate.slots["language"] == "zh"
    assert [t.speaker for t in generate.history] == [Turn.SPEAKER_CUSTOMER, Turn.SPEAKER_BOT]
    assert generate.deadline_ms > 0
    assert turn.decided[0].language == Language.LANGUAGE_ZH


# A knowledge question NLU read as a task ("return_item") is arbitrated into a question too.
@pytest.mark.parametrize("question_intent", ["policy_question", "return_item"])
async def test_digression_inside_the_return_form_then_back_to_it(chat, question_intent) -> None:
    await chat.say("我要退货", "return_item")
    await chat.say("SB1002", "return_item", entities={"order_id": "SB1002"})
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"})
    assert turn.templates == ["utter_ask_product"]
    turn = await chat.say("退货要自己付运费吗？", question_intent)
    assert turn.kinds == ["generate", "template"]
    assert turn.templates == ["utter_ask_product"]
    assert turn.only("generate").generate.slots["order_id"] == "SB1002"
    turn = await chat.say("帆布包", "return_item", entities={"product": "帆布包"})
    assert turn.templates == ["utter_ask_return_reason"]


async def test_correcting_the_order_id_inside_the_form_asks_for_its_phone_again(chat) -> None:
    await chat.say("查一下订单 SB1001", "check_order", entities={"order_id": "SB1001"})
    turn = await chat.say("不对，订单号是 SB1003", "deny", entities={"order_id": "SB1003"})
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("3721", "nlu_fallback", entities={"phone_last4": "3721"})
    assert turn.templates == ["utter_phone_mismatch", "utter_ask_phone_last4"]
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"})
    assert turn.templates == ["utter_order_paid"]
    assert "SB1003" in turn.texts[0]


async def test_correcting_the_order_id_after_the_answer_reruns_the_task(chat) -> None:
    await chat.say("SB1001 到哪了", "check_order", entities={"order_id": "SB1001", "phone_last4": "3721"})
    turn = await chat.say("不对，订单号是 SB1003", "deny", entities={"order_id": "SB1003"})
    assert turn.templates == ["utter_ask_phone_last4"]
    turn = await chat.say("5580", "nlu_fallback", entities={"phone_last4": "5580"})
    assert turn.templates == ["utter_order_paid"]


async def test_switching_language_mid_conversation(chat) -> None:
    turn = await chat.say("你好", "greet")
    assert turn.decided[0].language == Language.LANGUAGE_ZH
    await chat.say("查订单", "check_order")
    turn = await chat.say("It's SB1001", "check_order", entities={"order_id": "SB1001"}, language="en")
    assert turn.decided[0].language == Language.LANGUAGE_EN
    assert "phone number" in turn.texts[0]
    # Mixed text keeps the conversation's language.
    turn = await chat.say("尾号 3721 thanks", "nlu_fallback", entities={"phone_last4": "3721"}, language="mixed")
    assert "SF Express" in turn.texts[0]


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        ("human_agent", HandoffReason.HANDOFF_REASON_CUSTOMER_REQUEST),
        ("complaint", HandoffReason.HANDOFF_REASON_SENSITIVE_INTENT),
    ],
)
async def test_handoff_pauses_the_bot_until_the_agent_returns_it(chat, assistant, intent, reason) -> None:
    await chat.say("我要退货", "return_item")
    await chat.say("SB1002", "return_item", entities={"order_id": "SB1002"})
    turn = await chat.say("转人工！", intent)
    handoff = turn.only("handoff")
    assert list(handoff.handoff.reasons) == [reason]
    assert "order_id=SB1002" in handoff.handoff.summary
    assert handoff.language == Language.LANGUAGE_ZH
    # While the agent has the conversation, the bot says nothing.
    assert (await chat.say("你好？", "greet")).decided == []
    assert (await chat.say("SB1002", "check_order", entities={"order_id": "SB1002"})).decided == []
    resumed = returned_to_bot(chat.conversation_id)
    assert await assistant.handle_handoff(resumed) is True
    assert await assistant.handle_handoff(resumed) is False  # redelivered: no second resume
    turn = await chat.say("谢谢", "thank")
    assert turn.templates == ["utter_thank"]
    # The context survived the handoff: the order is still known.
    turn = await chat.say("那退货政策是什么？", "policy_question")
    assert turn.only("generate").generate.slots["order_id"] == "SB1002"


async def test_an_angry_customer_goes_to_a_person_even_inside_a_form(chat) -> None:
    await chat.say("查订单", "check_order")
    turn = await chat.say(
        "SB1001 你们到底什么时候发货！！😡",
        "check_order",
        entities={"order_id": "SB1001"},
        emotion="ANGRY",
        emotion_score=0.9,
    )
    assert HandoffReason.HANDOFF_REASON_NEGATIVE_EMOTION in turn.only("handoff").handoff.reasons
    assert (await chat.say("人呢？", "nlu_fallback")).decided == []


async def test_mild_anger_below_the_threshold_stays_with_the_bot(chat) -> None:
    turn = await chat.say("hello", "greet", language="en", emotion="ANGRY", emotion_score=0.3)
    assert turn.templates == ["utter_greet"]


async def test_two_fallbacks_in_a_row_go_to_a_person(chat) -> None:
    assert (await chat.say("asdfgh", "nlu_fallback")).templates == ["utter_default"]
    turn = await chat.say("qwerty", "nlu_fallback")
    assert list(turn.only("handoff").handoff.reasons) == [HandoffReason.HANDOFF_REASON_REPEATED_FALLBACK]


async def test_fallbacks_apart_do_not_escalate(chat) -> None:
    await chat.say("asdfgh", "nlu_fallback")
    await chat.say("你好", "greet")
    assert (await chat.say("qwerty", "nlu_fallback")).templates == ["utter_default"]


async def test_a_redelivered_message_gets_the_same_replies_and_no_new_events(chat, assistant, database) -> None:
    event = understood(chat.conversation_id, "你好", "greet")
    first = await assistant.handle(event)
    document = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    again = await assistant.handle(event)
    assert [o.message for o in again] == [o.message for o in first]
    assert [o.message.envelope.event_id for o in again] == [o.message.envelope.event_id for o in first]
    after = database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"})
    assert after["version"] == document["version"]
    assert (
        database.dialogue_events.count_documents({"conversation": f"demo/{chat.conversation_id}"})
        == after["event_count"]
    )


async def test_a_message_without_any_nlu_reading_counts_as_not_understood(chat) -> None:
    turn = await chat.say("……", "")
    assert turn.templates == ["utter_default"]


async def test_an_action_past_its_timeout_fails_the_turn_and_saves_nothing(
    chat, trained_model, database, endpoint_to
) -> None:
    from switchboard.dialogue.assistant import Assistant
    from switchboard.dialogue.errors import DialogueRetryableError
    from switchboard.dialogue.tracker_store import ConversationTrackerStore

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)  # an action server that takes the request and never answers
        writer.close()

    silent = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    endpoint = endpoint_to(f"http://127.0.0.1:{port}/webhook", timeout_s=0.2)
    slow = Assistant.load(trained_model, ConversationTrackerStore(None, database), endpoint, profile=DEMO)
    try:
        with pytest.raises(DialogueRetryableError, match="timed out"):
            await slow.handle(
                understood(chat.conversation_id, "查订单 SB1001", "check_order", entities={"order_id": "SB1001"})
            )
    finally:
        await endpoint.close()
        silent.close()
    assert database.dialogue_trackers.find_one({"_id": f"demo/{chat.conversation_id}"}) is None


async def test_decisions_parse_back_from_storage(chat) -> None:
    turn = await chat.say("你好", "greet")
    assert isinstance(turn, Decisions)
