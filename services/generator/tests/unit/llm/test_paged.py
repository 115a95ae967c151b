"""The transformers continuous-batching path (the GPU default), run on the CPU with a small paged cache."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.generator.llm.paged import TransformersBatcher
from switchboard.generator.llm.requests import Decoder, DecodeRequest, Finish

from .conftest import Collector, greedy_reference

SMALL_CACHE = {"num_blocks": 16, "page_size": 64, "max_batch_tokens": 256}


@pytest.fixture()
def make(tokenizer: Any, started: Callable[[Any], Any]) -> Callable[[Any], TransformersBatcher]:
    def build(model: Any) -> TransformersBatcher:
        eos = tokenizer.eos_token_id
        decoder = Decoder(model, frozenset({eos}), eos)
        return started(TransformersBatcher(decoder, max_batch_size=4, max_new_tokens=64, cache_options=SMALL_CACHE))

    return build


def test_streamed_tokens_equal_plain_greedy_generation(make, tiny_model, tokenizer) -> None:
    batcher = make(tiny_model)
    prompts = [tokenizer.encode(text, add_special_tokens=False) for text in ("hello there", "你好", "refund 🙏")]
    streams = []
    for prompt in prompts:
        collector = Collector()
        batcher.submit(DecodeRequest(prompt, 12, collector))
        streams.append(collector)
    for prompt, collector in zip(prompts, streams, strict=True):
        tokens, finish = collector.result()
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
    late = Collector()
    batcher.submit(DecodeRequest(prompt, 60, late, deadline=time.monotonic() + 0.3))
    tokens, finish = late.result()
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
