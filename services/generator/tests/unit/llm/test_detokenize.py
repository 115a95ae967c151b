"""Streaming detokenization: whole characters only, and the joined deltas equal the batch decode."""

from __future__ import annotations

import pytest

from switchboard.generator.llm.detokenize import IncrementalDetokenizer

TEXTS = [
    "您的退款已经在路上了，请耐心等待。",
    "Thanks! 👍🏽 Your order 🇨🇳 ships today 🎉",
    "混合 mixed 文本 with émojis 😀 and 中文",
]


@pytest.mark.parametrize("text", TEXTS)
def test_deltas_are_whole_characters_and_join_to_the_text(tokenizer, text: str) -> None:
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert len(ids) > len(text), "multi-byte characters span several tokens here"
    detokenizer = IncrementalDetokenizer(tokenizer)
    deltas = [detokenizer.step(token) for token in ids]
    assert "".join(deltas) == text
    assert detokenizer.flush() == ""
    assert all("\ufffd" not in delta for delta in deltas)
    assert "" in deltas, "partial characters must be held back"
    assert all(delta == "" or delta[0] in text for delta in deltas)


def test_special_tokens_are_not_written(tokenizer) -> None:
    detokenizer = IncrementalDetokenizer(tokenizer)
    ids = [*tokenizer.encode("ok", add_special_tokens=False), tokenizer.eos_token_id]
    assert "".join(detokenizer.step(token) for token in ids) == "ok"


def test_a_character_cut_off_at_the_end_is_flushed_as_the_batch_decode_writes_it(tokenizer) -> None:
    ids = tokenizer.encode("好的好", add_special_tokens=False)[:-1]
    detokenizer = IncrementalDetokenizer(tokenizer)
    deltas = [detokenizer.step(token) for token in ids]
    assert "".join(deltas) == "好的"
    assert detokenizer.flush() == "\ufffd" == tokenizer.decode(ids)[2:]


def test_invalid_bytes_are_not_lost_and_the_text_after_them_streams(tokenizer) -> None:
    stray = tokenizer.encode("好", add_special_tokens=False)[1:]  # continuation bytes without a lead byte
    ids = [
        *tokenizer.encode("ok ", add_special_tokens=False),
        *stray,
        *tokenizer.encode(" 你好 again", add_special_tokens=False),
    ]
    detokenizer = IncrementalDetokenizer(tokenizer)
    deltas = [detokenizer.step(token) for token in ids]
    assert "".join(deltas) + detokenizer.flush() == tokenizer.decode(ids)
    assert "".join(deltas).endswith("again")


def test_prompt_context_keeps_the_first_word_boundary(tokenizer) -> None:
    prompt = tokenizer.encode("<assistant>", add_special_tokens=False)
    detokenizer = IncrementalDetokenizer(tokenizer, prompt_ids=prompt)
    assert "".join(detokenizer.step(t) for t in tokenizer.encode(" 好 ok", add_special_tokens=False)) == " 好 ok"
