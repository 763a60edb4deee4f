"""Parameters as data: dated, sourced YAML files shipped with careflow.

Each file holds one parameter set::

    description: one line saying what it is
    unit: e.g. "GBP per week"
    period: e.g. "financial year" (what the date keys mean)
    reference: where the numbers come from (a publication, table and date)
    values:                 # keyed by date (financial-year start) or by name, then by date
      ...

``load_parameter("unit_costs")`` returns the parsed file as a :class:`Parameter`. A test fails on any file without a
``reference``. Users override a parameter by passing their own file in the same format.

Dated values: ``Parameter.series(item)`` reads the values under ``item`` (or the whole ``values`` mapping) as a
:class:`DatedSeries`, checked when read: keys are dates (``"2025-04-01"``; a financial-year label such as ``2025-26``
is read as its start, 1 April 2025), values are numbers, and each :class:`DatedValue` carries its source (the file's
``sources`` entry for the item, else its ``reference``). ``DatedSeries.at(day)`` gives the value in force on
``day`` and refuses a day before the first value, unless the file says ``extends_backwards: true`` (its first value
then holds before its date: e.g. unit costs, which careflow deflates to earlier years by the inflation rates).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from careflow import yamlio
from careflow.errors import CareflowError

REQUIRED_KEYS = ("description", "unit", "reference", "values")


PLAUSIBLE_FIRST = dt.date(1900, 1, 1)
PLAUSIBLE_LAST = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter, the date it applies from and where it comes from."""

    date: dt.date
    value: float
    source: str


@dataclass(frozen=True)
class DatedSeries:
    """A parameter's values over time, in date order (see the module docstring)."""

    name: str  # parameter, and item below ``values`` ("unit_costs.secure")
    points: tuple[DatedValue, ...]
    extends_backwards: bool = False

    def at(self, day: dt.date) -> DatedValue:
        """The value in force on ``day``: the last one dated on or before it."""
        past = [p for p in self.points if p.date <= day]
        if past:
            return past[-1]
        if self.extends_backwards:
            return self.points[0]
        raise CareflowError(f"{self.name} has no value before {self.points[0].date} (asked for {day}); give an "
                            "earlier value, or say extends_backwards: true in the file", field=self.name,
                            rule="parameter-date")

    def __iter__(self):
        return iter(self.points)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    reference: str
    values: Any
    period: str | None = None
    file: str | None = None
    raw: dict | None = None
    lines: dict | None = None  # YAML line of each key path, for errors that name the line

    @property
    def extends_backwards(self) -> bool:
        return bool((self.raw or {}).get("extends_backwards", False))

    def source(self, item: str | None = None) -> str:
        """Where the values under ``item`` come from: the file's ``sources`` entry for it, else its reference."""
        sources = (self.raw or {}).get("sources") or {}
        return str(sources.get(item, self.reference)) if isinstance(sources, dict) else self.reference

    def series(self, item: str | None = None, allow_negative: bool = False) -> DatedSeries:
        """The dated values under ``values.<item>`` (or ``values`` itself), checked: date keys, finite numbers,
        not negative unless ``allow_negative``. Errors name the file, line and key."""
        path = ("values",) + ((item,) if item is not None else ())
        node = self.values.get(item) if item is not None and isinstance(self.values, dict) else self.values
        where = ".".join(str(p) for p in path)
        if isinstance(node, int | float) and not isinstance(node, bool):
            raise self._error(path, f"'{where}' must map a date to a value, e.g. {{\"2025-04-01\": {node}}}")
        if not isinstance(node, dict) or not node:
            raise self._error(path, f"'{where}' must map a date (YYYY-MM-DD) to a number")
        points = []
        for key, v in node.items():
            day = _date_key(key)
            if day is None:
                raise self._error(path + (key,), f"'{key}' under '{where}' is not a date (YYYY-MM-DD)")
            if not PLAUSIBLE_FIRST <= day <= PLAUSIBLE_LAST:
                # A far date (2999 for 1999) would silently re-base every price; the same range as the readers.
                raise self._error(path + (key,), f"'{key}' under '{where}' is outside {PLAUSIBLE_FIRST.year}-"
                                                 f"{PLAUSIBLE_LAST.year}")
            if isinstance(v, bool) or not isinstance(v, int | float) or not _finite(v):
                raise self._error(path + (key,), f"the value for {key} under '{where}' must be a number (got {v!r})")
            if v < 0 and not allow_negative:
                raise self._error(path + (key,), f"the value for {key} under '{where}' must not be negative "
                                                 f"(got {v})")
            points.append(DatedValue(day, float(v), self.source(item)))
        points.sort(key=lambda p: p.date)
        if len({p.date for p in points}) < len(points):
            raise self._error(path, f"'{where}' gives two values for the same date")
        return DatedSeries(f"{self.name}.{item}" if item is not None else self.name, tuple(points),
                           self.extends_backwards)

    def _error(self, path: tuple, message: str) -> CareflowError:
        lines = self.lines or {}
        row = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), None)
        return CareflowError(message, file=self.file, row=row, field=".".join(str(p) for p in path),
                             rule="parameter")


def _finite(v: int | float) -> bool:
    """A finite number that a float can hold (a 400-digit integer cannot: OverflowError, not a traceback)."""
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _date_key(key: Any) -> dt.date | None:
    """A date key: a date, ``YYYY-MM-DD``, or a financial-year label (its 1 April)."""
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    text = str(key).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    from careflow.fy import FinancialYear

    try:
        return FinancialYear.parse(text).start
    except ValueError:
        return None


def parameter_dir() -> Path:
    return Path(str(resources.files("careflow.parameters")))


def available() -> list[str]:
    """Names of the parameter files shipped with careflow."""
    return sorted(p.stem for p in parameter_dir().glob("*.yaml"))


def read_parameter(path: str | Path, name: str | None = None) -> Parameter:
    """Read a parameter file (shipped or the user's own), checking the required keys."""
    doc = yamlio.load(path)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a parameter file must be a mapping with description, unit, reference and values")
    for key in REQUIRED_KEYS:
        if key not in data or data[key] in (None, ""):
            raise doc.error((key,), f"parameter file is missing '{key}'", rule="parameter")
    return Parameter(name=name or Path(path).stem, description=str(data["description"]), unit=str(data["unit"]),
                     reference=str(data["reference"]), values=data["values"], period=data.get("period"),
                     file=str(path), raw=data, lines=dict(doc.lines))


def load_parameter(name: str) -> Parameter:
    """Load a shipped parameter by name (file stem)."""
    path = parameter_dir() / f"{name}.yaml"
    if not path.exists():
        raise CareflowError(f"no parameter named '{name}' (available: {', '.join(available())})",
                            rule="parameter")
    return read_parameter(path, name)
