"""The generator's two doors: generate decisions from Kafka, and the streaming gRPC Generate call.

Both run the same ``Answerer`` under a deadline. On Kafka, the reply id derives from the decision
alone, so the fallback sent at the deadline and any redelivery of the decision resolve to one reply;
work still running at the deadline is cancelled, never published late.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc

from switchboard.api.generator.v1 import generator_service_pb2 as pb
from switchboard.api.generator.v1 import generator_service_pb2_grpc as pb_grpc
from switchboard.core.contracts import Citation, ReplyDecided, Turn
from switchboard.core.logs import get_logger
from switchboard.core.topics import REPLY_DECIDED, REPLY_READY, Topic
from switchboard.generator.answering import Answer, Answerer, Question
from switchboard.generator.conversation import PastTurn
from switchboard.generator.reply_events import answer_language, fallback_answer, handoff_decision, reply_ready
from switchboard.generator.settings import FallbackSettings

log = get_logger(__name__)

# The model may use this share of a request's budget; the rest is kept for the extractive answer,
# so a slow model yields the knowledge-base answer instead of the bare fallback.
MODEL_SHARE = 0.6


def question_of(decision: ReplyDecided) -> Question:
    generate = decision.generate
    last_bot = next((turn.text for turn in reversed(generate.history) if turn.speaker == Turn.SPEAKER_BOT), "")
    return Question(
        tenant_id=decision.envelope.tenant_id,
        text=generate.question,
        language=answer_language(decision),
        emotion=generate.emotion.label,
        last_bot_text=last_bot,
        personal=generate.personal,
        history=tuple(
            PastTurn(turn.speaker != Turn.SPEAKER_CUSTOMER, turn.text) for turn in generate.history if turn.text
        ),
        slots=tuple(sorted(generate.slots.items())),
    )


class DecisionHandler:
    """Answers generate decisions from ``conversation.decided`` on ``conversation.outbound``."""

    def __init__(
        self,
        answerer: Answerer,
        publish,
        *,
        fallback: FallbackSettings,
        default_deadline_ms: int,
        replies: Topic = REPLY_READY,
        decisions: Topic = REPLY_DECIDED,
    ) -> None:
        self._answerer = answerer
        self._publish = publish
        self._fallback = fallback
        self._default_deadline_ms = default_deadline_ms
        self._replies = replies
        self._decisions = decisions

    async def __call__(self, decision: ReplyDecided) -> None:
        if decision.WhichOneof("decision") != "generate":
            return  # template replies and handoffs are other services' work
        budget_s = (decision.generate.deadline_ms or self._default_deadline_ms) / 1000
        model_deadline = time.monotonic() + budget_s * MODEL_SHARE
        try:
            answer = await asyncio.wait_for(
                self._answerer.answer(question_of(decision), deadline=model_deadline), budget_s
            )
        except asyncio.TimeoutError:
            log.warning("generator.deadline_missed", tenant_id=decision.envelope.tenant_id, budget_s=budget_s)
            answer = fallback_answer(decision, self._fallback)
        if answer.handoff:
            await self._publish(self._decisions, handoff_decision(decision, answer))
        await self._publish(self._replies, reply_ready(decision, answer))


class GeneratorServicer(pb_grpc.GeneratorServiceServicer):
    """``GeneratorService.Generate``: text deltas while the model writes, then the vetted final answer.

    The final message is authoritative: a client showing deltas replaces them with ``text`` (the
    model's draft may be rejected by the checks and replaced by an extractive answer).
    """

    def __init__(self, answerer: Answerer, *, default_deadline_ms: int) -> None:
        self._answerer = answerer
        self._default_deadline_ms = default_deadline_ms

    async def Generate(
        self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.GenerateResponse]:
        if not request.tenant_id or not request.context.question.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id and context.question are required")
        remaining = context.time_remaining()
        budget_s = (
            min(remaining, 60.0) if remaining else (request.context.deadline_ms or self._default_deadline_ms) / 1000
        )
        deadline = time.monotonic() + budget_s * MODEL_SHARE
        decision = ReplyDecided(generate=request.context, language=request.language)
        decision.envelope.tenant_id = request.tenant_id
        deltas: asyncio.Queue[str | None] = asyncio.Queue()

        async def on_delta(delta: str) -> None:
            await deltas.put(delta)

        async def run() -> Answer:
            try:
                return await self._answerer.answer(question_of(decision), deadline=deadline, on_delta=on_delta)
            finally:
                await deltas.put(None)

        task = asyncio.create_task(run())
        try:
            while (delta := await deltas.get()) is not None:
                yield pb.GenerateResponse(delta=delta)
            answer = await task
        finally:
            task.cancel()
        yield pb.GenerateResponse(
            done=True,
            text=answer.text,
            source=answer.source,
            cache_hit=answer.cache_hit,
            citations=[Citation(**citation) for citation in answer.citations],
        )
