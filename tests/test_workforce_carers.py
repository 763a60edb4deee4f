"""Foster carer sufficiency by age band, checked by hand."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from careflow.errors import CareflowError
from careflow.levers.schema import Recruitment
from careflow.workforce.carers import fostering_demand, sufficiency


def demand_table():
    rows = []
    for j in range(8):
        m = f"2025-{4 + j:02d}"
        rows.append({"month": m, "age_band": "5-10", "mean": 30.0, "p10": 25.0, "p90": 36.0})
        rows.append({"month": m, "age_band": "10-16", "mean": 10.0, "p10": 8.0, "p90": 12.0})
    return pd.DataFrame(rows)


def test_capacity_against_demand_with_recruitment():
    # 100 enquiries in April: 7 new places in September (month 5), shared 3:1 as first-month demand (30 vs 10).
    r = Recruitment(enquiries_per_month=[100, 0])
    s = sufficiency(demand_table(), {"5-10": 20, "10-16": 10}, r).set_index(["month", "age_band"])
    assert s.loc[("2025-04", "5-10"), "shortfall_mean"] == pytest.approx(10)  # 30 needed, 20 places
    assert s.loc[("2025-04", "5-10"), "shortfall_p90"] == pytest.approx(16)
    assert s.loc[("2025-04", "10-16"), "shortfall_mean"] == 0
    assert s.loc[("2025-09", "5-10"), "capacity"] == pytest.approx(20 + 7 * 0.75)
    assert s.loc[("2025-09", "5-10"), "shortfall_mean"] == pytest.approx(10 - 5.25)
    assert s.loc[("2025-09", "10-16"), "capacity"] == pytest.approx(10 + 1.75)


def test_unknown_band_is_an_error():
    with pytest.raises(CareflowError, match="0-1"):
        sufficiency(demand_table(), {"0-1": 3})


def test_fostering_demand_sums_in_house_and_ifa(tmp_path):
    (tmp_path / "forecast.csv").write_text(
        "date,category,age_band,mean,p10,p50,p90\n"
        "2025-04-30,in_house_fostering,5-10,12,10,12,14\n2025-04-30,ifa_fostering,5-10,8,6,8,10\n"
        "2025-04-30,kinship_fostering,5-10,5,4,5,6\n2025-04-30,all,all,25,20,25,30\n")
    d = fostering_demand(tmp_path)
    assert d.to_dict("records") == [{"month": "2025-04", "age_band": "5-10", "mean": 20, "p10": 16, "p90": 24}]


@pytest.mark.parametrize("text, match", [
    ('"unterminated\n', "cannot read the forecast"),
    ("\x00\x01", "lacks column"),
    ("date,category,age_band,mean,p10,p90\n2025-04-30,ifa_fostering,5-10,1,1,2\n9999-99-99,ifa_fostering,5-10,1,1,2\n",
     r"row 3, field date: not a date"),
    ("date,category,age_band,mean,p10,p90\n2025-04-30,ifa_fostering,5-10,x,1,2\n", r"row 2, field mean"),
    ("date,category,age_band,mean,p10,p90\n2025-04-30,ifa_fostering,5-10,1,1," + "9" * 400 + "\n",
     r"row 2, field p90"),
])
def test_fostering_demand_bad_forecast_is_a_finding(tmp_path, text, match):
    """Found probing readers the fuzz run did not cover (issue 15): these were ParserError, AttributeError and
    ValueError tracebacks."""
    (tmp_path / "forecast.csv").write_text(text)
    with pytest.raises(CareflowError, match=match):
        fostering_demand(tmp_path)


def test_forecast_cases_huge_integer_is_a_finding(tmp_path):
    """Found by the fuzz run's forecast_folder family: OverflowError in math.isfinite."""
    from careflow.workforce import forecast_cases

    (tmp_path / "forecast.csv").write_text("date,category,age_band,mean,p10,p90\n2025-04-30,all,all,1,1,"
                                           + "9" * 400 + "\n")
    with pytest.raises(CareflowError, match="field p90: not a number of children"):
        forecast_cases(tmp_path)


@pytest.mark.parametrize("text, match", [
    # a row with more fields than the header (pandas made the first column the index, then dropped the extra
    # field with only a warning): a finding naming the line
    ("date,category,age_band,mean,p10,p90\n2025-04-30,all,all,1,1,2\n£1,000,all,all,1,1,2\n",
     "row 3: the row has 7 fields, the header 6"),
    ("date,category,age_band,mean,p10,p90\n2025-04-30,all,all,1,1,2,9\n", "row 2: the row has 7 fields, the header 6"),
    ("date,category,age_band,mean,p10,p90\n-30,all,all,1,1,2\n", "row 2, field date: not a date"),
    ("date,category,age_band,mean,p10,p90\n2999-04-30,all,all,1,1,2\n", "row 2, field date: not a date"),
])
def test_forecast_cases_bad_rows_are_findings(tmp_path, text, match):
    """Found by the forecast_folder fuzz family's long run: ValueError tracebacks (and, for the long row, data
    dropped with only a pandas warning). Both readers of a forecast folder say the same."""
    from careflow.workforce import forecast_cases

    (tmp_path / "forecast.csv").write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing dropped with only a warning
        with pytest.raises(CareflowError, match=match):
            forecast_cases(tmp_path)
        if "fields" in match:
            with pytest.raises(CareflowError, match=match):
                fostering_demand(tmp_path)
