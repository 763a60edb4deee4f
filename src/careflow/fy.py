"""Financial years: 1 April to 31 March, the LA financial year and the SSDA903 collection year.

Labels: ``2025-26`` in tables and files, "2025 to 2026" in prose. The parser also accepts
``2025/26``, ``25/26``, ``2025-2026``, ``2025/2026`` and ``FY2025-26``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

_PATTERN = re.compile(r"^\s*(?:FY\s*)?(\d{2}|\d{4})\s*(?:[-/]|\s+to\s+)\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)


@total_ordering
@dataclass(frozen=True)
class FinancialYear:
    """The financial year starting 1 April of ``start_year``."""

    start_year: int

    @classmethod
    def parse(cls, value: str | int | FinancialYear) -> FinancialYear:
        """Parse ``2025-26``, ``2025/26``, ``25/26``, ``2025 to 2026``; ints are start years."""
        if isinstance(value, FinancialYear):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if not isinstance(value, str):
            raise ValueError(f"not a financial year: {value!r}")
        m = _PATTERN.match(value)
        if not m:
            raise ValueError(f"not a financial year: {value!r} (expected e.g. 2025-26)")
        a, b = m.group(1), m.group(2)
        start = int(a) if len(a) == 4 else 2000 + int(a)
        end_tail = int(b) % 100
        if (start + 1) % 100 != end_tail:
            raise ValueError(f"not a financial year: {value!r} (the second year must follow the first)")
        if len(b) == 4 and int(b) != start + 1:
            raise ValueError(f"not a financial year: {value!r} (the second year must follow the first)")
        return cls(start)

    @classmethod
    def containing(cls, day: dt.date) -> FinancialYear:
        """The financial year a date falls in."""
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def ending(cls, year: int) -> FinancialYear:
        """The financial year ending 31 March ``year`` (SSDA903 collection year ``year``)."""
        return cls(year - 1)

    @property
    def end_year(self) -> int:
        return self.start_year + 1

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        """Last day, 31 March (inclusive)."""
        return dt.date(self.start_year + 1, 3, 31)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def prose(self) -> str:
        return f"{self.start_year} to {self.start_year + 1}"

    def __str__(self) -> str:
        return self.label

    def __add__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + int(years))

    def __sub__(self, other: int | FinancialYear):
        if isinstance(other, FinancialYear):
            return self.start_year - other.start_year
        return FinancialYear(self.start_year - int(other))

    def __lt__(self, other: FinancialYear) -> bool:
        if not isinstance(other, FinancialYear):
            return NotImplemented
        return self.start_year < other.start_year

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def fy_range(first: FinancialYear | str, last: FinancialYear | str) -> list[FinancialYear]:
    """Financial years from ``first`` to ``last`` inclusive."""
    a, b = FinancialYear.parse(first), FinancialYear.parse(last)
    return [FinancialYear(y) for y in range(a.start_year, b.start_year + 1)]
