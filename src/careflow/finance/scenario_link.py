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


def run_settings(difference: Path) -> dict:
    """What ``careflow scenario`` wrote into summary.json beside ``difference`` (empty when there is none or it is
    unreadable: the case then names the file only)."""
    import json

    try:
        data = json.loads((difference.parent / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def source_text(spec: SavingsFrom, path: Path, settings: dict) -> str:
    """One sentence naming the scenario as the source of a case's savings."""
    return run_text(settings, spec.lever, name=spec.scenario or settings.get("scenario") or path.parent.name,
                    runs=spec.runs, seed=spec.seed, data=spec.data) + f"; read from {path.name}"


def run_text(settings: dict, lever: str = "all", *, name: str | None = None, runs: int | None = None,
             seed: int | None = None, data: str | None = None) -> str:
    """The scenario run that gave a case's savings, in words: the scenario (and its file), the lever, the runs and
    seed, the data it was priced on. ``settings`` is a run's summary (:func:`careflow.pipeline.scenario_summary`,
    summary.json); the keyword arguments, when given, take precedence."""
    name = name or settings.get("scenario") or "unnamed"
    scenario_file = settings.get("file")
    runs = runs or settings.get("runs")
    seed = seed if seed is not None else settings.get("seed")
    run = ("expected values (deterministic)" if settings.get("deterministic") else
           f"mean, P10 and P90 of {runs} Monte Carlo runs" + (f", seed {seed}" if seed is not None else "")
           if runs else "as priced")
    data = data or settings.get("data")
    which = "the combined scenario" if lever == "all" else f"lever '{lever}'"
    return (f"careflow scenario '{name}'" + (f" ({scenario_file})" if scenario_file else "") + f", {which}: {run}"
            + (f", priced on {data}" if data else ""))


def savings_from_scenario(spec: SavingsFrom, base_dir: Path, units: str, doc: yamlio.YamlDoc,
                          price_base: str | None = None) -> dict:
    """The case's savings from ``spec`` (cumulative basis, in its units; the path is relative to the case file):
    ``savings`` (the measure named, default the mean), ``savings_p10``, ``savings_p90``, ``savings_source`` (the
    scenario named) and ``price_base`` (the scenario's, cash prices of each financial year, unless the case
    states its own)."""
    from careflow.finance.case import UNITS

    path = Path(spec.file)
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise doc.error(("savings_from", "file"), f"no such scenario difference file: {path}")
    settings = run_settings(path)
    out: dict = {"savings_source": source_text(spec, path, settings)}
    carry = _deflator(spec.prices_year)
    for key, measure in (("savings", spec.measure), ("savings_p10", "pounds_p10"), ("savings_p90", "pounds_p90")):
        pounds = read_difference(path, spec.lever, measure)
        out[key] = {year: value / UNITS[units] / carry(year) for year, value in pounds.items()}
    if spec.prices_year is not None:
        out["price_base"] = (f"{spec.prices_year} prices (the scenario's cash savings restated by careflow's price "
                             "index, inflation.yaml default)")
    else:
        out["price_base"] = price_base or settings.get("price_base") or "cash prices of each financial year"
    return out


def _deflator(prices_year: FinancialYear | None):
    """year -> what £1 of ``prices_year``'s prices is in that year's cash (1 when no prices year is asked)."""
    if prices_year is None:
        return lambda year: 1.0
    from careflow.costs import load_unit_costs

    index = load_unit_costs()
    return lambda year: index.price_factor("default", prices_year, year)
