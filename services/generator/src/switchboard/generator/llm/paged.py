"""The GPU path: transformers' continuous batching manager (paged attention) behind the runtime's request type.

The manager runs its own generation thread; a small dispatcher thread reads its streamed outputs, turns
each request's cumulative tokens into single-token events, and applies cancellations and deadlines.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from switchboard.core.logs import get_logger
from switchboard.generator.llm.requests import Decoder, DecodeRequest, Finish

log = get_logger(__name__)


class TransformersBatcher:
    """Serves :class:`DecodeRequest` objects through ``model.init_continuous_batching`` (greedy)."""

    def __init__(
        self,
        decoder: Decoder,
        *,
        max_batch_size: int,
        max_new_tokens: int,
        cache_options: dict[str, Any] | None = None,
    ) -> None:
        """``cache_options`` (num_blocks, max_batch_tokens...) size the paged cache; by default transformers
        sizes it from free GPU memory."""
        from transformers import GenerationConfig
        from transformers.generation.configuration_utils import ContinuousBatchingConfig

        self._eos = decoder.eos_token_ids
        generation = GenerationConfig(
            do_sample=False,
            max_new_tokens=max_new_tokens,
            eos_token_id=sorted(self._eos),
            pad_token_id=decoder.pad_token_id,
        )
        self._manager = decoder.model.init_continuous_batching(
            generation_config=generation,
            continuous_batching_config=ContinuousBatchingConfig(
                max_requests_per_batch=max_batch_size, **(cache_options or {})
            ),
        )
        self._requests: dict[str, DecodeRequest] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._manager.start()
        self._thread = threading.Thread(target=self._dispatch, name="llm-dispatch", daemon=True)
        self._thread.start()

    def submit(self, request: DecodeRequest) -> None:
        request_id = uuid.uuid4().hex
        with self._lock:
            self._requests[request_id] = request
        accepted = self._manager.add_request(
            input_ids=request.prompt_ids, request_id=request_id, max_new_tokens=request.max_new_tokens, streaming=True
        )
        if accepted is None:
            with self._lock:
                self._requests.pop(request_id, None)
            raise RuntimeError("the continuous batching manager refused the request")

    def close(self, timeout: float | None = None) -> None:
        self._closing.set()
        self._manager.stop(block=True, timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            for request in self._requests.values():
                request.finish(Finish.CANCELLED)
            self._requests.clear()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._manager.is_running()

    def pending(self) -> int:
        with self._lock:
            return len(self._requests)

    def _dispatch(self) -> None:
        while not self._closing.is_set():
            self._sweep()
            output = self._manager.get_result(timeout=0.02)
            if output is None:
                continue
            with self._lock:
                request = self._requests.get(output.request_id)
            if request is None:
                continue
            for token in output.generated_tokens[request.generated :]:
                request.accept(token, self._eos)
                if request.finished or request.cancelled:
                    break
            if output.error is not None:
                log.error("generator.model.request_failed", error=output.error)
                request.finish(Finish.ERROR)
            if output.is_finished():
                request.finish(Finish.LENGTH)
                with self._lock:
                    self._requests.pop(output.request_id, None)

    def _sweep(self) -> None:
        """Cancels requests whose stream was closed or whose deadline passed."""
        now = time.monotonic()
        with self._lock:
            items = list(self._requests.items())
        for request_id, request in items:
            expired = request.deadline is not None and now >= request.deadline
            if request.cancelled or request.finished or expired:
                if expired:
                    request.finish(Finish.DEADLINE)
                self._manager.cancel_request(request_id)
                with self._lock:
                    self._requests.pop(request_id, None)
