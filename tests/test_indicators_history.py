"""The history of children looked after (careflow.indicators.history): hand-counted on small episode tables, equal
to the standard measures when unfiltered, and conserving children across the groups of a child's own attributes."""

from __future__ import annotations

import pandas as pd
import pytest

from careflow.errors import CareflowError
from careflow.indicators import compute
from careflow.indicators.history import filter_options, history
from careflow.ssda903 import load


@pytest.fixture(scope="module")
def anyshire(tmp_path_factory):
    from careflow.synth import anyshire

    return load(anyshire(tmp_path_factory.mktemp("any") / "anyshire"))


def _write(folder, header: str, episodes: str, uasc: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "header.csv").write_text(header)
    (folder / "episodes.csv").write_text(episodes)
    if uasc:
        (folder / "uasc.csv").write_text(uasc)
    return folder


def test_hand_counted_history(tmp_path):
    """Three children in the 2024-25 return (1 April 2024 to 31 March 2025):
    A (girl, born 2010) in care all year in foster care U1;
    B (boy, born May 2020) starts 15 June 2024 in a children's home K2 (private provider PR4), ceases
    10 January 2025;
    C (girl, born 2008) starts 3 February 2025 in foster care U4, still in care on 31 March.
    On 31 March 2025: A and C (2); starts: B (June), C (February); ceases: B (January)."""
    folder = _write(
        tmp_path / "2025",
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA,2,01/05/2010,WBRI,A1,,\nB,1,01/05/2020,WBRI,B1,,\n"
        "C,2,13/09/2008,ABAN,C1,,\n",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "A,01/01/2023,S,C2,N1,U1,PR1,,,,,,\n"
        "B,15/06/2024,S,C2,N1,K2,PR4,10/01/2025,E11,,,,\n"
        "C,03/02/2025,S,C2,N1,U4,PR1,,,,,,\n")
    data = load(folder)
    h = history(data)
    last = h.yearly.set_index("year").loc["2024-25"]
    assert (last["at_31_march"], last["starts"], last["ceases"]) == (2, 2, 1)
    monthly = h.monthly.set_index(h.monthly["month_end"].dt.strftime("%Y-%m"))
    assert monthly.loc["2024-06", "starts"] == 1 and monthly.loc["2025-02", "starts"] == 1
    assert monthly.loc["2025-01", "ceases"] == 1
    assert monthly.loc["2024-07", "at_month_end"] == 2  # A and B
    assert monthly.loc["2025-01", "at_month_end"] == 1  # A only: B left on 10 January, C not yet in
    girls = history(data, sex="F").yearly.set_index("year").loc["2024-25"]
    assert (girls["at_31_march"], girls["starts"], girls["ceases"]) == (2, 1, 0)
    home = data.episodes.loc[data.episodes["place"] == "K2", "category"].iloc[0]
    residential = history(data, category=home).yearly.set_index("year").loc["2024-25"]
    assert (residential["at_31_march"], residential["starts"], residential["ceases"]) == (0, 1, 1)
    young = history(data, age_band="1-5").yearly.set_index("year").loc["2024-25"]  # B: aged 4 at start and end
    assert (young["at_31_march"], young["starts"], young["ceases"]) == (0, 1, 1)
    asian = history(data, ethnicity="Asian or Asian British").yearly.set_index("year").loc["2024-25"]
    assert (asian["at_31_march"], asian["starts"], asian["ceases"]) == (1, 1, 0)  # C


def test_unfiltered_history_is_the_standard_measures(anyshire):
    h = history(anyshire)
    ind = compute(anyshire)
    cols = ["year", "at_31_march", "starts", "ceases"]
    pd.testing.assert_frame_equal(h.yearly[cols].reset_index(drop=True), ind.yearly[cols].reset_index(drop=True),
                                  check_dtype=False)
    assert list(h.monthly["at_month_end"]) == list(ind.monthly["at_month_end"])
    assert list(h.monthly["starts"]) == list(ind.monthly["starts"])


@pytest.mark.parametrize("name", ["sex", "ethnicity", "uasc"])
def test_groups_of_a_childs_own_attribute_add_up_to_everyone(anyshire, name):
    total = history(anyshire).yearly
    parts = [history(anyshire, **{name: v}).yearly for v in filter_options(anyshire)[name]]
    for col in ("at_31_march", "starts", "ceases"):
        assert list(sum(p[col] for p in parts)) == list(total[col])


@pytest.mark.parametrize("name", ["age_band", "category"])
def test_groups_taken_on_the_day_add_up_on_31_march(anyshire, name):
    """One episode per child on a day: the 31 March counts add up exactly; a child starting twice in a year in
    two groups counts in each, so starts add up to at least the total."""
    total = history(anyshire).yearly
    parts = [history(anyshire, **{name: v}).yearly for v in filter_options(anyshire)[name]]
    assert list(sum(p["at_31_march"] for p in parts)) == list(total["at_31_march"])
    assert all(s >= t for s, t in zip(sum(p["starts"] for p in parts), total["starts"], strict=True))


def test_an_unknown_filter_value_is_refused_naming_the_values(anyshire):
    with pytest.raises(CareflowError, match="no sex 'X' in the data .*F, M"):
        history(anyshire, sex="X")


def test_a_stacked_file_filters_by_la(tmp_path):
    from careflow.synth import generate_many

    folder = generate_many(3, 300, 2022, 2, seed=4, output=tmp_path / "stacked")
    data = load(folder)
    las = filter_options(data)["la"]
    assert len(las) == 3
    total = history(data).yearly
    parts = [history(data, la=la).yearly for la in las]
    assert list(sum(p["at_31_march"] for p in parts)) == list(total["at_31_march"])


def test_the_history_chart_plots_the_monthly_numbers(anyshire):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    from careflow.reports.charts import history_chart

    monthly = history(anyshire, sex="F").monthly
    chart = history_chart(monthly, who="girls", la_name="Anyshire")
    ax = chart.figure.axes[0]
    line = [a for a in ax.get_children() if isinstance(a, Line2D) and a.get_label().startswith("Looked after")][0]
    assert list(line.get_ydata()) == list(monthly["at_month_end"])
    bars = [p.get_height() for p in ax.patches if isinstance(p, Rectangle)]
    assert bars == list(monthly["starts"]) + list(monthly["ceases"])
    assert f"({monthly['at_month_end'].iloc[-1]:,})" in chart.alt_text and "girls" in chart.alt_text
    assert chart.svg().startswith("<?xml") and "<script" not in chart.svg()
