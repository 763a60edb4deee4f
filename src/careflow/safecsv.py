"""CSV output that a spreadsheet will not run as a formula (OWASP "CSV injection").

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (``=cmd|' /C calc'!A0``, ``=HYPERLINK(...)``). Such cells come from user text that reaches
a report: a case reference or title, a CHILD value, a file name. Every CSV careflow writes goes through this module,
which puts a single quote in front of them, so the spreadsheet shows the text as typed. Numbers (numeric columns,
and text that is just a number such as ``-12.5``) are left as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with its text cells (object and string columns) neutralised; numeric columns untouched."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out


def to_csv(df: pd.DataFrame, target: str | Path | None = None, **kwargs) -> str | None:
    """``df.to_csv(target, **kwargs)`` with text cells neutralised; returns the text when ``target`` is None."""
    return neutralise_frame(df).to_csv(target, **kwargs)


def dict_rows(fieldnames: list[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text (header and rows, ``csv.DictWriter``) with text cells neutralised."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fieldnames, extrasaction="ignore")
    w.writeheader()
    w.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()
