"""Read a folder of DfE "Children looked after in England" files, ONS child population and statistical neighbours.

Files are recognised by their columns, never by their names, so a user can point careflow at whatever they
downloaded. Layouts understood:

* explore-education-statistics (EES) ``cla_number_and_rate_per_10k_children`` (2019-2024 releases): LA stock at
  31 March, starts and ceases with the population used and the published rate;
* EES LA breakdown files with ``cla_group``/``characteristic`` columns: starts (``Age group`` totals), ceases
  (``Age on ceasing`` totals) and children at 31 March by characteristic (placement mix);
* the EES national time series (``cla_time_series_1994_2024``);
* the 2013-2017 SFR wide tables (``geog_c``/``geog_l`` columns): ``CLA_Mar<year>`` stock, ``CLA_started<year>``
  starts, ``CLA_cease`` ceases;
* ONS mid-year estimates of children aged 0-17 (``population_estimate`` without ``number``);
* DfE statistical neighbour lists: the April 2021 groupings (``LA num``, ``SN1``..) and the 2025 model
  (``old_la_code``, ``SN_1``..).

Each file's *release* is the latest year it holds (a release revises earlier years); where releases overlap the
latest release's figure wins, suppressed or not. Anything unexpected becomes a :class:`Finding`, never a traceback.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from careflow.dfe.values import is_invalid, parse_count
from careflow.errors import Finding

MEASURES = ("cla", "starts", "ceases")
MEASURE_LABELS = {
    "cla": "children looked after at 31 March",
    "starts": "children starting to be looked after",
    "ceases": "children ceasing to be looked after",
}
# Priority when two sources of the same release give the same figure: the headline rate file beats breakdowns.
_PRIORITY = {"rates": 3, "sfr": 3, "breakdown": 2, "time_series": 1}

SERIES_COLUMNS = ["old_la_code", "new_la_code", "la_name", "year", "measure", "value", "reason", "population",
                  "published_rate", "file", "row", "release", "kind"]


@dataclass(frozen=True)
class SourceFile:
    """What the reader made of one file."""

    path: str
    kind: str  # e.g. "rates", "sfr_cla", "population", "neighbours_2021", or "unrecognised" / "unreadable"
    release: int | None = None
    years: tuple[int, ...] = ()
    used: bool = True
    note: str = ""


@dataclass(frozen=True)
class Neighbour:
    old_la_code: str
    closeness: str


@dataclass
class DfeData:
    """Everything read from a folder; all codes are strings (old 3-digit LA codes)."""

    series: pd.DataFrame  # one row per LA, year and measure after overlaps are resolved (latest release wins)
    national: pd.DataFrame  # England: year, measure, value, population, release
    population: pd.DataFrame  # ONS mid-year children 0-17: old_la_code, new_la_code, la_name, year, population
    characteristics: pd.DataFrame  # LA at 31 March by cla_group/characteristic: counts with reasons
    neighbours: dict[str, dict[str, list[Neighbour]]]  # model ("2021", "2025") -> LA -> its 10 neighbours
    las: pd.DataFrame  # old_la_code, new_la_code, la_name, first_year, last_year
    files: list[SourceFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def value(self, la: str, year: int, measure: str) -> float:
        s = self.series
        hit = s[(s.old_la_code == la) & (s.year == year) & (s.measure == measure)]
        return float(hit.value.iloc[0]) if len(hit) else math.nan

    def wide(self, measure: str) -> pd.DataFrame:
        """LA x year table of one measure (NaN where missing or suppressed)."""
        s = self.series[self.series.measure == measure]
        return s.pivot_table(index="old_la_code", columns="year", values="value", aggfunc="first", dropna=False)

    def population_for_rate(self, la: str, year: int) -> float:
        """The population DfE divides by for the year ending 31 March ``year``: the figure printed in the release
        where there is one, else the ONS mid-(year-1) estimate."""
        s = self.series
        hit = s[(s.old_la_code == la) & (s.year == year) & s.population.notna()]
        if len(hit):
            return float(hit.population.iloc[0])
        p = self.population
        hit = p[(p.old_la_code == la) & (p.year == year - 1)]
        return float(hit.population.iloc[0]) if len(hit) else math.nan

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.series.year.unique())


# ----------------------------------------------------------------------------------------------------------------
# reading a table


def _read_table(path: Path, findings: list[Finding]) -> tuple[list[str], list[list[str]]] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        findings.append(Finding("dfe-unreadable", f"cannot read: {exc.strerror or exc}", file=str(path),
                                severity="warning"))
        return None
    if not raw.strip():
        findings.append(Finding("dfe-empty", "empty file", file=str(path), severity="warning"))
        return None
    if b"\x00" in raw[:4096]:
        findings.append(Finding("dfe-unreadable", "binary content (NUL bytes), not a CSV", file=str(path),
                                severity="warning"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        first = next(csv.reader(io.StringIO(text.split("\n", 1)[0], newline="")), [])
        if _classify([h.strip().lstrip("\ufeff") for h in first]) == "unrecognised":
            rows = [first]  # not ours: no need to parse the rest
        else:
            rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        findings.append(Finding("dfe-unreadable", f"not a readable CSV: {exc}", file=str(path), severity="warning"))
        return None
    if not rows:
        findings.append(Finding("dfe-empty", "empty file", file=str(path), severity="warning"))
        return None
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    return header, rows[1:]


def _dicts(header: list[str], rows: list[list[str]]) -> Iterable[tuple[int, dict[str, str]]]:
    for i, r in enumerate(rows, start=1):
        if not any(c.strip() for c in r):
            continue
        yield i, {h: (r[j].strip() if j < len(r) else "") for j, h in enumerate(header) if h}


def _year(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d{4})(\d{2})?\s*", text or "")
    if not m:
        return None
    # EES financial-year periods look like 202324 (ending 2024); reporting years are plain 2024.
    return int(m.group(1)) + (1 if m.group(2) else 0)


def _measure(text: str) -> str | None:
    t = text.lower()
    if "at 31 march" in t and "unaccompanied" not in t:
        return "cla"
    if "starting" in t or "started" in t:
        return "starts"
    if "ceasing" in t or "ceased" in t:
        return "ceases"
    return None


def _la_code(text: str) -> str:
    t = (text or "").strip()
    return t[:-2] if t.endswith(".0") else t


# ----------------------------------------------------------------------------------------------------------------
# one reader per layout; each returns (kind, release, years, note) and appends rows to the collector


class _Collector:
    def __init__(self) -> None:
        self.series: list[dict] = []
        self.national: list[dict] = []
        self.population: list[dict] = []
        self.characteristics: list[dict] = []
        self.neighbours: dict[str, dict[str, list[Neighbour]]] = {}
        self.findings: list[Finding] = []

    def bad_value(self, file: str, row: int, fld: str, reason: str) -> None:
        self.findings.append(Finding("dfe-value", f"not a number or DfE symbol ({reason}); treated as missing",
                                     file=file, row=row, field=fld, severity="warning"))

    def bad_year(self, file: str, row: int, fld: str, text: str) -> None:
        self.findings.append(Finding("dfe-year", f"not a year: {text[:20]!r}; row skipped", file=file, row=row,
                                     field=fld, severity="warning"))


def _ees_rows(c: _Collector, file: str, header, rows):
    for i, d in _dicts(header, rows):
        year = _year(d.get("time_period", ""))
        if year is None:
            c.bad_year(file, i, "time_period", d.get("time_period", ""))
            continue
        yield i, year, d


def _read_rates(c: _Collector, file: str, header, rows) -> tuple[str, list[int], str]:
    # The 2023 and 2024 releases name the measure column "population_count" and keep the population in
    # "population_estimate"; find the measure column by its content rather than trust the header.
    fixed = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "la_name", "new_la_code", "number", "rate_per_10000"}
    first = next((d for _, d in _dicts(header, rows)), {})
    measure_col = next((h for h in header if h not in fixed and _measure(first.get(h, "")) is not None), None)
    if measure_col is None:
        return "unrecognised", [], "no column names the measure (children looked after at 31 March ...)"
    pop_col = next((h for h in header if h.startswith("population") and h != measure_col), None)
    years: set[int] = set()
    for i, year, d in _ees_rows(c, file, header, rows):
        measure = _measure(d.get(measure_col, ""))
        if measure is None:
            continue
        years.add(year)
        value, reason = parse_count(d.get("number"))
        if is_invalid(reason):
            c.bad_value(file, i, "number", reason)
        pop = parse_count(d.get(pop_col))[0] if pop_col else math.nan
        rate = parse_count(d.get("rate_per_10000"))[0]
        level = d.get("geographic_level", "").lower()
        if level == "national":
            c.national.append(dict(year=year, measure=measure, value=value, population=pop, file=file,
                                   kind="rates"))
        elif level == "local authority":
            code = _la_code(d.get("old_la_code", ""))
            if not code:
                c.findings.append(Finding("dfe-la", "local-authority row without old_la_code; skipped", file=file,
                                          row=i, field="old_la_code", severity="warning"))
                continue
            c.series.append(dict(old_la_code=code, new_la_code=d.get("new_la_code", ""),
                                 la_name=d.get("la_name", ""), year=year, measure=measure, value=value,
                                 reason=reason, population=pop, published_rate=rate, file=file, row=i,
                                 kind="rates"))
    return "rates", sorted(years), ""


# the breakdown groups careflow uses from the 31 March characteristics file (placement mix)
CHARACTERISTIC_GROUPS = ("Placement", "Place providers")


def _read_breakdown(c: _Collector, file: str, header, rows) -> tuple[str, list[int], str]:
    # These files are large (25-45k rows) and careflow needs a few hundred of them: index columns directly.
    ix = {h: j for j, h in enumerate(header)}

    def get(r: list[str], col: str) -> str:
        j = ix.get(col)
        return r[j].strip() if j is not None and j < len(r) else ""

    groups = {get(r, "cla_group") for r in rows}
    if "Age on ceasing" in groups:
        kind, measure, wanted = "ceases_breakdown", "ceases", ("Age on ceasing",)
    elif "Taken into care" in groups or ("Age group" in groups and "Legal status" in groups
                                         and "Placement" not in groups and "Place providers" not in groups):
        kind, measure, wanted = "starts_breakdown", "starts", ("Age group",)
    elif "Placement" in groups or "Place providers" in groups:
        kind, measure, wanted = "characteristics", None, CHARACTERISTIC_GROUPS
    else:
        return "ees_other", [], "LA breakdown not used by careflow"
    years: set[int] = set()
    for i, r in enumerate(rows, start=1):
        if get(r, "geographic_level").lower() != "local authority" or get(r, "cla_group") not in wanted:
            continue
        characteristic = get(r, "characteristic")
        if measure is not None and characteristic.lower() != "total":
            continue
        year = _year(get(r, "time_period"))
        if year is None:
            c.bad_year(file, i, "time_period", get(r, "time_period"))
            continue
        years.add(year)
        code = _la_code(get(r, "old_la_code"))
        value, reason = parse_count(get(r, "number"))
        if is_invalid(reason):
            c.bad_value(file, i, "number", reason)
        if measure is None:
            c.characteristics.append(dict(old_la_code=code, la_name=get(r, "la_name"), year=year,
                                          cla_group=get(r, "cla_group"), characteristic=characteristic,
                                          value=value, reason=reason, file=file, row=i))
        else:
            c.series.append(dict(old_la_code=code, new_la_code=get(r, "new_la_code"), la_name=get(r, "la_name"),
                                 year=year, measure=measure, value=value, reason=reason, population=math.nan,
                                 published_rate=math.nan, file=file, row=i, kind="breakdown"))
    return kind, sorted(years), ""


def _read_time_series(c: _Collector, file: str, header, rows) -> tuple[str, list[int], str]:
    measure_col = next((h for h in header if h not in ("time_period", "time_identifier", "geographic_level",
                                                        "country_code", "country_name", "number")), None)
    years: set[int] = set()
    for i, year, d in _ees_rows(c, file, header, rows):
        measure = _measure(d.get(measure_col or "", ""))
        if measure is None or d.get("geographic_level", "").lower() != "national":
            continue
        value, reason = parse_count(d.get("number"))
        if is_invalid(reason):
            c.bad_value(file, i, "number", reason)
        years.add(year)
        c.national.append(dict(year=year, measure=measure, value=value, population=math.nan, file=file,
                               kind="time_series"))
    return "time_series", sorted(years), ""


def _read_population(c: _Collector, file: str, header, rows) -> tuple[str, list[int], str]:
    years: set[int] = set()
    for i, year, d in _ees_rows(c, file, header, rows):
        value, reason = parse_count(d.get("population_estimate"))
        if is_invalid(reason):
            c.bad_value(file, i, "population_estimate", reason)
        level = d.get("geographic_level", "").lower()
        years.add(year)
        if level == "local authority":
            c.population.append(dict(old_la_code=_la_code(d.get("old_la_code", "")),
                                     new_la_code=d.get("new_la_code", ""), la_name=d.get("la_name", ""),
                                     year=year, population=value, file=file))
        elif level == "national":
            c.population.append(dict(old_la_code="england", new_la_code=d.get("country_code", ""),
                                     la_name="England", year=year, population=value, file=file))
    return "population", sorted(years), ""


_SFR_COLUMNS = {
    "sfr_cla": (re.compile(r"CLA_Mar(\d{4})$", re.I), "cla"),
    "sfr_starts": (re.compile(r"CLA_started(\d{4})$", re.I), "starts"),
    "sfr_ceases": (re.compile(r"CLA_cease(\d{4})?$", re.I), "ceases"),
}


def _read_sfr(c: _Collector, file: str, header, rows) -> tuple[str, list[int], str]:
    found = next(((k, pat, m, h) for k, (pat, m) in _SFR_COLUMNS.items() for h in header if pat.match(h)), None)
    if found is None:
        return "unrecognised", [], "SFR table without CLA_Mar<year>, CLA_started<year> or CLA_cease columns"
    kind, pattern, measure, col = found
    col_year = pattern.match(col).group(1)
    # The SFR file name carries the year of the release; some tables mislabel the column (SFR34_ADM2015 has
    # CLA_started2014 holding the 2015 starts), so the name wins for starts and ceases, with a note.
    name_year = re.findall(r"(20\d{2})", Path(file).name)
    note = ""
    if kind == "sfr_cla" and col_year:
        year = int(col_year)
    elif name_year:
        year = int(name_year[-1])
        if col_year and int(col_year) != year:
            note = f"column {col} says {col_year}; the file's year {year} is used"
            c.findings.append(Finding("dfe-sfr-year", note, file=file, field=col, severity="warning"))
    elif col_year:
        year = int(col_year)
    else:
        return "unrecognised", [], f"cannot tell the year of {col}: no year in the column or file name"
    for i, d in _dicts(header, rows):
        if d.get("geog_l", "").upper() not in ("LA", "NATIONAL"):
            continue
        value, reason = parse_count(d.get(col))
        if is_invalid(reason):
            c.bad_value(file, i, col, reason)
        if d.get("geog_l", "").upper() == "NATIONAL":
            c.national.append(dict(year=year, measure=measure, value=value, population=math.nan, file=file,
                                   kind="sfr"))
            continue
        c.series.append(dict(old_la_code=_la_code(d.get("geog_c", "")), new_la_code=d.get("New_geog_code", ""),
                             la_name=d.get("geog_n", ""), year=year, measure=measure, value=value, reason=reason,
                             population=math.nan, published_rate=math.nan, file=file, row=i, kind="sfr"))
    return kind, [year], note


def _read_neighbours(c: _Collector, file: str, header, rows, model: str) -> tuple[str, list[int], str]:
    if model == "2021":
        la_col, sn_cols = "LA num", [f"SN{k}" for k in range(1, 11)]
        # the 2021 file repeats "SNP" as every closeness header: take the column after each SNk
        positions = [(header.index(s), header.index(s) + 1) for s in sn_cols]
    else:
        la_col = "old_la_code"
        positions = [(header.index(f"SN_{k}"), header.index(f"SN_{k}P")) for k in range(1, 11)]
    la_idx = header.index(la_col)
    table: dict[str, list[Neighbour]] = {}
    for i, r in enumerate(rows, start=1):
        if la_idx >= len(r) or not r[la_idx].strip():
            continue
        la = _la_code(r[la_idx])
        if not la.isdigit():
            c.findings.append(Finding("dfe-neighbours", f"LA code {la[:20]!r} is not a number; row skipped",
                                      file=file, row=i, field=la_col, severity="warning"))
            continue
        nbrs = []
        for a, b in positions:
            code = _la_code(r[a]) if a < len(r) else ""
            if code.isdigit():
                nbrs.append(Neighbour(code, (r[b].strip() if b < len(r) else "")))
        table[la] = nbrs
    c.neighbours.setdefault(model, {}).update(table)
    return f"neighbours_{model}", [], f"{len(table)} LAs"


def _classify(header: list[str]) -> str:
    cols = set(header)
    if {"LA num", "SN1", "SN10"} <= cols:
        return "neighbours_2021"
    if {"old_la_code", "SN_1", "SN_10", "SN_1P"} <= cols:
        return "neighbours_2025"
    if {"geog_c", "geog_l"} <= cols:
        return "sfr"
    if {"LTLA23CD", "UTLA23CD"} <= cols or any(re.fullmatch(r"[LU]TLA\d\dCD", h) for h in cols):
        return "geography"
    if "time_period" in cols and "geographic_level" in cols:
        if "population_estimate" in cols and "number" not in cols:
            return "population"
        if "number" in cols and "rate_per_10000" in cols and "old_la_code" in cols:
            return "rates"
        if {"cla_group", "characteristic", "number"} <= cols and "old_la_code" in cols:
            return "breakdown"
        if "number" in cols and "old_la_code" not in cols and "cla_group" not in cols and len(cols) <= 8:
            return "time_series"
        return "ees_other"
    return "unrecognised"


def read_file(path: Path, c: _Collector) -> SourceFile:
    file = str(path)
    table = _read_table(path, c.findings)
    if table is None:
        return SourceFile(file, "unreadable", used=False, note="see findings")
    header, rows = table
    layout = _classify(header)
    try:
        if layout == "rates":
            kind, years, note = _read_rates(c, file, header, rows)
        elif layout == "breakdown":
            kind, years, note = _read_breakdown(c, file, header, rows)
        elif layout == "time_series":
            kind, years, note = _read_time_series(c, file, header, rows)
        elif layout == "population":
            kind, years, note = _read_population(c, file, header, rows)
        elif layout == "sfr":
            kind, years, note = _read_sfr(c, file, header, rows)
        elif layout.startswith("neighbours_"):
            kind, years, note = _read_neighbours(c, file, header, rows, layout.split("_")[1])
        elif layout == "geography":
            return SourceFile(file, "geography", used=False, note="LTLA-UTLA lookup: recognised, not needed")
        elif layout == "ees_other":
            return SourceFile(file, "ees_other", used=False, note="EES file not used by careflow")
        else:
            c.findings.append(Finding("dfe-unrecognised", "columns match no DfE, ONS or statistical-neighbour "
                                      f"layout careflow reads (first columns: {', '.join(header[:5])[:120]})",
                                      file=file, severity="warning"))
            return SourceFile(file, "unrecognised", used=False)
    except (ValueError, IndexError, KeyError) as exc:  # a half-recognised file: report, do not crash
        c.findings.append(Finding("dfe-layout", f"file looks like {layout} but cannot be read: {exc}", file=file,
                                  severity="warning"))
        return SourceFile(file, "unreadable", used=False, note=str(exc))
    if kind == "unrecognised":
        c.findings.append(Finding("dfe-unrecognised", note, file=file, severity="warning"))
        return SourceFile(file, kind, used=False, note=note)
    used = kind not in ("ees_other",)
    return SourceFile(file, kind, release=max(years) if years else None, years=tuple(years), used=used, note=note)


def read_folder(path: str | Path) -> DfeData:
    """Read every CSV under ``path`` (recursively; or one file). Never raises for bad files: see ``.findings``."""
    root = Path(path)
    c = _Collector()
    if root.is_file():
        paths = [root]
    elif root.is_dir():
        paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    else:
        c.findings.append(Finding("dfe-folder", "no such file or folder", file=str(root)))
        paths = []
    files: list[SourceFile] = []
    for p in paths:
        n_series, n_national = len(c.series), len(c.national)
        sf = read_file(p, c)
        files.append(sf)
        release = sf.release
        if release is None:
            # fall back to a year in the folder name, e.g. release_2024/
            years = re.findall(r"(20\d{2})", p.parent.name)
            release = int(years[-1]) if years else 0
        for rec in c.series[n_series:]:
            rec["release"] = release
        for rec in c.national[n_national:]:
            rec["release"] = release
    return _assemble(c, files)


def _latest(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if df.empty:
        return df
    df = df.assign(_prio=df["kind"].map(_PRIORITY).fillna(0))
    df = df.sort_values(["release", "_prio"], kind="stable")
    return df.drop_duplicates(keys, keep="last").drop(columns="_prio").reset_index(drop=True)


def _assemble(c: _Collector, files: list[SourceFile]) -> DfeData:
    series = pd.DataFrame(c.series, columns=SERIES_COLUMNS) if c.series else pd.DataFrame(columns=SERIES_COLUMNS)
    series = series.astype({"year": "int64", "value": "float64", "population": "float64",
                            "published_rate": "float64"})
    series["release"] = series["release"].fillna(0).astype("int64")
    series = _latest(series, ["old_la_code", "year", "measure"])
    series = series.sort_values(["old_la_code", "measure", "year"]).reset_index(drop=True)

    ncols = ["year", "measure", "value", "population", "file", "kind", "release"]
    national = pd.DataFrame(c.national, columns=ncols)
    national = national.astype({"year": "int64", "value": "float64", "population": "float64"})
    national["release"] = national["release"].fillna(0).astype("int64")
    national = _latest(national, ["year", "measure"]).sort_values(["measure", "year"]).reset_index(drop=True)

    pcols = ["old_la_code", "new_la_code", "la_name", "year", "population", "file"]
    population = pd.DataFrame(c.population, columns=pcols).astype({"year": "int64", "population": "float64"})
    population = population.drop_duplicates(["old_la_code", "year"], keep="last").reset_index(drop=True)

    ccols = ["old_la_code", "la_name", "year", "cla_group", "characteristic", "value", "reason", "file", "row"]
    chars = pd.DataFrame(c.characteristics, columns=ccols).astype({"year": "int64", "value": "float64"})

    # The LA register: latest name and codes seen for each old code, and the years it has figures.
    names = pd.concat([series[["old_la_code", "new_la_code", "la_name", "year"]],
                       population[population.old_la_code != "england"][
                           ["old_la_code", "new_la_code", "la_name", "year"]]])
    names = names[names.old_la_code.str.fullmatch(r"\d{3}")]
    # SFR tables print names in their own style; prefer the EES spelling (the most recent year with a name).
    las = (names.sort_values("year").groupby("old_la_code")
           .agg(new_la_code=("new_la_code", "last"), la_name=("la_name", "last")).reset_index())
    have = series[series.value.notna()].groupby("old_la_code").year.agg(["min", "max"])
    las = las.merge(have.rename(columns={"min": "first_year", "max": "last_year"}), left_on="old_la_code",
                    right_index=True, how="left")
    return DfeData(series=series, national=national, population=population, characteristics=chars,
                   neighbours=c.neighbours, las=las, files=files, findings=c.findings)
