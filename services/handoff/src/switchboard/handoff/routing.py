"""Who waits first and for how long: effective priority, queue position, estimated wait, next chat.

Pure functions over handoff documents (see ``handoffs``): priority grows with waiting time
(``aging_per_minute``) so a calm customer is never starved by a stream of urgent ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from switchboard.handoff.agents import Agent


def effective_priority(handoff: dict[str, Any], now: datetime, aging_per_minute: float) -> float:
    waited_min = max((now - handoff["queued_at"]).total_seconds(), 0.0) / 60.0
    return handoff["priority"] + aging_per_minute * waited_min


def ordered(queued: Iterable[dict[str, Any]], now: datetime, aging_per_minute: float) -> list[dict[str, Any]]:
    """Highest effective priority first; ties go to whoever waited longest, then by id (stable)."""
    return sorted(queued, key=lambda h: (-effective_priority(h, now, aging_per_minute), h["queued_at"], h["_id"]))


def positions(queued: Iterable[dict[str, Any]], now: datetime, aging_per_minute: float) -> dict[str, int]:
    """Handoff id -> 1-based position within its own queue."""
    seen: dict[str, int] = {}
    result = {}
    for handoff in ordered(queued, now, aging_per_minute):
        seen[handoff["queue"]] = seen.get(handoff["queue"], 0) + 1
        result[handoff["_id"]] = seen[handoff["queue"]]
    return result


def estimated_wait_s(position: int, serving_agents: int, average_handle_s: int) -> int:
    """Rounds of chats ahead, each lasting one average handling time across the agents on duty."""
    return math.ceil(position / max(serving_agents, 1)) * average_handle_s


def can_serve(agent: Agent, handoff: dict[str, Any]) -> bool:
    return agent.can_serve(queue=handoff["queue"], language=handoff["language"], channel=handoff["channel_name"])


def next_for(
    agent: Agent, queued: Iterable[dict[str, Any]], now: datetime, aging_per_minute: float
) -> dict[str, Any] | None:
    """The waiting chat ``agent`` should take next: the first in priority order they have the skills for."""
    for handoff in ordered(queued, now, aging_per_minute):
        if can_serve(agent, handoff):
            return handoff
    return None
