"""Read the DfE children's social work workforce indicators (CSWW): one row per year and England, region or LA.

The file is the explore-education-statistics layout of "Children's social work workforce" (September snapshot,
reporting year): ``time_period``, ``geographic_level``, ``old_la_code``, ``new_la_code``, ``la_name`` and one column
per indicator. careflow keeps the indicators it uses (:data:`INDICATORS`); any other column is passed over.

Values are kept exactly as published (no re-rounding). A DfE suppression symbol (``c``, ``x``, ``z``, ``k`` ...)
becomes NaN with its meaning in ``reasons``; anything else that is not a number is a warning finding naming file,
row and field, and is treated as missing too, never guessed. A file without the columns careflow needs is an error
naming the file and the missing columns.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from careflow.dfe.values import is_invalid, parse_count
from careflow.errors import CareflowError, Finding

# Indicator -> what it measures (the DfE definitions, shortened).
INDICATORS = {
    "inpost_fte": "children's social workers in post, FTE (employees, not agency)",
    "inpost_headcount": "children's social workers in post, headcount",
    "starters_fte": "starters in the year, FTE",
    "leavers_fte": "leavers in the year, FTE",
    "turnover_rate_fte": "turnover rate, % (leavers FTE / FTE in post)",
    "agency_fte": "agency workers, FTE",
    "agency_rate_fte": "agency rate, % (agency FTE / (agency FTE + FTE in post))",
    "agency_cover_rate_fte": "agency workers covering vacancies, % of agency FTE",
    "vacancy_fte": "vacancies, FTE",
    "vacancy_rate_fte": "vacancy rate, % (vacancies FTE / (vacancies FTE + FTE in post))",
    "vacancy_agency_cover_rate_fte": "vacancies covered by agency workers, %",
    "case_holders_fte": "social workers holding cases, FTE",
    "cases": "cases held by case-holding social workers",
    "caseload_fte": "average caseload (cases / case-holding FTE)",
    "working_days_lost_fte": "working days lost to sickness absence, FTE",
    "absence_rate_fte": "sickness absence rate, %",
}
REQUIRED = ("time_period", "geographic_level", "old_la_code", "la_name", "inpost_fte", "agency_rate_fte",
            "vacancy_rate_fte", "turnover_rate_fte", "caseload_fte")
# The workforce release prints "low" where a figure is small but not zero (Sunderland's agency FTE); like "k" in the
# other DfE files it is kept as missing with its meaning, not as 0.
CSWW_SYMBOLS = {"low": "low: a small figure DfE does not print (not zero)"}
LEVELS = {"national": "national", "regional": "regional", "local authority": "la"}


@dataclass
class CswwData:
    """The indicators as a table: one row per year and area (``level`` national, regional or la)."""

    table: pd.DataFrame  # year, level, old_la_code, new_la_code, la_name, region_name, row, <indicators>
    reasons: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, indicator) -> why missing
    file: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.table.year.unique())

    @property
    def las(self) -> pd.DataFrame:
        """old_la_code, new_la_code, la_name, first_year, last_year of every LA in the file (latest name)."""
        t = self.table[self.table.level == "la"].sort_values("year")
        return (t.groupby("old_la_code").agg(new_la_code=("new_la_code", "last"), la_name=("la_name", "last"),
                                              first_year=("year", "min"), last_year=("year", "max"))
                .reset_index())

    def la_row(self, old_la_code: str, year: int) -> dict | None:
        t = self.table
        hit = t[(t.level == "la") & (t.old_la_code == old_la_code) & (t.year == year)]
        return None if hit.empty else hit.iloc[0].to_dict()

    def england_row(self, year: int) -> dict | None:
        t = self.table
        hit = t[(t.level == "national") & (t.year == year)]
        return None if hit.empty else hit.iloc[0].to_dict()

    def latest_year(self, old_la_code: str | None = None) -> int:
        t = self.table if old_la_code is None else self.table[self.table.old_la_code == old_la_code]
        if t.empty:
            raise CareflowError(f"no workforce figures for LA {old_la_code} in {self.file}", file=self.file,
                                rule="csww-no-data", field="old_la_code")
        return int(t.year.max())

    def value(self, old_la_code: str, year: int, indicator: str) -> float:
        row = self.la_row(old_la_code, year)
        return math.nan if row is None else float(row[indicator])

    def reason(self, old_la_code: str, year: int, indicator: str) -> str:
        row = self.la_row(old_la_code, year)
        if row is None:
            return f"no {year} row for LA {old_la_code}"
        return self.reasons.get((int(row["row"]), indicator), "")


def is_csww_header(header: list[str]) -> bool:
    return {"caseload_fte", "agency_rate_fte", "time_period"} <= set(header)


def read_csww(path: str | Path) -> CswwData:
    """Read one CSWW indicators CSV. Raises :class:`CareflowError` when the file cannot be used at all."""
    p = Path(path)
    file = str(p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CareflowError(f"cannot read the workforce file: {exc.strerror or exc}", file=file,
                            rule="csww-unreadable") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CareflowError(f"not a readable CSV: {exc}", file=file, rule="csww-unreadable") from None
    if not rows:
        raise CareflowError("empty file", file=file, rule="csww-unreadable")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CareflowError(f"not a children's social work workforce file: missing column(s) {', '.join(missing)}",
                            file=file, row=0, rule="csww-columns")
    idx = {h: i for i, h in enumerate(header)}
    indicators = [c for c in INDICATORS if c in idx]
    findings: list[Finding] = []
    reasons: dict = {}
    records = []
    for n, r in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in r):
            continue

        def get(col: str, r=r) -> str:
            i = idx.get(col)
            return r[i].strip() if i is not None and i < len(r) else ""

        year_text = get("time_period")
        if not (year_text.isdigit() and len(year_text) == 4):
            findings.append(Finding("csww-year", f"not a year: {year_text[:20]!r}; row skipped", file=file, row=n,
                                    field="time_period", severity="warning"))
            continue
        level = LEVELS.get(get("geographic_level").lower())
        if level is None:
            continue  # other geographic levels (e.g. local authority district) are not used
        code = get("old_la_code")
        code = code[:-2] if code.endswith(".0") else code
        if level == "la" and not code:
            findings.append(Finding("csww-la", "local-authority row without old_la_code; row skipped", file=file,
                                    row=n, field="old_la_code", severity="warning"))
            continue
        rec = {"year": int(year_text), "level": level, "old_la_code": code if level == "la" else level,
               "new_la_code": get("new_la_code"), "la_name": get("la_name") if level == "la" else
               (get("region_name") if level == "regional" else get("country_name") or "England"),
               "region_name": get("region_name"), "row": n}
        for col in indicators:
            cell = get(col)
            if cell.lower() in CSWW_SYMBOLS:
                value, why = math.nan, CSWW_SYMBOLS[cell.lower()]
            else:
                value, why = parse_count(cell)
            rec[col] = value
            if why:
                reasons[(n, col)] = why
                if is_invalid(why):
                    findings.append(Finding("csww-value", f"not a number or DfE symbol ({why}); treated as missing",
                                            file=file, row=n, field=col, severity="warning"))
        records.append(rec)
    cols = ["year", "level", "old_la_code", "new_la_code", "la_name", "region_name", "row", *indicators]
    table = pd.DataFrame(records, columns=cols)
    if table.empty:
        raise CareflowError("no national, regional or local-authority rows in the workforce file", file=file,
                            rule="csww-no-data")
    # A repeated (year, area) would make every look-up ambiguous: report it, keep the first.
    dup = table.duplicated(["year", "level", "old_la_code", "la_name"], keep="first")
    for r in table[dup].itertuples():
        findings.append(Finding("csww-duplicate", f"second row for {r.la_name} in {r.year}; the first is used",
                                file=file, row=int(r.row), severity="warning"))
    table = table[~dup].reset_index(drop=True)
    return CswwData(table=table, reasons=reasons, file=file, findings=findings)


def find_csww(folder: str | Path) -> Path | None:
    """The CSWW file in ``folder`` (searched recursively; or the file itself), recognised by its columns."""
    root = Path(folder)
    paths = [root] if root.is_file() else sorted(root.rglob("*.csv")) if root.is_dir() else []
    for p in paths:
        try:
            with p.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                first = next(csv.reader([fh.readline()]), [])
        except OSError:
            continue
        if is_csww_header([h.strip() for h in first]):
            return p
    return None
