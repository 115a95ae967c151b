"""The bus on the real broker: order per conversation, dead letters, retries, commit after work."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from switchboard.core import kafka
from switchboard.core.contracts import Channel, MessageReceived, new_envelope
from switchboard.core.errors import PermanentError
from switchboard.core.kafka import Publisher, TopicConsumer
from switchboard.core.settings import KafkaSettings
from switchboard.core.testing.harness import wait_until
from switchboard.core.topics import MESSAGE_RECEIVED


def _message(conversation: str, text: str) -> MessageReceived:
    envelope = new_envelope(
        tenant_id="demo", conversation_id=conversation, customer_id="u", channel=Channel.CHANNEL_WEB
    )
    return MessageReceived(envelope=envelope, text=text)


class Recorder:
    """A handler that records texts per conversation and can be told to fail."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.calls: dict[str, int] = defaultdict(int)

    async def __call__(self, message: MessageReceived) -> None:
        self.calls[message.text] += 1
        if message.text.startswith("permanent"):
            raise PermanentError("cannot handle this one")
        if message.text.startswith("always-fails"):
            raise RuntimeError("dependency down")
        if message.text.startswith("flaky") and self.calls[message.text] < 2:
            raise TimeoutError("first try times out")
        self.seen[message.envelope.conversation_id].append(message.text)


async def _consume(topic, handler, settings: KafkaSettings, publisher: Publisher, group: str = "g"):
    consumer = TopicConsumer(
        topic=topic, group_id=f"{topic.name}-{group}", handler=handler, settings=settings, publisher=publisher
    )
    task = asyncio.create_task(consumer.run())
    return consumer, task


async def test_order_is_kept_per_conversation_and_a_poison_record_goes_to_the_dlq(
    kafka_settings, kafka_harness, private_topic
) -> None:
    topic = await private_topic(MESSAGE_RECEIVED)
    conversations = [f"conv-{n}" for n in range(8)]
    for index in range(10):
        await kafka_harness.send(topic, *(_message(c, f"{c} 第{index}条 ✅") for c in conversations))
        if index == 3:
            await kafka_harness.send_raw(topic.name, b"\xff\x00 not protobuf", b"demo/conv-0")
    recorder = Recorder()
    consumer, task = await _consume(topic, recorder, kafka_settings, kafka_harness.publisher)
    try:
        await wait_until(lambda: sum(len(v) for v in recorder.seen.values()) == 80, timeout_s=30)
    finally:
        consumer.stop()
        await task
    for conversation in conversations:
        assert recorder.seen[conversation] == [f"{conversation} 第{index}条 ✅" for index in range(10)]
    [dead] = await kafka_harness.expect_records(topic.dlq, 1)
    headers = dict(dead.headers)
    assert dead.value == b"\xff\x00 not protobuf"
    assert dead.key == b"demo/conv-0"
    assert headers[kafka.DLQ_HEADER_TOPIC] == topic.name.encode()
    assert headers[kafka.DLQ_HEADER_ERROR_CLASS] == b"DecodeError"
    assert int(headers[kafka.DLQ_HEADER_ATTEMPTS]) == 1
    assert int(headers[kafka.DLQ_HEADER_OFFSET]) >= 0
    assert headers[kafka.DLQ_HEADER_PARTITION].isdigit()


async def test_failures_are_retried_a_bounded_number_of_times_then_dead_lettered(
    kafka_settings, kafka_harness, private_topic
) -> None:
    topic = await private_topic(MESSAGE_RECEIVED)
    await kafka_harness.send(
        topic,
        _message("a", "flaky once"),
        _message("b", "always-fails"),
        _message("c", "permanent 错误"),
        _message("a", "after the flaky one"),
    )
    recorder = Recorder()
    consumer, task = await _consume(topic, recorder, kafka_settings, kafka_harness.publisher)
    try:
        dead = await kafka_harness.expect_records(topic.dlq, 2)
        await wait_until(lambda: len(recorder.seen["a"]) == 2)
    finally:
        consumer.stop()
        await task
    assert recorder.seen["a"] == ["flaky once", "after the flaky one"]
    assert recorder.calls["flaky once"] == 2
    assert recorder.calls["always-fails"] == kafka_settings.handler_attempts
    assert recorder.calls["permanent 错误"] == 1
    by_class = {dict(r.headers)[kafka.DLQ_HEADER_ERROR_CLASS]: dict(r.headers) for r in dead}
    assert by_class[b"RuntimeError"][kafka.DLQ_HEADER_ATTEMPTS] == str(kafka_settings.handler_attempts).encode()
    assert by_class[b"PermanentError"][kafka.DLQ_HEADER_ATTEMPTS] == b"1"


async def test_offsets_are_committed_only_after_the_work_so_a_restart_loses_nothing(
    kafka_settings, kafka_harness, private_topic
) -> None:
    topic = await private_topic(MESSAGE_RECEIVED)
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(message: MessageReceived) -> None:
        await release.wait()
        handled.append(message.text)

    await kafka_harness.send(topic, _message("x", "one"), _message("x", "two"))
    consumer, task = await _consume(topic, slow, kafka_settings, kafka_harness.publisher)
    await asyncio.sleep(1.0)  # the batch is in the handler, not yet committed
    task.cancel()  # a crash: no drain, no commit
    with pytest.raises(asyncio.CancelledError):
        await task
    assert handled == []

    release.set()
    again: list[str] = []

    async def record(message: MessageReceived) -> None:
        again.append(message.text)

    consumer, task = await _consume(topic, record, kafka_settings, kafka_harness.publisher)
    try:
        await wait_until(lambda: again == ["one", "two"], timeout_s=30)
    finally:
        consumer.stop()
        await task


async def test_readiness_turns_false_while_a_lagging_partition_makes_no_progress(
    kafka_settings, kafka_harness, private_topic
) -> None:
    topic = await private_topic(MESSAGE_RECEIVED)
    settings = kafka_settings.model_copy(update={"stall_after_s": 1.0})
    unblock = asyncio.Event()

    async def stuck(_: MessageReceived) -> None:
        await unblock.wait()

    consumer, task = await _consume(topic, stuck, settings, kafka_harness.publisher)

    async def ready() -> bool:
        return (await consumer.readiness())[0]

    async def not_ready() -> bool:
        return not await ready()

    try:
        await wait_until(ready, timeout_s=20)
        await kafka_harness.send(topic, _message("s", "blocks the handler"), _message("s", "waits behind it"))
        await wait_until(not_ready, timeout_s=20)
        unblock.set()
        await wait_until(ready, timeout_s=20)
    finally:
        unblock.set()
        consumer.stop()
        await task


async def test_handler_logs_name_the_turn_and_never_the_text(
    kafka_settings, kafka_harness, private_topic, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import logging

    from switchboard.core.logs import configure_logging, get_logger
    from switchboard.core.settings import LogSettings

    configure_logging(LogSettings(level="INFO", format="json"), "bus-test")
    log = get_logger("test")
    topic = await private_topic(MESSAGE_RECEIVED)
    handled = asyncio.Event()

    async def handler(message: MessageReceived) -> None:
        log.info("test.turn.handled", characters=len(message.text))
        handled.set()

    await kafka_harness.send(topic, _message("conv-log", "我的手机号是13800138000"))
    consumer, task = await _consume(topic, handler, kafka_settings, kafka_harness.publisher)
    try:
        await asyncio.wait_for(handled.wait(), timeout=30)
    finally:
        consumer.stop()
        await task
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [turn] = [line for line in lines if line["event"] == "test.turn.handled"]
    assert turn["tenant_id"] == "demo" and turn["conversation_id"] == "conv-log"
    assert turn["service"] == "bus-test" and turn["level"] == "info" and turn["event_id"]
    assert "13800138000" not in "\n".join(map(json.dumps, lines))
