"""The one front door to the models: input checks, per-path latency, and batching for the event stream."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from prometheus_client import Histogram

from switchboard.core.contracts import Understanding
from switchboard.core.language import detect
from switchboard.nlu.errors import InvalidInputError
from switchboard.nlu.model import NluModel, ParseInput
from switchboard.nlu.registry import ModelRegistry

PARSE_SECONDS = Histogram(
    "switchboard_nlu_parse_seconds",
    "Time from a message's arrival at NLU to its reading, per path (kafka, grpc, http)",
    ["path"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
BATCH_SIZE = Histogram(
    "switchboard_nlu_batch_size",
    "Messages parsed together from the event stream",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


def check_text(text: str, max_chars: int) -> str:
    """``text`` if it can be parsed; otherwise a clear ``InvalidInputError``."""
    if not text.strip():
        raise InvalidInputError("text is empty")
    if len(text) > max_chars:
        raise InvalidInputError(f"text has {len(text)} characters; at most {max_chars} are accepted")
    if "\x00" in text:
        raise InvalidInputError("text contains a NUL character")
    return text


def empty_reading(language_hint: str) -> Understanding:
    """The reading of a message without text (DTMF only, an attachment): its language, nothing else."""
    return Understanding(language=detect("", language_hint).wire)


@dataclass
class _Pending:
    tenant: str
    item: ParseInput
    future: asyncio.Future[Understanding]


class Parser:
    """Parses for one process: single requests in a worker thread, stream messages in batches."""

    def __init__(
        self, registry: ModelRegistry, max_chars: int, batch_max: int = 64, batch_wait_ms: float = 5.0
    ) -> None:
        self.registry = registry
        self.max_chars = max_chars
        self._batch_max = batch_max
        self._batch_wait_s = batch_wait_ms / 1000
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        # Groups waiting for their tenant's first load, held so the tasks are not garbage-collected.
        self._first_loads: set[asyncio.Future[None]] = set()

    async def parse(self, tenant: str, item: ParseInput, *, path: str) -> Understanding:
        """One request (HTTP, gRPC): refused with ``InvalidInputError`` when the text is unusable."""
        started = time.perf_counter()
        check_text(item.text, self.max_chars)
        model = self.registry.get(tenant)
        understanding = await asyncio.to_thread(model.parse, item)
        PARSE_SECONDS.labels(path).observe(time.perf_counter() - started)
        return understanding

    async def parse_in_batch(self, tenant: str, item: ParseInput) -> Understanding:
        """One stream message, parsed together with the others waiting; ``run_batches`` must be running."""
        future: asyncio.Future[Understanding] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(tenant, item, future))
        return await future

    async def run_batches(self) -> None:
        """Collects waiting messages (up to ``batch_max``, ``batch_wait_ms``) and parses them per tenant."""
        while True:
            batch = [await self._queue.get()]
            deadline = time.monotonic() + self._batch_wait_s
            while len(batch) < self._batch_max:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except asyncio.TimeoutError:
                    break
            BATCH_SIZE.observe(len(batch))
            await self._parse_batch(batch)

    async def _parse_batch(self, batch: list[_Pending]) -> None:
        by_tenant: dict[str, list[_Pending]] = defaultdict(list)
        for pending in batch:
            by_tenant[pending.tenant].append(pending)
        for tenant, group in by_tenant.items():
            model = self.registry.model_of(tenant)
            if model is None:
                # Loading (or training a tenant added at runtime) must not hold up the other tenants' batches.
                task = asyncio.ensure_future(self._parse_group(tenant, group, None))
                self._first_loads.add(task)
                task.add_done_callback(self._first_loads.discard)
                continue
            await self._parse_group(tenant, group, model)

    async def _parse_group(self, tenant: str, group: list[_Pending], model: NluModel | None) -> None:
        try:
            if model is None:
                model = await asyncio.to_thread(self.registry.get_or_train, tenant)
            readings = await asyncio.to_thread(model.parse_batch, [pending.item for pending in group])
        except Exception as error:  # noqa: BLE001 - handed to each waiting handler, which decides
            for pending in group:
                if not pending.future.done():
                    pending.future.set_exception(error)
            return
        for pending, reading in zip(group, readings, strict=True):
            if not pending.future.done():
                pending.future.set_result(reading)
