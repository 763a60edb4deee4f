"""What every report says about itself: the parameters it used (with sources) and how it was produced.

Finance teams sign off figures they can trace. Each workbook carries a "Parameters" sheet (every parameter used,
each value with its date and source) and an "About" sheet (careflow version, data files, settings, seed, date);
Word documents carry the same in an annex.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from careflow import __version__
from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import Parameter


@dataclass(frozen=True)
class ParameterRow:
    """One value of one parameter, flattened for a table."""

    parameter: str
    description: str
    item: str  # the key path below ``values`` that is not a date (e.g. a placement category), "" if none
    date: str  # the date or financial year the value applies from, "" if undated
    value: Any
    unit: str
    source: str


def _date_key(key: Any) -> str | None:
    """The key as a date label if it is one (a date, a financial year, or a year), else None."""
    if isinstance(key, dt.datetime):
        return key.date().isoformat()
    if isinstance(key, dt.date):
        return key.isoformat()
    text = str(key)
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return FinancialYear.parse(text).label
    except ValueError:
        return None


def _as_parameter(p: Parameter | Mapping) -> Parameter:
    if isinstance(p, Parameter):
        return p
    if isinstance(p, Mapping):
        missing = [k for k in ("name", "description", "unit", "reference", "values") if k not in p]
        if missing:
            raise CareflowError(f"parameter {p.get('name', '?')!r} is missing {', '.join(missing)}",
                                rule="parameter")
        return Parameter(name=str(p["name"]), description=str(p["description"]), unit=str(p["unit"]),
                         reference=str(p["reference"]), values=p["values"], period=p.get("period"),
                         raw={"sources": p["sources"]} if isinstance(p.get("sources"), Mapping) else None)
    raise CareflowError(f"not a parameter: {p!r}", rule="parameter")


def _source(p: Parameter, items: tuple[str, ...]) -> str:
    return (p.source(items[0]) if items else p.reference).strip()


_VALUE_KEYS = ("value", "rate", "amount", "cost", "weekly_cost", "share", "factor")


def _flat(m: Mapping) -> bool:
    return all(not isinstance(x, Mapping | list | tuple) for x in m.values())


def parameter_rows(parameters: Iterable[Parameter | Mapping]) -> list[ParameterRow]:
    """Flatten parameters into one row per value: nested keys become ``item``, date keys become ``date``. Each
    row's source is the file's ``sources`` entry for its item where there is one (a figure's own derivation),
    else the file's reference, so a printed sheet does not repeat a page of text on every row.

    A parameter without a source is refused: a report must not carry an unsourced number.
    """
    rows: list[ParameterRow] = []
    for raw in parameters:
        p = _as_parameter(raw)
        if not str(p.reference).strip():
            raise CareflowError(f"parameter '{p.name}' has no reference (source)", rule="parameter")

        def walk(node: Any, items: tuple[str, ...], date: str, p: Parameter = p) -> None:
            if isinstance(node, Mapping):
                for k, v in node.items():
                    d = _date_key(k)
                    if d is not None and not date:
                        walk(v, items, d)
                    else:
                        walk(v, items + (str(k),), date)
            elif isinstance(node, list | tuple) and any(isinstance(v, Mapping | list | tuple) for v in node):
                for i, v in enumerate(node):
                    if isinstance(v, Mapping) and _flat(v):
                        # A schedule row such as {from_year: 0, to_year: 30, rate: 0.035}: one row, the
                        # value key as the value and the rest naming the item.
                        key = next((k for k in _VALUE_KEYS if k in v), None)
                        label = ", ".join(f"{k} {v[k]}" for k in v if k != key)
                        rows.append(ParameterRow(p.name, p.description, " / ".join(items + (label,)), date,
                                                 v[key] if key else "; ".join(f"{k}: {x}" for k, x in v.items()),
                                                 p.unit, _source(p, items)))
                    else:
                        walk(v, items + (str(i),), date)
            else:
                value = ", ".join(str(v) for v in node) if isinstance(node, list | tuple) else node
                rows.append(ParameterRow(p.name, p.description, " / ".join(items), date, value, p.unit,
                                         _source(p, items)))

        walk(p.values, (), "")
    return rows


@dataclass
class Provenance:
    """How a report was produced: shown on the "About" sheet or annex."""

    title: str = "careflow report"
    data_files: list[str | Path] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    command: str | None = None
    created: dt.datetime | None = None
    careflow_version: str = __version__

    def rows(self) -> list[tuple[str, str]]:
        created = self.created or dt.datetime.now(dt.UTC).replace(microsecond=0)
        out = [("Report", self.title), ("Produced by", f"careflow {self.careflow_version}"),
               ("Produced on", created.strftime("%Y-%m-%d %H:%M UTC") if created.tzinfo else created.isoformat()),
               ("Random seed", "none (deterministic)" if self.seed is None else str(self.seed))]
        if self.command:
            out.append(("Command", self.command))
        for f in self.data_files:
            out.append(("Data file", _describe_file(f)))
        if not self.data_files:
            out.append(("Data file", "none (figures supplied directly)"))
        for k, v in self.settings.items():
            out.append((f"Setting: {k}", str(v)))
        out.append(("Money", "Pounds are stored as pounds; tables headed £k show thousands of pounds. Financial "
                             "years run 1 April to 31 March (2025-26 = 1 April 2025 to 31 March 2026)."))
        return out


def _describe_file(f: str | Path) -> str:
    p = Path(f)
    if p.is_file():
        digest = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        return f"{p} ({p.stat().st_size:,} bytes, sha256 {digest})"
    return str(p)


def command_line() -> str:
    """The ``careflow`` command this process is running, for a report's About sheet."""
    import shlex
    import sys

    return "careflow " + " ".join(shlex.quote(a) for a in sys.argv[1:])
