"""Numbers and dates a user supplies (amounts, counts, percentages, years, dates), checked before use.

YAML and spreadsheets hand over whatever the user typed: ``true``, ``"1,000"``, ``.nan``, ``1e999`` or a 400-digit
integer (which Python keeps exactly but cannot turn into a float). Each function here returns a plain value or
raises ``ValueError`` with a message fit for a finding; callers add the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

# Dates careflow will model: children's services records and plans fall well inside; anything outside is a typo
# (31/12/2999, 0201-04-01) and is reported, never passed to pandas (whose timestamps end in 2262).
FIRST_YEAR = 1900
LAST_YEAR = 2100


def finite(value: Any, what: str = "a number") -> float:
    """``value`` as a finite float. Rejects booleans, text, NaN, infinities and integers too large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected {what}, got {value!r:.60}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"expected {what}, got an integer of {len(str(abs(value)))} digits (too large)") from None
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {value!r}")
    return x


def count(value: Any, what: str = "a whole number") -> int:
    """A non-negative integer (a number of children, posts, months, runs)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected {what} (0 or more), got {value!r:.60}")
    return value


def percentage(value: Any, low: float = 0.0, high: float = 100.0) -> float:
    """A finite number between ``low`` and ``high`` (a percentage, or a share with high=1)."""
    x = finite(value, "a percentage" if high == 100 else "a number")
    if not low <= x <= high:
        raise ValueError(f"expected a value from {low:g} to {high:g}, got {x:g}")
    return x


def year(value: Any) -> int:
    """A calendar year from FIRST_YEAR to LAST_YEAR."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a year, got {value!r:.60}")
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValueError(f"year {value} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def plausible_date(day: dt.date) -> dt.date:
    """``day`` when its year is from FIRST_YEAR to LAST_YEAR."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"date {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return day
