"""Indicators and cohorts from the SSDA903 data: the measures a business case tracks, filled in from the data.

Library API (see docs/indicators.md)::

    from careflow.ssda903 import load
    from careflow.indicators import compute, follow, read_children, MEASURES
    data = load("returns/")
    ind = compute(data, population=39_400, by=("age_band",))   # Indicators: yearly, monthly, breakdowns
    ind.series("per_10000")                                     # {"2024-25": 57.1, ...}
    cohort = follow(data, ["C123", "C456"], start="2024-04-01", months=(3, 6, 12))   # or read_children("x.csv")
    cohort.point(6).in_care, cohort.to_dict()

:mod:`careflow.indicators.measures` holds the standard measures (DfE definitions), :mod:`careflow.indicators.cohort`
the follow-up of a named list of children.
"""

from careflow.indicators.cohort import DEFAULT_MONTHS, Cohort, Point, follow, read_children
from careflow.indicators.measures import DIMENSIONS, MEASURES, Indicators, Measure, available, compute

__all__ = ["DEFAULT_MONTHS", "DIMENSIONS", "MEASURES", "Cohort", "Indicators", "Measure", "Point", "available",
           "compute", "follow", "read_children"]
