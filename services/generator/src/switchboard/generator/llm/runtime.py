"""The model runtime the generator calls: a local causal LM streaming answers to many callers at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from switchboard.core.logs import get_logger
from switchboard.generator.llm.artifacts import ensure_default_model
from switchboard.generator.llm.contract import ChatMessage, TextGenerator
from switchboard.generator.llm.detokenize import IncrementalDetokenizer
from switchboard.generator.llm.errors import ModelBusyError, ModelUnavailableError
from switchboard.generator.llm.loading import LoadedModel, load
from switchboard.generator.llm.prompts import PromptEncoder
from switchboard.generator.llm.requests import DecodeRequest, Event, Finish
from switchboard.generator.llm.settings import ModelSettings

log = get_logger(__name__)

# The longest answer the transformers manager is sized for; each request still asks for its own budget.
_PAGED_MAX_NEW_TOKENS = 1024


class Scheduler(Protocol):
    """A decode loop that serves DecodeRequests (ContinuousBatcher on cpu, TransformersBatcher on cuda)."""

    def start(self) -> None: ...
    def submit(self, request: DecodeRequest) -> None: ...
    def close(self, timeout: float | None = None) -> None: ...
    @property
    def alive(self) -> bool: ...


def build_generator(settings: ModelSettings) -> TextGenerator:
    """The runtime for these settings; call ``start()`` before streaming."""
    return LocalGenerator(settings)


def make_scheduler(loaded: LoadedModel, settings: ModelSettings) -> Scheduler:
    """Our continuous batcher, or transformers' manager (``batching``; auto means transformers on cuda)."""
    use_transformers = settings.batching == "transformers" or (settings.batching == "auto" and loaded.device == "cuda")
    if use_transformers:
        from switchboard.generator.llm.paged import TransformersBatcher

        return TransformersBatcher(
            loaded.decoder,
            max_batch_size=settings.max_batch_size,
            max_new_tokens=_PAGED_MAX_NEW_TOKENS,
        )
    from switchboard.generator.llm.batching import ContinuousBatcher

    return ContinuousBatcher(
        loaded.decoder,
        max_batch_size=settings.max_batch_size,
        batch_window_s=settings.batch_window_ms / 1000,
        device=loaded.device,
    )


class LocalGenerator:
    """A :class:`TextGenerator` over a local transformers model and a continuous-batching scheduler.

    At most ``max_batch_size + max_queue`` streams are open at once; one more raises :class:`ModelBusyError`.
    """

    def __init__(self, settings: ModelSettings, *, loaded: LoadedModel | None = None) -> None:
        self._settings = settings
        self._loaded = loaded
        self._encoder: PromptEncoder | None = None
        self._scheduler: Scheduler | None = None
        self._open = 0
        self._capacity = settings.max_batch_size + settings.max_queue

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._settings.languages)

    @property
    def model_id(self) -> str:
        if self._loaded is None:
            raise ModelUnavailableError("the model is not loaded yet; await start() first")
        return self._loaded.model_id

    @property
    def open_streams(self) -> int:
        """Streams submitted and not yet closed (they hold a slot)."""
        return self._open

    @property
    def scheduler(self) -> Scheduler | None:
        return self._scheduler

    async def start(self) -> None:
        if self._scheduler is not None:
            return
        if self._loaded is None:
            path = self._settings.path or await ensure_default_model(self._settings)
            self._loaded = await asyncio.to_thread(load, path, self._settings)
        self._encoder = PromptEncoder(self._loaded.tokenizer, max_tokens=self._settings.max_prompt_tokens)
        self._scheduler = await asyncio.to_thread(make_scheduler, self._loaded, self._settings)
        self._scheduler.start()
        if self._settings.warmup:
            started = time.monotonic()
            async for _ in self.stream([ChatMessage("user", "Hello")], max_new_tokens=2):
                pass
            log.info("generator.model.warm", seconds=round(time.monotonic() - started, 2))

    async def close(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await asyncio.to_thread(scheduler.close, 10.0)

    async def stream(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, deadline: float | None = None
    ) -> AsyncIterator[str]:
        scheduler, encoder, loaded = self._scheduler, self._encoder, self._loaded
        if scheduler is None or encoder is None or loaded is None or not scheduler.alive:
            raise ModelUnavailableError("the model runtime is not running; await start() first")
        if self._open >= self._capacity:
            raise ModelBusyError(f"{self._open} requests in flight, the limit is {self._capacity}")
        if max_new_tokens <= 0 or (deadline is not None and time.monotonic() >= deadline):
            return
        prompt = encoder.encode(messages)
        events: asyncio.Queue[Event] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def sink(event: Event) -> None:
            loop.call_soon_threadsafe(events.put_nowait, event)

        request = DecodeRequest(prompt, max_new_tokens, sink, deadline)
        self._open += 1
        try:
            try:
                scheduler.submit(request)
            except RuntimeError as error:
                raise ModelUnavailableError(f"the decode worker refused the request: {error}") from error
            detokenizer = IncrementalDetokenizer(loaded.tokenizer, prompt_ids=prompt)
            while True:
                event = await _next_event(events, deadline)
                if event is None or event is Finish.DEADLINE or event is Finish.CANCELLED:
                    return
                if event is Finish.ERROR:
                    raise ModelUnavailableError("the decode step failed; see the generator.model.step_failed log")
                if isinstance(event, Finish):
                    tail = detokenizer.flush()
                    if tail:
                        yield tail
                    return
                delta = detokenizer.step(event)
                if delta:
                    yield delta
        finally:
            request.cancel()
            self._open -= 1


async def _next_event(events: asyncio.Queue[Event], deadline: float | None) -> Any:
    """The next event, or None once the deadline passes first."""
    if deadline is None:
        return await events.get()
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    try:
        return await asyncio.wait_for(events.get(), remaining)
    except TimeoutError:
        return None
