"""Is the data fit to model: one LA (or several pooled on purpose), and enough children and history.

A forecast of a stacked file holding several LAs would add them together without saying so, and a forecast of a
handful of children runs five years ahead just as smoothly as one of a thousand: both are stopped or flagged here,
before any model is fitted.
"""

from __future__ import annotations

import pandas as pd

from careflow.errors import CareflowError, Finding

# Below these the model runs but means little (docs/ssda903.md, "Loading your own return").
MIN_CHILDREN = 50  # children looked after at the end of the data (excluding short breaks)
MIN_MONTHS = 24  # months of returns: the reference window is 12-24 months and the bands are widened from the
#                  model's own errors at earlier quarter ends


def one_la(las: list[str], pool: bool = False) -> None:
    """Refuse several LAs unless pooling was asked for; the finding names the LAs and both ways out."""
    if len(las) > 1 and not pool:
        raise CareflowError(Finding(
            "CF-LA", f"the data hold {len(las)} LAs ({', '.join(las)}): choose one with --la NAME (la= in Python), "
            "or give --pool (pool=True) to model them together as one", field="la"))


def minimum_data(episodes: pd.DataFrame, data_end, first_year_start=None) -> list[Finding]:
    """Warnings when the data are too thin for the model to mean much, each naming its threshold and why."""
    out: list[Finding] = []
    end = pd.Timestamp(data_end)
    ep = episodes.loc[~episodes["short_break"]] if "short_break" in episodes else episodes
    in_care = ep.loc[(ep["decom"] <= end) & (ep["dec"].isna() | (ep["dec"] > end)), "child"].nunique()
    if in_care < MIN_CHILDREN:
        out.append(Finding("CF-MIN-DATA", f"{in_care} children looked after at {end:%d/%m/%Y}, fewer than "
                           f"{MIN_CHILDREN}: rates by placement category and age band rest on a handful of children, "
                           "so the forecast bands are wide and category splits unreliable", severity="warning"))
    start = pd.Timestamp(first_year_start) if first_year_start is not None else ep["decom"].min()
    months = (end.year - start.year) * 12 + end.month - start.month + 1 if pd.notna(start) else 0
    if months < MIN_MONTHS:
        out.append(Finding("CF-MIN-DATA", f"{months} months of returns, fewer than {MIN_MONTHS}: the model "
                           "estimates rates over a 12-24 month reference window and widens its bands from its own "
                           "errors at earlier quarter ends, so with less history both rest on little",
                           severity="warning"))
    return out
