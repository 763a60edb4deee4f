"""Dates typed on the command line: ISO (2025-03-31) or the return's DD/MM/YYYY."""

from __future__ import annotations

import datetime as dt

from careflow.errors import CareflowError


def parse_date(value: str, field: str) -> dt.date:
    """Parse a command-line date; a bad one is a user error naming the option."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise CareflowError(f"'{value}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)", field=field, rule="date")
