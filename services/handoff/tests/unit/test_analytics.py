"""Floor figures on a scripted set of conversations, worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from switchboard.handoff.analytics import compute, csat_score

T0 = datetime(2026, 11, 25, 2, tzinfo=timezone.utc)


def said(conversation: str, customer: str, minute: float, text: str = "你好") -> dict:
    return {"speaker": "customer", "conversation_id": conversation, "customer_id": customer,
            "at": T0 + timedelta(minutes=minute), "text": text}


def handoff(conversation: str, reasons: list[str], queued: float, assigned: float | None = None,
            resolved: float | None = None, state: str = "resolved") -> dict:
    at = lambda minute: None if minute is None else T0 + timedelta(minutes=minute)  # noqa: E731
    return {"conversation_id": conversation, "reasons": reasons, "queued_at": at(queued), "assigned_at": at(assigned),
            "resolved_at": at(resolved), "state": state}


def scripted() -> tuple[list[dict], list[dict]]:
    entries = [
        # a: solved by the bot, customer never came back.
        said("a", "u1", 0), said("a", "u1", 2, "thanks"),
        # b: solved by the bot as far as it knew, but u2 came back on another channel 3 h later (c): not automated.
        said("b", "u2", 0), said("c", "u2", 180, "还是没收到"),
        # c escalated (customer request): waited 4 min, handled 10 min, CSAT 5.
        said("c", "u2", 195, '/csat{"score":5}'),
        # d: angry + sensitive, waited 2 min, handled 6 min, CSAT 1; e: u3 came back 30 h later: d's re-contact too late.
        said("d", "u3", 10, "投诉!"), said("d", "u3", 30, '/csat{"score":1}'), said("e", "u3", 30 * 60),
        # f: a bot bubble and a bad CSAT payload do not count.
        said("f", "u4", 5, "/csat{\"score\":9}"),
        {"speaker": "bot", "conversation_id": "f", "customer_id": "u4", "at": T0, "text": '/csat{"score":3}'},
    ]
    handoffs = [
        handoff("c", ["CUSTOMER_REQUEST"], 181, 185, 195),
        handoff("d", ["NEGATIVE_EMOTION", "SENSITIVE_INTENT"], 11, 13, 19),
        handoff("d", ["LOOP"], 12, state="merged"),
    ]
    return entries, handoffs


def test_figures_of_the_scripted_conversations() -> None:
    figures = compute(*scripted())
    assert figures.conversations == 6  # a b c d e f
    # a, e, f automated; b came back within 24 h; c and d were handed off.
    assert (figures.automated, figures.automation_rate) == (3, 0.5)
    assert figures.handoffs == 2
    assert figures.handoff_rate_by_reason == {"CUSTOMER_REQUEST": round(1 / 6, 4), "NEGATIVE_EMOTION": round(1 / 6, 4),
                                              "SENSITIVE_INTENT": round(1 / 6, 4)}
    assert figures.waiting_s == {"count": 2, "average": 180.0, "median": 180.0}
    assert figures.handling_s == {"count": 2, "average": 480.0, "median": 480.0}
    assert (figures.csat_average, figures.csat_responses) == (3.0, 2)


def test_no_conversations_no_division_by_zero() -> None:
    figures = compute([], [])
    assert (figures.conversations, figures.automation_rate, figures.csat_average) == (0, 0.0, None)
    assert figures.waiting_s["count"] == 0


def test_csat_payloads() -> None:
    assert csat_score('/csat{"score":4}') == 4
    for text in ("/csat{}", "/csat{bad", '/csat{"score":"5"}', '/csat{"score":0}', "5 stars 🙂", ""):
        assert csat_score(text) is None
