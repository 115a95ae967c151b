"""Prompt rendering: the chat template when there is one, a plain transcript otherwise, bounded length."""

from __future__ import annotations

import pytest

from switchboard.generator.llm.contract import ChatMessage
from switchboard.generator.llm.prompts import PromptEncoder, plain_transcript

from .conftest import byte_tokenizer

SYSTEM = ChatMessage("system", "Answer from the passages.")


def test_the_tokenizers_chat_template_renders_the_prompt(tokenizer) -> None:
    encoder = PromptEncoder(tokenizer, max_tokens=1000)
    ids = encoder.encode([SYSTEM, ChatMessage("user", "退货怎么办？")])
    assert encoder.uses_chat_template
    assert tokenizer.decode(ids) == "<system>Answer from the passages.\n<user>退货怎么办？\n<assistant>"


def test_without_a_chat_template_a_plain_transcript_is_used() -> None:
    tokenizer = byte_tokenizer(chat_template=None)
    encoder = PromptEncoder(tokenizer, max_tokens=1000)
    ids = encoder.encode([SYSTEM, ChatMessage("user", " Where is my order? ")])
    assert not encoder.uses_chat_template
    assert tokenizer.decode(ids) == "System: Answer from the passages.\nUser: Where is my order?\nAssistant:"
    assert plain_transcript([ChatMessage("assistant", "Hi")]) == "Assistant: Hi\nAssistant:"


def test_long_conversations_lose_their_oldest_turns_but_keep_the_system_message(tokenizer) -> None:
    turns = [ChatMessage("user" if i % 2 == 0 else "assistant", f"turn {i} " + "x" * 20) for i in range(10)]
    encoder = PromptEncoder(tokenizer, max_tokens=120)
    text = tokenizer.decode(encoder.encode([SYSTEM, *turns]))
    assert text.startswith("<system>Answer from the passages.")
    assert "turn 9" in text and "turn 0" not in text
    assert len(encoder.encode([SYSTEM, *turns])) <= 120


def test_a_single_overlong_turn_keeps_its_end(tokenizer) -> None:
    encoder = PromptEncoder(tokenizer, max_tokens=16)
    ids = encoder.encode([ChatMessage("user", "很长的问题" * 20)])
    assert len(ids) == 16
    assert tokenizer.decode(ids).endswith("<assistant>")


def test_an_empty_prompt_is_refused(tokenizer) -> None:
    with pytest.raises(ValueError, match="at least one message"):
        PromptEncoder(tokenizer, max_tokens=10).encode([])
