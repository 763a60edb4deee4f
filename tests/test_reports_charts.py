"""Each chart plots the data it is given (checked through the figure's artists and the SVG text), in greyscale-safe
styles, with units and financial years on the axes and a sentence of alt text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle

from _reports_data import HF_CASE, hf_appraisal, sample_costs, sample_difference, sample_forecast
from careflow.errors import CareflowError
from careflow.reports import (
    benchmark_chart,
    cost_chart,
    fan_chart,
    mtfs_chart,
    savings_waterfall,
    timeline_chart,
)


def _bars(chart):
    return [p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle)]


def test_fan_chart_plots_the_percentiles_of_the_total():
    fc = sample_forecast(months=24)
    chart = fan_chart(fc, la_name="Anyshire")
    ax = chart.figure.axes[0]
    total = fc[fc["category"] == "all"]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_array_equal(lines["Median (P50)"].get_ydata(), total["p50"].to_numpy())
    np.testing.assert_array_equal(lines["Mean"].get_ydata(), total["mean"].to_numpy())
    assert lines["Mean"].get_linestyle() != lines["Median (P50)"].get_linestyle()  # greyscale: style differs
    band = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == total["p10"].min() and ys.max() == total["p90"].max()
    assert band.get_hatch()  # hatched band, readable without colour
    # Hand-computed ends: all = 340 in April 2026; last month 300+46 + 40+11.5 = 397.5 -> 398.
    assert "from 340 to 398 children" in chart.alt_text and "March 2028" in chart.alt_text
    assert "Anyshire" in chart.alt_text
    svg = chart.svg()
    assert "Children in care (number)" in svg and "Apr 2026" in svg


def test_fan_chart_refuses_a_category_it_does_not_have():
    with pytest.raises(CareflowError, match="no rows for category 'secure'"):
        fan_chart(sample_forecast(), category="secure")
    with pytest.raises(CareflowError, match="missing column"):
        fan_chart(sample_forecast().drop(columns=["p90"]))


def test_cost_chart_bars_are_the_mean_in_millions_with_p10_p90_whiskers():
    chart = cost_chart(sample_costs())
    bars = _bars(chart)
    # all categories: 9.4m + 12.0m = 21.4m; 10.1m + 13.5m = 23.6m
    assert [round(b.get_height(), 6) for b in bars] == [21.4, 23.6]
    ax = chart.figure.axes[0]
    assert "£m" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-27", "2027-28"]
    caps = [ln for ln in ax.get_lines() if len(ln.get_ydata()) == 2]
    ends = sorted(round(float(y), 4) for ln in caps for y in ln.get_ydata())
    assert round(21.4 * 0.9, 4) in ends and round(23.6 * 1.12, 4) in ends
    assert "£21.4m to £23.6m" in chart.alt_text


def test_savings_waterfall_adds_levers_up_to_the_combined_scenario():
    chart = savings_waterfall(sample_difference())
    bars = _bars(chart)
    # reduce entries 120k+300k = 420k; step down 80k+150k = 230k; combined 190k+420k = 610k; interaction -40k.
    got = [(round(b.get_y(), 6), round(b.get_height(), 6)) for b in bars]
    assert got == [(0.0, 420.0), (420.0, 230.0), (610.0, 40.0), (0.0, 610.0)]
    assert bars[2].get_hatch() != bars[0].get_hatch()  # a cost looks different from a saving without colour
    labels = [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]
    assert labels == ["reduce entries", "step down", "interaction", "combined"]
    assert "interaction minus £40k" in chart.alt_text and "combined £610k" in chart.alt_text
    assert "(" not in chart.alt_text and "_" not in chart.alt_text  # read aloud: no brackets, no keys
    assert "(£40k)" in [t.get_text() for t in chart.figure.axes[0].texts]  # drawn as finance writes it
    one_year = savings_waterfall(sample_difference(), financial_year="2026/27")
    assert [round(b.get_height(), 6) for b in _bars(one_year)] == [120.0, 80.0, 10.0, 190.0]


def test_mtfs_chart_shows_hf_investment_savings_and_cumulative_net():
    chart = mtfs_chart(hf_appraisal()["years"], units="£k")
    ax = chart.figure.axes[0]
    bars = _bars(chart)
    savings = [b.get_height() for b in bars if b.get_hatch() == "//"]
    investment = [-b.get_height() for b in bars if b.get_hatch() == "xx"]  # drawn below the axis
    assert savings[:5] == [0, 797, 1261, 1365, 1365]
    assert investment[:3] == [446, 1055, 200] and sum(investment) == 1701
    cum = next(ln for ln in ax.get_lines() if ln.get_label() == "Cumulative net").get_ydata()
    # By hand: -446; -446 + 797 - 1055 = -704; -704 + 1261 - 200 = 357
    assert list(cum[:3]) == [-446, -704, 357]
    assert "£k" in ax.get_ylabel()
    assert "turns positive in 2018-19" in chart.alt_text and "investment totals 1,701" in chart.alt_text


def test_benchmark_chart_draws_each_series_in_its_own_line_style():
    bench = pd.DataFrame({"year": [2022, 2023, 2024], "la": [80.0, 84.0, 90.0],
                          "neighbours_median": [70.0, 71.0, 72.0], "neighbours_mean": [69.0, 72.0, 73.0],
                          "england": [70.0, 71.0, 70.0]})
    chart = benchmark_chart(bench, la_name="Anyshire")
    lines = {ln.get_label(): ln for ln in chart.figure.axes[0].get_lines()}
    assert list(lines["Anyshire"].get_ydata()) == [80, 84, 90]
    assert list(lines["England"].get_ydata()) == [70, 71, 70]
    assert len({ln.get_linestyle() for ln in lines.values()}) == 4
    assert len({ln.get_marker() for ln in lines.values()}) == 4
    assert "from 80 to 90" in chart.alt_text and "England 70 in 2024" in chart.alt_text
    svg = chart.svg()
    assert "Year ending 31 March" in svg and "per 10,000" in svg


def test_timeline_bars_span_their_dates_and_mark_financial_years():
    chart = timeline_chart(HF_CASE["milestones"])
    bars = _bars(chart)
    widths = [round(b.get_width()) for b in bars]
    # Aug-Oct 2016 = 92 days; Nov 2016-Mar 2017 = 151; Sep 2016-Dec 2017 = 487; Jan-Mar 2018 = 90
    assert widths == [92, 151, 487, 90]
    assert len({b.get_hatch() for b in bars}) == 4
    svg = chart.svg()
    for text in ("2016-17", "2017-18", "Project A", "Project F", "Scoping and planning", "Review"):
        assert text in svg
    assert "Project F: implementation Sep 2016 to Dec 2017" in chart.alt_text


def test_save_writes_png_svg_and_alt_text(tmp_path):
    chart = cost_chart(sample_costs())
    paths = chart.save(tmp_path)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["svg"].read_text().lstrip().startswith("<?xml")
    assert paths["alt"].read_text().strip() == chart.alt_text


def test_timeline_of_phases_says_each_phase_once():
    chart = timeline_chart([{"project": "Project A", "phase": "review", "start": "2017-06-01", "end": "2018-03-31"},
                            {"project": "Project B", "phase": "scoping", "start": "2016-09-01",
                             "end": "2017-05-31"}])
    assert "2 projects" in chart.alt_text
    phases = timeline_chart([{"project": "Review", "phase": "Review", "start": "2017-06-01", "end": "2018-03-31"},
                             {"project": "Scoping", "phase": "Scoping", "start": "2016-09-01",
                              "end": "2017-05-31"}])
    assert phases.alt_text == ("Timeline of the programme's phases from September 2016 to March 2018: "
                               "scoping Sep 2016 to May 2017; review Jun 2017 to Mar 2018.")
