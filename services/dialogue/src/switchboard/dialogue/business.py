"""Business information answered from the tenant's configuration: when human agents are on duty, in the words of
the tenant's copy (``copy.yaml``, section ``business``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from switchboard.core.copy import BusinessCopy, default_copy
from switchboard.core.tenants import AgentHours


@dataclass(frozen=True)
class AgentHoursReply:
    """What the agent-hours response is filled with."""

    start: str
    end: str
    timezone: str
    on_duty: bool
    language: str
    now_state: str

    def template_values(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end, "timezone": self.timezone, "now_state": self.now_state}


def on_duty(hours: AgentHours, now: datetime) -> bool:
    """Whether ``now`` (tenant time) falls inside the hours; an end before the start spans midnight."""
    start, end, clock = time.fromisoformat(hours.start), time.fromisoformat(hours.end), now.time()
    return start <= clock < end if start <= end else clock >= start or clock < end


def agent_hours_reply(
    hours: AgentHours, now: datetime, language: str, copy: BusinessCopy | None = None
) -> AgentHoursReply:
    """The agent hours at ``now`` (tenant time), worded by ``copy`` (the platform's when not given)."""
    copy = copy or default_copy().business
    duty = on_duty(hours, now)
    state = (copy.on_duty if duty else copy.off_duty).of(language)
    zone = copy.zone_name(str(now.tzinfo or ""), language)
    return AgentHoursReply(hours.start, hours.end, zone, duty, language, state)
