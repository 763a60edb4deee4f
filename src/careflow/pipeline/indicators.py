"""Indicators, cohorts and data-bound business case indicators as jobs: load the returns once, compute, refresh.

    from careflow import pipeline
    data = pipeline.load_returns("returns/", la="Bromley")             # one LA (several need la= or pool=True)
    ind = pipeline.indicators(data, population=39_400, by=("age_band",))
    pipeline.indicator_table(ind)                                     # the yearly table as written to CSV
    cohort = pipeline.cohort(data, "family_assist.csv", "2023-04-01", compare=True, seed=1)
    pipeline.refresh_case(register, "BC2", data, base_dir="examples/..")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def load_returns(paths, categories: str | Path | None = None, year_convention: str = "auto", *,
                 year: str | None = None, la: str | None = None, date_format: str | None = None,
                 columns: str | Path | None = None, pool: bool = False):
    """SSDA903 returns as :class:`careflow.ssda903.Ssda903Data` for the indicators: one LA (``la``), or several
    counted together only with ``pool`` (refused otherwise, naming the LAs)."""
    from careflow.ssda903 import load
    from careflow.ssda903.modelling import one_la

    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    data = load(paths, categories=categories, year_convention=year_convention, year=year, la=la,
                date_format=date_format, columns=columns)
    one_la(data.las, pool)
    return data


def indicators(data, *, population=None, by=(), local=None):
    """The standard measures (:func:`careflow.indicators.compute`)."""
    from careflow.indicators import compute

    return compute(data, population=population, by=by, local=local)


def history(data, **filters):
    """Children looked after, starts and ceases by collection year and month for the children matching
    ``filters`` (la, sex, ethnicity, uasc, age_band, category: :func:`careflow.indicators.history.history`)."""
    from careflow.indicators.history import history as compute_history

    return compute_history(data, **filters)


def history_filters(data) -> dict[str, list[str]]:
    """The values each history filter can take in ``data``."""
    from careflow.indicators.history import filter_options

    return filter_options(data)


def indicator_table(ind, *, monthly: bool = False, by: bool = False) -> pd.DataFrame:
    """One table of :class:`careflow.indicators.Indicators` as written to CSV: the breakdowns (long form, with a
    ``dimension`` column) when ``by``, else the monthly or the yearly table; dates as ISO text."""
    if by and ind.breakdowns:
        table = pd.concat([t.assign(dimension=d) for d, t in ind.breakdowns.items()], ignore_index=True)
        return table[["dimension", "year", "group", "at_31_march", "starts", "ceases"]]
    if monthly:
        return ind.monthly.assign(month_end=ind.monthly["month_end"].dt.strftime("%Y-%m-%d"))
    return ind.yearly.assign(date=ind.yearly["date"].dt.strftime("%Y-%m-%d"))


def cohort(data, children_file: str | Path, start, months=(3, 6, 12), *, compare: bool = False, seed: int = 0):
    """Follow the children of a CSV (CHILD column) from ``start`` (:func:`careflow.indicators.follow`)."""
    from careflow.indicators import follow, read_children

    return follow(data, read_children(children_file), start, months, compare=compare,
                  rng=np.random.default_rng(seed))


def refresh_case(register, reference: str, data, *, population=None, local=None, base_dir=None,
                 data_label: str | None = None, expected_version: int | None = None):
    """Fill in a register case's data-bound indicators (:meth:`careflow.register.Register.refresh`)."""
    return register.refresh(reference, data, population=population, local=local, base_dir=base_dir,
                            data_label=data_label, expected_version=expected_version)
