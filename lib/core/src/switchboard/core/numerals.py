"""Chinese numerals in Arabic digits, for every service that reads numbers in Chinese text."""

from __future__ import annotations

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
ZH_MYRIAD = "万"
# Every character a run of Chinese numerals is made of (for a regex character class).
ZH_NUMERALS = "".join(ZH_DIGITS) + "".join(ZH_UNITS) + ZH_MYRIAD


def zh_numeral(run: str) -> str:
    """A run of Chinese numerals in Arabic digits: digit by digit when it has no unit (二零二四 → "2024",
    零七 → "07"), else its value (三十 → "30", 十五 → "15", 一百零五 → "105", 三万 → "30000")."""
    if not any(char in ZH_UNITS or char == ZH_MYRIAD for char in run):
        return "".join(str(ZH_DIGITS[char]) for char in run)
    total = section = digit = 0
    for char in run:
        if char in ZH_DIGITS:
            digit = ZH_DIGITS[char]
        elif char == ZH_MYRIAD:
            total += (section + digit or 1) * 10000
            section = digit = 0
        else:
            section += (digit or 1) * ZH_UNITS[char]
            digit = 0
    return str(total + section + digit)


def zh_number(text: str) -> int:
    """Arabic digits or a run of Chinese numerals as a number ("3", "十二", "二十", "二零二四")."""
    return int(text) if text.isdigit() else int(zh_numeral(text))
