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
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from careflow import yamlio
from careflow.errors import CareflowError

REQUIRED_KEYS = ("description", "unit", "reference", "values")


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
                     file=str(path), raw=data)


def load_parameter(name: str) -> Parameter:
    """Load a shipped parameter by name (file stem)."""
    path = parameter_dir() / f"{name}.yaml"
    if not path.exists():
        raise CareflowError(f"no parameter named '{name}' (available: {', '.join(available())})",
                            rule="parameter")
    return read_parameter(path, name)
