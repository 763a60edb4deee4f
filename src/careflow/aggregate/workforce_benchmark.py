"""The workforce section of a benchmark: the LA's children's social workers against its 10 statistical neighbours
and England, from the DfE children's social work workforce indicators (DESIGN.md 5.4).

Definitions (figures as DfE publishes them, not recomputed):

* FTE in post (employees), agency rate, vacancy rate, turnover rate and caseload (cases per case-holding FTE) for
  the LA's row of the year; England's from the national row;
* neighbours' median (and mean) are of the neighbours' own figures, each neighbour counting once, over those with a
  figure that year; neighbours missing from the file or with a suppressed figure are listed, never filled in;
* social workers per 10,000 children = (FTE in post + agency FTE) / children aged 0-17 x 10,000, where the DfE
  folder has the ONS population (mid-year before the reporting year), so LAs of different sizes compare.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

from careflow.dfe.csww import CswwData

MEASURES = {
    "inpost_fte": "social workers in post (FTE, employees)",
    "per_10000_children": "social workers (FTE incl. agency) per 10,000 children",
    "agency_rate_fte": "agency rate (% of FTE)",
    "vacancy_rate_fte": "vacancy rate (%)",
    "turnover_rate_fte": "turnover rate (%)",
    "caseload_fte": "caseload (cases per case-holding FTE)",
}
RATE_MEASURES = ("agency_rate_fte", "vacancy_rate_fte", "turnover_rate_fte", "caseload_fte")


@dataclass
class WorkforceBenchmark:
    year: int
    la_name: str
    old_la_code: str
    la: dict[str, float | None]
    neighbours_median: dict[str, float | None]
    neighbours_mean: dict[str, float | None]
    neighbours_used: dict[str, int]
    england: dict[str, float | None]
    file: str
    history: list[dict] = field(default_factory=list)  # year, measure, la, neighbours_median, england
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("history")
        return _clean(d)

    def to_text(self) -> str:
        out = [f"Children's social work workforce, {self.year} (DfE CSWW; {self.la_name} against its statistical "
               "neighbours and England)",
               f"  {'measure':<52}  {'LA':>8}  {'SN median':>9}  {'SN mean':>8}  {'n':>2}  {'England':>8}"]
        for m, label in MEASURES.items():
            if m not in self.la:
                continue
            out.append(f"  {label:<52}  {_f(self.la[m]):>8}  {_f(self.neighbours_median[m]):>9}  "
                       f"{_f(self.neighbours_mean[m]):>8}  {self.neighbours_used[m]:>2}  {_f(self.england[m]):>8}")
        out += [f"  Note: {n}" for n in self.notes]
        return "\n".join(out)


def _f(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.1f}"


def _clean(d):
    if isinstance(d, dict):
        return {k: _clean(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_clean(v) for v in d]
    return None if isinstance(d, float) and math.isnan(d) else d


def _figures(csww: CswwData, code: str, year: int, population) -> dict[str, float]:
    row = csww.la_row(code, year) if code != "england" else csww.england_row(year)
    if row is None:
        return {m: math.nan for m in MEASURES}
    out = {m: float(row[m]) for m in MEASURES if m in row}
    pop = population(code, year) if population else math.nan
    total = float(row["inpost_fte"]) + float(row.get("agency_fte", math.nan))
    out["per_10000_children"] = total / pop * 10000 if pop and pop == pop and pop > 0 else math.nan
    return out


def workforce_benchmark(csww: CswwData, code: str, neighbours: list[str], year: int | None = None,
                        population=None, names: dict[str, str] | None = None) -> WorkforceBenchmark | None:
    """The workforce section for LA ``code`` (old 3-digit code) and its ``neighbours`` (old codes), or None when the
    LA has no workforce row. ``population(code, year)`` gives the children the rate divides by (``code``
    ``"england"`` for England); without it the per-10,000 figure is missing."""
    have = csww.table[(csww.table.level == "la") & (csww.table.old_la_code == code)]
    if have.empty:
        return None
    year = int(have.year.max()) if year is None else int(year)
    names = {**dict(zip(csww.las.old_la_code, csww.las.la_name, strict=True)), **(names or {})}
    notes: list[str] = []
    own_row = csww.la_row(code, year)
    if own_row is None:
        return None

    def stats(y: int) -> tuple[dict, dict, dict, dict, dict, list[str]]:
        own = _figures(csww, code, y, population)
        eng = _figures(csww, "england", y, population)
        per_n = {n: _figures(csww, n, y, population) for n in neighbours}
        med, mean, used, missing = {}, {}, {}, []
        for m in MEASURES:
            vals = [v[m] for v in per_n.values() if not math.isnan(v.get(m, math.nan))]
            med[m] = statistics.median(vals) if vals else math.nan
            mean[m] = statistics.fmean(vals) if vals else math.nan
            used[m] = len(vals)
        for n, v in per_n.items():
            if csww.la_row(n, y) is None:
                missing.append(f"{names.get(n, n)} ({n}): no {y} row in the workforce file")
            else:
                gaps = [m for m in RATE_MEASURES if math.isnan(v[m])]
                if gaps:
                    missing.append(f"{names.get(n, n)} ({n}): no figure for {', '.join(gaps)}")
        return own, med, mean, used, eng, missing

    own, med, mean, used, eng, missing = stats(year)
    if missing:
        notes.append("neighbours left out of the median where they have no figure: " + "; ".join(missing))
    if all(math.isnan(own[m]) for m in ("per_10000_children",)):
        notes.append("no child population for the per-10,000 figure (add the ONS estimates to the data folder)")
    history = []
    for y in sorted(set(have.year)):
        o, md, _, _, e, _ = stats(int(y)) if y != year else (own, med, mean, used, eng, missing)
        for m in RATE_MEASURES:
            history.append({"year": int(y), "measure": m, "la": o[m], "neighbours_median": md[m], "england": e[m]})
    return WorkforceBenchmark(year, str(own_row["la_name"]), code, own, med, mean, used, eng, csww.file, history,
                              notes)
