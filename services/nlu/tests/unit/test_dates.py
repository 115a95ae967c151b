"""Dates in both languages resolve against the message's day; weeks start on Monday."""

from datetime import date

import pytest

from switchboard.nlu.dates import find_dates, zh_number

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("明天能到吗", "明天", "2026-11-26"),
        ("我上周五买的", "上周五", "2026-11-20"),
        ("下周一送到", "下周一", "2026-11-30"),
        ("周日有人吗", "周日", "2026-11-29"),
        ("三天前下的单", "三天前", "2026-11-22"),
        ("十二月3号", "十二月3号", "2026-12-03"),
        ("2026年1月5日", "2026年1月5日", "2026-01-05"),
        ("deliver next Friday", "next Friday", "2026-12-04"),
        ("I ordered last friday", "last friday", "2026-11-20"),
        ("it came yesterday", "yesterday", "2026-11-24"),
        ("on Dec 3rd please", "Dec 3rd", "2026-12-03"),
        ("5 March 2025", "5 March 2025", "2025-03-05"),
        ("in 3 days", "in 3 days", "2026-11-28"),
        ("the day after tomorrow", "the day after tomorrow", "2026-11-27"),
    ],
)
def test_dates(text: str, surface: str, expected: str) -> None:
    [found] = list(find_dates(text, WEDNESDAY))
    assert (text[found.start : found.end], found.value.isoformat()) == (surface, expected)


def test_impossible_dates_and_plain_words_are_not_dates() -> None:
    assert list(find_dates("2月30号", WEDNESDAY)) == []
    assert next(iter(find_dates("May I sit on the sofa on Sunday", WEDNESDAY))).value == date(2026, 11, 29)
    assert len(list(find_dates("May I ask something", WEDNESDAY))) == 0


def test_chinese_numerals() -> None:
    assert [zh_number(t) for t in ("三", "十", "十二", "二十", "二十五", "12")] == [3, 10, 12, 20, 25, 12]
