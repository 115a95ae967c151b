"""Queue order, positions and estimated waits, and skill matching, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from switchboard.handoff import routing
from switchboard.handoff.agents import Agent

NOW = datetime(2026, 11, 25, 4, tzinfo=timezone.utc)


def handoff(
    hid: str, priority: int, waited_min: float, queue: str = "general", language: str = "zh", channel: str = "web"
) -> dict:
    return {
        "_id": hid,
        "priority": priority,
        "queued_at": NOW - timedelta(minutes=waited_min),
        "queue": queue,
        "language": language,
        "channel_name": channel,
    }


def agent(**skills) -> Agent:
    return Agent(
        tenant_id="demo",
        id="a",
        name="A",
        role="agent",
        team="support",
        capacity=2,
        languages=skills.get("languages", ("zh", "en")),
        channels=skills.get("channels", ("web",)),
        queues=skills.get("queues", ("general",)),
        presence="online",
    )


def test_priority_then_waiting_time_orders_the_queue() -> None:
    queued = [handoff("calm", 20, 1), handoff("angry", 40, 0), handoff("older-calm", 20, 2)]
    assert [h["_id"] for h in routing.ordered(queued, NOW, 0)] == ["angry", "older-calm", "calm"]


def test_aging_lets_a_long_wait_overtake() -> None:
    queued = [handoff("angry", 40, 0), handoff("calm", 20, 11)]
    assert [h["_id"] for h in routing.ordered(queued, NOW, 2)] == ["calm", "angry"]


def test_positions_count_within_each_queue() -> None:
    queued = [handoff("a", 40, 0), handoff("b", 20, 0, queue="orders"), handoff("c", 10, 0)]
    assert routing.positions(queued, NOW, 0) == {"a": 1, "c": 2, "b": 1}


def test_estimated_wait_spreads_over_agents_on_duty() -> None:
    assert routing.estimated_wait_s(1, 0, 240) == 240
    assert routing.estimated_wait_s(3, 2, 240) == 480
    assert routing.estimated_wait_s(2, 2, 240) == 240


def test_next_for_skips_chats_without_matching_skills() -> None:
    queued = [
        handoff("voice", 50, 0, channel="voice"),
        handoff("en", 30, 0, language="en"),
        handoff("orders", 45, 0, queue="orders"),
        handoff("zh", 10, 0),
    ]
    assert routing.next_for(agent(languages=("zh",)), queued, NOW, 0)["_id"] == "zh"
    assert routing.next_for(agent(queues=("general", "orders")), queued, NOW, 0)["_id"] == "orders"
    assert routing.next_for(agent(channels=("web", "voice")), queued, NOW, 0)["_id"] == "voice"
    assert routing.next_for(agent(), [], NOW, 0) is None


def test_supervisors_serve_no_queue() -> None:
    supervisor = replace(agent(languages=("zh",)), id="s", name="S", role="supervisor", capacity=0)
    assert routing.next_for(supervisor, [handoff("x", 10, 0)], NOW, 0) is None
