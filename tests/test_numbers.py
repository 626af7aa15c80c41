"""The number grammar, table-driven (one row per case; every bug fix adds a row)."""

import pytest

from pipeline.numbers import parse_chinese, parse_number

# (written form, value, approx) -- forms seen in the genre
GENRE = [
    ("359", 359, False),
    ("二十三", 23, False),
    ("三百五十九", 359, False),
    ("一百二十", 120, False),
    ("十五", 15, False),
    ("两", 2, False),
    ("一千零八", 1008, False),
    ("六万二千", 62000, False),
    ("6.2万", 62000, False),
    ("1,234", 1234, False),
    ("１２３", 123, False),
    ("850余", 850, True),
    ("2000多", 2000, True),
    ("30余万", 300000, True),
    ("2.5万多", 25000, True),
    ("近6000", 6000, True),
    ("超1232万", 12320000, True),
    ("逾450", 450, True),
    ("约3.5", 3.5, True),
    ("98以上", 98, True),
    ("100左右", 100, True),
    ("1.5亿", 150000000, False),
    ("3千", 3000, False),
]
NOT_NUMBERS = ["", "万", "余", "abc", "1.2.3", "二三"]


@pytest.mark.parametrize(("text", "value", "approx"), GENRE)
def test_parse_number(text: str, value: float, approx: bool) -> None:
    assert parse_number(text) == (pytest.approx(value), approx)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_not_a_number(text: str) -> None:
    assert parse_number(text) is None


def test_chinese_numeral_with_wan_and_yi() -> None:
    assert parse_chinese("三亿零五万") == 300_050_000
