"""Allowances after a permanence exit: special guardianship, child arrangements and adoption (DESIGN.md 5.3).

A child who leaves care by one of these routes stops costing a placement but, for the share of children for whom
one is paid, costs an allowance until 18. ``permanence_allowances.yaml`` holds the weekly amount (dated, inflated
like a unit cost by the ``default`` inflation rate), the share paid and the years paid on average.

Allowance-days in a month = children who left by the route in that month or the ``years_paid`` x 12 months before,
x the month's days: an exit counts from the start of its month (where the levers put their extra exits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.parameters import Parameter, load_parameter, read_parameter
from careflow.vocabulary import EXIT_GROUP_ALIASES

ALLOWANCE_GROUPS = ("sgo", "cao", "adoption")  # careflow.vocabulary.EXIT_GROUPS (cao: child arrangements order)


@dataclass
class Allowances:
    """Weekly allowance (dated), share paid and years paid, by exit group."""

    weekly: dict[str, Any]  # group -> careflow.parameters DatedSeries (or a list of (date, value))
    share_paid: dict[str, float]
    years_paid: dict[str, float]
    inflation: Any = field(default_factory=list)  # the default inflation rate, dated
    sources: dict[str, str] = field(default_factory=dict)

    def weekly_cost(self, group: str, fy: FinancialYear | str) -> float:
        """The allowance a week for one child paid one, in prices of ``fy`` (0 for a group without one)."""
        from careflow.costs import UnitCosts

        if group not in self.weekly:
            return 0.0
        u = UnitCosts(weekly={group: self.weekly[group]}, inflation={"default": self.inflation})
        return u.weekly_cost(group, fy)

    def expected_weekly(self, group: str, fy: FinancialYear | str) -> float:
        """Allowance a week per child who left by ``group``: the weekly amount x the share paid."""
        return self.weekly_cost(group, fy) * self.share_paid.get(group, 0.0)


def _share(param: Parameter, key: str, group: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (key == "share_paid"
                                                                                       and value > 1):
        raise CareflowError(f"{key}.{group} must be a number{' from 0 to 1' if key == 'share_paid' else ''} "
                            f"(got {value!r})", file=param.file, field=f"{key}.{group}", rule="parameter")
    return float(value)


def load_allowances(path: str | Path | None = None) -> Allowances:
    """The shipped allowances, or a user's file in the same format (its groups replace the shipped ones)."""
    from careflow.costs import _dated

    params = [load_parameter("permanence_allowances")]
    if path is not None:
        params.append(read_parameter(path))
    weekly, share, years, sources = {}, {}, {}, {}
    for p in params:
        raw = p.raw or {}
        for written in (p.values or {}):
            group = EXIT_GROUP_ALIASES.get(str(written), str(written))
            if group not in ALLOWANCE_GROUPS:
                raise CareflowError(f"unknown permanence route '{group}' (known: {', '.join(ALLOWANCE_GROUPS)})",
                                    file=p.file, field=f"values.{group}", rule="parameter")
            weekly[group] = _dated(p, written)
            share[group] = _share(p, "share_paid", group, (raw.get("share_paid") or {}).get(written, 1.0))
            years[group] = _share(p, "years_paid", group, (raw.get("years_paid") or {}).get(written, 18))
            sources[group] = (raw.get("sources") or {}).get(written) or p.reference
    infl = load_parameter("inflation")
    inflation = _dated(infl, "default", allow_negative=True)
    return Allowances(weekly, share, years, inflation, sources)


def allowance_cost(exits: np.ndarray, month_starts, month_days: np.ndarray, groups: tuple[str, ...],
                   allowances: Allowances) -> np.ndarray:
    """Pounds of allowances [run, month] from exits [run, month, group] (children leaving care by each group)."""
    runs, months = exits.shape[0], exits.shape[1]
    out = np.zeros((runs, months))
    for g, group in enumerate(groups):
        if group not in allowances.weekly:
            continue
        window = int(round(allowances.years_paid.get(group, 18) * 12))
        cum = np.cumsum(exits[:, :, g], axis=1)
        lagged = np.zeros_like(cum)
        if window < months:
            lagged[:, window:] = cum[:, :-window] if window > 0 else cum
        paid = cum - lagged  # children receiving the allowance in each month
        price = np.array([allowances.expected_weekly(group, FinancialYear.containing(d)) for d in month_starts])
        out += paid * (price * month_days / 7.0)[None, :]
    return out
