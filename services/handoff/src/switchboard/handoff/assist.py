"""Agent assist: suggested replies from the generator (``GeneratorService.Generate``), and the handover brief.

Suggestions are a help, never a dependency: when the generator is down or slow the console shows
none and says so. The brief (key facts, emotion timeline, what the bot already tried) is computed
here from the transcript, so it is there even without the generator.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import grpc

from switchboard.api.generator.v1 import generator_service_pb2 as pb
from switchboard.api.generator.v1 import generator_service_pb2_grpc as pb_grpc
from switchboard.core.contracts import Emotion, EmotionLabel, GenerateDecision, Turn
from switchboard.core.language import to_wire
from switchboard.core.logs import get_logger
from switchboard.handoff.settings import AssistSettings

log = get_logger(__name__)

SPEAKERS = {"customer": Turn.SPEAKER_CUSTOMER, "bot": Turn.SPEAKER_BOT, "agent": Turn.SPEAKER_AGENT}


class Assist:
    """A lazily opened channel to the generator; every call bounded by ``timeout_s``."""

    def __init__(self, settings: AssistSettings) -> None:
        self._settings = settings
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> pb_grpc.GeneratorServiceStub:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self._settings.generator_address)
        return pb_grpc.GeneratorServiceStub(self._channel)

    async def suggest(
        self, tenant_id: str, conversation_id: str, entries: list[dict[str, Any]], language: str
    ) -> tuple[list[str], bool]:
        """Up to ``suggestions`` replies to the customer's last message; (suggestions, generator reachable)."""
        customer = [e for e in entries if e["speaker"] == "customer" and e.get("text")]
        if not customer or self._settings.suggestions == 0:
            return [], True
        last = customer[-1]
        history = [
            Turn(speaker=SPEAKERS[e["speaker"]], text=e["text"])
            for e in entries[-12:-1]
            if e["speaker"] in SPEAKERS and e.get("text")
        ]
        emotion = Emotion(
            label=EmotionLabel.Value("EMOTION_LABEL_" + last.get("emotion", "NEUTRAL")),
            score=float(last.get("emotion_score", 0.0)),
        )
        context = GenerateDecision(
            question=last["text"],
            history=history,
            intent=last.get("intent", ""),
            emotion=emotion,
            personal=True,
            deadline_ms=int(self._settings.timeout_s * 1000),
        )
        request = pb.GenerateRequest(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            context=context,
            language=to_wire(language),
            max_new_tokens=96,
        )
        try:
            text = await asyncio.wait_for(self._final_text(request), self._settings.timeout_s)
        except (grpc.aio.AioRpcError, asyncio.TimeoutError) as error:
            log.warning("handoff.assist.unavailable", error_class=type(error).__name__)
            return [], False
        return ([text] if text else [])[: self._settings.suggestions], True

    async def _final_text(self, request: pb.GenerateRequest) -> str:
        text = ""
        async for response in self._stub().Generate(request, timeout=self._settings.timeout_s):
            text = response.text if response.done else text + response.delta
        return text.strip()

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()


def brief(handoff: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The handover brief: summary, key facts, emotion timeline, what the bot already tried."""
    facts: dict[str, str] = {}
    intents: Counter[str] = Counter()
    timeline = []
    for entry in entries:
        if entry["speaker"] != "customer":
            continue
        facts.update(entry.get("facts") or {})
        if entry.get("intent") and entry["intent"] != "nlu_fallback":
            intents[entry["intent"]] += 1
        if entry.get("emotion"):
            timeline.append(
                {"at": entry["at"].isoformat(), "label": entry["emotion"], "score": entry.get("emotion_score", 0)}
            )
    tried = [e["text"] for e in entries if e["speaker"] == "bot" and e.get("text")][-3:]
    issue = handoff.get("topic") or (intents.most_common(1)[0][0] if intents else "")
    summary = handoff.get("summary") or _extractive_summary(handoff, entries, issue)
    return {
        "summary": summary,
        "issue": issue,
        "facts": facts,
        "emotions": timeline,
        "tried": tried,
        "reasons": handoff.get("reasons", []),
    }


def _extractive_summary(handoff: dict[str, Any], entries: list[dict[str, Any]], issue: str) -> str:
    said = [e["text"] for e in entries if e["speaker"] == "customer" and e.get("text")]
    reasons = ", ".join(r.lower().replace("_", " ") for r in handoff.get("reasons", []))
    parts = [f"Escalated for: {reasons}." if reasons else ""]
    if issue:
        parts.append(f"Topic: {issue}.")
    if said:
        parts.append(f"Last customer message: “{said[-1][:160]}”")
    return " ".join(p for p in parts if p)
