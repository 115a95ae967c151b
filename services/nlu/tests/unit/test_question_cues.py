"""Form cues: a question about how the shop works against a request about the customer's own order."""

import pytest

from switchboard.nlu.question_cues import cues


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how long does a refund usually take?", ["q_mark", "general", "q_start"]),
        ("退款一般几天到账？", ["q_mark", "q_zh", "general"]),
        ("如果退货的话运费谁出", ["q_zh", "cond"]),
        ("\uff28\uff2f\uff37 long is the warranty\uff1f", ["q_mark", "q_start"]),  # full-width folds
        ("please issue the invoice for order SB1001", ["order_id", "request"]),
        ("帮我开一下这个订单的发票", ["own", "request"]),
        ("想问一下退款多久到", ["q_zh", "ask"]),
        ("你好", []),
    ],
)
def test_questions_and_requests_show_their_cues(text: str, expected: list[str]) -> None:
    assert cues(text) == expected


def test_a_question_about_the_customers_own_order_also_gets_the_pairs() -> None:
    assert cues("where is my refund for SB1002") == [
        "order_id",
        "own",
        "q_start",
        "q_start+order_id",
        "q_start+own",
    ]


def test_a_question_wrapped_as_a_request_shows_both() -> None:
    found = cues("could you tell me how invoices work")
    assert {"ask", "request", "q_start", "ask+request"} <= set(found)
