"""Static charts (PNG and SVG) for reports and the web: each returns a :class:`Chart` with its alt text.

Charts must read in greyscale (councils print in black and white), so series differ by hatching, line style and
marker as well as by shade. Every axis states its unit; money axes say £k or £m; time axes use financial years
(``2025-26``) or months. Each chart carries the plotted data (``Chart.data``) and a sentence describing it
(``Chart.alt_text``) for screen readers and the web page.

The functions take plain data (DataFrames in the file contracts of forecast.csv, costs.csv, difference.csv, the
appraisal's years) so they do not depend on how those were produced.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # never open a window; reports render headless

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from careflow.errors import CareflowError  # noqa: E402
from careflow.fy import FinancialYear  # noqa: E402
from careflow.vocabulary import category_name  # noqa: E402

if TYPE_CHECKING:
    from careflow.aggregate.workforce_benchmark import WorkforceBenchmark
    from careflow.workforce.staff import WorkforcePlan

# Shades chosen to stay distinct in greyscale; hatches and line styles carry the distinction too.
INK = "#1d1d1b"
DARK = "#28509a"
MID = "#6f8fc7"
LIGHT = "#c9d6ee"
PALE = "#e8e8e8"
HATCHES = ("//", "xx", "..", "\\\\", "++", "oo", "--", "||")
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")

_RC = {"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
       "hatch.linewidth": 0.6, "svg.fonttype": "none", "svg.hashsalt": "careflow"}


@dataclass
class Chart:
    """A rendered chart: the matplotlib figure, the data it plots, and a sentence describing it."""

    name: str
    title: str
    figure: Figure
    alt_text: str
    data: pd.DataFrame

    def png(self, dpi: int = 150) -> bytes:
        buf = io.BytesIO()
        with matplotlib.rc_context(_RC):
            self.figure.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()

    def svg(self) -> str:
        buf = io.BytesIO()
        # Text stays text in the SVG (svg.fonttype none): searchable, accessible and checkable.
        with matplotlib.rc_context(_RC):
            self.figure.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue().decode("utf-8")

    def save(self, directory: str | Path, stem: str | None = None, dpi: int = 150) -> dict[str, Path]:
        """Write ``<stem>.png``, ``<stem>.svg`` and ``<stem>.txt`` (the alt text) into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        stem = stem or self.name
        paths = {"png": d / f"{stem}.png", "svg": d / f"{stem}.svg", "alt": d / f"{stem}.txt"}
        paths["png"].write_bytes(self.png(dpi))
        paths["svg"].write_text(self.svg(), encoding="utf-8")
        paths["alt"].write_text(self.alt_text + "\n", encoding="utf-8")
        return paths


def _figure(width: float = 7.5, height: float = 4.0) -> tuple[Figure, object]:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    ax.grid(axis="y", color=PALE, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CareflowError(f"{what} is missing column(s) {', '.join(missing)}", rule="report-input")


def _fy_label(value) -> str:
    return FinancialYear.parse(value if not isinstance(value, FinancialYear) else value).label


def money_scale(values: Iterable[float], unit: str = "£") -> tuple[float, str]:
    """Divisor and axis label for pounds: £ under £10k, £k under £10m, else £m."""
    top = max((abs(v) for v in values if pd.notna(v)), default=0.0)
    if unit in ("£k", "GBP thousands"):
        return (1000.0, "£m") if top >= 100_000 else (1.0, "£k")
    if top >= 10_000_000:
        return 1_000_000.0, "£m"
    if top >= 10_000:
        return 1000.0, "£k"
    return 1.0, "£"


def _fmt_money(value: float, label: str, spoken: bool = True) -> str:
    """Alt text (``spoken``): a negative reads "minus £446k", no brackets or dashes for a screen reader; labels
    drawn on a chart follow finance convention, "(£446k)"."""
    v = abs(value)
    text = f"£{v:,.0f}" if label == "£" else f"£{v:,.0f}k" if label == "£k" else f"£{v:,.1f}m"
    if value >= 0:
        return text
    return f"minus {text}" if spoken else f"({text})"


def _thousands(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _monthly_axes(ax, title: str, ylabel: str, xlabel: str) -> None:
    """Title, labels and a month axis (``Apr 2025``) over a count of children from zero."""
    from matplotlib.dates import DateFormatter

    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(DateFormatter("%b %Y"))
    _thousands(ax)
    ax.set_ylim(bottom=0)


# ---------------------------------------------------------------------------------------------------------------
# Children in care: fan chart


def fan_chart(forecast: pd.DataFrame, category: str = "all", age_band: str = "all",
              history: pd.DataFrame | None = None, la_name: str = "") -> Chart:
    """Children in care by month: P10-P90 band, median and mean; optional observed history (``date, children``)."""
    _require(forecast, ["date", "category", "age_band", "mean", "p10", "p50", "p90"], "forecast")
    sel = forecast[(forecast["category"].astype(str) == category) & (forecast["age_band"].astype(str) == age_band)]
    if sel.empty:
        raise CareflowError(f"forecast has no rows for category '{category}' and age band '{age_band}'",
                            rule="report-input")
    sel = sel.assign(date=pd.to_datetime(sel["date"])).sort_values("date")
    fig, ax = _figure()
    x = sel["date"].to_numpy()
    ax.fill_between(x, sel["p10"], sel["p90"], facecolor=LIGHT, edgecolor=MID, hatch="//", linewidth=0.0,
                    label="P10 to P90 (80% of simulations)")
    ax.plot(x, sel["p50"], color=DARK, linestyle="-", linewidth=2.0, label="Median (P50)")
    ax.plot(x, sel["mean"], color=INK, linestyle="--", linewidth=1.2, label="Mean")
    if history is not None and not history.empty:
        _require(history, ["date", "children"], "history")
        h = history.assign(date=pd.to_datetime(history["date"])).sort_values("date")
        ax.plot(h["date"].to_numpy(), h["children"], color=INK, linestyle="-", marker="o", markersize=2.5,
                linewidth=1.0, label="Observed")
    what = "children in care" if category == "all" else f"children in care in {category_name(category).lower()}"
    if age_band != "all":
        what += f", aged {age_band.replace('_', ' ')}"
    title = f"{la_name + ': ' if la_name else ''}{what[0].upper() + what[1:]}, forecast by month"
    _monthly_axes(ax, title, "Children in care (number)", "Month (end of month)")
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    first, last = sel.iloc[0], sel.iloc[-1]
    alt = (f"Fan chart of {what}{' in ' + la_name if la_name else ''} by month from "
           f"{first['date']:%B %Y} to {last['date']:%B %Y}: the median forecast goes from {first['p50']:,.0f} to "
           f"{last['p50']:,.0f} children, and 80% of simulations end between {last['p10']:,.0f} and "
           f"{last['p90']:,.0f} children in {last['date']:%B %Y}.")
    data = sel[["date", "mean", "p10", "p50", "p90"]].reset_index(drop=True)
    return Chart("fan_chart", title, fig, alt, data)


def history_chart(monthly: pd.DataFrame, who: str = "children", la_name: str = "") -> Chart:
    """Children looked after at each month end (line) and starts and ceases in each month (bars), from the
    monthly history (``month_end, at_month_end, starts, ceases``: :func:`careflow.indicators.history.history`).
    ``who``: the group shown, e.g. "girls aged 10-16"."""
    _require(monthly, ["month_end", "at_month_end", "starts", "ceases"], "history")
    if monthly.empty:
        raise CareflowError("the history has no months to chart", rule="report-input")
    m = monthly.assign(month_end=pd.to_datetime(monthly["month_end"])).sort_values("month_end")
    fig, ax = _figure(7.5, 4.5)
    x = m["month_end"].to_numpy()
    width = np.timedelta64(12, "D")
    ax.bar(x - width / 2, m["starts"], width, color=MID, edgecolor=INK, linewidth=0.3, hatch="//",
           label="Started in the month")
    ax.bar(x + width / 2, m["ceases"], width, color=PALE, edgecolor=INK, linewidth=0.3, hatch="..",
           label="Ceased in the month")
    ax.plot(x, m["at_month_end"], color=DARK, linewidth=2.0, marker="o", markersize=2.0,
            label="Looked after at the month end")
    title = f"{la_name + ': ' if la_name else ''}Children looked after by month"
    _monthly_axes(ax, title, "Children (number)", "Month")
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=3, frameon=False, fontsize=8)
    first, last = m.iloc[0], m.iloc[-1]
    alt = (f"Line chart of {who} looked after{' in ' + la_name if la_name else ''} at each month end from "
           f"{first['month_end']:%B %Y} ({first['at_month_end']:,.0f}) to {last['month_end']:%B %Y} "
           f"({last['at_month_end']:,.0f}), highest {m['at_month_end'].max():,.0f}, lowest "
           f"{m['at_month_end'].min():,.0f}; bars show {m['starts'].sum():,.0f} starts and {m['ceases'].sum():,.0f} "
           "ceases by month (a child counted once a month). The table below gives every number.")
    return Chart("history_chart", title, fig, alt, m[["month_end", "at_month_end", "starts", "ceases"]]
                 .reset_index(drop=True))


# ---------------------------------------------------------------------------------------------------------------
# Costs by financial year


def cost_chart(costs: pd.DataFrame, category: str = "all", la_name: str = "") -> Chart:
    """Placement spend by financial year (pounds in): mean bars with P10-P90 whiskers, axis in £k or £m."""
    _require(costs, ["financial_year", "category", "mean", "p10", "p90"], "costs")
    sel = costs[costs["category"].astype(str) == category]
    if sel.empty:
        raise CareflowError(f"costs have no rows for category '{category}'", rule="report-input")
    sel = sel.assign(financial_year=sel["financial_year"].map(_fy_label)).sort_values("financial_year")
    div, unit = money_scale(pd.concat([sel["p90"], sel["mean"]]))
    fig, ax = _figure()
    xs = np.arange(len(sel))
    mean = sel["mean"].to_numpy(float) / div
    lo = sel["p10"].to_numpy(float) / div
    hi = sel["p90"].to_numpy(float) / div
    ax.bar(xs, mean, color=LIGHT, edgecolor=DARK, hatch="//", width=0.6, label="Mean")
    ax.errorbar(xs, mean, yerr=[mean - lo, hi - mean], fmt="none", ecolor=INK, capsize=6, linewidth=1.2,
                label="P10 to P90 (80% of simulations)")
    ax.set_xticks(xs, sel["financial_year"].tolist(), rotation=45 if len(sel) > 6 else 0,
                  ha="right" if len(sel) > 6 else "center")
    ax.set_xlabel("Financial year (1 April to 31 March)")
    ax.set_ylabel(f"Placement spend ({unit}, cash)")
    if unit != "£m":
        _thousands(ax)
    what = "placement spend" if category == "all" else f"placement spend on {category_name(category).lower()}"
    title = f"{la_name + ': ' if la_name else ''}{what[0].upper() + what[1:]} by financial year"
    ax.set_title(title, loc="left", fontweight="bold")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    a, b = sel.iloc[0], sel.iloc[-1]
    alt = (f"Bar chart of forecast {what}{' in ' + la_name if la_name else ''} by financial year, in cash prices "
           f"of each year, from {a['financial_year']} to {b['financial_year']}: the mean goes from {_fmt_money(mean[0], unit)} to "
           f"{_fmt_money(mean[-1], unit)}, with {b['financial_year']} between {_fmt_money(lo[-1], unit)} and "
           f"{_fmt_money(hi[-1], unit)} in 80% of simulations.")
    data = pd.DataFrame({"financial_year": sel["financial_year"].to_numpy(), "mean": sel["mean"].to_numpy(float),
                         "p10": sel["p10"].to_numpy(float), "p90": sel["p90"].to_numpy(float)})
    return Chart("cost_chart", title, fig, alt, data)


# ---------------------------------------------------------------------------------------------------------------
# Savings by lever: waterfall


def savings_waterfall(difference: pd.DataFrame, financial_year: str | None = None, title: str = "",
                      la_name: str = "") -> Chart:
    """Savings (pounds, positive = saving) by lever, stacked into the combined scenario.

    ``financial_year`` picks one year; by default all years in the table are summed. Where the combined scenario
    (``lever == "all"``) differs from the sum of the levers (levers interact: two levers cannot both remove the same
    child), the difference is shown as its own "interaction" step so the bars still add up.
    """
    _require(difference, ["financial_year", "lever", "pounds_mean"], "scenario difference")
    df = difference.assign(financial_year=difference["financial_year"].map(_fy_label))
    if financial_year is not None:
        fy = _fy_label(financial_year)
        df = df[df["financial_year"] == fy]
        period = fy
    else:
        years = sorted(df["financial_year"].unique())
        period = f"{years[0]} to {years[-1]}" if len(years) > 1 else (years[0] if years else "")
    if df.empty:
        raise CareflowError("scenario difference has no rows for the chosen year", rule="report-input")
    by = df.groupby("lever", sort=False)["pounds_mean"].sum()
    levers = [(str(k), float(v)) for k, v in by.items() if str(k) != "all"]
    combined = float(by["all"]) if "all" in by.index else sum(v for _, v in levers)
    steps = list(levers)
    interaction = combined - sum(v for _, v in levers)
    if abs(interaction) > 0.5:  # more than 50p: show it rather than hide it
        steps.append(("interaction", interaction))
    div, unit = money_scale([combined] + [v for _, v in steps] + [sum(max(v, 0) for _, v in steps)])
    fig, ax = _figure(width=max(6.0, 1.1 * (len(steps) + 1) + 2))
    running = 0.0
    rows = []
    for i, (name, value) in enumerate(steps):
        v = value / div
        bottom = running if v >= 0 else running + v
        ax.bar(i, abs(v), bottom=bottom, color=LIGHT if v >= 0 else "white", edgecolor=DARK,
               hatch=HATCHES[0] if v >= 0 else HATCHES[1], width=0.6)
        ax.annotate(_fmt_money(v, unit, spoken=False), (i, bottom + abs(v)), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
        if i:
            ax.plot([i - 1.3, i - 0.3], [running, running], color=INK, linewidth=0.6, linestyle=":")
        running += v
        rows.append({"step": name, "pounds": value, "cumulative": running * div})
    n = len(steps)
    ax.bar(n, combined / div, color=DARK, edgecolor=INK, width=0.6)
    ax.annotate(_fmt_money(combined / div, unit, spoken=False), (n, max(combined / div, 0)), ha="center", va="bottom",
                fontsize=8, fontweight="bold", xytext=(0, 2), textcoords="offset points")
    rows.append({"step": "combined", "pounds": combined, "cumulative": combined})
    labels = [name.replace("_", " ") for name, _ in steps] + ["combined"]
    ax.set_xticks(range(n + 1), labels, rotation=20 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.axhline(0, color=INK, linewidth=0.8)
    ax.set_ylabel(f"Saving against baseline ({unit}, cash)")
    ax.set_xlabel(f"Lever (savings summed over {period})" if financial_year is None else f"Lever ({period})")
    title = f"{la_name + ': ' if la_name else ''}{title or f'Savings by lever, {period}'}"
    ax.set_title(title, loc="left", fontweight="bold")
    fig.legend(handles=[Patch(facecolor=LIGHT, edgecolor=DARK, hatch=HATCHES[0], label="Saving"),
                        Patch(facecolor="white", edgecolor=DARK, hatch=HATCHES[1], label="Cost (negative saving)"),
                        Patch(facecolor=DARK, edgecolor=INK, label="Combined scenario")],
               loc="outside lower center", ncol=3, frameon=False, fontsize=8)
    _thousands(ax)
    parts = "; ".join(f"{name.replace('_', ' ')} {_fmt_money(v / div, unit)}" for name, v in steps)
    alt = (f"Waterfall chart of savings against the baseline{' in ' + la_name if la_name else ''} by lever over "
           f"{period}, cash prices of each year: {parts}; "
           f"combined {_fmt_money(combined / div, unit)}.")
    return Chart("savings_waterfall", title, fig, alt, pd.DataFrame(rows))


# ---------------------------------------------------------------------------------------------------------------
# MTFS profile of a business case


def mtfs_chart(years: pd.DataFrame | list[dict], units: str = "£k", title: str = "") -> Chart:
    """Investment, savings and ongoing costs by financial year with cumulative net (an appraisal's ``years``).

    Values are in the case's units (``units``, e.g. £k); investment and ongoing costs are drawn below the axis.
    """
    df = pd.DataFrame(years)
    _require(df, ["financial_year", "investment", "savings", "cumulative_net"], "appraisal years")
    df = df.assign(financial_year=df["financial_year"].map(_fy_label)).sort_values("financial_year")
    if "ongoing_costs" not in df:
        df["ongoing_costs"] = 0.0
    df = df.fillna(0.0)
    fig, ax = _figure()
    xs = np.arange(len(df))
    w = 0.38
    sav = df["savings"].to_numpy(float)
    inv = df["investment"].to_numpy(float)
    ong = df["ongoing_costs"].to_numpy(float)
    ax.bar(xs - w / 2, sav, width=w, color=LIGHT, edgecolor=DARK, hatch="//", label="Savings")
    ax.bar(xs + w / 2, -inv, width=w, color="white", edgecolor=INK, hatch="xx", label="Investment (one-off)")
    if np.any(ong):
        ax.bar(xs + w / 2, -ong, bottom=-inv, width=w, color=PALE, edgecolor=INK, hatch="..",
               label="Ongoing costs")
    cum = df["cumulative_net"].to_numpy(float)
    ax.plot(xs, cum, color=DARK, marker="o", linestyle="-", linewidth=2, label="Cumulative net")
    ax.axhline(0, color=INK, linewidth=0.8)
    ax.set_xticks(xs, df["financial_year"].tolist(), rotation=45 if len(df) > 6 else 0,
                  ha="right" if len(df) > 6 else "center")
    ax.set_xlabel("Financial year (1 April to 31 March)")
    ax.set_ylabel(f"{units} (cash; savings positive)")
    _thousands(ax)
    title = title or "Investment, savings and cumulative net by financial year"
    ax.set_title(title, loc="left", fontweight="bold")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    paid = df.loc[df["cumulative_net"] >= 0, "financial_year"]
    payback = (f"the cumulative net turns positive in {paid.iloc[0]}" if len(paid) and cum[0] < 0
               else "the cumulative net stays negative" if not len(paid) else "the case is net positive from the start")
    unit_word = units.replace("£k", "£ thousands")
    alt = (f"Bar and line chart of the business case by financial year from {df['financial_year'].iloc[0]} to "
           f"{df['financial_year'].iloc[-1]} in {unit_word}: investment totals {inv.sum():,.0f}, savings total "
           f"{sav.sum():,.0f}, ongoing costs total {ong.sum():,.0f}; {payback}, ending at {cum[-1]:,.0f}.")
    return Chart("mtfs_profile", title, fig, alt,
                 df[["financial_year", "investment", "savings", "ongoing_costs", "cumulative_net"]]
                 .reset_index(drop=True))


# ---------------------------------------------------------------------------------------------------------------
# Benchmark against statistical neighbours


def benchmark_frame(benchmark: Mapping, measure: str = "cla") -> tuple[pd.DataFrame, str]:
    """A benchmark's JSON (``careflow benchmark --format json``) as the chart's table, and the LA's name."""
    rows = [r for r in benchmark.get("rates") or [] if r.get("measure", measure) == measure]
    if not rows:
        raise CareflowError(f"the benchmark has no rates for measure '{measure}'", rule="report-input")
    df = pd.DataFrame({"year": [int(r["year"]) for r in rows],
                       "la": [r.get("la_rate") for r in rows],
                       "neighbours_median": [r.get("neighbours_median") for r in rows],
                       "neighbours_mean": [r.get("neighbours_mean") for r in rows],
                       "england": [r.get("england_rate") for r in rows]}).astype(float)
    df["year"] = df["year"].astype(int)
    la = benchmark.get("la") or {}
    name = la.get("name") or la.get("la_name") or la.get("label") if isinstance(la, Mapping) else str(la)
    return df, str(name or "This LA")


def benchmark_chart(benchmark: pd.DataFrame, la_name: str = "This LA", measure: str = "Children looked after",
                    unit: str = "rate per 10,000 children aged 0 to 17") -> Chart:
    """The LA's rate by year (year ending 31 March) against its neighbours' median and mean and England."""
    _require(benchmark, ["year", "la"], "benchmark")
    df = benchmark.sort_values("year").reset_index(drop=True)
    series = [("la", la_name, "-", "o", DARK, 2.2), ("neighbours_median", "Statistical neighbours (median)", "--",
              "s", MID, 1.4), ("neighbours_mean", "Statistical neighbours (mean)", ":", "^", INK, 1.4),
              ("england", "England", "-.", "D", INK, 1.4)]
    fig, ax = _figure()
    years = df["year"].astype(int).to_numpy()
    for col, label, ls, mk, colour, lw in series:
        if col in df and df[col].notna().any():
            ax.plot(years, df[col].to_numpy(float), linestyle=ls, marker=mk, color=colour, linewidth=lw,
                    markersize=5, label=label)
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel(unit[0].upper() + unit[1:])
    title = f"{measure}: {la_name} against its statistical neighbours"
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    last = df.iloc[-1]
    comps = []
    for col, label in (("neighbours_median", "its neighbours' median"), ("england", "England")):
        if col in df and pd.notna(last.get(col)):
            comps.append(f"{label} {last[col]:,.0f}")
    alt = (f"Line chart of {measure.lower()} per 10,000 children from {years[0]} to {years[-1]}: {la_name} goes "
           f"from {df['la'].iloc[0]:,.0f} to {last['la']:,.0f}"
           + (f", against {' and '.join(comps)} in {years[-1]}." if comps else "."))
    return Chart("benchmark", title, fig, alt, df)


def spend_chart(benchmark: Mapping) -> Chart:
    """Net spend per child looked after a week: the LA and each neighbour (bars), the neighbours' median and England
    (lines), from a benchmark's JSON ``spend`` section; seed 000's "net expenditure per head against statistical
    neighbours" view, per child looked after."""
    spend = benchmark.get("spend") if isinstance(benchmark, Mapping) else None
    if not spend:
        raise CareflowError("the benchmark has no spend section (give it a revenue outturn workbook)",
                            rule="report-input")
    la = benchmark.get("la") or {}
    name = str(la.get("la_name") or "This LA")
    rows = [(name, spend.get("la_per_child_week"), True)]
    rows += [(n["la_name"], n.get("per_child_week"), False) for n in spend.get("neighbours") or []]
    rows = [r for r in rows if r[1] is not None]
    rows.sort(key=lambda r: r[1])
    df = pd.DataFrame({"authority": [r[0] for r in rows], "per_child_week": [float(r[1]) for r in rows]})
    fig, ax = _figure(7.5, 4.6)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=PALE, linewidth=0.8)
    ax.barh(df.authority, df.per_child_week, color=[DARK if r[2] else PALE for r in rows],
            edgecolor=[DARK if r[2] else MID for r in rows], hatch=["" if r[2] else "//" for r in rows])
    for value, label, style in ((spend.get("neighbours_median"), "Statistical neighbours (median)", "--"),
                                (spend.get("england"), "England", "-.")):
        if value is not None:
            ax.axvline(float(value), color=INK, linestyle=style, linewidth=1.2, label=f"{label}: £{value:,.0f}")
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v:,.0f}"))
    ax.set_xlabel(f"Net spend per child looked after a week, {spend.get('price_base', '')}")
    title = f"Spend per child looked after, {spend.get('year')}: {name} and its neighbours"
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")  # left of the long LA names, not of the axes
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=8)
    alt = (f"Bar chart of net spend per child looked after a week in {spend.get('year')}, "
           f"{spend.get('price_base', '')}: {name} £{spend['la_per_child_week']:,.0f}"
           + (f", its statistical neighbours' median £{spend['neighbours_median']:,.0f}"
              if spend.get("neighbours_median") is not None else "")
           + (f", England £{spend['england']:,.0f}" if spend.get("england") is not None else "")
           + f". Source: {spend.get('source', 'revenue outturn')}.")
    return Chart("spend", title, fig, alt, df)


# ---------------------------------------------------------------------------------------------------------------
# Programme timeline


PHASES = ("scoping and planning", "piloting", "implementation", "review")


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise CareflowError(f"not a date: {value!r} (expected YYYY-MM-DD)", rule="report-input") from exc


def timeline_chart(milestones: Iterable[Mapping], title: str = "Programme timeline") -> Chart:
    """Gantt chart of phases (``project``, ``phase``, ``start``, ``end``) with financial-year boundaries."""
    rows = []
    for m in milestones:
        start, end = _date(m.get("start")), _date(m.get("end") or m.get("start"))
        rows.append({"project": str(m.get("project") or m.get("title") or "Programme"),
                     "phase": str(m.get("phase") or m.get("name") or "implementation").lower(),
                     "start": start, "end": end})
    if not rows:
        raise CareflowError("no milestones to chart", rule="report-input")
    df = pd.DataFrame(rows)
    projects = list(dict.fromkeys(df["project"]))
    phases = list(dict.fromkeys([p for p in PHASES if p in set(df["phase"])] +
                                [p for p in df["phase"] if p not in PHASES]))
    style = {p: (HATCHES[i % len(HATCHES)], [LIGHT, "white", MID, PALE][i % 4]) for i, p in enumerate(phases)}
    fig, ax = _figure(height=max(2.2, 0.45 * len(projects) + 1.4))
    from matplotlib.dates import DateFormatter, MonthLocator, date2num

    for _, r in df.iterrows():
        y = projects.index(r["project"])
        s, e = date2num(r["start"]), date2num(r["end"] + dt.timedelta(days=1))
        hatch, colour = style[r["phase"]]
        ax.barh(y, e - s, left=s, height=0.6, color=colour, edgecolor=INK, hatch=hatch, linewidth=0.6)
    ax.set_yticks(range(len(projects)), projects)
    ax.invert_yaxis()
    first, last = df["start"].min(), df["end"].max()
    fy = FinancialYear.containing(first)
    while fy.start <= last:
        if fy.start >= first:
            ax.axvline(date2num(fy.start), color=INK, linestyle="--", linewidth=0.7)
        ax.annotate(fy.label, (date2num(max(fy.start, first)), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, 2), textcoords="offset points", fontsize=8)
        fy = fy + 1
    span_months = (last.year - first.year) * 12 + last.month - first.month + 1
    ax.xaxis.set_major_locator(MonthLocator(interval=max(1, span_months // 12)))
    ax.xaxis.set_major_formatter(DateFormatter("%b %y"))
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_ha("right")
    ax.grid(axis="x", color=PALE)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Month (dashed lines: start of each financial year)")
    ax.set_title(title, loc="left", fontweight="bold", pad=14)
    fig.legend(handles=[Patch(facecolor=style[p][1], edgecolor=INK, hatch=style[p][0], label=p.capitalize())
                        for p in phases], loc="outside lower center", ncol=len(phases), frameon=False, fontsize=8)
    if all(str(r.project).lower() == str(r.phase).lower() for r in df.itertuples()):
        # Rows are the phases themselves (milestones dated by phase): say it once.
        alt = (f"Timeline of the programme's phases from {first:%B %Y} to {last:%B %Y}: "
               + "; ".join(f"{r.phase} {r.start:%b %Y} to {r.end:%b %Y}" for r in df.sort_values("start")
                           .itertuples()) + ".")
        return Chart("timeline", title, fig, alt, df)
    alt = (f"Timeline of {len(projects)} project{'s' if len(projects) != 1 else ''} from {first:%B %Y} to "
           f"{last:%B %Y}: " + "; ".join(
               f"{p}: " + ", ".join(f"{r.phase} {r.start:%b %Y} to {r.end:%b %Y}"
                                    for r in df[df['project'] == p].itertuples())
               for p in projects) + ".")
    return Chart("timeline", title, fig, alt, df)


# Quick PNGs written beside the forecast, scenario and workforce outputs and by ``benchmark --workforce-chart``
# (pyplot, the settings they have always had); the report charts above are the accessible ones (SVG, alt text).

def _save_png(fig, path: Path, dpi: int) -> Path:
    """Lay out, write and close a pyplot figure (the folder made if needed)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def forecast_fan_png(projection, history: pd.Series | None, path: Path, title: str,
                     table: pd.DataFrame | None = None) -> None:
    """Total children in care: history, mean, P50 and the P10-P90 band, readable in greyscale. ``table``: the
    projection's :meth:`~careflow.model.Projection.stock_table` when the caller has it already (it takes
    quantiles over every run)."""
    t = projection.stock_table() if table is None else table
    tot = t[(t["category"] == "all") & (t["age_band"] == "all")]
    dates = pd.to_datetime(tot["date"])
    fig = Figure(figsize=(9, 5), dpi=120)  # no pyplot: the Agg canvas only, nothing else loaded
    ax = fig.subplots()
    if history is not None and len(history):
        ax.plot(history.index, history.values, color="black", lw=1.8, label="actual (month end)")
    if tot["p10"].notna().all():
        ax.fill_between(dates, tot["p10"], tot["p90"], color="0.8", label="P10 to P90 (80% of runs)")
        ax.plot(dates, tot["p50"], color="0.35", lw=1.2, ls="--", label="P50 (median run)")
    ax.plot(dates, tot["mean"], color="black", lw=1.8, ls=":", label="forecast mean")
    ax.axvline(pd.Timestamp(projection.start), color="0.5", lw=0.8)
    ax.set_title(title)
    ax.set_ylabel("children in care (excluding short breaks)")
    ax.set_xlabel("month end")
    ax.set_ylim(bottom=0)
    ax.grid(True, color="0.9")
    ax.legend(loc="best", frameon=False)
    fig.tight_layout()
    fig.savefig(path)


def savings_png(difference: pd.DataFrame, path: str | Path, title: str) -> Path:
    """Stacked bars of each lever's mean saving (£k) by financial year; the combined saving as a dot with its
    P10-P90 range. Costs (negative savings) stack below zero. Hatching keeps levers apart in greyscale."""
    import matplotlib.pyplot as plt

    path = Path(path)
    fys = list(dict.fromkeys(difference["financial_year"]))
    levers = [lv for lv in dict.fromkeys(difference["lever"]) if lv != "all"]
    x = np.arange(len(fys))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(fys) + 3), 4.5))
    pos = np.zeros(len(fys))
    neg = np.zeros(len(fys))
    hatches = ["", "//", "..", "xx", "\\\\", "--", "++", "oo"]
    cmap = plt.get_cmap("tab10")
    for k, lever in enumerate(levers):
        rows = difference[difference["lever"] == lever].set_index("financial_year")
        vals = np.array([rows["pounds_mean"].get(fy, 0.0) for fy in fys]) / 1000.0
        bottom = np.where(vals >= 0, pos, neg)
        ax.bar(x, vals, 0.6, bottom=bottom, label=lever, color=cmap(k % 10), hatch=hatches[k % len(hatches)],
               edgecolor="white", linewidth=0.5)
        pos += np.where(vals >= 0, vals, 0)
        neg += np.where(vals < 0, vals, 0)
    total = difference[difference["lever"] == "all"].set_index("financial_year")
    if len(total):
        mean = np.array([total["pounds_mean"].get(fy, 0.0) for fy in fys]) / 1000.0
        lo = np.array([total["pounds_p10"].get(fy, 0.0) for fy in fys]) / 1000.0
        hi = np.array([total["pounds_p90"].get(fy, 0.0) for fy in fys]) / 1000.0
        ax.errorbar(x, mean, yerr=[np.clip(mean - lo, 0, None), np.clip(hi - mean, 0, None)], fmt="o", color="black", capsize=4,
                    label="all levers (P10-P90)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, fys)
    ax.set_xlabel("financial year")
    ax.set_ylabel("saving against the baseline (£k)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    return _save_png(fig, path, dpi=110)


def workforce_plan_png(p: WorkforcePlan, path: str | Path, title: str) -> Path:
    """FTE needed by month for each team (mean line, P10-P90 band) with employees and agency of the total."""
    import matplotlib.pyplot as plt

    path = Path(path)
    m = p.monthly
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cmap = plt.get_cmap("tab10")
    for k, (team, rows) in enumerate(m.groupby("team", sort=False)):
        x = pd.to_datetime(rows["month"])
        ax.plot(x, rows["fte_mean"], color=cmap(k % 10), label=f"{team}: FTE needed (mean)")
        ax.fill_between(x, rows["fte_p10"], rows["fte_p90"], color=cmap(k % 10), alpha=0.2,
                        label=f"{team}: P10-P90")
    tot = m.groupby("month", sort=True)[["agency_fte"]].sum()
    ax.plot(pd.to_datetime(tot.index), tot["agency_fte"], color="black", linestyle="--", label="agency FTE (all)")
    ax.set_ylabel("FTE (case-holding)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return _save_png(fig, path, dpi=120)


def workforce_benchmark_png(wb: WorkforceBenchmark, path: str | Path) -> Path:
    """Agency, vacancy and turnover rates and caseload by year: the LA, its neighbours' median and England."""
    import matplotlib.pyplot as plt

    from careflow.aggregate.workforce_benchmark import MEASURES, RATE_MEASURES

    path = Path(path)
    fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
    for ax, m in zip(axes.flat, RATE_MEASURES, strict=True):
        rows = [h for h in wb.history if h["measure"] == m]
        years = [h["year"] for h in rows]
        for key, style, label in (("la", "-o", wb.la_name), ("neighbours_median", "--s", "neighbours' median"),
                                  ("england", ":^", "England")):
            ax.plot(years, [h[key] for h in rows], style, markersize=3, label=label)
        ax.set_title(MEASURES[m], fontsize=9)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Children's social work workforce: {wb.la_name} (DfE CSWW, reporting years)", fontsize=10)
    return _save_png(fig, path, dpi=120)
