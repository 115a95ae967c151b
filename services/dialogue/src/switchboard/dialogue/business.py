"""Business information answered from the tenant's configuration: when human agents are on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from switchboard.core.tenants import AgentHours

_ZONE_NAMES = {"zh": "北京时间", "en": "Beijing time"}
_STATE = {
    ("zh", True): "人工客服在线，说“转人工”即可",
    ("zh", False): "不在服务时间，您可以留言，我们会在服务时间内回电",
    ("en", True): 'agents are on duty, just say "agent"',
    ("en", False): "outside these hours; leave a message and we will call you back",
}


@dataclass(frozen=True)
class AgentHoursReply:
    """What the agent-hours response is filled with."""

    start: str
    end: str
    timezone: str
    on_duty: bool
    language: str

    def template_values(self) -> dict[str, str]:
        return {
            "start": self.start,
            "end": self.end,
            "timezone": self.timezone,
            "now_state": _STATE[(self.language, self.on_duty)],
        }


def on_duty(hours: AgentHours, now: datetime) -> bool:
    """Whether ``now`` (tenant time) falls inside the hours; an end before the start spans midnight."""
    start, end, clock = time.fromisoformat(hours.start), time.fromisoformat(hours.end), now.time()
    return start <= clock < end if start <= end else clock >= start or clock < end


def agent_hours_reply(hours: AgentHours, now: datetime, language: str) -> AgentHoursReply:
    zone = str(now.tzinfo or "")
    name = _ZONE_NAMES[language] if zone == "Asia/Shanghai" else zone
    return AgentHoursReply(hours.start, hours.end, name, on_duty(hours, now), language)
