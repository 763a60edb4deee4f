"""Indicators and cohorts from the SSDA903 data: the measures a business case tracks, filled in from the data.

Library API (see docs/indicators.md)::

    from careflow.ssda903 import load
    from careflow.indicators import compute, MEASURES
    data = load("returns/")
    ind = compute(data, population=39_400, by=("age_band",))   # Indicators: yearly, monthly, breakdowns
    ind.series("per_10000")                                     # {"2024-25": 57.1, ...}

:mod:`careflow.indicators.measures` holds the standard measures (DfE definitions).
"""

from careflow.indicators.measures import DIMENSIONS, MEASURES, Indicators, Measure, available, compute

__all__ = ["DIMENSIONS", "MEASURES", "Indicators", "Measure", "available", "compute"]
