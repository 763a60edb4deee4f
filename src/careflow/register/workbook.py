"""A business case as an Excel workbook: one sheet per section, written with xlsxwriter, read with openpyxl.

Layout (row 1 of every sheet is its header, exactly as below; data from row 2):

=====================  =============================================================================================
sheet                  columns
=====================  =============================================================================================
overview               field | value — the text fields, one per row (``reference`` required; ``options.study`` and
                       ``community_impact.*`` use dotted names; ``version`` is the register version exported)
scope                  part | item — part is ``within`` or ``outside``
dependencies           dependency
financials             key | value | format — the scalar financial keys; format ``yaml`` marks a value written as
                       YAML text (line items, stated figures, appraisal settings)
financials_by_year     item | one column per financial year (``2019-20``) — rows ``investment``, ``savings``,
                       ``ongoing_costs``; amounts in the units given in ``financials``
options                title | description | preferred (TRUE/FALSE)
risks                  title | description | likelihood | impact | mitigation | owner | review_date
indicators             name | description | unit | baseline | target | tier | source | cohort children |
                       cohort start | cohort months | loaded at | loaded by | loaded data | loaded data end, then
                       ``target <period>`` and ``actual <period>`` columns (read by header name)
milestones             phase | date | description | planned | actual | status
tracking               year | planned | forecast | delivered | note | rag (rag is derived, ignored on import)
=====================  =============================================================================================

A sheet in the wrong shape (unknown sheet, wrong header, a number where text belongs) is reported naming the sheet,
row and column.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
import yaml
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from careflow import yamlio
from careflow.archives import check_spreadsheet
from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.fy import FinancialYear
from careflow.register import financials as fin
from careflow.register.model import BusinessCase

OVERVIEW_FIELDS = (
    "reference", "project_code", "title", "senior_responsible_officer", "directorate", "service", "status",
    "authority", "sponsor", "accountable_director", "description", "background", "what_if_not", "aims", "approach",
    "assumptions", "constraints", "options.study",
    "non_financial_benefits", "community_impact.affected", "community_impact.positive", "community_impact.negative",
    "community_impact.neutral", "community_impact.disproportionate", "source", "notes", "cross_checks",
)
HEADERS = {
    "overview": ("field", "value"),
    "scope": ("part", "item"),
    "dependencies": ("dependency",),
    "financials": ("key", "value", "format"),
    "financials_by_year": ("item",),  # + financial years
    "options": ("title", "description", "preferred"),
    "risks": ("title", "description", "likelihood", "impact", "mitigation", "owner", "review_date"),
    # + "target <period>" and "actual <period>"; read by header name (older workbooks lack the later columns)
    "indicators": ("name", "description", "unit", "baseline", "target", "tier", "source", "cohort children",
                   "cohort start", "cohort months", "loaded at", "loaded by", "loaded data", "loaded data end"),
    "milestones": ("phase", "date", "description", "planned", "actual", "status"),
    "tracking": ("year", "planned", "forecast", "delivered", "note", "rag"),
}
BY_YEAR_ITEMS = ("investment", "savings", "ongoing_costs")
EXCEL_TEXT_LIMIT = 32767


# writing -------------------------------------------------------------------------------------------------------
class _Writer:
    """The workbook being written, its cell formats and the cells that could not be written (over Excel's limit)."""

    def __init__(self, target: str | Path | io.BytesIO):
        self.target = target
        self.wb = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})
        self.bold = self.wb.add_format({"bold": True, "bg_color": "#DDDDDD"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.money = self.wb.add_format({"num_format": "#,##0.###"})
        self.problems: list[Finding] = []

    def sheet(self, name: str, header: tuple[str, ...], widths: tuple[int, ...] = ()):
        ws = self.wb.add_worksheet(name)
        for c, h in enumerate(header):
            ws.write_string(0, c, h, self.bold)
            ws.set_column(c, c, widths[c] if c < len(widths) else 16)
        ws.freeze_panes(1, 0)
        return ws

    def put(self, ws, r: int, c: int, value: Any, fmt=None) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value, fmt or self.money)
        else:
            text = str(value)
            if len(text) > EXCEL_TEXT_LIMIT:
                self.problems.append(Finding(rule="xlsx-cell", file=str(self.target), row=r + 1,
                                             field=f"{ws.name}!{get_column_letter(c + 1)}",
                                             message=f"text of {len(text)} characters is over Excel's limit of "
                                                     f"{EXCEL_TEXT_LIMIT}"))
                return
            ws.write_string(r, c, text, fmt or self.wrap)


def write_workbook(case: BusinessCase, target: str | Path | io.BytesIO, version: int | None = None) -> None:
    """Write ``case`` to an .xlsx file (or a BytesIO) in the layout above."""
    w = _Writer(target)
    data = case.model_dump(mode="json")
    _write_overview(w, case, data, version)
    _write_scope_and_dependencies(w, case)
    _write_financials(w, case)
    _write_lists(w, case, data)
    if w.problems:
        raise CareflowError(w.problems)
    w.wb.close()


def _write_overview(w: _Writer, case: BusinessCase, data: dict[str, Any], version: int | None) -> None:
    ws = w.sheet("overview", HEADERS["overview"], (30, 100))
    rows = [("version", version)] if version is not None else []
    rows = [("reference", case.reference)] + rows
    for name in OVERVIEW_FIELDS[1:]:
        head, _, tail = name.partition(".")
        value = data[head][tail] if tail else data[head]
        if name == "cross_checks":  # a list of mappings: one cell of JSON, read back as written
            import json

            value = json.dumps(value, ensure_ascii=False) if value else None
        rows.append((name, value))
    for r, (name, value) in enumerate(rows, start=1):
        ws.write_string(r, 0, name)
        w.put(ws, r, 1, value)


def _write_scope_and_dependencies(w: _Writer, case: BusinessCase) -> None:
    ws = w.sheet("scope", HEADERS["scope"], (10, 100))
    r = 1
    for part in ("within", "outside"):
        for item in case.scope.model_dump()[part]:
            ws.write_string(r, 0, part)
            w.put(ws, r, 1, item)
            r += 1
    ws = w.sheet("dependencies", HEADERS["dependencies"], (100,))
    for r, item in enumerate(case.dependencies, start=1):
        w.put(ws, r, 0, item)


def _write_financials(w: _Writer, case: BusinessCase) -> None:
    """The scalar financial keys (a list or mapping as one YAML cell) and the amounts by financial year."""
    money_data = case.financials
    ws = w.sheet("financials", HEADERS["financials"], (16, 60, 8))
    r = 1
    for key in fin.FINANCIAL_KEYS:
        if key in BY_YEAR_ITEMS or key not in money_data:
            continue
        value = money_data[key]
        ws.write_string(r, 0, key)
        if isinstance(value, dict | list):
            w.put(ws, r, 1, yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n"))
            ws.write_string(r, 2, "yaml")
        else:
            w.put(ws, r, 1, value)
        r += 1
    years = sorted({y for item in BY_YEAR_ITEMS for y in (money_data.get(item) or {})})
    ws = w.sheet("financials_by_year", HEADERS["financials_by_year"] + tuple(years), (16,))
    r = 1
    for item in BY_YEAR_ITEMS:
        if item not in money_data or money_data[item] is None:
            continue
        ws.write_string(r, 0, item)
        for c, year in enumerate(years, start=1):
            w.put(ws, r, c, money_data[item].get(year))
        r += 1


def _write_lists(w: _Writer, case: BusinessCase, data: dict[str, Any]) -> None:
    """Options, risks, indicators (targets and actuals by period as columns), milestones and tracking."""
    ws = w.sheet("options", HEADERS["options"], (40, 80, 10))
    for r, o in enumerate(case.options.considered, start=1):
        w.put(ws, r, 0, o.title)
        w.put(ws, r, 1, o.description)
        ws.write_boolean(r, 2, o.preferred)
    ws = w.sheet("risks", HEADERS["risks"], (40, 60, 20, 30, 60, 20))
    for r, risk in enumerate(data["risks"], start=1):
        for c, col in enumerate(HEADERS["risks"]):
            w.put(ws, r, c, risk[col])
    periods = sorted({p for ind in case.indicators for p in ind.actuals})
    planned = sorted({p for ind in case.indicators for p in ind.targets})
    ws = w.sheet("indicators", HEADERS["indicators"] + tuple(f"target {p}" for p in planned)
               + tuple(f"actual {p}" for p in periods), (40, 60))
    for r, ind in enumerate(data["indicators"], start=1):
        cohort, loaded = ind.get("cohort") or {}, ind.get("loaded") or {}
        flat = {**ind, "cohort children": cohort.get("children"), "cohort start": cohort.get("start"),
                "cohort months": ",".join(map(str, cohort["months"])) if cohort.get("months") else None,
                **{f"loaded {k.replace('_', ' ')}": v for k, v in loaded.items()}}
        for c, col in enumerate(HEADERS["indicators"]):
            w.put(ws, r, c, flat.get(col))
        for c, p in enumerate(planned, start=len(HEADERS["indicators"])):
            w.put(ws, r, c, ind["targets"].get(p))
        for c, p in enumerate(periods, start=len(HEADERS["indicators"]) + len(planned)):
            w.put(ws, r, c, ind["actuals"].get(p))
    ws = w.sheet("milestones", HEADERS["milestones"], (24, 20, 80))
    for r, m in enumerate(data["milestones"], start=1):
        for c, col in enumerate(HEADERS["milestones"]):
            w.put(ws, r, c, m[col])
    ws = w.sheet("tracking", HEADERS["tracking"], (10, 12, 12, 12, 60, 12))
    for r, e in enumerate(case.tracking, start=1):
        w.put(ws, r, 0, e.year)
        for c, col in enumerate(("planned", "forecast", "delivered", "note"), start=1):
            w.put(ws, r, c, getattr(e, col))
        w.put(ws, r, 5, e.rag.value if e.rag else None)


# reading -------------------------------------------------------------------------------------------------------
def _indicators(sheet, rd: _Reader) -> list[dict]:
    """The indicators sheet, by header name: base columns (any order; missing ones blank), then ``target <period>``
    and ``actual <period>`` columns."""
    if sheet is None:
        return []
    header, rows = sheet
    base, periods = {}, []  # column name -> 1-based column; (kind, period, column)
    for c, h in enumerate(header, start=1):
        name = h.strip() if isinstance(h, str) else h
        if name in HEADERS["indicators"]:
            base[name] = c
        elif isinstance(name, str) and name.split(" ", 1)[0] in ("actual", "target") and name[7:].strip():
            kind, period = name.split(" ", 1)
            periods.append(("actuals" if kind == "actual" else "targets", period.strip(), c))
        elif name is not None:
            rd.bad("indicators", 1, c, f"unknown column {h!r}: columns are {', '.join(HEADERS['indicators'])}, "
                                       "then 'target <period>' and 'actual <period>'")
    out = []
    for r, row in enumerate(rows, start=2):
        if all(v is None for v in row):
            continue
        i = len(out)

        def cell(c, row=row):
            return row[c - 1] if c is not None and c - 1 < len(row) else None

        item: dict[str, Any] = {}
        for col in ("name", "description", "unit", "baseline", "target", "tier", "source"):
            value, c = cell(base.get(col)), base.get(col)
            if col in ("baseline", "target") and isinstance(value, int | float) and not isinstance(value, bool):
                rd.where[("indicators", i, col)] = ("indicators", r, c)
                item[col] = value
            else:
                item[col] = rd.text("indicators", r, c, value, ("indicators", i, col))
        children = rd.text("indicators", r, base.get("cohort children"), cell(base.get("cohort children")),
                           ("indicators", i, "cohort", "children"))
        if children is not None:
            months = cell(base.get("cohort months"))
            rd.where[("indicators", i, "cohort", "months")] = ("indicators", r, base.get("cohort months"))
            start = cell(base.get("cohort start"))
            rd.where[("indicators", i, "cohort", "start")] = ("indicators", r, base.get("cohort start"))
            item["cohort"] = {"children": children, "start": start,
                              **({"months": [m.strip() for m in str(months).split(",") if m.strip()]}
                                 if months is not None else {})}
        at = cell(base.get("loaded at"))
        if at is not None:
            item["loaded"] = {k: cell(base.get(f"loaded {k.replace('_', ' ')}")) for k in ("at", "by", "data",
                                                                                          "data_end")}
            rd.where[("indicators", i, "loaded")] = ("indicators", r, base.get("loaded at"))
        for kind in ("targets", "actuals"):
            series = {}
            for k, period, c in periods:
                if k == kind:
                    v = rd.number("indicators", r, c, cell(c), ("indicators", i, kind, period))
                    if v is not None:
                        series[period] = v
            item[kind] = series
        out.append(item)
    return out


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.findings: list[Finding] = []
        self.where: dict[tuple, tuple[str, int, int]] = {}  # model location -> (sheet, row, column)

    def bad(self, sheet: str, row: int | None, col: int | None, message: str, rule: str = "xlsx-shape") -> None:
        field = sheet if col is None else f"{sheet}!{get_column_letter(col)}"
        self.findings.append(Finding(rule=rule, message=message, file=self.file, row=row, field=field))

    def cell_of(self, loc: tuple) -> dict:
        """Where a model location was read from: the file, row and ``sheet!column`` (the overview when unknown)."""
        if loc[:2] == ("options", "considered"):
            loc = ("options",) + loc[2:]
        hit = next((self.where[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in self.where), None)
        sheet, row, col = hit if hit else ("overview", None, None)
        return {"file": self.file, "row": row, "field": sheet if col is None else f"{sheet}!{get_column_letter(col)}"}

    def text(self, sheet, r, c, value, loc) -> str | None:
        self.where[loc] = (sheet, r, c)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            self.bad(sheet, r, c, f"expected text, found {value!r}")
            return None
        if isinstance(value, int | float):
            return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
        return str(value)

    def number(self, sheet, r, c, value, loc) -> float | None:
        self.where[loc] = (sheet, r, c)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(sheet, r, c, f"expected a number, found {value!r}", rule="xlsx-type")
            return None
        return value


def _rows(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def _read_sheets(wb, rd: _Reader) -> dict[str, tuple[list, list[tuple]]]:
    """Each known sheet's header and rows (trailing blank rows dropped); unknown sheets and wrong headers are
    findings."""
    sheets = {}
    for name in wb.sheetnames:
        if name not in HEADERS:
            rd.bad(name, None, None, f"unknown sheet {name!r}; expected sheets: {', '.join(HEADERS)}")
            continue
        rows = _rows(wb[name])
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        header = [h for h in (rows[0] if rows else ())]
        while header and header[-1] is None:
            header.pop()
        expected = HEADERS[name]
        ok = True
        for c, exp in enumerate(expected, start=1):
            got = header[c - 1] if c <= len(header) else None
            if got != exp:
                rd.bad(name, 1, c, f"header should be {exp!r}, found {got!r} (header: {', '.join(expected)})")
                ok = False
                break
        if ok:
            sheets[name] = (header, rows[1:])
    return sheets


def _read_overview(sheets: dict, rd: _Reader, data: dict[str, Any]) -> int | None:
    """The overview sheet's field | value rows into ``data``; returns the register version it states (or None)."""
    version = None
    for r, row in enumerate(sheets.get("overview", (None, []))[1], start=2):
        key = row[0] if row else None
        value = row[1] if len(row) > 1 else None
        if key is None and value is None:
            continue
        if key == "version":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                rd.bad("overview", r, 2, f"version must be a whole number >= 1, found {value!r}", "xlsx-type")
            version = value
            continue
        if key not in OVERVIEW_FIELDS:
            rd.bad("overview", r, 1, f"unknown field {key!r}")
            continue
        head, _, tail = key.partition(".")
        loc = (head, tail) if tail else (head,)
        if tail == "study":
            loc = ("options", "study")
        val = rd.text("overview", r, 2, value, loc)
        if key == "cross_checks":
            import json

            try:
                val = json.loads(val) if val else []
            except ValueError as exc:
                rd.bad("overview", r, 2, f"cross_checks must be the JSON list careflow wrote ({exc})", "xlsx-type")
                continue
        if tail:
            data[head][tail] = val
        else:
            data[head] = val

    return version


def _read_scope_and_dependencies(sheets: dict, rd: _Reader, data: dict[str, Any]) -> None:
    for r, row in enumerate(sheets.get("scope", (None, []))[1], start=2):
        part, item = (list(row) + [None, None])[:2]
        if part is None and item is None:
            continue
        if part not in ("within", "outside"):
            rd.bad("scope", r, 1, f"part must be within or outside, found {part!r}")
            continue
        data["scope"][part].append(rd.text("scope", r, 2, item, ("scope", part)))
    deps = []
    for r, row in enumerate(sheets.get("dependencies", (None, []))[1], start=2):
        if row and row[0] is not None:
            deps.append(rd.text("dependencies", r, 1, row[0], ("dependencies", len(deps))))
    data["dependencies"] = deps


def _read_financials(sheets: dict, rd: _Reader, data: dict[str, Any]) -> dict[str, Any]:
    """The financials and financials_by_year sheets as the case's financial keys, checked by finance (each problem
    named at its sheet and cell)."""
    money: dict[str, Any] = {}
    for r, row in enumerate(sheets.get("financials", (None, []))[1], start=2):
        key, value, fmt = (list(row) + [None, None, None])[:3]
        if key is None and value is None:
            continue
        if key not in fin.FINANCIAL_KEYS or key in BY_YEAR_ITEMS:
            rd.bad("financials", r, 1, f"unknown financial key {key!r}" if key not in fin.FINANCIAL_KEYS else
                   f"{key} belongs on the financials_by_year sheet")
            continue
        rd.where[("financials", key)] = ("financials", r, 2)
        if fmt == "yaml":
            try:  # the one YAML path, with its limits (a cell is user input like any file)
                money[key] = yamlio.loads(value, file=f"financials!B{r}").data if isinstance(value, str) else value
            except CareflowError as exc:
                rd.bad("financials", r, 2, exc.findings[0].message)
        elif fmt is None:
            money[key] = value
        else:
            rd.bad("financials", r, 3, f"format must be empty or yaml, found {fmt!r}")
    if "financials_by_year" in sheets:
        header, rows = sheets["financials_by_year"]
        years = []
        for c, h in enumerate(header[1:], start=2):
            try:
                years.append(FinancialYear.parse(str(h)).label if h is not None else None)
            except ValueError:
                years.append(None)
            if years[-1] is None:
                rd.bad("financials_by_year", 1, c, f"column header should be a financial year like 2019-20, "
                                                   f"found {h!r}")
        for r, row in enumerate(rows, start=2):
            item = row[0] if row else None
            if item is None and all(v is None for v in row):
                continue
            if item not in BY_YEAR_ITEMS:
                rd.bad("financials_by_year", r, 1, f"item must be one of {', '.join(BY_YEAR_ITEMS)}, found {item!r}")
                continue
            series = {}
            for c, year in enumerate(years, start=2):
                value = row[c - 1] if c - 1 < len(row) else None
                amount = rd.number("financials_by_year", r, c, value, ("financials", item, year))
                if amount is not None and year is not None:
                    series[year] = amount
            money[item] = series
    try:
        money = fin.validate(money, context={k: data[k] for k in ("directorate", "status") if data.get(k)})
    except CareflowError as exc:
        for f in exc.findings:
            p = tuple(f.field.split(".")) if f.field else ()
            sheet, r, c = rd.where.get(("financials",) + p, rd.where.get(
                ("financials",) + p[:1], ("financials", None, None)))
            rd.bad(sheet, r, c, f"{'.'.join(p)}: {f.message}", "xlsx-financials")
    return money


def _table(sheets: dict, rd: _Reader, name: str, cols: tuple[str, ...], numeric=(), boolean=()) -> list[dict]:
    """The rows of a list sheet (options, risks, milestones, tracking) as mappings, each with its ``_row``."""
    out = []
    for r, row in enumerate(sheets.get(name, (None, []))[1], start=2):
        if all(v is None for v in row):
            continue
        item = {}
        for c, col in enumerate(cols, start=1):
            value = row[c - 1] if c - 1 < len(row) else None
            loc = (name, len(out), col)
            if col in boolean:
                rd.where[loc] = (name, r, c)
                if value is not None and not isinstance(value, bool):
                    rd.bad(name, r, c, f"expected TRUE or FALSE, found {value!r}", "xlsx-type")
                item[col] = bool(value)
            elif col in numeric:
                item[col] = rd.number(name, r, c, value, loc)
            elif isinstance(value, int | float) and not isinstance(value, bool) and col in ("likelihood",
                                                                                            "impact",
                                                                                            "baseline",
                                                                                            "target"):
                rd.where[loc] = (name, r, c)
                item[col] = value
            else:
                item[col] = rd.text(name, r, c, value, loc)
        item["_row"] = r
        out.append(item)
    return out


def _read_lists(sheets: dict, rd: _Reader, data: dict[str, Any]) -> None:
    """The options, risks, indicators, milestones and tracking sheets into ``data``."""
    data["options"]["considered"] = [{k: v for k, v in o.items() if k != "_row"}
                                     for o in _table(sheets, rd, "options", HEADERS["options"], boolean=("preferred",))]
    data["risks"] = [{k: v for k, v in o.items() if k != "_row"} for o in _table(sheets, rd, "risks", HEADERS["risks"])]
    data["indicators"] = _indicators(sheets.get("indicators"), rd)
    data["milestones"] = [{k: v for k, v in o.items() if k != "_row"}
                          for o in _table(sheets, rd, "milestones", HEADERS["milestones"])]
    data["tracking"] = [{k: v for k, v in o.items() if k not in ("_row", "rag")}
                        for o in _table(sheets, rd, "tracking", HEADERS["tracking"], numeric=("planned", "forecast",
                                                                                 "delivered"))]


def read_workbook(path: str | Path) -> tuple[BusinessCase, int | None]:
    """Read a case workbook; any problem is a CareflowError naming sheet, row and column."""
    file = str(path)
    bomb = check_spreadsheet(path, "xlsx-file")
    if bomb is not None:
        raise CareflowError(bomb)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for non-workbooks
        raise CareflowError(Finding(rule="xlsx-file", file=file, message=f"not a readable .xlsx workbook ({exc})")
                            ) from None
    rd = _Reader(file)
    sheets = _read_sheets(wb, rd)
    wb.close()
    if "overview" not in sheets and not any(f.field and f.field.startswith("overview") for f in rd.findings):
        rd.bad("overview", None, None, "the workbook has no overview sheet (field | value)")
    if rd.findings:
        raise CareflowError(rd.findings)

    data: dict[str, Any] = {"options": {"considered": []}, "community_impact": {}, "scope": {"within": [],
                                                                                          "outside": []}}
    version = _read_overview(sheets, rd, data)
    _read_scope_and_dependencies(sheets, rd, data)
    data["financials"] = _read_financials(sheets, rd, data)
    _read_lists(sheets, rd, data)
    if rd.findings:
        raise CareflowError(rd.findings)
    if not data.get("reference"):
        rd.bad("overview", None, 2, "reference is required (a row 'reference' with the case's reference)",
               "case-reference")
        raise CareflowError(rd.findings)
    try:
        case = BusinessCase.model_validate(data)
    except ValidationError as exc:
        raise CareflowError(rd.findings + pydantic_findings(exc, "xlsx-value", rd.cell_of, name_key=True)) from None
    return case, version
