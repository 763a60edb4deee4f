"""Dates as local authorities export them: read every common layout, settle day/month order from the data.

The return's own format is DD/MM/YYYY, but exports from case-management systems and spreadsheets also give
DD-MM-YYYY, DD.MM.YYYY, DD/MM/YY, ISO YYYY-MM-DD (with or without a time, as Excel cells arrive), "13 Jul 2022",
Excel serial numbers (44755) and, from US-configured software, MM/DD/YYYY. Each value is read by its own shape;
only numeric day/month dates are ambiguous, and their order is settled per file from the data (a day above 12
can only be a day), never guessed: a file whose order nothing settles, or that mixes orders, is one clear error
naming the file, the formats seen and ``--date-format``.

Dates outside 1900-2100 are not dates in a children's-services return (a 2999 or 9999 end date is a placeholder):
they read as missing and the rules that check each date say so (findings, never an exception).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MIN_YEAR, MAX_YEAR = 1900, 2100
DAY_FIRST, MONTH_FIRST = "day-first", "month-first"

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?: 0?0:00(?::00)?)?$")
_NAMED = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ \-/]+([A-Za-z]{3,9})\.?[ \-/,]+(\d{4}|\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1 January 1900 in Excel's (1900 leap-year) reckoning
_TOKENS = (("YYYY", "%Y"), ("YY", "%y"), ("MMM", "%b"), ("MM", "%m"), ("DD", "%d"))


def date_format(text: str) -> str:
    """A ``--date-format`` as strftime: ``%d/%m/%Y`` as given, or spelled ``DD/MM/YYYY``, ``MM-DD-YY``, ``DD MMM
    YYYY``. Raises ValueError when it is not a date format."""
    fmt = text.strip()
    if "%" not in fmt:
        for token, code in _TOKENS:
            fmt = fmt.replace(token, code).replace(token.lower(), code)
    if not {"%d", "%m", "%b"} & set(re.findall(r"%[a-zA-Z]", fmt)) or not re.search(r"%[Yy]", fmt):
        raise ValueError(f"{text!r} is not a date format: give e.g. %d/%m/%Y, %m/%d/%Y or DD/MM/YYYY")
    try:
        dt.date(2021, 7, 13).strftime(fmt)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date format: {exc}") from None
    return fmt


def _year(text: str) -> int:
    y = int(text)
    # Two-digit years as Python's %y reads them: 00-68 are 2000-2068, 69-99 are 1969-1999.
    return y if len(text) == 4 else (2000 + y if y < 69 else 1900 + y)


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def read_one(text: str, order: str | None = DAY_FIRST, fmt: str | None = None) -> dt.date | None:
    """The calendar date ``text`` names (any year), or None; ``order`` settles numeric day/month dates."""
    if fmt is not None:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    m = _ISO.match(text)
    if m:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _NUMERIC.match(text)
    if m:
        if fmt is not None or order is None:  # a numeric date outside the given format, or an unsettled order
            return None
        a, b = int(m.group(1)), int(m.group(3))
        day, month = (a, b) if order == DAY_FIRST else (b, a)
        return _date(_year(m.group(4)), month, day)
    m = _NAMED.match(text)
    if m:
        month = _MONTHS.get(m.group(2).lower())
        return _date(_year(m.group(3)), month, int(m.group(1))) if month else None
    m = _SERIAL.match(text)
    if m:
        return _EXCEL_EPOCH + dt.timedelta(days=int(m.group(1)))
    return None


def out_of_range(text: str, order: str | None = DAY_FIRST, fmt: str | None = None) -> bool:
    """``text`` is a real calendar date, but outside 1900-2100."""
    d = read_one(str(text).strip(), order, fmt)
    return d is not None and not MIN_YEAR <= d.year <= MAX_YEAR


def parse(values: pd.Series, order: str | None = DAY_FIRST, fmt: str | None = None) -> pd.Series:
    """Each value as datetime64[ns]; NaT when blank, not a date, or outside 1900-2100 (never an exception)."""
    out = []
    for v in values:
        d = read_one("" if v is None or v != v else str(v).strip(), order, fmt)
        out.append(d if d is not None and MIN_YEAR <= d.year <= MAX_YEAR else None)
    return pd.Series(np.array(out, dtype="datetime64[D]").astype("datetime64[ns]"), index=values.index)


@dataclass
class Evidence:
    """What one file's date values say about their layout."""

    day_first: list[str] = field(default_factory=list)  # values that can only be day first (13/07/2022)
    month_first: list[str] = field(default_factory=list)  # values that can only be month first (07/13/2022)
    ambiguous: list[str] = field(default_factory=list)  # numeric values that read either way (05/07/2022)
    shapes: dict[str, str] = field(default_factory=dict)  # shape -> an example value

    def add(self, values) -> None:
        for v in values:
            text = "" if v is None or v != v else str(v).strip()
            if not text:
                continue
            m = _NUMERIC.match(text)
            if m:
                a, b = int(m.group(1)), int(m.group(3))
                sep, ylen = m.group(2), len(m.group(4))
                self.shapes.setdefault(f"NN{sep}NN{sep}{'YYYY' if ylen == 4 else 'YY'}", text)
                if a > 12 >= b:
                    self.day_first.append(text)
                elif b > 12 >= a:
                    self.month_first.append(text)
                elif a != b and a <= 12 and b <= 12:
                    self.ambiguous.append(text)
            elif _ISO.match(text):
                self.shapes.setdefault("YYYY-MM-DD", text)
            elif _NAMED.match(text):
                self.shapes.setdefault("DD Mon YYYY", text)
            elif _SERIAL.match(text):
                self.shapes.setdefault("Excel serial number", text)

    def order(self) -> str | None:
        """DAY_FIRST / MONTH_FIRST when the data settle it, "mixed" when they contradict each other, None when
        nothing settles it. One stray value against 20 or more is a typo (reported row by row), not a second
        order."""
        d, m = len(set(self.day_first)), len(set(self.month_first))
        if d and m:
            if d >= 20 * m:
                return DAY_FIRST
            if m >= 20 * d:
                return MONTH_FIRST
            return "mixed"
        if d:
            return DAY_FIRST
        if m:
            return MONTH_FIRST
        return None

    def needs_order(self) -> bool:
        return bool(self.ambiguous)

    def describe(self) -> str:
        return ", ".join(f"{shape} (e.g. {example})" for shape, example in sorted(self.shapes.items()))
