"""The states of the child-level demand model: age bands x placement categories, and exits by reason group.

Age bands come from a parameter file (``age_bands.yaml``: label -> [lower, upper) in years); categories are the keys
of the placement category mapping (DESIGN 4.1); exit groups are the REC groups the SSDA903 reader assigns.
Children are tracked by age in completed months (0-215) so that ageing follows each child's date of birth, and
everyone leaves care on reaching 18 (216 months).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from careflow import vocabulary
from careflow.errors import CareflowError
from careflow.parameters import load_parameter, read_parameter
from careflow.vocabulary import PLACEMENT_CATEGORIES

DEFAULT_CATEGORIES: tuple[str, ...] = PLACEMENT_CATEGORIES
EXIT_GROUPS: tuple[str, ...] = tuple(vocabulary.EXIT_GROUPS)
MAX_AGE_MONTHS = 18 * 12  # leaving care at 18


@dataclass(frozen=True)
class AgeBands:
    """Age bands in years: ``labels[i]`` covers ``[lower[i], upper[i])``; together they cover 0 to 18."""

    labels: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.labels)

    def month_band(self) -> np.ndarray:
        """Band index of each age in completed months 0..215."""
        months = np.arange(MAX_AGE_MONTHS)
        lo = np.array(self.lower) * 12
        return np.searchsorted(lo, months, side="right") - 1

    def months_in(self, band: int) -> np.ndarray:
        mb = self.month_band()
        return np.flatnonzero(mb == band)


def _check_bands(labels, lower, upper, where) -> AgeBands:
    if not labels:
        raise where("no age bands given")
    for i in range(len(labels)):
        if not (0 <= lower[i] < upper[i] <= 18):
            raise where(f"age band '{labels[i]}' must satisfy 0 <= lower < upper <= 18")
        if (lower[i] * 12) != int(lower[i] * 12):
            raise where(f"age band '{labels[i]}' must start on a whole month of age")
    if lower[0] != 0 or upper[-1] != 18 or any(upper[i] != lower[i + 1] for i in range(len(labels) - 1)):
        raise where("age bands must be in order, touch each other and cover 0 to 18 exactly")
    return AgeBands(tuple(labels), tuple(float(x) for x in lower), tuple(float(x) for x in upper))


def age_bands(path: str | Path | None = None) -> AgeBands:
    """The shipped age bands, or a user's file in the same parameter format."""
    p = load_parameter("age_bands") if path is None else read_parameter(path)
    bands = p.ranges()  # label: [lower, upper] in years, checked (errors name the file, line and band)
    labels = list(bands)
    lower = [lo for lo, _ in bands.values()]
    upper = [hi for _, hi in bands.values()]

    def where(msg):
        return CareflowError(msg, file=p.file, field="values", rule="age-bands")

    return _check_bands(labels, lower, upper, where)


def make_age_bands(spec: dict[str, tuple[float, float]]) -> AgeBands:
    """Age bands from a mapping (for notebooks and tests): ``{"0-5": (0, 5), "5-18": (5, 18)}``."""
    return _check_bands(list(spec), [float(v[0]) for v in spec.values()], [float(v[1]) for v in spec.values()],
                        lambda m: CareflowError(m, rule="age-bands"))
