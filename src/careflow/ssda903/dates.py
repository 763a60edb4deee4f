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


def _two_digit_dates(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The values written exactly ``NN/NN/YYYY`` (or with ``-`` or ``.``, the same both times; ASCII digits, nothing
    around them), the layout of nearly every date in a return, read with numpy instead of one regular expression
    per value: (which values, their first number, second number, year, separator). These are the values that
    ``_NUMERIC`` matches with two-digit day and month and a four-digit year; the others are read one by one."""
    texts = [v if type(v) is str and len(v) == 10 else "" for v in values]  # noqa: E721 (str, not a subclass)
    n = len(texts)
    empty = np.zeros(0, dtype=np.int64)
    if not n:
        return np.zeros(0, dtype=bool), empty, empty, empty, np.zeros(0, dtype=np.uint32)
    chars = np.array(texts, dtype="<U10").view(np.uint32).reshape(n, 10)  # code points ("" is all zeros)
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    sep = chars[:, 2]
    ok = (digit[:, [0, 1, 3, 4, 6, 7, 8, 9]].all(axis=1) & (chars[:, 5] == sep)
          & np.isin(sep, [ord("/"), ord("."), ord("-")]))
    d = chars.astype(np.int64) - ord("0")
    a = d[:, 0] * 10 + d[:, 1]
    b = d[:, 3] * 10 + d[:, 4]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    return ok, a, b, year, sep


def parse(values: pd.Series, order: str | None = DAY_FIRST, fmt: str | None = None) -> pd.Series:
    """Each value as datetime64[ns]; NaT when blank, not a date, or outside 1900-2100 (never an exception)."""
    values_ = list(values)
    out = np.full(len(values_), np.datetime64("NaT"), dtype="datetime64[D]")
    fast = np.zeros(len(values_), dtype=bool)
    if fmt is None and order in (DAY_FIRST, MONTH_FIRST):
        # DD/MM/YYYY (or MM/DD/YYYY) in numpy: a real calendar day of 1900-2100, as read_one and the check below
        fast, a, b, year, _ = _two_digit_dates(values_)
        day, month = (a, b) if order == DAY_FIRST else (b, a)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        last = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)] + (
            leap & (month == 2))
        good = fast & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last) & (year >= MIN_YEAR) & (
            year <= MAX_YEAR)
        out[good] = ((year[good] - 1970) * 12 + month[good] - 1).astype("datetime64[M]").astype("datetime64[D]") \
            + (day[good] - 1)
    for i in np.flatnonzero(~fast):
        v = values_[i]
        d = read_one("" if v is None or v != v else str(v).strip(), order, fmt)
        if d is not None and MIN_YEAR <= d.year <= MAX_YEAR:
            out[i] = d
    return pd.Series(out.astype("datetime64[ns]"), index=values.index)


@dataclass
class Evidence:
    """What one file's date values say about their layout."""

    day_first: list[str] = field(default_factory=list)  # values that can only be day first (13/07/2022)
    month_first: list[str] = field(default_factory=list)  # values that can only be month first (07/13/2022)
    ambiguous: list[str] = field(default_factory=list)  # numeric values that read either way (05/07/2022)
    shapes: dict[str, str] = field(default_factory=dict)  # shape -> an example value

    def add(self, values) -> None:
        values = list(values)
        # the NN/NN/YYYY values classified in numpy (_two_digit_dates), the others one by one; each list and
        # shape example then takes its values in the order given, as a loop over all of them would
        fast, a, b, _, sep = _two_digit_dates(values)
        found: dict[str, list[tuple[int, str]]] = {"day_first": [], "month_first": [], "ambiguous": []}
        shapes: list[tuple[int, str, str]] = []
        for kind, which in (("day_first", (a > 12) & (b <= 12)), ("month_first", (b > 12) & (a <= 12)),
                            ("ambiguous", (a != b) & (a <= 12) & (b <= 12))):
            found[kind] = [(i, values[i]) for i in np.flatnonzero(fast & which)]
        for s in np.unique(sep[fast]):
            i = int(np.flatnonzero(fast & (sep == s))[0])
            shapes.append((i, f"NN{chr(s)}NN{chr(s)}YYYY", values[i]))
        for i in np.flatnonzero(~fast):
            v = values[i]
            text = "" if v is None or v != v else str(v).strip()
            if not text:
                continue
            m = _NUMERIC.match(text)
            if m:
                a_, b_ = int(m.group(1)), int(m.group(3))
                sep_, ylen = m.group(2), len(m.group(4))
                shapes.append((i, f"NN{sep_}NN{sep_}{'YYYY' if ylen == 4 else 'YY'}", text))
                if a_ > 12 >= b_:
                    found["day_first"].append((i, text))
                elif b_ > 12 >= a_:
                    found["month_first"].append((i, text))
                elif a_ != b_ and a_ <= 12 and b_ <= 12:
                    found["ambiguous"].append((i, text))
            elif _ISO.match(text):
                shapes.append((i, "YYYY-MM-DD", text))
            elif _NAMED.match(text):
                shapes.append((i, "DD Mon YYYY", text))
            elif _SERIAL.match(text):
                shapes.append((i, "Excel serial number", text))
        for kind, items in found.items():
            getattr(self, kind).extend(text for _, text in sorted(items))
        for _, shape, text in sorted(shapes):
            self.shapes.setdefault(shape, text)

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
