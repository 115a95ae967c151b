"""Agent hours from the tenant's configuration: on duty or not, in the tenant's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from switchboard.core.copy import parse_copy
from switchboard.core.tenants import AgentHours
from switchboard.dialogue.business import agent_hours_reply, on_duty

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 18, hour, minute, tzinfo=SHANGHAI)


def test_on_duty_inside_the_hours_only() -> None:
    hours = AgentHours(start="09:00", end="21:00")
    assert on_duty(hours, at(9)) and on_duty(hours, at(20, 59))
    assert not on_duty(hours, at(21)) and not on_duty(hours, at(8, 59))


def test_hours_across_midnight() -> None:
    hours = AgentHours(start="22:00", end="06:00")
    assert on_duty(hours, at(23)) and on_duty(hours, at(5))
    assert not on_duty(hours, at(12))


def test_the_reply_carries_the_configured_hours_in_the_customers_language() -> None:
    values = agent_hours_reply(AgentHours(start="08:30", end="20:00"), at(22), "en").template_values()
    assert (values["start"], values["end"], values["timezone"]) == ("08:30", "20:00", "Beijing time")
    assert "call you back" in values["now_state"]
    assert agent_hours_reply(AgentHours(), at(10), "zh").template_values()["timezone"] == "北京时间"


def test_the_tenants_copy_words_the_reply_and_names_its_zone() -> None:
    copy, problems = parse_copy(
        {
            "business": {
                "zone_names": {"Europe/Berlin": {"zh": "柏林时间", "en": "Berlin time"}},
                "off_duty": {"en": "closed; write to us and we call back"},
            }
        }
    )
    assert problems == [] and copy is not None
    berlin = datetime(2026, 6, 18, 23, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    values = agent_hours_reply(AgentHours(), berlin, "en", copy.business).template_values()
    assert (values["timezone"], values["now_state"]) == ("Berlin time", "closed; write to us and we call back")
    # A zone the copy does not name is said by its id; Beijing time stays named (the defaults merge in).
    assert agent_hours_reply(AgentHours(), at(10), "en", copy.business).template_values()["timezone"] == "Beijing time"
    tokyo = datetime(2026, 6, 18, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert agent_hours_reply(AgentHours(), tokyo, "zh", copy.business).template_values()["timezone"] == "Asia/Tokyo"
