"""The continuous batcher on a tiny real Llama: batched greedy decoding equals one-at-a-time decoding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.generator.llm.batching import ContinuousBatcher
from switchboard.generator.llm.requests import Decoder, DecodeRequest, Finish

from .conftest import Collector, SlowModel, greedy_reference

PROMPTS = ["hello there", "你好，我的订单在哪里？", "a", "refund please 🙏 now, it has been two weeks"]


@pytest.fixture()
def make_batcher(tiny_model: Any, tokenizer: Any, started: Callable[[Any], Any]) -> Callable[..., ContinuousBatcher]:
    def make(model: Any = tiny_model, **options: Any) -> ContinuousBatcher:
        settings = {"max_batch_size": 8, "batch_window_s": 0.05, **options}
        eos = tokenizer.eos_token_id
        return started(ContinuousBatcher(Decoder(model, frozenset({eos}), eos), **settings))

    return make


def submit(
    batcher: ContinuousBatcher, prompt: list[int], max_new_tokens: int, **options: Any
) -> tuple[DecodeRequest, Collector]:
    collector = Collector()
    request = DecodeRequest(prompt, max_new_tokens, collector, **options)
    batcher.submit(request)
    return request, collector


def encode(tokenizer: Any, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def test_requests_decoded_together_equal_plain_greedy_generation(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher()
    prompts = [encode(tokenizer, text) for text in PROMPTS]
    collectors = [submit(batcher, prompt, 12)[1] for prompt in prompts]
    results = [collector.result() for collector in collectors]
    assert batcher.largest_batch == len(PROMPTS), "the requests should share one batch"
    assert batcher.steps < sum(len(tokens) for tokens, _ in results), "shared steps, not one request after another"
    for prompt, (tokens, finish) in zip(prompts, results, strict=True):
        expected = greedy_reference(tiny_model, prompt, 12, tokenizer.eos_token_id)
        assert tokens == expected
        assert finish is (Finish.LENGTH if len(expected) == 12 else Finish.EOS)
    assert len({tuple(tokens) for tokens, _ in results}) > 1, "distinct prompts should give distinct answers"


def test_a_request_joins_a_running_batch_at_a_step_boundary(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher(batch_window_s=0)
    first_prompt, second_prompt = encode(tokenizer, PROMPTS[3]), encode(tokenizer, PROMPTS[1])
    _, first = submit(batcher, first_prompt, 40)
    head = [first.events.get(timeout=10) for _ in range(3)]
    _, second = submit(batcher, second_prompt, 10)
    first_tokens, _ = first.result()
    second_tokens, _ = second.result()
    assert batcher.largest_batch == 2
    assert head + first_tokens == greedy_reference(tiny_model, first_prompt, 40, tokenizer.eos_token_id)
    assert second_tokens == greedy_reference(tiny_model, second_prompt, 10, tokenizer.eos_token_id)
    assert batcher.steps < len(head) + len(first_tokens) + len(second_tokens) - 1
    assert batcher.pending() == 0, "finished requests leave the batch"


def test_a_finished_row_leaves_and_the_others_continue_unchanged(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher()
    prompts = [encode(tokenizer, text) for text in PROMPTS[:3]]
    budgets = [2, 25, 6]
    collectors = [submit(batcher, prompt, budget)[1] for prompt, budget in zip(prompts, budgets, strict=True)]
    for prompt, budget, collector in zip(prompts, budgets, collectors, strict=True):
        tokens, _ = collector.result()
        assert tokens == greedy_reference(tiny_model, prompt, budget, tokenizer.eos_token_id)


def test_a_cancelled_request_gets_nothing_more_and_leaves_the_batch(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher(SlowModel(tiny_model, 0.01), batch_window_s=0)
    request, collector = submit(batcher, encode(tokenizer, PROMPTS[0]), 400)
    collector.events.get(timeout=10)
    request.cancel()
    deadline = time.monotonic() + 10
    while batcher.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher.pending() == 0
    drained = []
    while not collector.events.empty():
        drained.append(collector.events.get())
    steps = batcher.steps
    time.sleep(0.1)
    assert batcher.steps == steps, "no decoding for a batch without live rows"
    assert len(drained) <= 2, "at most the step in flight when it was cancelled"
    assert all(not isinstance(event, Finish) for event in drained)


def test_the_deadline_ends_a_request_at_a_step_boundary(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher(SlowModel(tiny_model, 0.02))
    started = time.monotonic()
    _, collector = submit(batcher, encode(tokenizer, PROMPTS[0]), 400, deadline=started + 0.3)
    tokens, finish = collector.result()
    assert finish is Finish.DEADLINE
    assert 3 <= len(tokens) < 400
    assert time.monotonic() - started < 0.3 + 0.3


def test_an_expired_request_never_reaches_the_model(make_batcher, tokenizer) -> None:
    batcher = make_batcher()
    _, collector = submit(batcher, encode(tokenizer, "late"), 5, deadline=time.monotonic() - 1)
    assert collector.result() == ([], Finish.DEADLINE)
    assert batcher.steps == 0 and batcher.largest_batch == 0


def test_a_failing_step_fails_its_rows_and_the_worker_serves_the_next_request(
    make_batcher, tiny_model, tokenizer
) -> None:
    failures = threading.Event()

    class Flaky:
        config = tiny_model.config

        def __call__(self, **inputs: Any) -> Any:
            if not failures.is_set():
                failures.set()
                raise RuntimeError("out of memory")
            return tiny_model(**inputs)

    batcher = make_batcher(Flaky())
    _, broken = submit(batcher, encode(tokenizer, "first"), 5)
    assert broken.result() == ([], Finish.ERROR)
    prompt = encode(tokenizer, "second")
    _, healthy = submit(batcher, prompt, 5)
    assert healthy.result()[0] == greedy_reference(tiny_model, prompt, 5, tokenizer.eos_token_id)


def test_close_ends_open_requests_and_refuses_new_ones(make_batcher, tiny_model, tokenizer) -> None:
    batcher = make_batcher(SlowModel(tiny_model, 0.01), batch_window_s=0)
    _, collector = submit(batcher, encode(tokenizer, "long answer"), 10_000)
    collector.events.get(timeout=10)
    batcher.close(5)
    assert not batcher.alive
    assert collector.result()[1] is Finish.CANCELLED
    with pytest.raises(RuntimeError):
        submit(batcher, encode(tokenizer, "too late"), 3)
