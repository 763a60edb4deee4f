"""A tiny builder of episodes in the ``careflow.ssda903`` contract, for model tests without any reader."""

from __future__ import annotations

import pandas as pd


def episodes(rows: list[dict]) -> pd.DataFrame:
    """Rows with child, dob, decom, dec (or None), category, and optionally period, exit_group, short_break."""
    out = []
    for r in rows:
        out.append({"child": str(r["child"]), "dob": pd.Timestamp(r["dob"]), "sex": r.get("sex", "F"),
                    "uasc": False, "decom": pd.Timestamp(r["decom"]),
                    "dec": pd.Timestamp(r["dec"]) if r.get("dec") else pd.NaT,
                    "rne": "S", "ls": "C2", "cin": "N1", "place": r.get("place", "U4"), "place_provider": "PR1",
                    "rec": r.get("rec"), "reason_place_change": None, "category": r["category"],
                    "period": r.get("period", 0), "exit_group": r.get("exit_group"),
                    "short_break": r.get("short_break", False)})
    df = pd.DataFrame(out)
    for c in ("dob", "decom", "dec"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["exit_group"] = df["exit_group"].astype("object")
    return df


CATS = ("kinship_fostering", "in_house_fostering", "ifa_fostering", "external_residential", "placed_with_parents")
GROUPS = ("adoption", "sgo", "return_home", "adulthood", "other")


def random_episodes(seed: int, n: int = 120, first: str = "2020-04-01", last: str = "2025-03-31") -> pd.DataFrame:
    """A small random LA: children enter between ``first`` and ``last``, may change category once and may leave."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t0, t1 = pd.Timestamp(first), pd.Timestamp(last)
    span = (t1 - t0).days
    rows = []
    for i in range(n):
        start = t0 + pd.Timedelta(days=int(rng.integers(0, span)))
        dob = start - pd.Timedelta(days=int(rng.integers(0, 17 * 365)))
        cat = CATS[rng.integers(len(CATS))]
        length = int(rng.exponential(700)) + 1
        move_at = int(rng.integers(1, length + 1)) if rng.random() < 0.4 else None
        end = start + pd.Timedelta(days=length)
        adult = dob + pd.DateOffset(years=18)
        closed = end <= t1
        if adult <= min(end, t1):
            end, closed = adult, True
        if move_at is not None and start + pd.Timedelta(days=move_at) < min(end, t1):
            mid = start + pd.Timedelta(days=move_at)
            rows.append(dict(child=i, dob=dob, decom=start, dec=mid, category=cat, rec="X1"))
            start, cat = mid, CATS[(CATS.index(cat) + 1) % len(CATS)]
        rows.append(dict(child=i, dob=dob, decom=start, dec=end if closed else None, category=cat,
                         exit_group=(("adulthood" if end == adult else GROUPS[rng.integers(len(GROUPS))])
                                     if closed else None)))
    return episodes(rows)
