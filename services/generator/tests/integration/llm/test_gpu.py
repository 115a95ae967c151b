"""The GPU path: bf16 on CUDA with transformers' continuous batching manager. Runs only where a GPU is."""

from __future__ import annotations

import asyncio

import pytest
import torch

from switchboard.generator.llm import ChatMessage, LocalGenerator, ModelSettings
from switchboard.generator.llm.paged import TransformersBatcher

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; torch sees none"),
]


async def test_bf16_on_cuda_streams_concurrent_answers_through_the_transformers_manager() -> None:
    generator = LocalGenerator(ModelSettings(device="cuda", warmup=True))
    await generator.start()
    try:
        assert isinstance(generator.scheduler, TransformersBatcher)
        assert generator.model_id.endswith(":bfloat16")
        questions = ["How do I return shoes?", "Where is my order?", "What are your opening hours?"]

        async def one(question: str) -> list[str]:
            stream = generator.stream([ChatMessage("user", question)], max_new_tokens=16)
            return [delta async for delta in stream]

        alone = [await one(q) for q in questions]
        together = await asyncio.gather(*(one(q) for q in questions))
        assert all(len(deltas) > 2 for deltas in together)
        # bf16 kernels differ with batch shape; the first tokens must agree.
        assert [("".join(d))[:8] for d in together] == [("".join(d))[:8] for d in alone]
    finally:
        await generator.close()
