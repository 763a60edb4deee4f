import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careflow.fy import FinancialYear, fy_range


@pytest.mark.parametrize("text", ["2025-26", "2025/26", "25/26", "2025 to 2026", "2025/2026", "FY2025-26", " 25-26 "])
def test_parse_accepts_the_labels_councils_write(text):
    assert FinancialYear.parse(text) == FinancialYear(2025)


@pytest.mark.parametrize("text", ["2025-27", "2025", "26/25", "abc", "2099-2101", ""])
def test_parse_rejects_non_consecutive_or_junk(text):
    with pytest.raises(ValueError):
        FinancialYear.parse(text)


def test_label_prose_and_bounds():
    fy = FinancialYear(2025)
    assert fy.label == "2025-26"
    assert fy.prose == "2025 to 2026"
    assert fy.start == dt.date(2025, 4, 1)
    assert fy.end == dt.date(2026, 3, 31)
    assert fy.days == 365
    assert FinancialYear(2023).days == 366  # includes 29 February 2024
    assert FinancialYear.parse("1999-00") == FinancialYear(1999)


def test_containing_and_collection_year():
    assert FinancialYear.containing(dt.date(2026, 3, 31)) == FinancialYear(2025)
    assert FinancialYear.containing(dt.date(2026, 4, 1)) == FinancialYear(2026)
    assert FinancialYear.ending(2021).label == "2020-21"


def test_range_and_arithmetic():
    years = fy_range("2024-25", "2026-27")
    assert [y.label for y in years] == ["2024-25", "2025-26", "2026-27"]
    assert FinancialYear(2025) + 2 == FinancialYear(2027)
    assert FinancialYear(2027) - FinancialYear(2025) == 2


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_date_is_in_exactly_the_year_containing_it(day):
    fy = FinancialYear.containing(day)
    assert day in fy
    assert day not in fy + 1 and day not in fy - 1
    assert FinancialYear.parse(fy.label) == fy
