"""The lifecycle every service shares: start servers and consumers, run until SIGTERM, drain.

A service's ``app.build(runtime, settings, topics=None)`` registers its consumers, routes and gRPC
servicers on a ``ServiceRuntime`` and returns its running parts; ``serve`` (or a test) then awaits
``run()``. Draining order: stop reporting ready, let consumers finish the batch in flight and commit,
stop gRPC with grace, flush the producer, close the rest.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from google.protobuf.message import Message

from switchboard.core import mongo
from switchboard.core.kafka import Handler, Publisher, TopicConsumer, ensure_topics
from switchboard.core.logs import get_logger
from switchboard.core.ops import Readiness, build_ops_app, start_http
from switchboard.core.settings import ServiceSettings, public_dump
from switchboard.core.topics import ALL_TOPICS, Topic

log = get_logger(__name__)

Closer = Callable[[], Awaitable[None]]


class ServiceRuntime:
    """Owns the shared pieces of one running service and their order of start and stop."""

    def __init__(self, name: str, settings: ServiceSettings, *, consumer_group: str = "") -> None:
        """``consumer_group``: its consumers' default group (``switchboard-<name>`` unless given); replicas share it."""
        self.name = name
        self.settings = settings
        self.consumer_group = consumer_group or f"switchboard-{name}"
        self.readiness = Readiness()
        self.http_app: web.Application = build_ops_app(name, self.readiness)
        self.publisher = Publisher(settings.kafka, name)
        self._consumers: list[TopicConsumer[Any]] = []
        self._background: list[Callable[[], Awaitable[None]]] = []
        self._closers: list[Closer] = []
        self._mongo: mongo.MongoClient | None = None
        self._stop = asyncio.Event()

    def mongo_client(self) -> mongo.MongoClient:
        """The process's database client, created on first use; readiness then pings it."""
        if self._mongo is None:
            self._mongo = mongo.connect(self.settings.mongo, self.name)
            self.readiness.add("database", mongo.ping_check(self._mongo))
        return self._mongo

    def database(self) -> Any:
        return self.mongo_client()[self.settings.mongo.database]

    def consume(self, topic: Topic[Any], handler: Handler[Any], *, group_id: str | None = None) -> TopicConsumer[Any]:
        """Registers a consumer of ``topic``; its progress becomes part of readiness."""
        consumer = TopicConsumer(
            topic=topic,
            group_id=group_id or self.consumer_group,
            handler=handler,
            settings=self.settings.kafka,
            publisher=self.publisher,
        )
        self._consumers.append(consumer)
        self.readiness.add(f"consumer:{topic.name}", consumer.readiness)
        return consumer

    def background(self, job: Callable[[], Awaitable[None]]) -> None:
        """Runs ``job`` for the service's lifetime; it must return when cancelled."""
        self._background.append(job)

    def on_close(self, closer: Closer) -> None:
        """Runs ``closer`` while draining, after consumers stopped, before the producer flushes."""
        self._closers.append(closer)

    async def publish(self, topic: Topic[Any], message: Message) -> None:
        await self.publisher.publish(topic, message)

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Starts everything, waits for SIGTERM/SIGINT or a failed task, then drains."""
        log.info("service.starting", config=public_dump(self.settings))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop.set)
        await ensure_topics(self.settings.kafka, ALL_TOPICS, timeout_s=self.settings.drain_timeout_s * 3)
        await self.publisher.start()
        runner = await start_http(self.http_app, self.settings.http.host, self.settings.http.port)
        consumer_tasks = [asyncio.create_task(c.run(), name=f"consume:{c.topic.name}") for c in self._consumers]
        background_tasks = [
            asyncio.create_task(job(), name=f"background:{i}") for i, job in enumerate(self._background)
        ]
        stop_waiter = asyncio.create_task(self._stop.wait(), name="stop-signal")
        log.info("service.started", service=self.name)
        failed = await self._wait_for_stop(stop_waiter, [*consumer_tasks, *background_tasks])
        await self._drain(consumer_tasks, background_tasks, runner)
        if failed is not None:
            raise failed

    async def _wait_for_stop(self, stop_waiter: asyncio.Task, tasks: list[asyncio.Task]) -> BaseException | None:
        done, _ = await asyncio.wait([stop_waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stop_waiter.cancel()
        for task in done:
            if task is not stop_waiter and not task.cancelled() and task.exception() is not None:
                log.error("service.task_failed", task=task.get_name(), error_class=type(task.exception()).__name__)
                return task.exception()
        log.info("service.stopping", service=self.name)
        return None

    async def _drain(
        self, consumer_tasks: list[asyncio.Task], background_tasks: list[asyncio.Task], runner: web.AppRunner
    ) -> None:
        self.readiness.draining = True
        for consumer in self._consumers:
            consumer.stop()
        timeout = self.settings.drain_timeout_s
        if consumer_tasks:
            _, pending = await asyncio.wait(consumer_tasks, timeout=timeout)
            for task in pending:
                log.warning("service.drain_timeout", task=task.get_name())
                task.cancel()
        for task in background_tasks:
            task.cancel()
        await asyncio.gather(*consumer_tasks, *background_tasks, return_exceptions=True)
        for closer in reversed(self._closers):
            await closer()
        await self.publisher.stop()
        await runner.cleanup()
        if self._mongo is not None:
            self._mongo.close()
        log.info("service.stopped", service=self.name)


def serve(name: str, settings: ServiceSettings, build: Callable[[ServiceRuntime], Awaitable[object]]) -> None:
    """Runs a service process: logging and tracing set up, ``build`` wires the runtime, run to SIGTERM."""
    from switchboard.core.logs import configure_logging
    from switchboard.core.telemetry import configure_tracing

    configure_logging(settings.log, name)
    provider = configure_tracing(name, settings.telemetry)

    async def main() -> None:
        runtime = ServiceRuntime(name, settings)
        await build(runtime)
        await runtime.run()

    try:
        asyncio.run(main())
    finally:
        provider.shutdown()
