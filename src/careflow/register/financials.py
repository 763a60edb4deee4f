"""The financial part of a case file, as the register sees it.

The financial keys belong to :mod:`careflow.finance` (its case model validates and appraises them). The register
only stores them and needs two things from them: that they are valid, and the savings planned in each financial
year for delivery tracking. Both go through this module so the register has one place that knows about finance.
"""

from __future__ import annotations

from typing import Any

from careflow.fy import FinancialYear

FINANCIAL_KEYS: tuple[str, ...] = (
    "units", "investment", "savings", "savings_basis", "recurring", "ongoing_costs", "saving_type", "lines",
    "stated", "appraisal", "savings_from", "rag",
)
_BY_YEAR = ("investment", "savings", "ongoing_costs")
UNITS = ("£", "£k")
BASES = ("cumulative", "incremental")


class FinancialsError(ValueError):
    """Problems in the financial keys: a list of (key path, message)."""

    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m in problems))


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Check the financial keys and normalise financial-year labels; raise FinancialsError.

    Checks what the register relies on: units, by-year mappings of numbers, the savings basis. The finance
    package's model checks the rest when a case is appraised.
    """
    problems: list[tuple[tuple, str]] = []
    out = dict(data)
    if not data:
        return out
    unknown = [k for k in data if k not in FINANCIAL_KEYS]
    for k in unknown:
        problems.append(((k,), "not a financial key"))
    if "units" not in data:
        problems.append((("units",), f"required when a case has financial figures: one of {', '.join(UNITS)}"))
    elif data["units"] not in UNITS:
        problems.append((("units",), f"must be one of {', '.join(UNITS)}, not {data['units']!r}"))
    if "savings_basis" in data and data["savings_basis"] not in BASES:
        problems.append((("savings_basis",), f"must be one of {', '.join(BASES)}, not {data['savings_basis']!r}"))
    for key in _BY_YEAR:
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if not isinstance(value, dict):
            problems.append(((key,), "must map financial years to amounts, e.g. {2019-20: 200}"))
            continue
        normalised = {}
        for year, amount in value.items():
            try:
                label = FinancialYear.parse(year).label
            except ValueError as exc:
                problems.append(((key, year), str(exc)))
                continue
            if isinstance(amount, bool) or not isinstance(amount, int | float):
                problems.append(((key, year), f"amount must be a number, not {amount!r}"))
                continue
            if label in normalised:
                problems.append(((key, year), f"{label} appears twice"))
            normalised[label] = amount
        out[key] = dict(sorted(normalised.items()))
    if problems:
        raise FinancialsError(problems)
    return out


def planned_savings(financials: dict[str, Any]) -> dict[str, float]:
    """Savings against the baseline in each stated year (cumulative basis), in the case's units."""
    savings = financials.get("savings") or {}
    if financials.get("savings_basis") == "incremental":
        total, out = 0.0, {}
        for year in sorted(savings):
            total += savings[year]
            out[year] = total
        return out
    return {year: float(v) for year, v in sorted(savings.items())}


def units(financials: dict[str, Any]) -> str | None:
    return financials.get("units")
