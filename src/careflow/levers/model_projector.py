"""The child-level model (``careflow.model``) as a projector for the scenario engine.

Every projection of one scenario evaluation uses a generator from the same seed, so the baseline, each lever alone
and every combination share their random numbers (the model draws parameters, events and entries from separate
streams): differences are the levers' effects, not Monte Carlo noise.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from careflow.levers.projector import Projected
from careflow.model.adjust import Adjustment


class ModelProjector:
    """Project a fitted model from ``start`` (default: the end of its data) to ``end``."""

    def __init__(self, model, start: dt.date | None = None, end: dt.date | None = None, *,
                 parameter_uncertainty: bool = True):
        self.model = model
        self.start = start
        self.end = end
        self.parameter_uncertainty = parameter_uncertainty
        self.age_bands = tuple(model.age_bands.labels)
        self.categories = tuple(model.categories)
        if start is not None:
            from careflow.model.project import check_start

            check_start(model, start)  # a start long after the data is refused before anything is projected

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the fit limited (trend and drift caps that bind), for the scenario's outputs."""
        return tuple(self.model.warnings)

    def project(self, adjustment: Adjustment, *, runs: int, seed: int, deterministic: bool) -> Projected:
        from careflow.model import project

        n = 0 if deterministic else int(runs)
        p = project(self.model, self.start, self.end, runs=n, rng=np.random.default_rng(seed) if n else None,
                    adjustment=adjustment, parameter_uncertainty=self.parameter_uncertainty)
        if deterministic:
            care_days = np.asarray(p.expected_care_days, dtype=float)[None]
            stock = np.asarray(p.expected_stock, dtype=float).sum(axis=1)[None]
            exits = np.asarray(p.expected_exits, dtype=float).sum(axis=1)[None]  # [1, M, G]
        else:
            care_days = np.asarray(p.care_days_runs, dtype=float)
            stock = np.asarray(p.stock_runs, dtype=float).sum(axis=2)
            exits = np.asarray(p.exits_runs, dtype=float).sum(axis=2)  # [R, M, G]
        return Projected(month_starts=tuple(p.month_starts), month_ends=tuple(p.month_ends),
                         categories=tuple(p.categories), care_days=care_days, stock_end=stock, exits=exits,
                         exit_groups=tuple(p.exit_groups))
