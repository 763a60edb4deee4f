"""Savings taken from a scenario run: a :class:`careflow.levers.ScenarioResult` in memory, or the
``difference.csv`` that ``careflow scenario`` writes from it.

Columns: :data:`careflow.levers.DIFFERENCE_COLUMNS`; amounts in pounds, savings positive, each year's saving against
the baseline (a cumulative profile).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from careflow import numbers, yamlio
from careflow.errors import CareflowError, Finding
from careflow.fy import FinancialYear
from careflow.levers.engine import DIFFERENCE_COLUMNS, ScenarioResult

if TYPE_CHECKING:
    import pandas as pd

    from careflow.finance.case import SavingsFrom

REQUIRED_COLUMNS = tuple(DIFFERENCE_COLUMNS[:2])  # financial_year, lever; the measure is asked for by name


def savings_by_year(result: ScenarioResult | pd.DataFrame, lever: str = "all", measure: str = "pounds_mean"
                    ) -> dict[FinancialYear, float]:
    """Pounds by financial year for one lever (``all`` for the combined run) of a priced scenario (or its
    difference table)."""
    df = result.difference() if isinstance(result, ScenarioResult) else result
    rows = df.astype({c: str for c in REQUIRED_COLUMNS}).to_dict("records")
    return _by_year(rows, list(df.columns), lever, measure, None)


def read_difference(path: str | Path, lever: str = "all", measure: str = "pounds_mean") -> dict[FinancialYear, float]:
    """Pounds by financial year for one lever (``all`` for the combined run) from a scenario ``difference.csv``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text (byte {exc.start})"
        raise CareflowError(Finding(rule="file", message=f"cannot read scenario difference: {why}",
                                    file=str(p))) from None
    reader = csv.DictReader(text.splitlines())
    return _by_year(reader, [str(c) for c in reader.fieldnames or []], lever, measure, str(p))


def _by_year(rows, columns: list[str], lever: str, measure: str, file: str | None) -> dict[FinancialYear, float]:
    missing = [c for c in (*REQUIRED_COLUMNS, measure) if c not in columns]
    if missing:
        raise CareflowError(Finding(rule="scenario-difference", message=f"missing column(s) {', '.join(missing)} "
                                    f"(found {', '.join(columns) or 'none'})", file=file, row=0))
    out: dict[FinancialYear, float] = {}
    levers = set()
    for i, row in enumerate(rows, start=1):
        levers.add(str(row["lever"] or ""))  # a short row leaves None in its missing cells
        if row["lever"] != lever:
            continue
        try:
            year = FinancialYear.parse(str(row["financial_year"] or ""))
        except ValueError as exc:
            raise CareflowError(Finding(rule="scenario-difference", message=str(exc), file=file, row=i,
                                        field="financial_year")) from None
        try:
            value = numbers.finite(float(row[measure]))
        except (TypeError, ValueError):
            raise CareflowError(Finding(rule="scenario-difference", message=f"expected a number, got "
                                        f"{row[measure]!r}", file=file, row=i, field=measure)) from None
        if year in out:
            raise CareflowError(Finding(rule="scenario-difference", message=f"{year} appears twice for lever "
                                        f"'{lever}'", file=file, row=i, field="financial_year"))
        out[year] = value
    if not out:
        raise CareflowError(Finding(rule="scenario-difference", message=f"no rows for lever '{lever}' (levers: "
                                    f"{', '.join(sorted(levers)) or 'none'})", file=file, field="lever"))
    return dict(sorted(out.items()))


def savings_from_scenario(spec: SavingsFrom, base_dir: Path, units: str, doc: yamlio.YamlDoc
                          ) -> dict[FinancialYear, float]:
    """The case's savings (cumulative basis, in its units) from ``spec``; the path is relative to the case file."""
    from careflow.finance.case import UNITS

    path = Path(spec.file)
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise doc.error(("savings_from", "file"), f"no such scenario difference file: {path}")
    pounds = read_difference(path, spec.lever, spec.measure)
    return {year: value / UNITS[units] for year, value in pounds.items()}
