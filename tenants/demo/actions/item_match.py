"""Which item of an order a customer means: names in either language, aliases, and loose wording
("the watch", "手表", "FitWatch" all name FitWatch S2 / 智能手表)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Words that say nothing about which item: articles, possessives, demonstratives, measure words.
_FILLER_EN = {"the", "a", "an", "my", "this", "that", "one", "item", "it", "please", "i", "want", "to", "return"}
_FILLER_ZH = re.compile(r"^(我要退|我想退|退|那个|这个|那件|这件|那只|这只|我的|一个|一件)+|(吧|呢|啊|了)+$")
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]+")
# Chinese words shorter than this match only whole names, so "包" does not pick every bag.
_MIN_ZH_PART = 2


@dataclass(frozen=True)
class ItemNames:
    """Every name an order item goes by: its canonical product, its localized names, its aliases."""

    key: str
    names: tuple[str, ...]


# Reduplicated characters of colloquial Chinese ("包包", "杯杯") name the same thing once.
_REDUPLICATED = re.compile(r"([\u4e00-\u9fff])\1+")
# "的" between the parts of a name ("帆布的包" for 帆布包).
_DE = re.compile(r"(?<=[\u4e00-\u9fff])的(?=[\u4e00-\u9fff])")


def normalize(text: str) -> str:
    """Lower case, no punctuation, no filler words: what is left to compare."""
    folded = text.strip().casefold()
    folded = _FILLER_ZH.sub("", folded)
    folded = _DE.sub("", _REDUPLICATED.sub(r"\1", folded))
    words = [word for word in _WORD.findall(folded) if word not in _FILLER_EN]
    return " ".join(words)


def _matches(wanted: str, name: str) -> bool:
    if not wanted or not name:
        return False
    if wanted == name:
        return True
    wanted_words, name_words = set(wanted.split()), set(name.split())
    if wanted_words <= name_words or name_words <= wanted_words:
        return True
    # Chinese without spaces: one name inside the other ("手表" in "智能手表").
    chinese = [part for part in (wanted, name) if re.fullmatch(r"[\u4e00-\u9fff]+", part)]
    if len(chinese) == 2 and min(len(wanted), len(name)) >= _MIN_ZH_PART:
        return wanted in name or name in wanted
    return False


def match_item(items: Sequence[ItemNames], text: str) -> str | None:
    """The key of the one item ``text`` names; None when it names none or is ambiguous."""
    wanted = normalize(text)
    exact = [item.key for item in items if any(wanted == normalize(name) for name in item.names)]
    if len(exact) == 1:
        return exact[0]
    loose = [item.key for item in items if any(_matches(wanted, normalize(name)) for name in item.names)]
    return loose[0] if len(set(loose)) == 1 else None


def names_of(product: str, localized: Iterable[str], aliases: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([product, *localized, *aliases]))
