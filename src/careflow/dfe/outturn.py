"""Read MHCLG revenue outturn workbooks for social care (RO3) as published (ODS), one row per authority.

The RO3 data sheet holds one row per authority (E-code, ONS code, name, class) and one column per line and
measure, in £ thousand. The layout changes between years, so it is found, never assumed:

* 2023-24: the line name sits on one header row, once per group of seven columns, and the measure
  ("Employees (C1)", ...) on the next row, with hidden code rows above and note numbers glued to some measures;
* 2024-25: one header row whose cells join line and measure ("Children's social care - Children Looked After -
  Net Current Expenditure (C7 = C3 - C6)").

The header row is the row whose second cell is "ONS Code". Markers in number cells (``[x]`` not applicable,
``[note 4]`` Gateshead's looked-after total allocated across its "of which" lines by other authorities'
proportions, ``M`` return not received, ...) are kept as the cell's ``marker`` and its value is left empty, never
guessed. Only the children's social care lines are read (the workbook also holds adult social care and public
health). Authorities are joined to DfE LAs by ONS code, never by name.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.archives import check_spreadsheet
from careflow.errors import CareflowError, Finding

# Line keys for the children's social care lines careflow uses, matched on the workbook's line names.
LINES: dict[str, str] = {
    "cla": "Children's social care - Children Looked After",
    "residential": "Children's social care - Children Looked After of which residential care",
    "fostering": "Children's social care - Children Looked After of which fostering services",
    "asylum": "Children's social care - Children Looked After of which asylum seeking children who are looked after",
    "cla_other": "Children's social care - Children Looked After of which other",
    "family_support": "Children's social care - Family Support Services",
    "safeguarding": "Children's social care - Safeguarding children and young people's services",
    "total": "TOTAL CHILDREN SOCIAL CARE",
}
# Measure keys by the column code in brackets.
MEASURES: dict[str, str] = {"C1": "employees", "C2": "running_expenses", "C3": "total_expenditure",
                            "C4": "sales_fees_charges", "C5": "other_income", "C6": "total_income",
                            "C7": "net_current_expenditure"}
COLUMNS = ["ons_code", "e_code", "authority", "la_class", "line", "measure", "value", "marker", "row"]
ENGLAND_ONS = "E92000001"
CHILDREN_SERVICES_CLASSES = ("SC", "UA", "MD", "LB")


@dataclass
class Outturn:
    """One RO3 workbook: ``table`` has one row per authority, line and measure, values in £ thousand."""

    year: str  # financial year label, e.g. "2024-25"
    file: str
    table: pd.DataFrame  # COLUMNS; value is NaN where the cell holds a marker (kept in ``marker``)
    findings: list[Finding] = field(default_factory=list)

    def value(self, ons_code: str, line: str = "cla", measure: str = "net_current_expenditure") -> float:
        """£ thousand for one authority (ONS code; England is E92000001); NaN where missing or marked."""
        hit = self._cell(ons_code, line, measure)
        return float(hit.value.iloc[0]) if len(hit) else math.nan

    def marker(self, ons_code: str, line: str = "cla", measure: str = "net_current_expenditure") -> str:
        hit = self._cell(ons_code, line, measure)
        return str(hit.marker.iloc[0]) if len(hit) else "no row for this authority"

    def authority(self, ons_code: str) -> str:
        hit = self.table[self.table.ons_code == ons_code]
        return str(hit.authority.iloc[0]) if len(hit) else ""

    def _cell(self, ons_code: str, line: str, measure: str) -> pd.DataFrame:
        t = self.table
        return t[(t.ons_code == ons_code) & (t.line == line) & (t.measure == measure)]

    @property
    def source(self) -> str:
        return f"MHCLG revenue outturn RO3 {self.year}, {Path(self.file).name}"


def _norm(text: object) -> str:
    return " ".join(str(text).split()) if isinstance(text, str) else ""


def _plain(name: str) -> str:
    """A line name without note references, with the workbooks' variant punctuation made one."""
    name = re.sub(r"\s*\[note \d+\]", "", name).replace("\u2019", "'").replace("Children's social care:",
                                                                                   "Children's social care -")
    return name.strip().lower()


def _line_key(name: str) -> str | None:
    name = _plain(name)
    for key, label in LINES.items():
        if name == label.lower():
            return key
    return None


_JOINED = re.compile(r"^(.*?) - ((?:Employees|Running Expenses|Total Expenditure|Sales, Fees and Charges|"
                     r"Other Income|Total Income|Net Current Expenditure)\b.*)$")


def _measure_key(name: str) -> str | None:
    m = re.search(r"\((C\d)\b", name)
    return MEASURES.get(m.group(1)) if m else None


def _figure(v: object) -> tuple[float, str]:
    """A number cell's (value, marker): a figure and "", or NaN and what the cell holds instead (a marker such as
    ``[x]``, "blank", or "not a figure: ..." for a date, a truth value or an infinite number)."""
    if isinstance(v, str):
        return math.nan, _norm(v) or "blank"
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return math.nan, "blank"
    if isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if math.isfinite(f):
            return f, ""
    return math.nan, f"not a figure: {str(v)[:40]}"


def _year(frame: pd.DataFrame) -> str | None:
    for v in frame.iloc[:12, 0]:
        m = re.search(r"(20\d\d)-(\d\d)\b", _norm(v))
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


def _columns(frame: pd.DataFrame, header: int) -> dict[int, tuple[str, str]]:
    """Column index -> (line, measure) for the lines careflow reads, in either year's layout."""
    out: dict[int, tuple[str, str]] = {}
    line: str | None = None
    joined = any(_JOINED.match(_norm(v)) for v in frame.iloc[header, 7:])
    for c in range(7, frame.shape[1]):
        cell = _norm(frame.iat[header, c])
        if joined:
            # "<line> - <measure>": the measure is the part after the last " - "
            m = _JOINED.match(cell)
            key, measure = (_line_key(m.group(1)), _measure_key(m.group(2))) if m else (None, None)
        else:
            above = _norm(frame.iat[header - 1, c])
            if above:
                line = above
            key, measure = (_line_key(line) if line else None), _measure_key(cell)
        if key and measure:
            out[c] = (key, measure)
    return out


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime: float) -> Outturn:
    return _read(path)


def read_outturn(path: str | Path) -> Outturn:
    """Read one RO3 workbook (ODS or XLSX as published). Raises :class:`CareflowError` naming the file when it is
    not an RO3 data workbook; markers and odd cells become findings (warnings), never tracebacks."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError as exc:
        raise CareflowError(f"cannot read the outturn workbook: {exc.strerror or exc}", file=str(p),
                            rule="outturn-unreadable") from None
    return _read_cached(str(p), mtime)


def _read(path: str) -> Outturn:
    engine = "odf" if path.lower().endswith(".ods") else None
    bomb = check_spreadsheet(path, "outturn-unreadable")
    if bomb is not None:
        raise CareflowError(bomb)
    try:
        sheets = pd.ExcelFile(path, engine=engine)
        names = [s for s in sheets.sheet_names if re.match(r"RO3_LA_Data", s)]
        if not names:
            raise CareflowError(f"no RO3 data sheet (a sheet named RO3_LA_Data...; sheets: "
                                f"{', '.join(sheets.sheet_names)})", file=path, rule="outturn-layout")
        frame = pd.read_excel(sheets, sheet_name=names[0], header=None)
    except CareflowError:
        raise
    except ImportError as exc:
        raise CareflowError(f"reading ODS needs the odfpy package ({exc})", file=path,
                            rule="outturn-unreadable") from None
    except Exception as exc:  # zip, XML or format errors from the spreadsheet libraries
        raise CareflowError(f"not a readable spreadsheet: {exc}", file=path, rule="outturn-unreadable") from None
    where = [r for r in range(min(len(frame), 40))
             if frame.shape[1] > 7 and _norm(frame.iat[r, 1]).lower() == "ons code"]
    if not where:
        raise CareflowError("no header row with 'ONS Code' in its second column in the first 40 rows",
                            file=path, field=names[0], rule="outturn-layout")
    header = where[0]
    year = _year(frame)
    if year is None:
        raise CareflowError("no financial year (e.g. 2024-25) in the sheet's title rows", file=path,
                            field=names[0], rule="outturn-layout")
    cols = _columns(frame, header)
    if not any(v == ("cla", "net_current_expenditure") for v in cols.values()):
        raise CareflowError("no 'Children Looked After' net current expenditure column", file=path,
                            field=names[0], rule="outturn-layout")
    findings: list[Finding] = []
    rows = []
    for r in range(header + 1, len(frame)):
        ons = _norm(frame.iat[r, 1])
        if not re.fullmatch(r"E\d{8}", ons):
            if _norm(frame.iat[r, 1]).lower() == "ons code":
                break  # the class-breakdown table below the authorities
            continue
        e_code, name, la_class = _norm(frame.iat[r, 0]), _norm(frame.iat[r, 2]), _norm(frame.iat[r, 4])
        for c, (line, measure) in cols.items():
            v, marker = _figure(frame.iat[r, c])
            rows.append((ons, e_code, name, la_class, line, measure, v, marker, r + 1))
    table = pd.DataFrame(rows, columns=COLUMNS)
    # only authorities with children's services (county, unitary, metropolitan, London) should report the line
    marked = table[(table.marker != "") & (table.line == "cla") & (table.measure == "net_current_expenditure")
                   & table.la_class.isin(CHILDREN_SERVICES_CLASSES)]
    for m in marked.itertuples():
        findings.append(Finding("outturn-marker", f"{m.authority}: children looked after net expenditure is "
                                f"'{m.marker}', not a figure", file=path, row=m.row, field=names[0],
                                severity="warning"))
    return Outturn(year=year, file=path, table=table, findings=findings)


def find_outturn_files(folder: str | Path) -> list[Path]:
    """RO3 workbooks under ``folder`` (by name: RO3 in the file name, .ods or .xlsx), latest year last."""
    root = Path(folder)
    if root.is_file():
        return [root] if root.suffix.lower() in (".ods", ".xlsx") and "ro3" in root.name.lower() else []
    found = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".ods", ".xlsx")
             and "ro3" in p.name.lower()]

    def year(p: Path) -> str:
        m = re.findall(r"(20\d\d)-(\d\d)", p.name)
        return m[-1][0] if m else ""

    return sorted(found, key=lambda p: (year(p), p.name))
