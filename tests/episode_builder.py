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
