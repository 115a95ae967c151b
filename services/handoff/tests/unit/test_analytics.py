"""Floor bookkeeping on a scripted set of conversation events, figures worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

from switchboard.handoff.analytics import LATENESS_S, FloorEvent, FloorLedger, csat_score

T0 = datetime(2026, 11, 25, 2, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0
_ids = count()


def ev(kind: str, conversation: str, customer: str, hour: float, **fields) -> FloorEvent:
    return FloorEvent(
        kind=kind,
        event_id=f"e{next(_ids)}",
        tenant_id="demo",
        conversation_id=conversation,
        customer_id=customer,
        at=T0 + hour * HOUR,
        **fields,
    )


def said(conversation: str, customer: str, hour: float, csat: int | None = None) -> FloorEvent:
    return ev("message", conversation, customer, hour, csat=csat)


def handoff(
    conversation: str,
    customer: str,
    reasons: tuple[str, ...],
    queued: float,
    assigned: float | None = None,
    returned: float | None = None,
) -> list[FloorEvent]:
    steps = [
        ev("escalated", conversation, customer, queued, reasons=reasons),
        ev("queued", conversation, customer, queued),
    ]
    if assigned is not None:
        steps.append(ev("assigned", conversation, customer, assigned))
    if returned is not None:
        steps.append(ev("returned", conversation, customer, returned))
    return steps


def scripted() -> list[FloorEvent]:
    minute = 1 / 60
    return [
        # a: solved by the bot, u1 never came back.
        said("a", "u1", 0),
        said("a", "u1", 2 * minute),
        ev("reply", "a", "u1", 1 * minute, source="TEMPLATE"),
        # b: solved as far as the bot knew, but u2 came back 3 h later on another channel (c): re-contacted.
        said("b", "u2", 0),
        said("c", "u2", 3),
        # c escalated (customer request): waited 4 min, handled 10 min, CSAT 5.
        *handoff("c", "u2", ("CUSTOMER_REQUEST",), 3 + minute, 3 + 5 * minute, 3 + 15 * minute),
        ev("reply", "c", "u2", 3 + 6 * minute, source="AGENT"),
        said("c", "u2", 3 + 16 * minute, csat=5),
        # d: angry + sensitive, escalated twice for the same conversation; waited 2 min, handled 6 min, CSAT 1.
        said("d", "u3", 10 * minute),
        *handoff("d", "u3", ("NEGATIVE_EMOTION", "SENSITIVE_INTENT"), 11 * minute, 13 * minute, 19 * minute),
        ev("escalated", "d", "u3", 12 * minute, reasons=("NEGATIVE_EMOTION",)),
        said("d", "u3", 30 * minute, csat=1),
        # e: u3 came back 30 h later, too late to be d's re-contact; e itself settles as automated at hour 54.
        said("e", "u3", 30),
        # f: one message of u4 at hour 40, not 24 h old at hour 60: pending (counted as automated provisionally).
        said("f", "u4", 40),
    ]


def ledger_of(events: list[FloorEvent]) -> tuple[FloorLedger, dict, dict, dict]:
    conversations: dict = {}
    customers: dict = {}
    tenants: dict = {}
    ledger = FloorLedger(conversations, customers, tenants)
    for event in events:
        ledger.apply(event)
    return ledger, conversations, customers, tenants


def test_figures_of_the_scripted_conversations() -> None:
    ledger, conversations, _, _ = ledger_of(scripted())
    figures = ledger.figures("demo", now=T0 + 60 * HOUR)
    assert figures.conversations == 6  # a b c d e f
    # a and e settled automated, f pending; b came back within 24 h; c and d were handed off.
    assert (figures.automated_settled, figures.pending, figures.automated, figures.recontacted) == (2, 1, 3, 1)
    assert (figures.automation_rate, figures.automation_rate_settled) == (0.5, 0.4)
    assert figures.handoffs == 2
    assert figures.handoffs_by_reason == {"CUSTOMER_REQUEST": 1, "NEGATIVE_EMOTION": 1, "SENSITIVE_INTENT": 1}
    assert figures.handoff_rate_by_reason == {
        "CUSTOMER_REQUEST": round(1 / 6, 4),
        "NEGATIVE_EMOTION": round(1 / 6, 4),
        "SENSITIVE_INTENT": round(1 / 6, 4),
    }
    assert figures.waiting_s == {"count": 2, "average": 180.0, "median": 180.0}
    assert figures.handling_s == {"count": 2, "average": 480.0, "median": 480.0}
    assert (figures.csat_average, figures.csat_responses) == (3.0, 2)
    assert figures.csat_distribution == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert figures.replies_by_source == {"AGENT": 1, "TEMPLATE": 1}
    # e is still stored as pending (no event came after hour 54): reading at hour 60 settles it.
    assert {k: c["status"] for k, c in conversations.items()} == {
        "demo/a": "automated",
        "demo/b": "recontacted",
        "demo/c": "handed_off",
        "demo/d": "handed_off",
        "demo/e": "pending",
        "demo/f": "pending",
    }
    # The chart covers the 24 hours up to now: f's conversation at hour 40; e's at hour 30 is older.
    assert len(figures.hourly) == 24
    charted = [(h["conversations"], h["handoffs"]) for h in figures.hourly if h["conversations"] or h["handoffs"]]
    assert charted == [(1, 0)]


def test_pending_settles_with_time_and_a_late_recontact_still_counts() -> None:
    ledger, _, _, _ = ledger_of([said("x", "u9", 0), said("x", "u9", 1)])
    early = ledger.figures("demo", now=T0 + 2 * HOUR)
    assert (early.pending, early.automated, early.automated_settled) == (1, 1, 0)
    assert ledger.figures("demo", now=T0 + 25 * HOUR).automated_settled == 1  # 24 h after the last message
    # u9 comes back on another conversation 20 h after x's last message: x was not solved after all.
    ledger.apply(said("y", "u9", 21))
    figures = ledger.figures("demo", now=T0 + 22 * HOUR)
    assert (figures.conversations, figures.recontacted, figures.automated, figures.pending) == (2, 1, 1, 1)


def test_an_event_stream_settles_conversations_by_event_time() -> None:
    ledger, conversations, _, tenants = ledger_of([said("x", "u9", 0), said("z", "u8", 30)])
    assert conversations["demo/x"]["status"] == "automated"  # settled by the later event's time
    assert tenants["demo"]["pending"] == {"z": T0 + 30 * HOUR}
    assert ledger.figures("demo", now=T0 + 30 * HOUR).automated_settled == 1


def test_customers_keep_only_what_a_late_event_could_still_re_contact() -> None:
    kept = 24 + LATENESS_S / HOUR
    _, _, customers, _ = ledger_of([said("x", "u9", 0), said("y", "u9", 30)])
    assert set(customers["demo/u9"]) == {"x", "y"}
    _, _, customers, _ = ledger_of([said("x", "u9", 0), said("y", "u9", kept + 1)])
    assert customers["demo/u9"] == {"y": [T0 + (kept + 1) * HOUR, T0 + (kept + 1) * HOUR]}


def test_a_re_contact_counts_whatever_order_the_partitions_deliver_in() -> None:
    # b (hour 0) and its re-contact c (hour 3) sit on other partitions than g (hour 30): the stream may
    # read g first, then c, then b, long after b's 24 h by the latest event time.
    events = [said("g", "u7", 30), said("c", "u2", 3), said("b", "u2", 0)]
    ledger, _, _, _ = ledger_of(events)
    figures = ledger.figures("demo", now=T0 + 60 * HOUR)
    assert figures.recontacted == 1
    assert figures.automated_settled == 2  # c and g; b came back


def test_tenants_are_apart() -> None:
    ledger, _, _, _ = ledger_of([said("x", "u9", 0), FloorEvent("message", "e-acme", "acme", "x", "u9", T0 + HOUR)])
    assert ledger.figures("demo", T0 + 2 * HOUR).conversations == 1
    assert ledger.figures("acme", T0 + 2 * HOUR).conversations == 1
    # acme's message of the same customer id is not demo's re-contact.
    assert ledger.figures("demo", T0 + 2 * HOUR).recontacted == 0


def test_no_conversations_no_division_by_zero() -> None:
    figures = FloorLedger({}, {}, {}).figures("demo", T0)
    assert (figures.conversations, figures.automation_rate, figures.csat_average) == (0, 0.0, None)
    assert figures.waiting_s["count"] == 0


def test_records_round_trip() -> None:
    event = ev("escalated", "c", "u2", 1, reasons=("VIP", "LOOP"))
    assert FloorEvent.from_record(event.as_record()) == event


def test_csat_payloads() -> None:
    assert csat_score('/csat{"score":4}') == 4
    for text in ("/csat{}", "/csat{bad", '/csat{"score":"5"}', '/csat{"score":0}', "5 stars 🙂", ""):
        assert csat_score(text) is None
