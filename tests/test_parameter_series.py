"""Typed, dated parameter values (careflow.parameters.DatedSeries): one key format, checked at load, at(date)
refusing dates before the first value unless the file extends backwards, the source carried with every value."""

from __future__ import annotations

import datetime as dt

import pytest

from careflow.costs import load_unit_costs
from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import load_parameter, read_parameter

HEAD = "description: test\nunit: GBP per week\nreference: Test table 1\n"


def _param(tmp_path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + body)
    return read_parameter(path)


def test_dates_and_financial_years_are_one_key_format(tmp_path):
    p = _param(tmp_path, 'values:\n  secure: {"2024-04-01": 100, 2025-26: 110}\n')
    s = p.series("secure")
    assert [(v.date, v.value) for v in s] == [(dt.date(2024, 4, 1), 100.0), (dt.date(2025, 4, 1), 110.0)]
    assert s.at(dt.date(2025, 3, 31)).value == 100.0 and s.at(dt.date(2025, 4, 1)).value == 110.0
    assert all(v.source == "Test table 1" for v in s)


def test_before_the_first_value_is_refused_unless_the_file_extends_backwards(tmp_path):
    s = _param(tmp_path, 'values:\n  secure: {"2024-04-01": 100}\n').series("secure")
    with pytest.raises(CareflowError, match="no value before 2024-04-01"):
        s.at(dt.date(2020, 1, 1))
    back = _param(tmp_path, 'extends_backwards: true\nvalues:\n  secure: {"2024-04-01": 100}\n').series("secure")
    assert back.at(dt.date(2020, 1, 1)).value == 100.0


@pytest.mark.parametrize("body, line, message", [
    ('values:\n  secure: {"April 2024": 100}\n', 5, "not a date"),
    ('values:\n  secure:\n    "2024-04-01": lots\n', 6, "must be a number"),
    ('values:\n  secure: -5\n', 5, "must map a date"),
    ('values:\n  secure: {"2024-04-01": -5}\n', 5, "must not be negative"),
])
def test_bad_values_name_file_line_and_key(tmp_path, body, line, message):
    with pytest.raises(CareflowError, match=message) as err:
        _param(tmp_path, body).series("secure")
    (f,) = err.value.findings
    assert f.file.endswith("p.yaml") and f.row == line and f.field.startswith("values.secure")


def test_each_value_carries_its_own_source():
    p = load_parameter("unit_costs")
    sources = p.raw["sources"]
    for item in p.values:
        assert {v.source for v in p.series(item)} == {str(sources.get(item, p.reference))}


def test_unit_costs_deflate_before_their_date_as_documented():
    # unit costs are dated in one year's prices and deflated to earlier years by the inflation rates
    costs = load_unit_costs()
    secure = load_parameter("unit_costs").series("secure").points[0]
    fy = FinancialYear.containing(secure.date)
    # the rate in force in the year of the price carries the year before into it (2024-25: CPI 2024, 2.5%)
    rate = load_parameter("inflation").series("secure").at(fy.start).value
    assert costs.weekly_cost("secure", fy) == pytest.approx(secure.value)
    assert costs.weekly_cost("secure", fy - 1) == pytest.approx(secure.value / (1 + rate))
