"""A tiny random Llama and a byte-level tokenizer: the real transformers code paths in milliseconds.

Every byte is one token, so a Chinese character is three tokens and an emoji four: the streaming
detokenizer must hold partial characters back.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from switchboard.generator.llm.loading import LoadedModel
from switchboard.generator.llm.requests import Finish

EOS = "<eos>"
CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)


def byte_tokenizer(*, chat_template: str | None = CHAT_TEMPLATE) -> Any:
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: index for index, symbol in enumerate(alphabet)}
    vocab[EOS] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens([EOS])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=EOS)
    tokenizer.chat_template = chat_template
    return tokenizer


def tiny_llama(vocab_size: int, eos_token_id: int, seed: int = 7) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    return byte_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tokenizer: Any) -> LlamaForCausalLM:
    return tiny_llama(len(tokenizer), tokenizer.eos_token_id)


@pytest.fixture()
def loaded(tiny_model: LlamaForCausalLM, tokenizer: Any) -> LoadedModel:
    eos = tokenizer.eos_token_id
    return LoadedModel(tiny_model, tokenizer, "cpu", "tiny@test:float32", frozenset({eos}), eos)


@pytest.fixture()
def tiny_folder(tmp_path: Path, tiny_model: LlamaForCausalLM, tokenizer: Any) -> Path:
    folder = tmp_path / "tiny-llama"
    tiny_model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class Collector:
    """Collects one request's events on the worker thread."""

    def __init__(self) -> None:
        self.events: queue.Queue[int | Finish] = queue.Queue()

    def __call__(self, event: int | Finish) -> None:
        self.events.put(event)

    def result(self, timeout: float = 60.0) -> tuple[list[int], Finish]:
        tokens: list[int] = []
        while True:
            event = self.events.get(timeout=timeout)
            if isinstance(event, Finish):
                return tokens, event
            tokens.append(event)


@pytest.fixture()
def started() -> Iterator[Callable[[Any], Any]]:
    """Starts a scheduler for one test and closes it when the test ends."""
    made: list[Any] = []

    def start(scheduler: Any) -> Any:
        scheduler.start()
        made.append(scheduler)
        return scheduler

    yield start
    for scheduler in made:
        scheduler.close(5)


class SlowModel:
    """A model at a fixed extra cost per forward pass, so that timing-dependent behaviour is observable."""

    def __init__(self, model: Any, seconds: float) -> None:
        self.config = model.config
        self._model = model
        self._seconds = seconds

    def __call__(self, **inputs: Any) -> Any:
        time.sleep(self._seconds)
        return self._model(**inputs)


def greedy_reference(model: LlamaForCausalLM, prompt: list[int], max_new_tokens: int, eos: int) -> list[int]:
    """Plain transformers greedy generation of one prompt, without the EOS token."""
    with torch.inference_mode():
        output = model.generate(
            torch.tensor([prompt]),
            attention_mask=torch.ones((1, len(prompt)), dtype=torch.long),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos,
            pad_token_id=eos,
        )
    tokens = output[0, len(prompt) :].tolist()
    return tokens[: tokens.index(eos)] if eos in tokens else tokens
