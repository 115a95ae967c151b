"""Every escalation reason against the tenant's rules: enabled or not, priority, queue, VIP, agent hours."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from switchboard.core.contracts import Channel, Language
from switchboard.core.tenants import AgentHours, load_tenant
from switchboard.core.testing.plugin import repo_root
from switchboard.handoff.errors import HandoffConfigError
from switchboard.handoff.rules import HandoffRules, evaluate, load_rules, within_agent_hours
from switchboard.handoff.testing import handoff_decision
from switchboard.handoff.workflow import TenantSetup

DEMO = repo_root() / "tenants" / "demo"


@pytest.fixture(scope="module")
def rules() -> HandoffRules:
    return load_rules(DEMO / "handoff.yaml")


@pytest.mark.parametrize(
    ("reason", "priority"),
    [
        ("CUSTOMER_REQUEST", 20),
        ("NEGATIVE_EMOTION", 40),
        ("REPEATED_FALLBACK", 15),
        ("SENSITIVE_INTENT", 30),
        ("VIP", 35),
        ("LOOP", 15),
        ("POLICY_EXCEPTION", 25),
        ("UNSPECIFIED", 10),
    ],
)
def test_each_reason_escalates_with_its_priority(rules: HandoffRules, reason: str, priority: int) -> None:
    escalation = evaluate(rules, handoff_decision("c", reasons=[reason]))
    assert escalation is not None
    assert (escalation.reasons, escalation.priority) == ((reason,), priority)


def test_several_reasons_outrank_one_and_keep_their_order(rules: HandoffRules) -> None:
    escalation = evaluate(rules, handoff_decision("c", reasons=["LOOP", "NEGATIVE_EMOTION", "LOOP"]))
    assert escalation.reasons == ("LOOP", "NEGATIVE_EMOTION") and escalation.priority == 45


def test_a_decision_without_reasons_reads_as_unspecified(rules: HandoffRules) -> None:
    assert evaluate(rules, handoff_decision("c", reasons=[])).reasons == ("UNSPECIFIED",)


def test_vip_customers_get_the_vip_reason(rules: HandoffRules) -> None:
    escalation = evaluate(rules, handoff_decision("c", reasons=["CUSTOMER_REQUEST"], customer_id="vip-002"))
    assert escalation.reasons == ("CUSTOMER_REQUEST", "VIP") and escalation.priority == 40


def test_disabled_reasons_do_not_escalate_alone() -> None:
    rules = HandoffRules(reasons={"LOOP": {"enabled": False}, "CUSTOMER_REQUEST": {"priority": 50}})
    assert evaluate(rules, handoff_decision("c", reasons=["LOOP"])) is None
    assert evaluate(rules, handoff_decision("c", reasons=["LOOP", "CUSTOMER_REQUEST"])).reasons == ("CUSTOMER_REQUEST",)


@pytest.mark.parametrize(
    ("topic", "queue"),
    [("refund_status", "orders"), ("complaint", "complaints"), ("chitchat", "general"), ("", "general")],
)
def test_topics_map_to_queues(rules: HandoffRules, topic: str, queue: str) -> None:
    assert evaluate(rules, handoff_decision("c", reasons=["CUSTOMER_REQUEST"], topic=topic)).queue == queue


def test_skills_come_from_the_decision(rules: HandoffRules) -> None:
    escalation = evaluate(
        rules, handoff_decision("c", reasons=["LOOP"], channel=Channel.CHANNEL_VOICE, language=Language.LANGUAGE_EN)
    )
    assert (escalation.channel, escalation.language) == ("voice", "en")


@pytest.mark.parametrize(
    ("language", "served", "default", "chosen"),
    [
        (Language.LANGUAGE_EN, ["zh", "en"], "zh", "en"),
        (Language.LANGUAGE_MIXED, ["zh", "en"], "en", "zh"),  # mixed text comes from Chinese speakers
        (Language.LANGUAGE_UNSPECIFIED, ["zh", "en"], "en", "en"),  # nothing to tell by: the tenant default
        (Language.LANGUAGE_EN, ["zh"], "zh", "zh"),  # a language the tenant does not serve: its default
    ],
)
def test_the_handoff_language_is_the_reply_language_of_the_tenant(
    rules: HandoffRules, language: int, served: list[str], default: str, chosen: str
) -> None:
    tenant = load_tenant(DEMO / "tenant.yaml").model_copy(update={"languages": served, "default_language": default})
    escalation = evaluate(rules, handoff_decision("c", reasons=["CUSTOMER_REQUEST"], language=language))
    assert TenantSetup(tenant, rules).language(escalation.language) == chosen


@pytest.mark.parametrize(
    ("utc", "inside"),
    [("2026-11-25T01:00", True), ("2026-11-25T00:59", False), ("2026-11-25T12:59", True), ("2026-11-25T13:00", False)],
)
def test_agent_hours_are_read_in_the_tenant_time_zone(utc: str, inside: bool) -> None:
    tenant = load_tenant(DEMO / "tenant.yaml")  # 09:00-21:00 Asia/Shanghai = 01:00-13:00 UTC
    assert within_agent_hours(tenant, datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)) is inside


def test_overnight_agent_hours_wrap_midnight() -> None:
    tenant = load_tenant(DEMO / "tenant.yaml")
    tenant = tenant.model_copy(update={"agent_hours": AgentHours(start="22:00", end="06:00")})
    at = lambda hour: datetime(2026, 11, 25, hour, tzinfo=timezone.utc)  # noqa: E731 - Shanghai is UTC+8
    assert within_agent_hours(tenant, at(15)) and within_agent_hours(tenant, at(21))
    assert not within_agent_hours(tenant, at(23)) and not within_agent_hours(tenant, at(4))


def test_invalid_rules_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "handoff.yaml"
    path.write_text("reasons:\n  LOOP: {priority: -1}\n")
    with pytest.raises(HandoffConfigError, match=r"handoff\.yaml"):
        load_rules(path)
    assert load_rules(tmp_path / "missing.yaml") == HandoffRules()
