"""Continuous batching for the CPU path: one decode worker thread serves every request together.

Requests that arrive while the worker is idle are collected for a short window and prefilled together
(left padding, attention mask); requests that arrive while a batch runs are prefilled at the next step
boundary and their KV cache is merged into the running batch. Every step feeds each row its last token
with its own position id; rows that finish (EOS, token budget, deadline, cancelled) leave the batch at the
step boundary, and columns no remaining row needs are trimmed. Decoding is greedy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from switchboard.core.logs import get_logger
from switchboard.generator.llm.requests import Decoder, DecodeRequest, Finish

log = get_logger(__name__)


@dataclass(slots=True)
class _Batch:
    """Rows decoded together: a shared KV cache padded on the left, and each row's next input."""

    rows: list[DecodeRequest]
    cache: DynamicCache
    mask: torch.Tensor  # [rows, cached columns]; 0 marks left padding
    next_tokens: torch.Tensor  # [rows]: sampled, not yet in the cache
    positions: torch.Tensor  # [rows]: position id of next_tokens
    steps: int = field(default=0)


class ContinuousBatcher:
    """Greedy continuous batching over a transformers causal LM with a dynamic KV cache.

    ``submit`` may be called from any thread; sinks are called on the worker thread and must not block.
    """

    def __init__(
        self,
        decoder: Decoder,
        *,
        max_batch_size: int,
        batch_window_s: float,
        device: str = "cpu",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = decoder.model
        self._config = decoder.model.config
        self._eos = decoder.eos_token_ids
        self._pad = decoder.pad_token_id
        self._max_batch = max_batch_size
        self._window = batch_window_s
        self._device = torch.device(device)
        self._clock = clock
        self._waiting: deque[DecodeRequest] = deque()
        self._wake = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._batch: _Batch | None = None
        self.steps = 0
        self.largest_batch = 0

    # ------------------------------------------------------------------ control (any thread)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="llm-decode", daemon=True)
            self._thread.start()

    def submit(self, request: DecodeRequest) -> None:
        with self._wake:
            if self._closing:
                raise RuntimeError("the decode worker is closed")
            self._waiting.append(request)
            self._wake.notify()

    def close(self, timeout: float | None = None) -> None:
        """Stops the worker after its current step; every open request ends with CANCELLED."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def pending(self) -> int:
        """Requests waiting for a slot plus rows in the running batch."""
        batch = self._batch
        return len(self._waiting) + (len(batch.rows) if batch else 0)

    # ------------------------------------------------------------------ worker thread

    def _run(self) -> None:
        with torch.inference_mode():
            while True:
                admitted = self._next_admissions()
                if admitted is None:
                    break
                try:
                    if admitted:
                        self._prefill(admitted)
                    elif self._batch is not None:
                        self._decode_step()
                    self._retire()
                except Exception as error:
                    log.exception("generator.model.step_failed", error_type=type(error).__name__)
                    self._fail_all([*(self._batch.rows if self._batch else []), *admitted])
                    self._batch = None
        self._fail_all([*(self._batch.rows if self._batch else []), *self._drain_waiting()], Finish.CANCELLED)
        self._batch = None

    def _next_admissions(self) -> list[DecodeRequest] | None:
        """Waits for work; returns the requests to prefill now ([] means: just decode), None to stop."""
        with self._wake:
            while not self._closing and not self._waiting and self._batch is None:
                self._wake.wait()
            if self._closing:
                return None
            if self._batch is None and self._window > 0:
                until = self._clock() + self._window
                while len(self._waiting) < self._max_batch and not self._closing:
                    remaining = until - self._clock()
                    if remaining <= 0:
                        break
                    self._wake.wait(remaining)
            free = self._max_batch - (len(self._batch.rows) if self._batch else 0)
            admitted: list[DecodeRequest] = []
            now = self._clock()
            while self._waiting and len(admitted) < free:
                request = self._waiting.popleft()
                if request.cancelled:
                    continue
                if request.deadline is not None and now >= request.deadline:
                    request.finish(Finish.DEADLINE)
                    continue
                admitted.append(request)
            return admitted

    def _drain_waiting(self) -> list[DecodeRequest]:
        with self._wake:
            drained = list(self._waiting)
            self._waiting.clear()
        return drained

    def _prefill(self, requests: list[DecodeRequest]) -> None:
        width = max(len(r.prompt_ids) for r in requests)
        ids = torch.full((len(requests), width), self._pad, dtype=torch.long)
        mask = torch.zeros((len(requests), width), dtype=torch.long)
        for row, request in enumerate(requests):
            ids[row, width - len(request.prompt_ids) :] = torch.tensor(request.prompt_ids, dtype=torch.long)
            mask[row, width - len(request.prompt_ids) :] = 1
        ids, mask = ids.to(self._device), mask.to(self._device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        # The cache grows in place: forward appends each step's keys and values to it.
        cache = DynamicCache(config=self._config)
        output = self._model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True)
        first = output.logits[:, -1, :].argmax(-1)
        fresh = _Batch(list(requests), cache, mask, first, mask.sum(-1))
        self._batch = fresh if self._batch is None else _merge(self._batch, fresh)
        self.largest_batch = max(self.largest_batch, len(self._batch.rows))
        self._emit(requests, first)

    def _decode_step(self) -> None:
        batch = self._batch
        assert batch is not None
        rows = len(batch.rows)
        mask = torch.cat([batch.mask, torch.ones((rows, 1), dtype=batch.mask.dtype, device=batch.mask.device)], 1)
        output = self._model(
            input_ids=batch.next_tokens[:, None],
            attention_mask=mask,
            position_ids=batch.positions[:, None],
            cache=batch.cache,
            use_cache=True,
        )
        batch.mask = mask
        batch.positions = batch.positions + 1
        batch.next_tokens = output.logits[:, -1, :].argmax(-1)
        batch.steps += 1
        self.steps += 1
        self._emit(batch.rows, batch.next_tokens)

    def _emit(self, requests: list[DecodeRequest], tokens: torch.Tensor) -> None:
        now = self._clock()
        for request, token in zip(requests, tokens.tolist(), strict=True):
            request.accept(token, self._eos)
            if not request.finished and request.deadline is not None and now >= request.deadline:
                request.finish(Finish.DEADLINE)

    def _retire(self) -> None:
        """Drops finished and cancelled rows, then the left columns no remaining row attends to."""
        batch = self._batch
        if batch is None:
            return
        keep = [i for i, r in enumerate(batch.rows) if not (r.finished or r.cancelled)]
        if not keep:
            self._batch = None
            return
        if len(keep) < len(batch.rows):
            index = torch.tensor(keep, device=batch.mask.device)
            batch.rows = [batch.rows[i] for i in keep]
            batch.cache.batch_select_indices(index)
            batch.mask = batch.mask.index_select(0, index)
            batch.next_tokens = batch.next_tokens.index_select(0, index)
            batch.positions = batch.positions.index_select(0, index)
        unused = int((batch.mask.sum(0) == 0).long().cumprod(0).sum())
        if unused:
            batch.mask = batch.mask[:, unused:]
            for layer in batch.cache.layers:
                layer.keys = layer.keys[:, :, unused:, :]
                layer.values = layer.values[:, :, unused:, :]

    @staticmethod
    def _fail_all(requests: list[DecodeRequest], reason: Finish = Finish.ERROR) -> None:
        for request in requests:
            request.finish(reason)


def _merge(running: _Batch, fresh: _Batch) -> _Batch:
    """One batch of both: the shorter cache is padded on the left so every row ends at the same column."""
    width = max(running.mask.shape[1], fresh.mask.shape[1])
    for old, new in zip(running.cache.layers, fresh.cache.layers, strict=True):
        if type(old) is not DynamicLayer or type(new) is not DynamicLayer:
            raise NotImplementedError("runtime batching needs full-attention layers; set batching=transformers")
        old.keys = torch.cat([_pad_left(old.keys, width, 2), _pad_left(new.keys, width, 2)], 0)
        old.values = torch.cat([_pad_left(old.values, width, 2), _pad_left(new.values, width, 2)], 0)
    return _Batch(
        rows=running.rows + fresh.rows,
        cache=running.cache,
        mask=torch.cat([_pad_left(running.mask, width, 1), _pad_left(fresh.mask, width, 1)], 0),
        next_tokens=torch.cat([running.next_tokens, fresh.next_tokens]),
        positions=torch.cat([running.positions, fresh.positions]),
        steps=running.steps,
    )


def _pad_left(tensor: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    missing = width - tensor.shape[dim]
    if missing == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim)
