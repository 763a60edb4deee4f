"""Load and validate: SSDA903 returns (or one CSV of cleaned episodes) as the model's input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from careflow.errors import CareflowError, Finding
from careflow.model import DEFAULT_CATEGORIES
from careflow.model.rates import UNKNOWN

if TYPE_CHECKING:
    from careflow.ssda903 import Ssda903Data

# The reader's contract (careflow.ssda903): a CSV with these columns is taken as cleaned episodes.
CONTRACT_COLUMNS = {"child", "dob", "decom", "dec", "category", "period", "exit_group"}


@dataclass
class Data:
    """Episodes ready to model: the cleaned episodes, the end of the data (None when the file does not say), the
    model's placement categories, the reader's findings, warnings that the data are thin for the model
    (``careflow.ssda903.modelling.minimum_data``) and the files read."""

    episodes: pd.DataFrame
    data_end: dt.date | None
    categories: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    thin: list[Finding] = field(default_factory=list)
    # The validation status (summary and counts by rule, no child identifier): travels into every forecast and
    # report made from these data (careflow.ssda903.ValidationReport.status).
    validation: dict | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def load_data(path: str | Path, categories: str | Path | None = None, *, year: str | None = None,
              la: str | None = None, date_format: str | None = None, columns: str | Path | None = None,
              pool: bool = False) -> Data:
    """SSDA903 files through :func:`careflow.ssda903.load`, or one CSV of cleaned episodes in the reader's contract
    (columns child, dob, decom, dec, category, period, exit_group...). Rows with validation errors are kept and
    counted in ``Data.errors`` (``careflow validate`` lists them). Several LAs are refused unless ``la`` picks one
    or ``pool`` is set; thin data are warned about in ``Data.thin``."""
    from careflow.fy import FinancialYear
    from careflow.model import episodes as epi
    from careflow.ssda903.modelling import minimum_data, one_la

    p = Path(path)
    if not p.exists():
        raise CareflowError(f"no such file or folder: {p}", file=str(p), rule="file")
    if p.is_file() and p.suffix.lower() == ".csv":
        try:
            head = pd.read_csv(p, nrows=0)
            df = pd.read_csv(p, dtype={"child": str}) if CONTRACT_COLUMNS <= set(head.columns) else None
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise CareflowError(f"cannot read the episodes CSV: {str(exc).strip()}", file=str(p),
                                rule="file") from None
        if df is not None:
            df = _episodes_contract(df, str(p))
            if "la" in df.columns:
                if la is not None:
                    df = df.loc[df["la"].astype(str).str.casefold() == la.strip().casefold()]
                one_la(sorted({str(v) for v in df["la"].dropna().unique() if str(v)}), pool)
            return Data(df, None, _categories(df, categories), files=[p],
                        thin=minimum_data(df, epi.data_end_of(df)),
                        validation={"summary": {"note": "cleaned episodes CSV: not validated by careflow"}})
    from careflow import ssda903

    data = ssda903.load(p, categories=categories, year=year, la=la, date_format=date_format, columns=columns)
    one_la(data.las, pool)
    end = pd.Timestamp(data.data_end).date() if data.data_end is not None else None
    thin = minimum_data(data.episodes, data.data_end, FinancialYear(int(data.episodes["year"].min())).start)
    return Data(data.episodes, end, categories_for(data, categories), list(data.findings),
                [Path(f) for f in data.files], thin, ssda903.report_of(data).status())


def _episodes_contract(df: pd.DataFrame, file: str) -> pd.DataFrame:
    """Check a cleaned-episodes CSV against the reader's contract: ISO dates from 1900 to 2100 (decom required),
    whole-number periods, True/False short breaks. Every bad cell is a finding (file line, column); none is
    dropped or guessed."""
    from careflow.errors import Finding
    from careflow.numbers import FIRST_YEAR, LAST_YEAR

    findings: list[Finding] = []

    def bad(mask, column: str, why: str) -> None:
        for i in np.flatnonzero(np.asarray(mask))[:20]:
            findings.append(Finding("episodes-csv", f"{why}: {df[column].iloc[i]!r:.40}", file=file, row=int(i) + 2,
                                    field=column))
        if int(np.asarray(mask).sum()) > 20:
            findings.append(Finding("episodes-csv", f"{int(np.asarray(mask).sum()) - 20} more like this", file=file,
                                    field=column))

    df = df.copy()
    for c in ("dob", "decom", "dec"):
        raw = df[c]
        parsed = pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
        years = parsed.dt.year
        bad(raw.notna() & parsed.isna(), c, "not a date (YYYY-MM-DD)")
        outside = parsed.notna() & ((years < FIRST_YEAR) | (years > LAST_YEAR))
        bad(outside, c, f"date outside {FIRST_YEAR}-{LAST_YEAR}")
        if c == "decom":
            bad(raw.isna(), c, "episode start (decom) is missing")
        df[c] = parsed.where(~outside).astype("datetime64[ns]")  # reported above; nanoseconds end in 2262
    period = pd.to_numeric(df["period"], errors="coerce")
    bad(period.isna() | (period % 1 != 0) | (period < 0), "period", "not a whole number of 0 or more")
    if "short_break" in df.columns:
        flags = df["short_break"].astype("string").str.strip().str.lower().map(
            {"true": True, "false": False, "1": True, "0": False})
        bad(flags.isna(), "short_break", "expected True or False")
        df["short_break"] = flags.eq(True)  # unreadable flags are reported above
    if findings:
        raise CareflowError(findings)
    df["period"] = period.astype("int64")
    return df


def categories_for(data: Ssda903Data | Data, categories_file=None) -> tuple[str, ...]:
    """The model's categories: the reader's (from its mapping), plus ``unknown`` when some codes were unmapped."""
    cats = tuple(data.categories or _categories(data.episodes, categories_file))
    if UNKNOWN not in cats and (data.episodes["category"] == UNKNOWN).any():
        cats = cats + (UNKNOWN,)
    return cats


def _categories(episodes: pd.DataFrame, categories_file) -> tuple[str, ...]:
    if categories_file is None:
        return DEFAULT_CATEGORIES
    present = [c for c in pd.unique(episodes["category"].dropna().astype(str))]
    known = [c for c in DEFAULT_CATEGORIES if c in present]
    return tuple(known + sorted(c for c in present if c not in DEFAULT_CATEGORIES))


def validate_data(paths, categories: str | Path | None = None, year_convention: str = "auto", *,
                  year: str | None = None, la: str | None = None, date_format: str | None = None,
                  columns: str | Path | None = None):
    """Every finding for SSDA903 files or folders, with counts (:class:`careflow.ssda903.ValidationReport`)."""
    from careflow import ssda903

    return ssda903.validate(paths, categories=categories, year_convention=year_convention, year=year, la=la,
                            date_format=date_format, columns=columns)


def write_validation(report, path: str | Path, issues: bool = True) -> Path:
    """Write a validation report (from :func:`validate_data`) as JSON: summary, counts by rule and (``issues``)
    every finding. The findings name children (CHILD, dates of birth): an analyst's file, kept with the data;
    ``issues=False`` writes the status only, safe beside a forecast that goes to finance."""
    import json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = report.to_dict() if issues else report.status()
    path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    return path


def store_upload(files, folder: str | Path, *, max_files: int = 200, max_bytes: int = 1 << 30,
                 max_ratio: float = 200.0) -> list[Path]:
    """Store uploaded SSDA903 files (``(name, binary stream)`` pairs: CSV, XLSX or zips of them) in ``folder``,
    unpacking zips within the limits (:func:`careflow.ssda903.uploads.store_files`); returns the files written.
    A file that cannot be taken (wrong type, empty, not a zip, a zip bomb) raises :class:`CareflowError` naming
    it, and nothing is kept."""
    from careflow.ssda903.uploads import Limits, store_files

    return store_files(files, folder, Limits(files=max_files, bytes=max_bytes, ratio=max_ratio))


def store_upload_pseudonymised(files, folder: str | Path, *, salt: str | None = None, max_files: int = 200,
                               max_bytes: int = 1 << 30, max_ratio: float = 200.0) -> tuple[list[Path], list]:
    """:func:`store_upload` for shared mode: only pseudonymised copies are written (CHILD as a keyed pseudonym
    with the installation's salt, or ``salt``; UPN and MC_DOB blanked; workbooks as one CSV per sheet; see
    :mod:`careflow.ssda903.uploads`), the uploaded bytes are held in memory and never written. Returns (the
    files written, findings naming the tables not kept because they have no CHILD column)."""
    from careflow.privacy import resolve_salt
    from careflow.ssda903.columns import load_columns
    from careflow.ssda903.uploads import Limits, Pseudonymiser, store_files

    pseudonymiser = Pseudonymiser(resolve_salt(salt), load_columns())
    written = store_files(files, folder, Limits(files=max_files, bytes=max_bytes, ratio=max_ratio),
                          pseudonymise=pseudonymiser)
    return written, pseudonymiser.left_out


def write_validation_workbook(report, path) -> Path:
    """The validation report (:func:`validate_data`'s, or its ``to_dict()``) as an Excel workbook for the data
    team: counts by rule and every finding with file, row, field and child (it names children: keep it with the
    data)."""
    from careflow.reports.excel import validation_workbook

    doc = report if isinstance(report, dict) else report.to_dict()
    validation_workbook(path, doc)
    return path


def validation_view(report: dict, *, severity: str | None = None, rule: str | None = None,
                    file: str | None = None, shown: int | None = None) -> dict:
    """A validation report (``ValidationReport.to_dict()``) arranged for reading: the findings matching the
    filters grouped by rule (errors first, then warnings, then information; each with the rule's text, its count
    and the first ``shown`` findings), and the values each filter can take."""
    from careflow.ssda903.validate import RULES

    order = {"error": 0, "warning": 1, "info": 2}
    issues = list(report.get("issues") or [])
    matching = [i for i in issues if (severity is None or i.get("severity") == severity)
                and (rule is None or i.get("rule") == rule) and (file is None or i.get("file") == file)]
    groups: dict[str, dict] = {}
    for i in matching:
        code = i.get("rule") or ""
        g = groups.setdefault(code, {"rule": code, "severity": i.get("severity") or "", "count": 0, "findings": [],
                                     "field": RULES.get(code, ("", "", ""))[0],
                                     "text": RULES.get(code, ("", "", ""))[2]})
        g["count"] += 1
        if shown is None or len(g["findings"]) < shown:
            g["findings"].append(i)
    rules = sorted(groups.values(), key=lambda g: (order.get(g["severity"], 3), g["rule"]))
    for g in rules:
        g["more"] = g["count"] - len(g["findings"])
    return {"rules": rules, "total": len(issues), "matching": len(matching),
            "severities": sorted({i.get("severity") for i in issues if i.get("severity")},
                                 key=lambda s: order.get(s, 3)),
            "rule_codes": sorted({i.get("rule") for i in issues if i.get("rule")}),
            "files": sorted({i.get("file") for i in issues if i.get("file")})}

