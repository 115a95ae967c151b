"""Floor figures for supervisors: automation rate, handoff rate by reason, waiting and handling times, CSAT.

Computed from what the service already stores (the transcript and the handoffs), so the figures
survive restarts and need no state of their own. Definitions:
- a conversation is *automated* when no handoff was opened for it and the same customer did not come
  back within 24 h after its last message, on any channel (a re-contact means the bot did not solve it);
- *handoff rate* per reason: conversations escalated for that reason / all conversations;
- *waiting time*: queued -> first assigned; *handling time*: assigned -> resolved (returned to the bot);
- *CSAT*: the scores customers gave with the CSAT quick replies (``/csat{"score": n}``), 1 to 5.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean, median
from typing import Any

RECONTACT_WINDOW = timedelta(hours=24)
CSAT_PAYLOAD = re.compile(r"^/csat(\{.*\})$")


@dataclass(frozen=True, slots=True)
class Figures:
    conversations: int
    automated: int
    automation_rate: float
    handoffs: int
    handoff_rate_by_reason: dict[str, float]
    waiting_s: dict[str, float]
    handling_s: dict[str, float]
    csat_average: float | None
    csat_responses: int

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def csat_score(text: str) -> int | None:
    match = CSAT_PAYLOAD.match(text.strip())
    if not match:
        return None
    try:
        score = json.loads(match.group(1)).get("score")
    except (ValueError, AttributeError):
        return None
    return score if isinstance(score, int) and 1 <= score <= 5 else None


def _durations(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0, "average": 0.0, "median": 0.0}
    return {"count": len(values), "average": round(mean(values), 1), "median": round(median(values), 1)}


def compute(entries: Iterable[dict[str, Any]], handoffs: Iterable[dict[str, Any]]) -> Figures:
    """Figures of one tenant from its transcript entries and handoff documents."""
    spans: dict[str, list[datetime]] = {}
    customer_of: dict[str, str] = {}
    scores = []
    for entry in entries:
        if entry.get("speaker") != "customer":
            continue
        conversation = entry["conversation_id"]
        first_last = spans.setdefault(conversation, [entry["at"], entry["at"]])
        first_last[0], first_last[1] = min(first_last[0], entry["at"]), max(first_last[1], entry["at"])
        customer_of[conversation] = entry.get("customer_id", "")
        score = csat_score(entry.get("text") or "")
        if score is not None:
            scores.append(score)
    escalated: dict[str, set[str]] = defaultdict(set)
    waiting, handling = [], []
    for handoff in handoffs:
        if handoff.get("state") in ("merged", "callback"):
            continue
        escalated[handoff["conversation_id"]].update(handoff.get("reasons", []))
        if handoff.get("assigned_at"):
            waiting.append((handoff["assigned_at"] - handoff["queued_at"]).total_seconds())
            if handoff.get("resolved_at"):
                handling.append((handoff["resolved_at"] - handoff["assigned_at"]).total_seconds())
    starts_by_customer: dict[str, list[datetime]] = defaultdict(list)
    for conversation, (first, _) in spans.items():
        starts_by_customer[customer_of[conversation]].append(first)

    def came_back(conversation: str) -> bool:
        last = spans[conversation][1]
        return any(last < start <= last + RECONTACT_WINDOW for start in starts_by_customer[customer_of[conversation]])

    total = len(spans)
    automated = sum(1 for c in spans if c not in escalated and not came_back(c))
    reasons = Counter(reason for c, rs in escalated.items() if c in spans for reason in rs)
    return Figures(
        conversations=total,
        automated=automated,
        automation_rate=round(automated / total, 4) if total else 0.0,
        handoffs=sum(1 for c in escalated if c in spans),
        handoff_rate_by_reason={r: round(n / total, 4) for r, n in sorted(reasons.items())} if total else {},
        waiting_s=_durations(waiting),
        handling_s=_durations(handling),
        csat_average=round(mean(scores), 2) if scores else None,
        csat_responses=len(scores),
    )
