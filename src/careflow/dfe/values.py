"""Cells of the DfE and ONS tables: numbers, suppression symbols and junk.

DfE publishes a symbol instead of a number where a figure is withheld; we keep the symbol's meaning as the reason
the value is missing, so a report can say *why* a figure is absent rather than guessing it.
"""

from __future__ import annotations

import math

# The symbols of the explore-education-statistics files and the older SFR tables.
SUPPRESSION = {
    "c": "confidential (suppressed by DfE)",
    "k": "rounds to 0 but is not 0",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "..": "not available",
    ":": "not available",
    "-": "not available",
    "": "blank",
}


def parse_count(cell: str | None) -> tuple[float, str]:
    """Return ``(value, reason)``: a number and an empty reason, or NaN and why it is missing.

    Reasons are the DfE suppression meaning, "blank", or ``"invalid: <text>"`` for anything that is not a number
    (e.g. ``#VALUE!`` left in an SFR table by a spreadsheet).
    """
    text = "" if cell is None else str(cell).strip()
    low = text.lower()
    if low in SUPPRESSION:
        return math.nan, f"{low or 'blank'}: {SUPPRESSION[low]}" if low else "blank"
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return math.nan, f"invalid: {text[:30]!r}"
    if not math.isfinite(value):
        return math.nan, f"invalid: {text[:30]!r}"
    return value, ""


def is_invalid(reason: str) -> bool:
    return reason.startswith("invalid")


def half_up(x: float) -> int:
    """Round half away from zero, as DfE's published rates do (Python's round() rounds half to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def rate_per_10000(count: float, population: float) -> float:
    """Children per 10,000 children aged 0-17 (unrounded)."""
    if not (population and population > 0) or math.isnan(count):
        return math.nan
    return count / population * 10000
