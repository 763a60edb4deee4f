"""SSDA903 (children looked after) return: read, validate, clean.

Public API (see docs/ssda903.md)::

    load(paths, categories=None, salt=None, year_convention="auto") -> Ssda903Data
    validate(paths, categories=None, year_convention="auto") -> ValidationReport   # never raises for bad data
    summarise(data, include_short_breaks=False) -> DataFrame    # per collection year: DfE counts
    in_care_on(episodes, day, include_short_breaks=False) -> int
    looked_after_on(episodes, day, include_short_breaks=False) -> DataFrame   # each child's episode that day
    load_categories(path=None) -> CategoryMap                   # YAML placement category mapping
    read_tables(paths, year_convention="auto") -> RawTables     # the tables as read, before cleaning

Data contract (what the rest of careflow may rely on), produced by :func:`careflow.ssda903.load`:

``Ssda903Data.episodes`` — one row per cleaned episode (years stacked, latest return wins, same-day continuation
episodes merged), sorted by LA, child and start, pandas DataFrame with columns:

=================  ==========================================================================================
child              pseudonymised child identifier (str, salted hash of LA + CHILD; 16 hex digits)
la                 LA from the stacked layout's LA column ("" for one LA's own returns)
dob                date of birth (datetime64[ns]; NaT when the child has no valid Header row, reported)
sex                "M", "F" or "U" (<NA> when unknown)
uasc               bool: the child is in a UASC table of any return
decom              episode start (datetime64[ns])
dec                episode end (datetime64[ns]); NaT while open at the end of the data
rne, ls, cin       reason for new episode, legal status, category of need (str codes, upper case)
place              placement code (str), place_provider (str or <NA>)
rec                reason episode ceased (str or <NA>; <NA> on open episodes); "X1" continuation
reason_place_change  (str or <NA>)
category           placement category key from the category mapping (e.g. "ifa_fostering"); "unknown" for
                   codes the mapping does not cover (always reported by a finding)
period             integer index of the period of care within the child (0, 1, ...)
exit_group         for the last episode of a closed period: adoption, sgo, cao, return_home, adulthood, other;
                   <NA> otherwise
short_break        bool: legal status V3/V4 (short-break-only care, excluded from DfE counts)
year               start year of the collection year of the return the row came from (2020 = 2020-21)
source_file, source_row  where the (first) row of the episode is in the input, for tracing
ethnic             the child's ETHNIC code from the Header (str, upper case; <NA> when blank or no Header row)
home_post, pl_post HOME_POST and PL_POST as given (upper case, single spaces; <NA> when blank): for the
                   out-of-area indicator only (careflow.indicators)
=================  ==========================================================================================

``Ssda903Data.periods`` — one row per period of care: ``child, la, period, start, end (NaT if open), exit_group,
dob, first_category, short_break`` (short_break: every episode of the period is V3/V4).

``Ssda903Data.findings`` — list of :class:`careflow.errors.Finding` from reading and validation (severity error,
warning or info). ``Ssda903Data.data_end`` — last date the data covers (31 March of the latest collection year).
``Ssda903Data.categories`` — category keys in display order; ``Ssda903Data.years`` — collection-year labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.errors import CareflowError, Finding
from careflow.fy import FinancialYear
from careflow.ssda903.categories import CategoryMap, load_categories
from careflow.ssda903.clean import (
    clean,
    joint_keys,
    latest_episodes,
    people_table,
    resolve_salt,
)
from careflow.ssda903.reader import RawTables, read_tables
from careflow.ssda903.summary import in_care_on, looked_after_on, summarise
from careflow.ssda903.validate import (
    RULES,
    ValidationReport,
    check_episode_rows,
    check_header_conflicts,
    check_person_rows,
    check_sequences,
    emit,
)

__all__ = ["RULES", "CategoryMap", "Ssda903Data", "ValidationReport", "in_care_on", "load",
           "load_categories", "looked_after_on", "read_tables", "report_of", "summarise", "validate"]


@dataclass
class Ssda903Data:
    """Cleaned SSDA903 data per the contract above."""

    episodes: pd.DataFrame
    periods: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    data_end: pd.Timestamp | None = None
    categories: tuple[str, ...] = ()
    years: list[str] = field(default_factory=list)  # collection-year labels present, e.g. ["2020-21", ...]
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def las(self) -> list[str]:
        """The LAs in the data (from a stacked file's LA column); [] for one LA's own returns."""
        return sorted({str(v) for v in self.episodes["la"].unique() if str(v)})


def load(paths, categories: str | Path | CategoryMap | None = None, salt: str | None = None,
         year_convention: str = "auto", *, year: str | None = None, la: str | None = None,
         date_format: str | None = None, columns: str | Path | None = None) -> Ssda903Data:
    """Read, validate and clean SSDA903 files or folders.

    ``year``: the collection year (``"2024-25"``) of files whose names and columns do not say; ``la``: only this
    LA of a stacked file; ``date_format``: how numeric dates are written (``"%d/%m/%Y"``), instead of settling it
    from the data; ``columns``: a YAML of other column names (docs/ssda903.md).

    Rows with errors are kept and flagged in ``findings`` or excluded with a finding saying so. Raises
    :class:`CareflowError` (with every finding so far, the reason first) when no usable Episodes row is left or
    the day/month order of a file's dates cannot be settled.
    """
    cats = categories if isinstance(categories, CategoryMap) else load_categories(categories)
    raw: RawTables = read_tables(paths, year_convention=year_convention, year=year, date_format=date_format,
                                 columns=columns, la=la)
    findings = raw.findings
    fatal = [f for f in findings if f.rule in FATAL_RULES and f.severity == "error"]
    if fatal:  # dates that cannot be read right: nothing is modelled, and no row is listed for it
        raise CareflowError(fatal + sorted((f for f in findings if f not in fatal), key=_finding_order))
    # One integer per (LA, CHILD), shared by the three tables: sorts, duplicate checks and look-ups on integers.
    for df, key in zip((raw.episodes, raw.header, raw.uasc), joint_keys(raw.episodes, raw.header, raw.uasc),
                       strict=True):
        df["_key"] = key
    # Rows of a file whose year is unknown are excluded wholesale (one CF-YEAR finding says so): no row findings.
    dated = {name: df.loc[df["year"].notna()] for name, df in
             (("episodes", raw.episodes), ("header", raw.header), ("uasc", raw.uasc))}
    check_episode_rows(dated["episodes"], findings, raw.date_formats, raw.date_format)
    check_person_rows(dated["header"], findings, "header", raw.date_formats, raw.date_format)
    check_person_rows(dated["uasc"], findings, "uasc", raw.date_formats, raw.date_format)
    check_header_conflicts(dated["header"], findings)
    ep = latest_episodes(raw.episodes, findings)
    if ep.empty:
        findings.sort(key=_finding_order)
        raise CareflowError([Finding("CF-NO-DATA", nothing_loaded(raw, paths))] + findings)
    check_sequences(ep, findings)
    people = people_table(raw.header, raw.uasc)
    key = ep["_key"].to_numpy()
    first = ep.loc[np.r_[True, key[1:] != key[:-1]]]  # ep is sorted by key: each child's first episode
    has_header = np.isin(first["_key"].to_numpy(), people["_key"].to_numpy())
    emit(findings, first, ~has_header, "CF-NO-HEADER", "CHILD",
         "child has episodes but no Header row in any return (no date of birth)")
    dob = pd.Series(people["dob"].to_numpy(), index=people["_key"].to_numpy()).reindex(key).to_numpy()
    emit(findings, ep, ep["_DECOM"].to_numpy() < dob, "302", "DECOM",
         lambda r: f"episode starts {r['DECOM']}, before the child's date of birth")
    episodes, periods = clean(ep, people, findings, cats, resolve_salt(salt))
    last = int(episodes["year"].max())
    years = [FinancialYear(y).label for y in range(int(episodes["year"].min()), last + 1)]
    findings.sort(key=_finding_order)
    return Ssda903Data(episodes=episodes, periods=periods, findings=findings,
                       data_end=pd.Timestamp(FinancialYear(last).end), categories=cats.categories, years=years,
                       files=raw.files)


FATAL_RULES = frozenset({"CF-DATE-ORDER"})


def nothing_loaded(raw: RawTables, paths) -> str:
    """One sentence: why no Episodes row could be used."""
    where = ", ".join(str(p) for p in ([paths] if isinstance(paths, str | Path) else paths))
    ep = raw.episodes
    if ep.empty:
        lacking = [f for f in raw.findings if f.rule == "CF-COLUMNS-MISSING" and f.message.startswith("episodes")
                   and "cannot be used" in f.message]
        if lacking:
            return (f"nothing loaded: the Episodes table in {lacking[0].file} lacks column "
                    f"{lacking[0].field}; if it is there under another name, map it with --columns FILE "
                    "(docs/ssda903.md, 'Loading your own return')")
        unknown = sum(f.rule == "CF-UNKNOWN-TABLE" for f in raw.findings)
        return (f"nothing loaded: no Episodes table was found in {where}"
                + (f" ({unknown} file(s) or sheet(s) match no SSDA903 table: see CF-UNKNOWN-TABLE below)"
                   if unknown else ""))
    if ep["year"].isna().all():
        return ("nothing loaded: no Episodes file says which collection year it is; name the file or its folder "
                "by year (2024-25/episodes.csv), add a YEAR column, or give --year 2024-25")
    has_year = ep["year"].notna()
    if ep.loc[has_year, "_DECOM"].isna().all():
        example = next((v for v in ep.loc[has_year, "DECOM"] if v), "")
        return (f"nothing loaded: no Episodes row has a DECOM careflow can read as a date (e.g. {example!r}); "
                "give --date-format (e.g. %d/%m/%Y) if the dates are in another layout")
    if (ep.loc[has_year, "CHILD"] == "").all():
        return "nothing loaded: every Episodes row has a blank CHILD"
    return f"nothing loaded: every Episodes row in {where} was excluded (the findings below say why)"


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _finding_order(f: Finding):
    return (f.file or "", f.row if f.row is not None else -1, _SEVERITY_ORDER.get(f.severity, 3), f.rule)


def validate(paths, categories: str | Path | CategoryMap | None = None,
             year_convention: str = "auto", *, year: str | None = None, la: str | None = None,
             date_format: str | None = None, columns: str | Path | None = None) -> ValidationReport:
    """Every finding for the files or folders in ``paths``, with counts (per LA too when the data hold several);
    never raises for bad data (only for bad options, e.g. an --la the data do not have)."""
    try:
        data = load(paths, categories=categories, year_convention=year_convention, year=year, la=la,
                    date_format=date_format, columns=columns)
    except CareflowError as exc:
        if any(f.rule in ("CF-USAGE", "CF-LA") for f in exc.findings):
            raise
        return ValidationReport(findings=exc.findings)  # the reason first, as load put it
    return report_of(data)


def report_of(data: Ssda903Data) -> ValidationReport:
    """The validation report of data already loaded (its findings and counts, per LA when there are several)."""
    ep = data.episodes
    las = [{"la": la_, "children": int(g["child"].nunique()), "episodes": len(g),
            "years": [FinancialYear(y).label for y in range(int(g["year"].min()), int(g["year"].max()) + 1)]}
           for la_, g in ep.groupby("la", sort=True)] if len(data.las) > 1 else []
    return ValidationReport(findings=data.findings, children=int(ep["child"].nunique()), episodes=len(ep),
                            years=data.years, las=las)
