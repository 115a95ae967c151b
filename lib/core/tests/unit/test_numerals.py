"""Chinese numerals read the same way in every service."""

import pytest

from switchboard.core.numerals import zh_number, zh_numeral


@pytest.mark.parametrize(
    ("run", "digits"),
    [
        ("七", "7"),
        ("十", "10"),
        ("十五", "15"),
        ("二十", "20"),
        ("三十", "30"),
        ("二十五", "25"),
        ("一百零五", "105"),
        ("两千", "2000"),
        ("三万", "30000"),
        ("二零二四", "2024"),
        ("二〇二四", "2024"),
        ("零七", "07"),
    ],
)
def test_a_run_of_chinese_numerals_in_arabic_digits(run: str, digits: str) -> None:
    assert zh_numeral(run) == digits


def test_numbers_from_either_script() -> None:
    assert (zh_number("3"), zh_number("12"), zh_number("十二"), zh_number("零七")) == (3, 12, 12, 7)
