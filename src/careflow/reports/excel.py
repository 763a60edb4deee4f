"""Excel workbooks for finance teams (xlsxwriter): forecast, business case and portfolio (MTFS roll-up).

Conventions every workbook follows, because finance business partners work in Excel and audit what they are given:
- money in named units: "£" cells hold pounds (format £#,##0), "£k" cells hold thousands of pounds (format
  £#,##0"k", header says £k); financial years as ``2025-26`` column headers;
- every table is a named Excel table (filterable, referable by name) under a frozen header;
- totals are live formulas (``=SUM(...)``) with their computed value cached, so the file reads correctly in Excel
  and in tools that read cached values;
- stated figures that do not add up are flagged in red with the computed figure beside them;
- a "Parameters" sheet (each parameter used: value, date, source) and an "About" sheet (version, data files,
  settings, seed, date).
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from careflow.costs import CASH
from careflow.errors import CareflowError
from careflow.reports.case_view import (
    INVESTMENT,
    ONGOING,
    SAVING,
    Line,
    as_mapping,
    case_lines,
    fy_label,
    indicator_rows,
    overview_rows,
    price_base_of,
    risk_rows,
    units_of,
)
from careflow.reports.provenance import Provenance, parameter_rows
from careflow.vocabulary import category_name

# finance convention: negatives in brackets, "(£446k)" not "-£446k"
GBP = '£#,##0;[Red](£#,##0)'
GBPK = '£#,##0"k";[Red](£#,##0"k")'
GBPM = '£#,##0.0"m";[Red](£#,##0.0"m")'
MONEY_FORMATS = {"£": GBP, "£k": GBPK, "£m": GBPM}


class _Book:
    """An xlsxwriter workbook with the house formats and a helper for named tables."""

    def __init__(self, path: str | Path | io.BytesIO):
        target = path if isinstance(path, io.BytesIO) else str(path)
        self.wb = xlsxwriter.Workbook(target, {"in_memory": True, "nan_inf_to_errors": True,
                                              "strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
        self.wb.set_properties({"creator": "careflow", "comments": "Produced by careflow"})
        self.table_names: set[str] = set()
        self.widths: dict[str, dict[int, float]] = {}
        f = self.wb.add_format
        self.fmt = {
            "title": f({"bold": True, "font_size": 14}),
            "subtitle": f({"italic": True, "font_color": "#505a5f", "text_wrap": False}),
            "h2": f({"bold": True, "font_size": 11}),
            "text": f({"text_wrap": True, "valign": "top"}),
            "plain": f({}),
            "bold": f({"bold": True}),
            "int": f({"num_format": "#,##0"}),
            "num1": f({"num_format": "#,##0.0"}),
            "num2": f({"num_format": "#,##0.00"}),
            "ratio": f({"num_format": '0.00"x"'}),
            "years": f({"num_format": '0.00" years"'}),
            "pct": f({"num_format": "0.0%"}),
            "date": f({"num_format": "yyyy-mm-dd"}),
            "month": f({"num_format": "mmm yyyy"}),
            "£": f({"num_format": GBP}),
            "£k": f({"num_format": GBPK}),
            "£m": f({"num_format": GBPM}),
            "£k_bold": f({"num_format": GBPK, "bold": True, "top": 1}),
            "£_bold": f({"num_format": GBP, "bold": True, "top": 1}),
            "£m_bold": f({"num_format": GBPM, "bold": True, "top": 1}),
            "flag": f({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B10E1E", "text_wrap": True,
                       "valign": "top"}),
            "flag_int": f({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B10E1E", "num_format": "#,##0"}),
            "flag_£k": f({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B10E1E", "num_format": GBPK}),
            "ok": f({"font_color": "#005A30", "bold": True, "indent": 1}),
            "flag_result": f({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B10E1E", "indent": 1}),
            "banner_bad": f({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B10E1E"}),
            "banner_ok": f({"bold": True, "font_color": "#005A30"}),
        }

    def sheet(self, name: str):
        ws = self.wb.add_worksheet(name[:31])
        ws.hide_gridlines(2)
        # Printable as councils print: A4 landscape, one page wide, sheet name and page in the footer.
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_footer(f"&L{name[:31]}&RPage &P of &N")
        return ws

    def table_name(self, name: str) -> str:
        base = re.sub(r"\W", "", name) or "Table"
        if not base[0].isalpha():
            base = "T" + base
        n, i = base, 2
        while n.lower() in self.table_names:
            n, i = f"{base}{i}", i + 1
        self.table_names.add(n.lower())
        return n

    def table(self, ws, row: int, col: int, name: str, columns: Sequence[tuple[str, str, float]],
              rows: Sequence[Sequence[Any]], cell_formats: Mapping[tuple[int, int], str] | None = None,
              freeze: bool = True) -> tuple[int, int]:
        """Write a named table at (row, col); ``columns`` are (header, format key, width). Returns last row/col.

        ``cell_formats`` overrides the format of single data cells ((data row index, column index) -> format key),
        used to flag inconsistent figures.
        """
        headers = [h for h, _, _ in columns]
        if len(set(headers)) != len(headers):
            raise ValueError(f"duplicate table headers in {name}: {headers}")
        data = [list(r) for r in rows] or [[None] * len(columns)]
        last_row = row + len(data)
        last_col = col + len(columns) - 1
        ws.add_table(row, col, last_row, last_col, {
            "name": self.table_name(name), "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": self.fmt["bold"]} for h in headers]})
        for i, r in enumerate(data):
            for j, value in enumerate(r):
                key = (cell_formats or {}).get((i, j), columns[j][1])
                self.write(ws, row + 1 + i, col + j, value, key)
        widths = self.widths.setdefault(ws.name, {})
        for j, (_, _, width) in enumerate(columns):
            # Several tables can share a sheet's columns: keep the widest each needs.
            if width > widths.get(col + j, 0):
                widths[col + j] = width
                ws.set_column(col + j, col + j, width)
        # Wrapped text needs a row height (LibreOffice and some viewers do not grow rows by themselves).
        for i, r in enumerate(data):
            lines = 1
            for j, value in enumerate(r):
                if isinstance(value, str) and (columns[j][1] in ("text", "flag") or "\n" in value):
                    per_line = max(1.0, widths.get(col + j, columns[j][2]) * 1.15)
                    n = sum(max(1, -(-len(part) // int(per_line))) for part in value.split("\n"))
                    lines = max(lines, n)
            if lines > 1:
                ws.set_row(row + 1 + i, 12.75 * min(lines, 30))
        if freeze:
            ws.freeze_panes(row + 1, 0)
        return last_row, last_col

    def write(self, ws, r: int, c: int, value: Any, key: str = "plain") -> None:
        fmt = self.fmt[key]
        if isinstance(value, Formula):
            ws.write_formula(r, c, value.formula, fmt, value.value)
        elif value is None or (isinstance(value, float) and pd.isna(value)):
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, pd.Timestamp):
            ws.write_datetime(r, c, value.to_pydatetime(), fmt)
        elif isinstance(value, dt.date):
            ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                              else dt.datetime.combine(value, dt.time()), fmt)
        elif isinstance(value, bool | np.bool_):
            ws.write_string(r, c, "Yes" if value else "No", fmt)
        elif isinstance(value, numbers.Number):
            ws.write_number(r, c, float(value), fmt)
        else:
            ws.write_string(r, c, str(value), fmt)

    def banner(self, ws, row: int, text: str, bad: bool, last_col: int = 3) -> None:
        ws.merge_range(row, 0, row, last_col, text, self.fmt["banner_bad" if bad else "banner_ok"])

    def heading(self, ws, title: str, subtitle: str = "") -> int:
        """Title and a one-line note (units, source) on rows 0-1; tables start at row 3."""
        ws.write_string(0, 0, title, self.fmt["title"])
        if subtitle:
            ws.write_string(1, 0, subtitle, self.fmt["subtitle"])
        return 3

    def close(self) -> None:
        try:
            self.wb.close()
        except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
            raise CareflowError(f"cannot write the workbook: {exc}", rule="output") from exc


class Formula:
    """A live Excel formula with its computed value cached."""

    def __init__(self, formula: str, value: float):
        self.formula, self.value = formula, value


def _sum(ws_row_first: int, ws_row_last: int, col: int, value: float) -> Formula:
    a = xl_rowcol_to_cell(ws_row_first, col)
    b = xl_rowcol_to_cell(ws_row_last, col)
    return Formula(f"=SUM({a}:{b})", float(value))


# -------------------------------------------------------------------------------------------------------------
# Shared sheets


def _parameters_sheet(book: _Book, parameters: Iterable) -> None:
    ws = book.sheet("Parameters")
    r = book.heading(ws, "Parameters used", "Each value with the date it applies from and its source.")
    rows = parameter_rows(parameters)
    # the description once per parameter and a source once per run of rows that share it: the sheet prints in a
    # few pages instead of repeating the same paragraph on every dated value
    data = [[p.parameter, p.description if i == 0 or rows[i - 1].parameter != p.parameter else "",
             p.item, p.date, p.value, p.unit,
             p.source if i == 0 or (rows[i - 1].parameter, rows[i - 1].source) != (p.parameter, p.source)
             else "as above"] for i, p in enumerate(rows)]
    if not data:
        data = [["(none)", "No parameters were used in producing this workbook.", "", "", "", "", "n/a"]]
    book.table(ws, r, 0, "Parameters", [("Parameter", "plain", 22), ("Description", "text", 40),
                                        ("Item", "plain", 20), ("Applies from", "plain", 13),
                                        ("Value", "num2", 12), ("Unit", "plain", 18), ("Source", "text", 60)],
               data)


def _about_sheet(book: _Book, provenance: Provenance) -> None:
    ws = book.sheet("About")
    r = book.heading(ws, "About this workbook", "How it was produced, so the figures can be reproduced.")
    book.table(ws, r, 0, "About", [("Item", "bold", 24), ("Detail", "text", 100)], provenance.rows())


# -------------------------------------------------------------------------------------------------------------
# Forecast workbook


def _label_fy(v) -> str:
    return fy_label(v) or str(v)


def forecast_workbook(path: str | Path | io.BytesIO, forecast: pd.DataFrame, costs: pd.DataFrame | None = None,
                      validation: Mapping | None = None, parameters: Iterable = (),
                      provenance: Provenance | None = None, la_name: str = "", price_base: str = CASH
                      ) -> str | Path | io.BytesIO:
    """Write the forecast workbook: children by month (P10/P50/P90), costs by category and financial year in £k,
    native Excel charts, the data's validation summary, parameters and provenance. ``price_base`` is stated on
    every money table (default: cash prices of each financial year, as careflow prices a forecast).

    ``forecast`` follows forecast.csv (``date, category, age_band, mean, p10, p50, p90``; ``all`` rows are totals);
    ``costs`` follows costs.csv (``financial_year, category, mean, p10, p50, p90`` in pounds); ``validation`` is the
    validation summary (``issues``, ``summary``).
    """
    need = ["date", "category", "age_band", "mean", "p10", "p50", "p90"]
    missing = [c for c in need if c not in forecast.columns]
    if missing:
        raise CareflowError(f"forecast is missing column(s) {', '.join(missing)}", rule="report-input")
    fc = forecast.assign(date=pd.to_datetime(forecast["date"]), category=forecast["category"].astype(str),
                         age_band=forecast["age_band"].astype(str)).sort_values(["date", "category", "age_band"])
    provenance = provenance or Provenance(title="Forecast of children in care and placement spend")
    book = _Book(path)
    name = f"{la_name}: " if la_name else ""
    summary = book.sheet("Summary")  # first sheet; filled last, from what the other sheets hold
    totals = fc[(fc["category"] == "all") & (fc["age_band"] == "all")].reset_index(drop=True)
    _children_sheets(book, fc, totals, name, need)
    cost_totals = _costs_sheet(book, costs, name, price_base)
    _validation_sheet(book, validation)
    _forecast_summary(book, summary, name, provenance, totals, cost_totals, validation, price_base)
    _parameters_sheet(book, parameters)
    _about_sheet(book, provenance)
    book.close()
    return path


def _children_sheets(book: _Book, fc: pd.DataFrame, totals: pd.DataFrame, name: str, need: list[str]) -> None:
    """Children in care: totals by month, every category and age band, and the median by category."""
    # Children in care: totals by month (the chart's data).
    ws = book.sheet("Children in care")
    r0 = book.heading(ws, f"{name}Children in care by month, all placement types",
                      "Number of children at the end of each month. P10 to P90: 80% of simulations fall inside.")
    cols = [("Month", "month", 12), ("Mean", "num1", 10), ("P10", "int", 10), ("P50 (median)", "int", 13),
            ("P90", "int", 10)]
    book.table(ws, r0, 0, "ChildrenTotal", cols,
               [[d, m, a, b, c] for d, m, a, b, c in totals[["date", "mean", "p10", "p50", "p90"]].itertuples(
                   index=False)])

    # Every category and age band: the mean, category by column (a table that prints; the bands are in
    # forecast.csv and the median by category on the next sheet).
    ws = book.sheet("By category")
    r0 = book.heading(ws, f"{name}Children in care by placement category, age band and month (mean)",
                      "Mean number of children at the end of each month (means add up: the columns sum to All "
                      "placements). P10, P50 and P90 for every category and age band: forecast.csv.")
    by = fc.pivot_table(index=["date", "age_band"], columns="category", values="mean", aggfunc="sum", sort=True)
    cats = [c for c in by.columns if c != "all"] + (["all"] if "all" in by.columns else [])
    book.table(ws, r0, 0, "ChildrenByCategory",
               [("Month", "month", 12), ("Age band", "plain", 10)]
               + [(category_name(c), "num1", max(11, len(category_name(c)) + 2)) for c in cats],
               [[d, band, *[by.loc[(d, band), c] for c in cats]] for d, band in by.index])
    ws.freeze_panes(r0 + 1, 2)
    ws.repeat_rows(r0)

    # Wide view of the median by category (what finance pastes into its own models).
    wide = fc[(fc["age_band"] == "all") & (fc["category"] != "all")]
    if not wide.empty:
        pivot = wide.pivot_table(index="date", columns="category", values="p50", aggfunc="sum", sort=True)
        ws = book.sheet("Median by category")
        r0 = book.heading(ws, f"{name}Median (P50) children in care by category and month",
                          "Number of children at the end of each month. Medians of categories do not add to the "
                          "median of the total.")
        book.table(ws, r0, 0, "MedianByCategory",
                   [("Month", "month", 12)] + [(category_name(c), "int", max(10, len(category_name(c)) + 2))
                                               for c in pivot.columns],
                   [[d, *vals] for d, vals in zip(pivot.index, pivot.to_numpy().tolist(), strict=True)])
        ws.freeze_panes(r0 + 1, 1)


def _costs_sheet(book: _Book, costs: pd.DataFrame | None, name: str, price_base: str) -> pd.DataFrame:
    """Placement spend in £k, category x financial year (mean), and the total's bands by year; returns the 'all'
    rows (empty without costs)."""
    cost_totals = pd.DataFrame(columns=["financial_year", "mean", "p10", "p50", "p90"])
    if costs is not None and not costs.empty:
        cmiss = [c for c in ("financial_year", "category", "mean", "p10", "p50", "p90") if c not in costs.columns]
        if cmiss:
            raise CareflowError(f"costs are missing column(s) {', '.join(cmiss)}", rule="report-input")
        cs = costs.assign(financial_year=costs["financial_year"].map(_label_fy),
                          category=costs["category"].astype(str))
        years = sorted(cs["financial_year"].unique())
        wide = cs.pivot_table(index="category", columns="financial_year", values="mean", aggfunc="sum")
        cats = [c for c in dict.fromkeys(cs["category"]) if c != "all"]
        ws = book.sheet("Costs")
        r0 = book.heading(ws, f"{name}Placement spend by category and financial year (£k, mean)",
                          f"Thousands of pounds, {price_base}; financial years 1 April to 31 March. Means add "
                          "up: the categories sum to the total.")
        rows = [[category_name(c), *[wide.loc[c, y] / 1000 for y in years]] for c in cats]
        rows.append(["All placements", *[wide.loc["all", y] / 1000 if "all" in wide.index else
                                          sum(r[1 + i] for r in rows) for i, y in enumerate(years)]])
        last, _ = book.table(ws, r0, 0, "Costs", [("Category", "plain", 30)] + [(f"{y} £k", "£k", 13) for y in years],
                             rows, cell_formats={(len(rows) - 1, j): "£k_bold" for j in range(1, len(years) + 1)})
        ws.repeat_rows(r0)
        cost_totals = cs[cs["category"] == "all"].sort_values("financial_year").reset_index(drop=True)
        r1 = last + 2
        ws.write_string(r1, 0, "All placements: range over the simulations (£k)", book.fmt["h2"])
        book.table(ws, r1 + 1, 0, "CostBands", [("Financial year", "plain", 30), ("Mean £k", "£k", 13),
                                                 ("P10 £k", "£k", 13), ("P50 £k", "£k", 13), ("P90 £k", "£k", 13)],
                   [[fy, m / 1000, a / 1000, b / 1000, c / 1000] for fy, m, a, b, c in
                    cost_totals[["financial_year", "mean", "p10", "p50", "p90"]].itertuples(index=False)],
                   freeze=False)
        ws.write_string(r1 + 3 + len(cost_totals), 0, "P10 to P90: 80% of simulations fall inside (bands from "
                        "pricing each simulation, not from scaling the median).", book.fmt["subtitle"])
    return cost_totals


def _forecast_summary(book: _Book, summary, name: str, provenance: Provenance, totals: pd.DataFrame,
                      cost_totals: pd.DataFrame, validation: Mapping | None, price_base: str = CASH) -> None:
    """The Summary sheet: key figures, the validation banner and native charts of children and spend."""
    r = book.heading(summary, f"{name}Forecast of children in care and placement spend",
                     f"Produced by careflow {provenance.careflow_version}. See Parameters for every assumption "
                     f"and its source, About for data and settings.")
    key_rows: list[list] = []
    if not totals.empty:
        for row in (totals.iloc[0], totals.iloc[-1]):
            key_rows.append([f"Children in care, {row['date']:%B %Y}", row["mean"], row["p10"], row["p90"],
                             "children"])
    for fy, m, lo, hi in cost_totals[["financial_year", "mean", "p10", "p90"]].itertuples(index=False):
        key_rows.append([f"Placement spend {fy}", m / 1000, lo / 1000, hi / 1000, f"£k, {price_base}"])
    fmts = {(i, j): ("£k" if row[4].startswith("£k") else "int") for i, row in enumerate(key_rows)
            for j in (1, 2, 3)}
    # One central measure for every row: the mean (the children's median is on the Children in care sheet).
    last, _ = book.table(summary, r, 0, "KeyFigures", [("Measure", "plain", 34), ("Mean", "int", 12),
                                                        ("P10", "int", 12), ("P90", "int", 12),
                                                        ("Unit", "plain", 30)], key_rows, cell_formats=fmts)
    if validation:
        s = validation.get("summary", {})
        note = (f"Data validation: {s.get('errors', 0)} error(s), {s.get('warnings', 0)} warning(s) "
                f"(see Validation).")
        book.banner(summary, last + 2, note, bool(s.get("errors")), 2)
    if not totals.empty:
        _children_chart(book, summary, r, len(totals))
    if not cost_totals.empty:
        _spend_chart(book, summary, r, last, cost_totals, offset=340 if not totals.empty else 0)
    summary.freeze_panes(r + 1, 0)


def _children_chart(book: _Book, summary, r: int, n: int) -> None:
    sheet = "Children in care"
    chart = book.wb.add_chart({"type": "line"})
    for col, label, dash, width in ((2, "P10", "dash", 1.25), (3, "P50 (median)", "solid", 2.5),
                                    (4, "P90", "dash", 1.25)):
        chart.add_series({"name": label, "categories": [sheet, 4, 0, 3 + n, 0],
                          "values": [sheet, 4, col, 3 + n, col],
                          "line": {"dash_type": dash, "width": width, "color": "#28509A"}})
    chart.set_title({"name": "Children in care, forecast by month"})
    chart.set_y_axis({"name": "Children in care (number)", "min": 0})
    chart.set_x_axis({"name": "Month", "date_axis": True, "num_format": "mmm yy"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 320})
    summary.insert_chart(r, 6, chart)


def _spend_chart(book: _Book, summary, r: int, last: int, cost_totals: pd.DataFrame, offset: int) -> None:
    # Cost chart reads the "all" rows of the Costs table; they are interleaved by year, so chart the
    # key-figures rows instead would mix units. Write a small helper range on the Summary sheet.
    base = last + 4
    summary.write_string(base, 0, "Placement spend, all categories (£k, cash)", book.fmt["h2"])
    rows = [[fy, m / 1000, lo / 1000, hi / 1000] for fy, m, lo, hi in
            cost_totals[["financial_year", "mean", "p10", "p90"]].itertuples(index=False)]
    book.table(summary, base + 1, 0, "SpendByYear", [("Financial year", "plain", 34), ("Mean £k", "£k", 12),
                                                      ("P10 £k", "£k", 12), ("P90 £k", "£k", 12)],
               rows, freeze=False)
    chart = book.wb.add_chart({"type": "column"})
    n = len(rows)
    chart.add_series({"name": "Mean £k", "categories": ["Summary", base + 2, 0, base + 1 + n, 0],
                      "values": ["Summary", base + 2, 1, base + 1 + n, 1],
                      "pattern": {"pattern": "wide_upward_diagonal", "fg_color": "#28509A",
                                  "bg_color": "#C9D6EE"},
                      "border": {"color": "#28509A"},
                      "y_error_bars": {"type": "custom",
                                       "plus_values": [float(h - m) for _, m, _, h in rows],
                                       "minus_values": [float(m - lo) for _, m, lo, _ in rows]}})
    chart.set_title({"name": "Placement spend by financial year (£k), P10 to P90 whiskers"})
    chart.set_y_axis({"name": "£k (cash)", "num_format": '£#,##0"k"', "min": 0})
    chart.set_x_axis({"name": "Financial year"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 320})
    summary.insert_chart(r, 6, chart, {"y_offset": offset})


def _validation_sheet(book: _Book, validation: Mapping | None) -> None:
    """Counts only: the issue list names children (CHILD identifiers, dates of birth) and stays with the data
    team, so a workbook for finance never holds it (docs/ssda903.md)."""
    ws = book.sheet("Validation")
    r = book.heading(ws, "Validation of the input data",
                     "Errors must be fixed before the forecast can be relied on; warnings are worth checking.")
    if not validation:
        ws.write_string(r, 0, "No validation summary was supplied with this forecast.", book.fmt["plain"])
        return
    s = dict(validation.get("summary") or {})
    rows = [[k.replace("_", " ").capitalize(), v] for k, v in s.items() if not isinstance(v, list | dict)]
    for k, v in s.items():
        if isinstance(v, list) and v:
            rows.append([k.capitalize(), ", ".join(str(x.get("la", x)) if isinstance(x, dict) else str(x)
                                                   for x in v)])
    last, _ = book.table(ws, r, 0, "ValidationSummary", [("Measure", "bold", 18), ("Value", "int", 30)], rows,
                         freeze=False)
    by_rule = dict(validation.get("by_rule") or {})
    if not by_rule:  # a full `careflow validate --format json` document: count its issues
        for i in validation.get("issues") or []:
            entry = by_rule.setdefault(i.get("rule", ""), {"severity": i.get("severity", ""), "count": 0})
            entry["count"] += 1
    data = [[v.get("severity", ""), rule, v.get("count", 0)] for rule, v in sorted(by_rule.items())]
    fmts = {(k, 0): "flag" for k, row in enumerate(data) if row[0] == "error"}
    top = last + 2
    ws.write_string(top, 0, f"Findings by rule ({sum(row[2] for row in data)})", book.fmt["h2"])
    end, _ = book.table(ws, top + 1, 0, "ValidationRules",
                        [("Severity", "plain", 10), ("Rule", "plain", 22), ("Count", "int", 10)], data,
                        cell_formats=fmts)
    ws.write_string(end + 2, 0, "The list of each finding with its file, line and child is not in this workbook: it "
                    "identifies children. The data team gets it with `careflow validate DATA --format csv`.",
                    book.fmt["plain"])


def validation_workbook(path: str | Path | io.BytesIO, report: Mapping) -> None:
    """The data team's validation workbook (``ValidationReport.to_dict()``): a "Summary" sheet (counts, and the
    findings by rule with the rule's text) and a "Findings" sheet, one row per finding with file, row, field and
    child. It names children: it stays with the data, never goes to finance (:func:`_validation_sheet` is the
    count-only version that does)."""
    from careflow.ssda903.validate import RULES

    book = _Book(path)
    ws = book.sheet("Summary")
    r = book.heading(ws, "Validation of the SSDA903 data",
                     "Errors must be fixed before a forecast can be relied on; warnings are worth checking.")
    s = dict(report.get("summary") or {})
    rows = [["Errors", s.get("errors", 0)], ["Warnings", s.get("warnings", 0)], ["Children", s.get("children", 0)],
            ["Episodes", s.get("episodes", 0)], ["Collection years", ", ".join(s.get("years") or []) or "none"]]
    last, _ = book.table(ws, r, 0, "ValidationSummary", [("Measure", "bold", 18), ("Value", "int", 30)], rows,
                         freeze=False)
    issues = list(report.get("issues") or [])
    counts: dict[str, list] = {}
    for i in issues:
        entry = counts.setdefault(i.get("rule", ""), [i.get("severity", ""), 0])
        entry[1] += 1
    data = [[sev, rule, n, RULES.get(rule, ("", "", ""))[2]] for rule, (sev, n) in sorted(counts.items())]
    book.table(ws, last + 2, 0, "FindingsByRule", [("Severity", "plain", 10), ("Rule", "plain", 20),
                                                   ("Count", "int", 10), ("What the rule checks", "text", 70)],
               data, cell_formats={(k, 0): "flag" for k, row in enumerate(data) if row[0] == "error"}, freeze=False)
    ws = book.sheet("Findings")
    r = book.heading(ws, "Every finding", "Row: the line of the file as opened (header = 1). Child: the CHILD "
                     "identifier in the file.")
    cols = [("Severity", "plain", 10), ("Rule", "plain", 20), ("File", "plain", 30), ("Row", "int", 8),
            ("Field", "plain", 16), ("Child", "plain", 14), ("Message", "text", 70)]
    book.table(ws, r, 0, "Findings", cols, [[i.get(k) for k in ("severity", "rule", "file", "row", "field", "child",
                                                                  "message")] for i in issues])
    book.close()


# -------------------------------------------------------------------------------------------------------------
# Business case workbook


MEASURES = (("payback_years_simple", "Payback (simple: investment against cumulative savings)", "years"),
            ("payback_years_cashflow", "Payback (cash-flow: net flows from the first year of the case)", "years"),
            ("total_savings_years_1_to_5", "Total savings, years 1 to 5", "money"),
            ("total_savings_years_1_to_10", "Total savings, years 1 to 10", "money"),
            ("npv", "Net present value (Green Book discounting)", "money"),
            ("benefit_cost_ratio", "Benefit-cost ratio", "ratio"))


def appraisal_years(appraisal: Mapping) -> pd.DataFrame:
    """The appraisal's cash flows by financial year as a DataFrame with ``financial_year`` labels."""
    df = pd.DataFrame(list(appraisal.get("years") or []))
    if df.empty:
        raise CareflowError("the appraisal has no years", rule="report-input")
    df["financial_year"] = df["financial_year"].map(_label_fy)
    for c in ("investment", "savings", "ongoing_costs", "net", "cumulative_net"):
        if c not in df:
            df[c] = 0.0
        df[c] = pd.to_numeric(df[c]).fillna(0.0)
    if "net_savings" not in df:
        df["net_savings"] = df["savings"] - df["ongoing_costs"]
    df["net_savings"] = pd.to_numeric(df["net_savings"]).fillna(0.0)
    return df.sort_values("financial_year").reset_index(drop=True)


def failed_checks(appraisal: Mapping) -> list[Mapping]:
    return [c for c in appraisal.get("checks") or [] if not c.get("ok", True)]


def measure_rows(appraisal: Mapping, units: str) -> list[tuple[str, Any, str, str]]:
    """(label, value, format key, unit text) for each appraisal measure present."""
    m = appraisal.get("measures") or {}
    out = []
    for key, label, kind in MEASURES:
        if key not in m:
            continue
        v = m[key]
        if kind == "years":
            out.append((label, v if v is not None else "not paid back", "num2", "years"))
        elif kind == "money":
            out.append((label, v, units, units))
        else:
            out.append((label, v, "num2", "ratio"))
    return out


def _profile_rows(case: Mapping, years: pd.DataFrame, units: str, first_row: int, fy_cols: list[str]):
    """Rows of the MTFS profile: detail lines, totals as SUM formulas, net, cumulative net."""
    lines = case_lines(case)
    rows, fmts = [], {}
    ncol = len(fy_cols)
    bold = f"{units}_bold" if units in ("£", "£k", "£m") else "£k_bold"

    def add(label: str, kind: str, values: list[Any], total: Any, key: str | None = None):
        rows.append([label, kind, *values, total])
        if key:
            for j in range(2, 3 + ncol):
                fmts[(len(rows) - 1, j)] = key

    for kind, title, col in ((INVESTMENT, "Total investment (one-off)", "investment"),
                             (SAVING, "Total savings (against baseline)", "savings"),
                             (ONGOING, "Total ongoing costs", "ongoing_costs")):
        detail = [ln for ln in lines if ln.kind == kind]
        start = len(rows)
        for ln in detail:
            vals = [ln.values.get(fy) for fy in fy_cols]
            add(ln.name, kind.replace("_", " "), vals, sum(v for v in vals if v is not None))
        appraised = [float(years.loc[years["financial_year"] == fy, col].sum()) for fy in fy_cols]
        if not detail and not any(appraised):
            continue
        if detail:
            # The appraisal carries recurring amounts beyond the years the lines state: show them as their own
            # row so the live totals equal the appraised figures.
            residual = [a - sum(ln.values.get(fy, 0.0) for ln in detail) for a, fy in zip(appraised, fy_cols,
                                                                                              strict=True)]
            if any(abs(r) > 0.005 for r in residual):
                stated = set(years.loc[years["stated"].astype(bool), "financial_year"]) if "stated" in years \
                    else set()
                late = all(fy not in stated for r, fy in zip(residual, fy_cols, strict=True) if abs(r) > 0.005)
                label = ("Recurring after the last stated year (carried forward by the appraisal)" if late and stated
                         else "In the case total but not in its lines")
                vals = [r if abs(r) > 0.005 else None for r in residual]
                add(label, kind.replace("_", " "), vals, sum(v for v in vals if v is not None))
                detail = detail + [Line(label, kind, {fy: v for fy, v in zip(fy_cols, vals, strict=True)
                                                      if v is not None})]
            # Live totals over the detail rows; cached value is the sum of the lines.
            totals = []
            for j, fy in enumerate(fy_cols):
                s = sum(ln.values.get(fy, 0.0) for ln in detail)
                totals.append(_sum(first_row + start, first_row + len(rows) - 1, 2 + j, s))
            add(title, "total", totals, _sum_row(first_row + len(rows), 2, 1 + ncol,
                                                 sum(t.value for t in totals)), bold)
        else:
            add(title, "total", appraised, _sum_row(first_row + len(rows), 2, 1 + ncol, sum(appraised)), bold)
    if any(ln.kind == ONGOING for ln in lines) or years["ongoing_costs"].any():
        ns = [float(years.loc[years["financial_year"] == fy, "net_savings"].sum()) for fy in fy_cols]
        add("Net savings (savings less ongoing costs)", "net", ns,
            _sum_row(first_row + len(rows), 2, 1 + ncol, sum(ns)), bold)
    net = [float(years.loc[years["financial_year"] == fy, "net"].sum()) for fy in fy_cols]
    add("Net (savings less investment and ongoing costs)", "net", net,
        _sum_row(first_row + len(rows), 2, 1 + ncol, sum(net)), bold)
    cum = [float(years.loc[years["financial_year"] == fy, "cumulative_net"].sum()) for fy in fy_cols]
    add("Cumulative net", "cumulative", cum, None, units)
    return rows, fmts


def _sum_row(row: int, c0: int, c1: int, value: float) -> Formula:
    return Formula(f"=SUM({xl_rowcol_to_cell(row, c0)}:{xl_rowcol_to_cell(row, c1)})", float(value))


def _savings_range_sheet(book: _Book, appraisal: Mapping, units: str) -> None:
    """Where a case's savings come from a scenario: the scenario named, and P10, mean and P90 by year."""
    rng = list(appraisal.get("savings_range") or [])
    if not rng:
        return
    ws = book.sheet("Savings range")
    r0 = book.heading(ws, f"Savings against the baseline: range by financial year ({units})",
                      f"Source: {appraisal.get('savings_source') or 'as the case states them'}. "
                      f"{units}, {appraisal.get('price_base') or 'price base not stated'}. P10 to P90: 80% of "
                      "the simulations fall inside; the mean is the figure appraised.")
    book.table(ws, r0, 0, "SavingsRange", [("Financial year", "plain", 14), (f"P10 {units}", units, 13),
                                            (f"Mean {units}", units, 13), (f"P90 {units}", units, 13)],
               [[r["financial_year"], r.get("p10"), r.get("mean"), r.get("p90")] for r in rng])


def case_workbook(path: str | Path | io.BytesIO, case: Any, appraisal: Mapping,
                  difference: pd.DataFrame | None = None, parameters: Iterable = (),
                  provenance: Provenance | None = None) -> str | Path | io.BytesIO:
    """Write a business case workbook: overview and measures, MTFS profile by financial year in the case's units,
    cash flows, checks of the document's stated figures (failures flagged red), scenario difference by lever,
    parameters and provenance."""
    c = as_mapping(case)
    units = units_of(c, appraisal)
    years = appraisal_years(appraisal)
    fy_cols = years["financial_year"].tolist()
    provenance = provenance or Provenance(title=f"Business case {c.get('reference') or c.get('title') or ''}")
    book = _Book(path)
    bad = failed_checks(appraisal)

    ws = book.sheet("Summary")
    ref = c.get("reference") or ""
    r = book.heading(ws, f"{ref + ' ' if ref else ''}{c.get('title') or 'Business case'}",
                     f"Money in {units} ({'thousands of pounds' if units == '£k' else 'pounds'}), "
                     f"{price_base_of(c, appraisal)}; financial years 1 April to 31 March. The template fields "
                     "are on Overview.")
    if bad:
        book.banner(ws, r, f"{len(bad)} stated figure(s) in the document do not add up: see Checks.", True, 2)
    elif appraisal.get("checks"):
        book.banner(ws, r, "Every stated figure checked adds up.", False, 2)
    r += 2
    mrows = measure_rows(appraisal, units)
    fmts = {(i, 1): key for i, (_, _, key, _) in enumerate(mrows)}
    book.table(ws, r, 0, "Measures", [("Measure", "plain", 60), ("Value", "num2", 16), ("Unit", "plain", 10)],
               [[a, b, d] for a, b, _, d in mrows], cell_formats=fmts, freeze=False)
    ws = book.sheet("Overview")
    r = book.heading(ws, "Project overview", "The council template's overview fields.")
    book.table(ws, r, 0, "ProjectOverview", [("Field", "bold", 34), ("Detail", "text", 90)], overview_rows(c))
    settings = appraisal.get("settings") or appraisal.get("assumptions") or {}
    if settings:
        provenance.settings = {**{f"appraisal {k}": v for k, v in settings.items()}, **provenance.settings}

    # MTFS profile: financial years as columns.
    ws = book.sheet("MTFS profile")
    r0 = book.heading(ws, f"Cost and savings profile by financial year ({units})",
                      f"{units}, {price_base_of(c, appraisal)}; savings against the baseline (each year's saving, "
                      "not the increment); investment and ongoing costs as positive amounts, subtracted in the net.")
    rows, fmts = _profile_rows(c, years, units, r0 + 1, fy_cols)
    cols = [("Line", "text", 52), ("Kind", "plain", 12)] + [(f"{fy} {units}", units, 12) for fy in fy_cols] + \
           [(f"Total {units}", units, 13)]
    last, _ = book.table(ws, r0, 0, "MTFSProfile", cols, rows, cell_formats=fmts)
    ws.freeze_panes(r0 + 1, 1)
    if bad:
        rr = last + 2
        ws.write_string(rr, 0, "Stated figures that do not add up (see Checks)", book.fmt["h2"])
        for k, chk in enumerate(bad):
            ws.merge_range(rr + 1 + k, 0, rr + 1 + k, min(3 + len(fy_cols), 6),
                           f"{chk.get('item')}: stated {_num(chk.get('stated'))}, computed "
                           f"{_num(chk.get('computed'))}", book.fmt["flag"])

    _savings_range_sheet(book, appraisal, units)

    # Cash flows (long form, for pivoting).
    ws = book.sheet("Cash flows")
    r0 = book.heading(ws, f"Cash flows by financial year ({units})",
                      f"{units}, {price_base_of(c, appraisal)}; as appraised.")
    book.table(ws, r0, 0, "CashFlows", [("Financial year", "plain", 14), (f"Investment {units}", units, 15),
                                        (f"Savings {units}", units, 15), (f"Ongoing costs {units}", units, 18),
                                        (f"Net {units}", units, 13), (f"Cumulative net {units}", units, 19)],
               years[["financial_year", "investment", "savings", "ongoing_costs", "net", "cumulative_net"]]
               .values.tolist())

    _tracking_sheets(book, c)
    _checks_sheet(book, appraisal.get("checks") or [], units)
    if difference is not None and not difference.empty:
        _difference_sheets(book, difference)
    _parameters_sheet(book, parameters)
    _about_sheet(book, provenance)
    book.close()
    return path


def _tracking_sheets(book: _Book, c: Mapping) -> None:
    """Indicators (targets against actuals by period, tier, source) and risks (by score), when the case has them."""
    inds = indicator_rows(c)
    if inds:
        ws = book.sheet("Indicators")
        r0 = book.heading(ws, "Indicators: targets and actuals by period",
                          "Source 'indicators.<measure>' or 'cohort.<...>': filled in from the SSDA903 data "
                          "(careflow cases refresh; Loaded says when and by whom); otherwise recorded by hand.")
        book.table(ws, r0, 0, "Indicators", [
            ("Indicator", "text", 48), ("Tier", "text", 24), ("Unit", "text", 20), ("Source", "plain", 26),
            ("Period", "plain", 12), ("Target", "num2", 11), ("Actual", "num2", 11), ("Loaded", "plain", 22)],
            [[r["name"], r["tier"], r["unit"], r["source"], r["period"], r["planned"], r["actual"], r["loaded"]]
             for r in inds])
    risks = risk_rows(c)
    if risks:
        ws = book.sheet("Risks")
        r0 = book.heading(ws, "Risks, highest score first",
                          "Score = likelihood x impact on 1-5 scales (very low 1 to very high 5); blank when "
                          "either is not a rating.")
        book.table(ws, r0, 0, "Risks", [
            ("Risk", "text", 44), ("Likelihood", "text", 12), ("Impact", "text", 24), ("Score", "plain", 8),
            ("Owner", "text", 18), ("Review date", "date", 12), ("Mitigation", "text", 50)],
            [[r.get("title"), r.get("likelihood"), r.get("impact"), r["score"], r.get("owner"),
              r.get("review_date"), r.get("mitigation")] for r in risks])


def _num(v) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v:,.2f}" if abs(v) < 100 and v != int(v) else f"{v:,.0f}"
    return str(v)


def _checks_sheet(book: _Book, checks: Sequence[Mapping], units: str) -> None:
    ws = book.sheet("Checks")
    r0 = book.heading(ws, "Checks of the figures stated in the document",
                      f"Each stated total recomputed from the document's own figures ({units} unless the item "
                      "says otherwise). Red: the stated figure does not add up.")
    rows, fmts = [], {}
    for i, chk in enumerate(checks):
        stated, computed = chk.get("stated"), chk.get("computed")
        diff = (stated - computed) if all(isinstance(v, int | float) for v in (stated, computed)) else None
        ok = bool(chk.get("ok", True))
        rows.append([str(chk.get("item", "")), stated, computed, diff,
                     "Consistent" if ok else "DOES NOT ADD UP"])
        for j, v in ((1, stated), (2, computed), (3, diff)):
            if isinstance(v, int | float) and float(v).is_integer():
                fmts[(i, j)] = "int"
        if not ok:
            for j in range(4):
                fmts[(i, j)] = "flag_int" if j in (1, 2, 3) and fmts.get((i, j)) == "int" else "flag"
            fmts[(i, 4)] = "flag_result"
        else:
            fmts[(i, 4)] = "ok"
    if not rows:
        rows = [["No stated figures to check", None, None, None, ""]]
    book.table(ws, r0, 0, "Checks", [("Item", "text", 60), ("Stated", "num2", 12), ("Computed", "num2", 12),
                                     ("Stated less computed", "num2", 20), ("Result", "plain", 20)], rows,
               cell_formats=fmts)


def _difference_sheets(book: _Book, difference: pd.DataFrame) -> None:
    need = ["financial_year", "lever", "pounds_mean"]
    missing = [c for c in need if c not in difference.columns]
    if missing:
        raise CareflowError(f"scenario difference is missing column(s) {', '.join(missing)}", rule="report-input")
    d = difference.assign(financial_year=difference["financial_year"].map(_label_fy),
                          lever=difference["lever"].astype(str)).sort_values(["lever", "financial_year"])
    for c in ("children_mean", "care_days_mean", "pounds_p10", "pounds_p90"):
        if c not in d:
            d[c] = float("nan")
    ws = book.sheet("Scenario by lever")
    fys = sorted(d["financial_year"].unique())
    levers = [lv for lv in dict.fromkeys(d["lever"]) if lv != "all"] + (["all"] if "all" in set(d["lever"]) else [])
    r0 = book.heading(ws, "Savings against the baseline by lever and financial year (£k)",
                      "£k, cash prices of each financial year, mean of the simulations; savings positive. 'all' is the combined scenario (levers "
                      "interact, so it need not equal the sum of the levers).")
    piv = d.pivot_table(index="lever", columns="financial_year", values="pounds_mean", aggfunc="sum")
    rows = []
    for lv in levers:
        vals = [float(piv.loc[lv, fy]) / 1000 if fy in piv.columns and pd.notna(piv.loc[lv, fy]) else 0.0
                for fy in fys]
        rows.append([lv.replace("_", " ") if lv != "all" else "all (combined scenario)", *vals,
                     _sum_row(r0 + 1 + len(rows), 1, len(fys), sum(vals))])
    fmts = {(len(rows) - 1, j): "£k_bold" for j in range(1, len(fys) + 2)} if "all" in levers else {}
    last, _ = book.table(ws, r0, 0, "SavingsByLever", [("Lever", "plain", 30)] +
                         [(f"{fy} £k", "£k", 12) for fy in fys] + [("Total £k", "£k", 13)], rows,
                         cell_formats=fmts)
    ws.freeze_panes(r0 + 1, 1)
    ws = book.sheet("Scenario difference")
    r0 = book.heading(ws, "Scenario difference against the baseline",
                      "Children and care-days: mean difference; money in £k with P10 to P90 from the simulations. "
                      "Savings positive.")
    rows = [[fy, lv, ch, cd, m / 1000, lo / 1000, hi / 1000] for fy, lv, ch, cd, m, lo, hi in
            d[["financial_year", "lever", "children_mean", "care_days_mean", "pounds_mean", "pounds_p10",
               "pounds_p90"]].itertuples(index=False)]
    book.table(ws, r0, 0, "ScenarioDifference",
               [("Financial year", "plain", 14), ("Lever", "plain", 26), ("Children (mean)", "num1", 15),
                ("Care-days (mean)", "int", 16), ("Saving mean £k", "£k", 15), ("Saving P10 £k", "£k", 14),
                ("Saving P90 £k", "£k", 14)], rows)


# -------------------------------------------------------------------------------------------------------------
# Portfolio workbook (MTFS roll-up)


def _to_k(value: float, units: str) -> float:
    return value / 1000 if units == "£" else value * 1000 if units == "£m" else value


def portfolio_table(cases: Sequence[tuple[Any, Mapping]]) -> pd.DataFrame:
    """One row per case and financial year: net savings (after ongoing costs, as MTFS tables report them) against
    the baseline and incremental, in £k, with the case's reference, title, directorate, type of saving and
    delivery status."""
    rows = []
    for case, appraisal in cases:
        c = as_mapping(case)
        units = units_of(c, appraisal)
        years = appraisal_years(appraisal)
        prev = 0.0
        stated = years["stated"].astype(bool) if "stated" in years else pd.Series(True, index=years.index)
        for fy, sav, inv, st in zip(years["financial_year"], years["net_savings"], years["investment"], stated,
                                    strict=True):
            s = _to_k(float(sav), units)
            rows.append({"reference": str(c.get("reference") or ""), "title": str(c.get("title") or ""),
                         "directorate": str(c.get("directorate") or "Not stated"),
                         "saving_type": str(c.get("saving_type") or c.get("type_of_saving") or "Not stated"),
                         "status": str(c.get("rag") or c.get("status") or "Not stated"), "financial_year": fy,
                         "savings_k": s, "incremental_k": s - prev, "investment_k": _to_k(float(inv), units),
                         "stated": bool(st),
                         "price_base": (appraisal or {}).get("price_base") or c.get("price_base") or "Not stated",
                         "source": str((appraisal or {}).get("savings_source") or "as the case states them")})
            prev = s
    return pd.DataFrame(rows)


def portfolio_workbook(path: str | Path | io.BytesIO, cases: Sequence[tuple[Any, Mapping]],
                       parameters: Iterable = (), provenance: Provenance | None = None,
                       title: str = "Savings programme") -> str | Path | io.BytesIO:
    """Roll many business cases up into MTFS tables by financial year (£k): incremental (as MTFS tables state
    them) and against the baseline, totals by directorate, type of saving and status, and every failed check."""
    if not cases:
        raise CareflowError("no business cases to roll up", rule="report-input")
    table = portfolio_table(cases)
    # The MTFS years are those the cases state; recurring years the appraisal carries forward add nothing new.
    fys = sorted(table.loc[table["stated"], "financial_year"].unique()) or sorted(table["financial_year"].unique())
    table = table[table["financial_year"].isin(fys)]
    provenance = provenance or Provenance(title=f"{title}: MTFS roll-up")
    book = _Book(path)
    refs = list(dict.fromkeys(zip(table["reference"], table["title"], table["directorate"], table["saving_type"],
                                  table["status"], table["price_base"], table["source"], strict=True)))
    bases = sorted(set(table["price_base"]))
    base_note = (f"Price base: {bases[0]}." if len(bases) == 1 else
                 f"The cases state {len(bases)} different price bases (column Price base): a year's total adds "
                 "figures in different prices; restate them in one price base before relying on the totals.")
    k = len(refs[0]) if refs else 7  # descriptive columns before the years
    for sheet, col, note in (("MTFS incremental", "incremental_k",
                              "£k; each year's new saving (as MTFS tables state them). The total is the full "
                              "annual saving by the last year. " + base_note),
                             ("MTFS against baseline", "savings_k",
                              "£k; each year's saving against the baseline (cumulative). " + base_note)):
        ws = book.sheet(sheet)
        r0 = book.heading(ws, f"{title}: savings by financial year "
                              f"({'incremental' if 'incr' in col else 'against baseline'}, £k)", note)
        rows = []
        for key in refs:
            sub = table[(table["reference"] == key[0]) & (table["title"] == key[1])]
            vals = [float(sub.loc[sub["financial_year"] == fy, col].sum()) for fy in fys]
            rr = r0 + 1 + len(rows)
            total = _sum_row(rr, k, k - 1 + len(fys), sum(vals)) if col == "incremental_k" else None
            rows.append([*key, *vals] + ([total] if total is not None else []))
        n = len(rows)
        tot = [_sum(r0 + 1, r0 + n, k + j, sum(r[k + j] for r in rows)) for j in range(len(fys))]
        extra = [_sum(r0 + 1, r0 + n, k + len(fys), sum(r[-1].value for r in rows))] if col == "incremental_k" \
            else []
        rows.append(["Total", *[""] * (k - 1), *tot, *extra])
        fmts = {(n, j): "£k_bold" for j in range(k, k + len(fys) + len(extra))}
        cols = [("Reference", "plain", 14), ("Title", "text", 44), ("Directorate", "text", 26),
                ("Type of saving", "plain", 14), ("Status", "plain", 11), ("Price base", "text", 28),
                ("Source of savings", "text", 36)] + \
               [(f"{fy} £k", "£k", 12) for fy in fys] + ([("Total £k", "£k", 13)] if extra else [])
        book.table(ws, r0, 0, "MTFSIncremental" if col == "incremental_k" else "MTFSAgainstBaseline", cols, rows,
                   cell_formats=fmts)
        ws.freeze_panes(r0 + 1, 2)
        ws.repeat_rows(r0)

    ws = book.sheet("By directorate, type, status")
    r = book.heading(ws, "Incremental savings by directorate, type of saving and status (£k)",
                     "£k; sums of the incremental savings of the cases.")
    for dim, label in (("directorate", "Directorate"), ("saving_type", "Type of saving"), ("status", "Status")):
        piv = table.pivot_table(index=dim, columns="financial_year", values="incremental_k", aggfunc="sum")
        rows = [[k, *[float(piv.loc[k, fy]) for fy in fys], float(piv.loc[k].sum())] for k in piv.index]
        last, _ = book.table(ws, r, 0, f"By{label.title().replace(' ', '')}",
                             [(label, "plain", 30)] + [(f"{fy} £k", "£k", 12) for fy in fys] +
                             [("Total £k", "£k", 13)], rows, freeze=False)
        r = last + 3

    ws = book.sheet("Checks")
    r0 = book.heading(ws, "Stated figures that do not add up, by case", "Red rows need correcting before sign-off.")
    rows, fmts = [], {}
    for case, appraisal in cases:
        c = as_mapping(case)
        for chk in appraisal.get("checks") or []:
            ok = bool(chk.get("ok", True))
            rows.append([str(c.get("reference") or c.get("title") or ""), str(chk.get("item", "")),
                         chk.get("stated"), chk.get("computed"), "Consistent" if ok else "DOES NOT ADD UP"])
            if not ok:
                for j in range(5):
                    fmts[(len(rows) - 1, j)] = "flag"
    if not rows:
        rows = [["", "No stated figures to check", None, None, ""]]
    book.table(ws, r0, 0, "PortfolioChecks", [("Case", "plain", 14), ("Item", "text", 56), ("Stated", "num2", 12),
                                              ("Computed", "num2", 12), ("Result", "plain", 20)], rows,
               cell_formats=fmts)
    _parameters_sheet(book, parameters)
    _about_sheet(book, provenance)
    book.close()
    return path
