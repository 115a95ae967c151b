"""The conversation in the prompt, and short follow-ups completed by the customer's previous message."""

from __future__ import annotations

from switchboard.generator.conversation import PastTurn, follow_up_query, prompt_messages

HISTORY = (PastTurn(False, "退货运费谁出？"), PastTurn(True, "退货运费由顾客承担。"))


def test_a_short_follow_up_is_searched_with_the_previous_customer_message() -> None:
    assert follow_up_query("那要几天呢？", HISTORY) == "退货运费谁出？ 那要几天呢？"
    english = (PastTurn(False, "Can I return a used item?"), PastTurn(True, "Only unused items."))
    assert (
        follow_up_query("And how long do I have for it?", english)
        == "Can I return a used item? And how long do I have for it?"
    )


def test_a_question_of_its_own_is_not_rewritten() -> None:
    assert follow_up_query("发票多久能开好？", HISTORY) is None
    assert follow_up_query("Tell me a joke", HISTORY) is None
    assert follow_up_query("那要几天呢？", ()) is None


def test_the_prompt_keeps_the_last_turns_without_repeating_the_question() -> None:
    history = (*HISTORY, PastTurn(False, "那要几天呢？"))
    messages = prompt_messages(
        "rules", "[1] p", "那要几天呢？", language="zh", history=history, slots=(("item", "手表"),)
    )
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1].content == "资料：\n[1] p\n\n已知信息：item=手表\n\n问题：那要几天呢？"
    english = prompt_messages("rules", "[1] p", "How long?", language="en")
    assert english[-1].content == "Passages:\n[1] p\n\nQuestion: How long?"
