"""Money as finance officers write it: negatives in brackets, "(£446k)" not "-£446k"; units stated once.

Shared by every layer that prints pounds (benchmark text, case tables, reports), so one convention holds."""

from __future__ import annotations

import math


def pounds(value: float | None, *, unit: str = "£", digits: int = 0, suffix: str = "") -> str:
    """``1234.5 -> "£1,235"``, ``-446 -> "(£446)"``, NaN/None -> "-"; ``suffix`` e.g. "k" or "m"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{unit}{abs(value):,.{digits}f}{suffix}"
    return f"({text})" if round(value, digits) < 0 else text


def pounds_k(value: float | None, *, digits: int = 0) -> str:
    """Pounds shown in thousands: ``-446_000 -> "(£446k)"``."""
    return pounds(None if value is None else value / 1000, digits=digits, suffix="k")
