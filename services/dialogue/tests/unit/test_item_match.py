"""Loose, bilingual matching of the item a customer names against an order's items."""

from __future__ import annotations

import pytest
from actions.item_match import ItemNames, match_item, names_of

WATCH = ItemNames("watch", names_of("FitWatch S2", ["智能手表", "Smart watch"], ["手表", "watch", "FitWatch"]))
BOTTLE = ItemNames("bottle", names_of("保温杯", ["保温杯", "Insulated bottle"], ["杯子", "bottle"]))
TOTE = ItemNames("tote", names_of("帆布包", ["帆布包", "Canvas tote bag"], ["包", "tote", "bag"]))


@pytest.mark.parametrize(
    "text", ["the smart watch", "the watch", "手表", "FitWatch", "fitwatch s2", "那个手表", "智能手表", "My Watch."]
)
def test_every_wording_of_the_watch_names_it(text: str) -> None:
    assert match_item([WATCH], text) == "watch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the bottle", "bottle"),
        ("杯子", "bottle"),
        ("保温杯吧", "bottle"),
        ("包", "tote"),
        ("the tote bag", "tote"),
        # Colloquial: a reduplicated character, "的" inside the name.
        ("包包", "tote"),
        ("那个帆布的包", "tote"),
        ("保温的杯子", "bottle"),
    ],
)
def test_the_right_one_of_two_items(text: str, expected: str) -> None:
    assert match_item([BOTTLE, TOTE], text) == expected


@pytest.mark.parametrize("text", ["phone", "耳机", "", "the"])
def test_names_of_other_products_match_nothing(text: str) -> None:
    assert match_item([WATCH, BOTTLE, TOTE], text) is None


def test_a_wording_that_fits_two_items_matches_neither() -> None:
    red = ItemNames("red", ("red mug",))
    blue = ItemNames("blue", ("blue mug",))
    assert match_item([red, blue], "mug") is None
