"""The transformers continuous-batching path (the GPU default), run on the CPU with a small paged cache."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.generator.llm.paged import TransformersBatcher
from switchboard.generator.llm.requests import Decoder, DecodeRequest, Finish

from .conftest import greedy_reference

SMALL_CACHE = {"num_blocks": 16, "page_size": 64, "max_batch_tokens": 256}


def drain(events: queue.Queue[Any]) -> tuple[list[int], Finish]:
    tokens = []
    while True:
        event = events.get(timeout=60)
        if isinstance(event, Finish):
            return tokens, event
        tokens.append(event)


@pytest.fixture()
def make(tokenizer: Any) -> Iterator[Any]:
    made: list[TransformersBatcher] = []

    def build(model: Any) -> TransformersBatcher:
        eos = tokenizer.eos_token_id
        batcher = TransformersBatcher(
            Decoder(model, frozenset({eos}), eos), max_batch_size=4, max_new_tokens=64, cache_options=SMALL_CACHE
        )
        batcher.start()
        made.append(batcher)
        return batcher

    yield build
    for batcher in made:
        batcher.close(5)


def test_streamed_tokens_equal_plain_greedy_generation(make, tiny_model, tokenizer) -> None:
    batcher = make(tiny_model)
    prompts = [tokenizer.encode(text, add_special_tokens=False) for text in ("hello there", "你好", "refund 🙏")]
    streams = []
    for prompt in prompts:
        events: queue.Queue[Any] = queue.Queue()
        batcher.submit(DecodeRequest(prompt, 12, events.put))
        streams.append(events)
    for prompt, events in zip(prompts, streams, strict=True):
        tokens, finish = drain(events)
        expected = greedy_reference(tiny_model, prompt, 12, tokenizer.eos_token_id)
        assert tokens == expected
        assert finish is (Finish.LENGTH if len(expected) == 12 else Finish.EOS)


def test_deadline_and_cancellation_end_requests(make, tiny_model, tokenizer, monkeypatch) -> None:
    forward = tiny_model.forward

    def slow_forward(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.02)
        return forward(*args, **kwargs)

    monkeypatch.setattr(tiny_model, "forward", slow_forward)
    batcher = make(tiny_model)
    prompt = tokenizer.encode("a long answer", add_special_tokens=False)
    late: queue.Queue[Any] = queue.Queue()
    batcher.submit(DecodeRequest(prompt, 60, late.put, deadline=time.monotonic() + 0.3))
    tokens, finish = drain(late)
    assert finish is Finish.DEADLINE and 0 < len(tokens) < 60
    cancelled: queue.Queue[Any] = queue.Queue()
    request = DecodeRequest(prompt, 60, cancelled.put)
    batcher.submit(request)
    cancelled.get(timeout=30)
    request.cancel()
    ends = time.monotonic() + 10
    while batcher.pending() and time.monotonic() < ends:
        time.sleep(0.01)
    assert batcher.pending() == 0
