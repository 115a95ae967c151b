"""The runtime the generator calls: streaming, back-pressure, deadlines and cancellation over the tiny model."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from switchboard.generator.llm import (
    ChatMessage,
    LocalGenerator,
    ModelBusyError,
    ModelSettings,
    ModelUnavailableError,
    TextGenerator,
)
from switchboard.generator.llm.loading import LoadedModel
from switchboard.generator.llm.prompts import PromptEncoder

from .conftest import SlowModel, greedy_reference

QUESTION = [ChatMessage("system", "Be brief."), ChatMessage("user", "我的包裹到哪里了？ 📦")]


@pytest_asyncio.fixture()
async def started() -> AsyncIterator[Callable[..., Awaitable[LocalGenerator]]]:
    """Starts runtimes over a given model; closes them after the test."""
    made: list[LocalGenerator] = []

    async def start(loaded: LoadedModel, **settings: Any) -> LocalGenerator:
        generator = LocalGenerator(ModelSettings(**{"warmup": False, **settings}), loaded=loaded)
        await generator.start()
        made.append(generator)
        return generator

    yield start
    for generator in made:
        await generator.close()


async def collect(generator: LocalGenerator, max_new_tokens: int = 12, **options: Any) -> list[str]:
    return [delta async for delta in generator.stream(QUESTION, max_new_tokens=max_new_tokens, **options)]


async def test_stream_yields_the_greedy_answer_in_deltas(started, loaded: LoadedModel) -> None:
    generator = await started(loaded)
    assert isinstance(generator, TextGenerator)
    deltas = await collect(generator, 24)
    prompt = PromptEncoder(loaded.tokenizer, max_tokens=2048).encode(QUESTION)
    expected = greedy_reference(loaded.model, prompt, 24, loaded.pad_token_id)
    assert "".join(deltas) == loaded.tokenizer.decode(expected, skip_special_tokens=True)
    assert len(deltas) > 1 and all(deltas), "several non-empty deltas, not one blob"
    assert generator.model_id == "tiny@test:float32" and generator.languages == frozenset({"en"})


async def test_concurrent_streams_share_batches_and_match_single_streams(started, loaded: LoadedModel) -> None:
    generator = await started(loaded, batch_window_ms=30)
    prompts = [[ChatMessage("user", text)] for text in ("退款", "where is my order", "hi 👋", "换货流程是什么")]

    async def one(messages: list[ChatMessage]) -> str:
        return "".join([d async for d in generator.stream(messages, max_new_tokens=10)])

    alone = [await one(messages) for messages in prompts]
    together = await asyncio.gather(*(one(messages) for messages in prompts))
    assert together == alone
    assert generator.scheduler.largest_batch == len(prompts)


async def test_a_full_queue_raises_model_busy(started, loaded: LoadedModel) -> None:
    generator = await started(loaded, max_batch_size=1, max_queue=1)
    first = generator.stream(QUESTION, max_new_tokens=200)
    second = generator.stream(QUESTION, max_new_tokens=200)
    await anext(first)
    second_task = asyncio.create_task(anext(second))
    await asyncio.sleep(0)
    assert generator.open_streams == 2
    with pytest.raises(ModelBusyError):
        await anext(generator.stream(QUESTION, max_new_tokens=5))
    await first.aclose()
    await second_task
    await second.aclose()
    assert generator.open_streams == 0


async def test_closing_a_stream_frees_its_slot_at_once(started, loaded: LoadedModel) -> None:
    generator = await started(loaded, max_batch_size=1, max_queue=0)
    stream = generator.stream(QUESTION, max_new_tokens=10_000)
    await anext(stream)
    with pytest.raises(ModelBusyError):
        await anext(generator.stream(QUESTION, max_new_tokens=5))
    await stream.aclose()
    assert generator.open_streams == 0
    assert await collect(generator, 5), "the freed slot serves the next request"


async def test_cancelling_the_consumer_task_frees_the_slot(started, loaded: LoadedModel) -> None:
    generator = await started(
        dataclasses.replace(loaded, model=SlowModel(loaded.model, 0.01)), max_batch_size=1, max_queue=0
    )
    task = asyncio.create_task(collect(generator, 10_000))
    while generator.open_streams == 0:
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert generator.open_streams == 0
    assert await collect(generator, 3)


async def test_the_stream_stops_when_the_deadline_passes(started, loaded: LoadedModel) -> None:
    generator = await started(dataclasses.replace(loaded, model=SlowModel(loaded.model, 0.03)))
    began = time.monotonic()
    deltas = await collect(generator, 1000, deadline=began + 0.4)
    elapsed = time.monotonic() - began
    assert deltas, "it wrote until the deadline"
    assert len(deltas) < 1000
    assert elapsed < 0.4 + 0.1
    assert await collect(generator, 5, deadline=time.monotonic() - 1) == []


async def test_streaming_before_start_or_after_close_is_refused(loaded: LoadedModel) -> None:
    generator = LocalGenerator(ModelSettings(warmup=False), loaded=loaded)
    with pytest.raises(ModelUnavailableError):
        await collect(generator)
    await generator.start()
    await generator.close()
    with pytest.raises(ModelUnavailableError):
        await collect(generator)


async def test_warmup_runs_one_short_generation(started, loaded: LoadedModel) -> None:
    generator = await started(loaded, warmup=True)
    assert generator.scheduler.largest_batch == 1


def test_model_settings_reject_impossible_values() -> None:
    with pytest.raises(ValueError):
        ModelSettings(max_batch_size=0)
    with pytest.raises(ValueError):
        ModelSettings(device="tpu")
    assert ModelSettings().device == "cpu" and ModelSettings().torch_threads == 1


async def test_a_failed_decode_step_surfaces_as_model_unavailable(started, loaded: LoadedModel) -> None:
    class Broken:
        config = loaded.model.config

        def __call__(self, **inputs: Any) -> Any:
            raise RuntimeError("CUDA error: device-side assert")

    generator = await started(dataclasses.replace(loaded, model=Broken()))
    with pytest.raises(ModelUnavailableError, match="decode step failed"):
        await collect(generator)
    assert generator.open_streams == 0
