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

Table-shaped values (not dated): ``Parameter.ranges()`` (label: [lower, upper], e.g. age bands),
``Parameter.code_lists()`` (label: [code, ...], e.g. ethnic groups) and ``Parameter.records(fields)`` (a list of
mappings with the named number fields, e.g. the Green Book discount schedule) read them as a :class:`Table`,
checked when read (errors name the file, line and key) and carrying their source; ``Parameter.labels()`` lists the
items under ``values``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

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


V = TypeVar("V")


@dataclass(frozen=True)
class Table(Generic[V]):
    """A parameter's table-shaped values: rows by label in the file's order (a list's rows are labelled "0", "1",
    ...), each checked when read, and where they come from."""

    name: str
    rows: dict[str, V]
    source: str

    def __getitem__(self, label: str) -> V:
        return self.rows[label]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def items(self):
        return self.rows.items()

    def values(self):
        return self.rows.values()


# What a field of a record may hold (Parameter.records): a number, a whole number, or a whole number or null.
NUMBER, INTEGER, INTEGER_OR_NULL = "a number", "a whole number", "a whole number or null"


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
        path, node = self._node(item)
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

    def labels(self, item: str | None = None) -> tuple[str, ...]:
        """The labels under ``values.<item>`` (or ``values``), which must be a mapping."""
        path, node = self._node(item)
        if not isinstance(node, dict) or not node:
            raise self._error(path, f"'{'.'.join(map(str, path))}' must be a mapping of labels")
        return tuple(str(k) for k in node)

    def ranges(self, item: str | None = None) -> Table[tuple[float, float]]:
        """``label: [lower, upper]`` rows (finite numbers, lower below upper), e.g. age bands in years."""
        rows: dict[str, tuple[float, float]] = {}
        for path, label, v in self._rows(item, "label: [lower, upper]"):
            if not (isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v) and v[0] < v[1]):
                raise self._error(path, f"'{label}' must be [lower, upper]: two numbers, the lower first (got "
                                        f"{v!r})")
            rows[label] = (float(v[0]), float(v[1]))
        return Table(self._table_name(item), rows, self.source(item))

    def code_lists(self, item: str | None = None) -> Table[tuple[str, ...]]:
        """``label: [code, ...]`` rows (codes as text; a code may appear under one label only)."""
        rows: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for path, label, v in self._rows(item, "label: [code, ...]"):
            if not isinstance(v, list) or not all(isinstance(c, str | int) and not isinstance(c, bool) for c in v):
                raise self._error(path, f"'{label}' must be a list of codes (got {v!r})")
            for c in map(str, v):
                if seen.setdefault(c.upper(), label) != label:
                    raise self._error(path, f"code {c!r} is under both '{seen[c.upper()]}' and '{label}'")
            rows[label] = tuple(str(c) for c in v)
        return Table(self._table_name(item), rows, self.source(item))

    def records(self, fields: dict[str, str], item: str | None = None) -> Table[dict[str, float | int | None]]:
        """A list of mappings, each with exactly ``fields`` (name: :data:`NUMBER`, :data:`INTEGER` or
        :data:`INTEGER_OR_NULL`), e.g. ``{from_year: 0, to_year: 30, rate: 0.035}``."""
        path, node = self._node(item)
        where = ".".join(map(str, path))
        if not isinstance(node, list) or not node:
            raise self._error(path, f"'{where}' must be a list of {{{', '.join(fields)}}}")
        rows: dict[str, dict[str, float | int | None]] = {}
        for i, rec in enumerate(node):
            at = path + (i,)
            if not isinstance(rec, dict) or set(map(str, rec)) != set(fields):
                raise self._error(at, f"row {i + 1} of '{where}' must have exactly {', '.join(fields)} (got "
                                      f"{rec!r})")
            row: dict[str, float | int | None] = {}
            for name, kind in fields.items():
                v = rec[name]
                if v is None and kind == INTEGER_OR_NULL:
                    row[name] = None
                elif kind == NUMBER and _number(v):
                    row[name] = float(v)
                elif kind != NUMBER and isinstance(v, int) and not isinstance(v, bool):
                    row[name] = v
                else:
                    raise self._error(at + (name,), f"'{name}' in row {i + 1} of '{where}' must be {kind} (got "
                                                    f"{v!r})")
            rows[str(i)] = row
        return Table(self._table_name(item), rows, self.source(item))

    def _node(self, item: str | None) -> tuple[tuple, Any]:
        path = ("values",) + ((item,) if item is not None else ())
        node = self.values.get(item) if item is not None and isinstance(self.values, dict) else self.values
        return path, node

    def _rows(self, item: str | None, shape: str):
        path, node = self._node(item)
        if not isinstance(node, dict) or not node:
            raise self._error(path, f"'{'.'.join(map(str, path))}' must map each label to its row ({shape})")
        for label, v in node.items():
            yield path + (label,), str(label), v

    def _table_name(self, item: str | None) -> str:
        return f"{self.name}.{item}" if item is not None else self.name

    def _error(self, path: tuple, message: str) -> CareflowError:
        lines = self.lines or {}
        row = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), None)
        return CareflowError(message, file=self.file, row=row, field=".".join(str(p) for p in path),
                             rule="parameter")


def _number(v: Any) -> bool:
    """A finite int or float (not a truth value)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and _finite(v)


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
