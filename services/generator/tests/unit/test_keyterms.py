"""Key terms point at the section whose topic the question names; the longer of two overlapping terms wins."""

from __future__ import annotations

from switchboard.core.testing import full_width
from switchboard.generator.keyterms import matched_terms, passage_terms

FEE = passage_terms("shipping.zh.md#运费", "运费", ["包邮", "免运费"])
RETURN_FEE = passage_terms("returns.zh.md#退货运费", "退货运费", ["运费谁出"])
FEES_EN = passage_terms("shipping.en.md#shipping-fees", "Shipping fees", ["free shipping", "spend"])
RETURN_EN = passage_terms("returns.en.md#return-shipping", "Return shipping", ["who pays"])
DISPATCH = passage_terms("shipping.en.md#dispatch-times", "Dispatch times", ["dispatch"])
SETS = (FEE, RETURN_FEE, FEES_EN, RETURN_EN, DISPATCH)


def test_a_term_inside_a_longer_match_of_another_passage_does_not_count() -> None:
    assert matched_terms("退货运费谁出？", SETS) == {"returns.zh.md#退货运费": ("运费谁出", "退货运费")}
    assert matched_terms("买多少钱可以免运费", SETS) == {"shipping.zh.md#运费": ("免运费", "运费")}


def test_english_terms_match_at_a_word_start_in_any_case_and_inflection() -> None:
    assert matched_terms("How soon after paying is it DISPATCHED?", SETS) == {
        "shipping.en.md#dispatch-times": ("dispatch",)
    }
    assert "returns.en.md#return-shipping" in matched_terms("Who pays the return shipping?", SETS)
    assert "shipping.en.md#shipping-fees" not in matched_terms("Who pays the return shipping?", SETS)
    assert matched_terms("I overspend", SETS) == {}


def test_full_width_text_is_folded() -> None:
    assert matched_terms(full_width("free shipping"), SETS) == {"shipping.en.md#shipping-fees": ("free shipping",)}


def test_a_term_of_joined_words_matches_them_in_one_clause_and_covers_the_single_word_term() -> None:
    fee = passage_terms("shipping.zh.md#运费", "运费", ["邮费"])
    returned = passage_terms("returns.zh.md#退货运费", "退货运费", ["寄回+运费", "退+邮费"])
    assert matched_terms("要是退的话，寄回去的运费算谁的", (fee, returned)) == {
        "returns.zh.md#退货运费": ("寄回+运费",)
    }
    assert matched_terms("退回去的邮费还要我出吗", (fee, returned)) == {"returns.zh.md#退货运费": ("退+邮费",)}
    # In different clauses the words ask different things: the single-word term keeps its match.
    assert matched_terms("我想寄回，另外运费多少", (fee, returned)) == {"shipping.zh.md#运费": ("运费",)}
