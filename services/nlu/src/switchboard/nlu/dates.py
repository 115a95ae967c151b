"""Absolute and relative dates in Chinese and English, resolved to ISO dates against the message time.

Weeks start on Monday: "下周五" and "next Friday" are the Friday of next week, "上周五" and "last
Friday" the Friday of last week, "周五" and "this Friday" the Friday of this week. A bare week
("上周", "next week") resolves to its Monday.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from switchboard.core.numerals import zh_number

_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_EN_WEEKDAY = {
    name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_EN_MONTH = {
    name: i + 1
    for i, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
}
_EN_MONTH.update({name[:3]: number for name, number in list(_EN_MONTH.items())})
_EN_MONTH["sept"] = 9

_ZH_DAY_WORDS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
}
_EN_DAY_WORDS = {
    "the day before yesterday": -2,
    "yesterday": -1,
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "the day after tomorrow": 2,
}
_ZH_NUMBER = r"[0-9]+|[零〇一二两三四五六七八九十]+"
_EN_WEEKDAY_NAMES = "|".join(
    sorted(
        (*_EN_WEEKDAY, "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"), key=len, reverse=True
    )
)
_EN_MONTH_NAMES = "|".join(sorted(_EN_MONTH, key=len, reverse=True))
_NOT_WORD_BEFORE = r"(?<![A-Za-z])"
_NOT_WORD_AFTER = r"(?![A-Za-z])"


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    value: date


def _weekday_of(today: date, week_offset: int, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=week_offset)
    return monday + timedelta(days=weekday)


def _week_offset_zh(prefix: str | None) -> int:
    if not prefix:
        return 0
    if prefix.startswith("上上"):
        return -2
    if prefix.startswith("下下"):
        return 2
    return {"上": -1, "下": 1}.get(prefix[0], 0)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


Resolver = Callable[[re.Match[str], date], "date | None"]

_RULES: list[tuple[re.Pattern[str], Resolver]] = [
    (
        re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?"),
        lambda m, t: _safe_date(int(m[1]), int(m[2]), int(m[3])),
    ),
    (
        re.compile(rf"({_ZH_NUMBER})月({_ZH_NUMBER})[日号]"),
        lambda m, t: _safe_date(t.year, zh_number(m[1]), zh_number(m[2])),
    ),
    (
        re.compile(r"(上上|下下|上|下|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天末])"),
        lambda m, t: _weekday_of(t, _week_offset_zh(m[1]), _ZH_WEEKDAY[m[2]]),
    ),
    (re.compile(r"(上上|下下|上|下|这|本)个?(?:周|星期|礼拜)"), lambda m, t: _weekday_of(t, _week_offset_zh(m[1]), 0)),
    (
        re.compile(rf"({_ZH_NUMBER})天(前|以前|之前|后|以后|之后)"),
        lambda m, t: t + timedelta(days=zh_number(m[1]) * (-1 if "前" in m[2] else 1)),
    ),
    (
        re.compile("|".join(sorted(_ZH_DAY_WORDS, key=len, reverse=True))),
        lambda m, t: t + timedelta(days=_ZH_DAY_WORDS[m[0]]),
    ),
    (
        re.compile(
            rf"{_NOT_WORD_BEFORE}(?:(next|last|this|coming|past)\s+)?({_EN_WEEKDAY_NAMES}){_NOT_WORD_AFTER}\.?", re.I
        ),
        lambda m, t: _en_weekday(m, t),
    ),
    (
        re.compile(rf"{_NOT_WORD_BEFORE}(next|last|this)\s+week{_NOT_WORD_AFTER}", re.I),
        lambda m, t: _weekday_of(t, {"next": 1, "last": -1}.get(m[1].lower(), 0), 0),
    ),
    (
        re.compile(rf"{_NOT_WORD_BEFORE}in\s+(\d+)\s+days?{_NOT_WORD_AFTER}", re.I),
        lambda m, t: t + timedelta(days=int(m[1])),
    ),
    (
        re.compile(rf"{_NOT_WORD_BEFORE}(\d+)\s+days?\s+ago{_NOT_WORD_AFTER}", re.I),
        lambda m, t: t - timedelta(days=int(m[1])),
    ),
    (
        re.compile(
            rf"{_NOT_WORD_BEFORE}({_EN_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?!\d)", re.I
        ),
        lambda m, t: _safe_date(int(m[3]) if m[3] else t.year, _EN_MONTH[m[1].lower()], int(m[2])),
    ),
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_EN_MONTH_NAMES}){_NOT_WORD_AFTER}\.?(?:,?\s+(\d{{4}}))?",
            re.I,
        ),
        lambda m, t: _safe_date(int(m[3]) if m[3] else t.year, _EN_MONTH[m[2].lower()], int(m[1])),
    ),
    (
        re.compile(
            rf"{_NOT_WORD_BEFORE}(?:{'|'.join(sorted(_EN_DAY_WORDS, key=len, reverse=True))}){_NOT_WORD_AFTER}", re.I
        ),
        lambda m, t: t + timedelta(days=_EN_DAY_WORDS[m[0].lower()]),
    ),
]


def _en_weekday(match: re.Match[str], today: date) -> date | None:
    name = match[2].lower()
    weekday = next((number for full, number in _EN_WEEKDAY.items() if full.startswith(name[:3])), None)
    if weekday is None:
        return None
    modifier = (match[1] or "").lower()
    offset = {"next": 1, "last": -1, "past": -1}.get(modifier, 0)
    return _weekday_of(today, offset, weekday)


def find_dates(text: str, today: date) -> Iterator[DateMatch]:
    """Every date expression in ``text`` (longest first where they overlap), resolved against ``today``."""
    taken: list[tuple[int, int]] = []
    found: list[DateMatch] = []
    for pattern, resolve in _RULES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            value = resolve(match, today)
            if value is None:
                continue
            taken.append((start, end))
            found.append(DateMatch(start, end, value))
    yield from sorted(found, key=lambda item: item.start)
