"""Build a synthetic LA's SSDA903 history (children and episodes) and cut it into yearly returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.fy import FinancialYear
from careflow.synth import dynamics as dyn
from careflow.synth.params import SynthParameters, load_synth_parameters

HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODE_COLUMNS = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]
UASC_COLUMNS = ["CHILD", "SEX", "DOB", "DUC"]


@dataclass
class SynthLA:
    """A synthetic LA's full history over the data window.

    ``children``: child, dob, male, uasc, ethnic, upn, home_post (one row per child with an episode in the window).
    ``episodes``: child, decom, dec (NaT if open at ``data_end``), rne, ls, cin, place, place_provider, rec,
    reason_place_change, home_post, pl_post, urn, category. Dates are datetime64.
    """

    la_name: str
    la_number: int
    data_start: dt.date
    data_end: dt.date
    children: pd.DataFrame
    episodes: pd.DataFrame
    returns: dict[int, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)

    @property
    def collection_years(self) -> list[int]:
        return list(range(self.data_start.year + 1, self.data_end.year + 1))


def _first_year(first_year: int | str | FinancialYear) -> FinancialYear:
    """``first_year`` is the year the first collection year ends in (2020 = 2019-20), or a label like "2019-20"."""
    if isinstance(first_year, FinancialYear):
        return first_year
    if isinstance(first_year, str) and not first_year.strip().isdigit():
        return FinancialYear.parse(first_year)
    return FinancialYear.ending(int(first_year))


def simulate(children_in_care: int, first_year: int | str, years: int, rng: np.random.Generator,
             params: SynthParameters | None = None, *, la_name: str = "Anyshire", la_number: int = 999,
             postcode_area: str = "AN") -> SynthLA:
    """Simulate a fictional LA with about ``children_in_care`` looked after at the start of the first year.

    ``first_year`` is the collection year ending 31 March ``first_year`` (or a label such as ``"2019-20"``);
    ``years`` collection years follow. Returns child and episode tables over the whole window (cut them into
    returns with :func:`returns_from`).
    """
    if children_in_care < 1 or years < 1:
        raise CareflowError("children_in_care and years must be at least 1", rule="synth")
    p = params or load_synth_parameters()
    fy0 = _first_year(first_year)
    data_start, data_end = fy0.start, (fy0 + (years - 1)).end
    t0, t1 = dyn.day(data_start), dyn.day(data_end)
    rate0 = children_in_care / mean_days_in_care(p)

    days = np.arange(t0 - dyn.BURN_IN_DAYS, t1 + 1)
    trend = np.where(days < t0, 1.0, (1 + p.starts_trend) ** ((days - t0) / 365.25))
    start = np.repeat(days, rng.poisson(rate0 * trend))
    kids = dyn.new_children(rng, p, start)
    n_kids = len(start)
    per = dyn.periods_for(rng, p, np.arange(n_kids), start, kids["dob"], kids["uasc"])
    keep = (per.end >= t0) & (per.start <= t1)
    per = dyn.Periods(*[getattr(per, f)[keep] for f in dyn.Periods.__dataclass_fields__])
    order = np.lexsort((per.start, per.child))
    per = dyn.Periods(*[getattr(per, f)[order] for f in dyn.Periods.__dataclass_fields__])

    dob, uasc = kids["dob"][per.child], kids["uasc"][per.child]
    pl = dyn.placements_for(rng, p, per, dob, uasc)
    pl = pd.concat([pl, dyn.placement_codes(rng, p, pl, postcode_area)], axis=1)
    pl = dyn.recode_retired(rng, pl)
    ls_ev = dyn.legal_status_events(rng, p, per, pl)
    episodes = _episodes(rng, p, per, pl, ls_ev)

    # children: pseudonymous IDs, header fields
    used = np.unique(per.child)
    ids = rng.choice(9_000_000, size=used.size, replace=False) + 1_000_000
    child_id = pd.Series(ids.astype(str), index=used)
    home = pd.Series(dyn._postcodes(rng, np.full(used.size, postcode_area, dtype=object)), index=used)
    upn = dyn.upns(rng, la_number, used.size)
    children = pd.DataFrame({
        "child": child_id.to_numpy(),
        "dob": pd.to_datetime(kids["dob"][used], unit="D"),
        "male": kids["male"][used],
        "uasc": kids["uasc"][used],
        "ethnic": kids["ethnic"][used],
        "upn": upn,
        "home_post": home.to_numpy(),
    })
    episodes["home_post"] = home.reindex(episodes["child"]).to_numpy()
    episodes["child"] = child_id.reindex(episodes["child"]).to_numpy()
    for col in ("decom", "dec"):
        episodes[col] = pd.to_datetime(episodes[col], unit="D")
    episodes.loc[episodes["dec"] > pd.Timestamp(data_end), ["dec", "rec", "reason_place_change"]] = None
    episodes = episodes[episodes["decom"] <= pd.Timestamp(data_end)].reset_index(drop=True)
    return SynthLA(la_name, la_number, data_start, data_end, children, episodes)


def mean_days_in_care(p: SynthParameters) -> float:
    """Mean days in care over all periods per new child, from a fixed-seed pilot (a property of the parameters,
    so the entry rate that gives a requested stock does not depend on the user's seed)."""
    if p.pilot_mean_days is None:
        pilot_rng = np.random.default_rng(0)
        ps = np.zeros(dyn.PILOT_CHILDREN, dtype=np.int64)
        kids = dyn.new_children(pilot_rng, p, ps)
        per = dyn.periods_for(pilot_rng, p, np.arange(len(ps)), ps, kids["dob"], kids["uasc"])
        p.pilot_mean_days = float((per.end - per.start).sum() / len(ps))
    return p.pilot_mean_days


def _episodes(rng, p: SynthParameters, per: dyn.Periods, pl: pd.DataFrame, ls_ev: pd.DataFrame) -> pd.DataFrame:
    """Episodes: a new one at every placement start and every change of legal status."""
    pl_b = pl[["period", "pstart"]].rename(columns={"pstart": "t"}).assign(is_place=True)
    ls_b = ls_ev[["period", "t"]].assign(is_ls=True)
    b = pl_b.merge(ls_b, on=["period", "t"], how="outer")
    b["is_place"] = b["is_place"].fillna(False).astype(bool)
    b["is_ls"] = b["is_ls"].fillna(False).astype(bool)
    b = b.sort_values("t", kind="stable")
    pl_s = pl.rename(columns={"pstart": "t"}).sort_values("t", kind="stable")
    b = pd.merge_asof(b, pl_s[["t", "period", "cat", "place", "place_provider", "pl_post", "urn", "same_carer"]],
                      on="t", by="period")
    ls_all = pd.concat([pd.DataFrame({"period": np.arange(len(per.child)), "t": per.start, "ls": per.ls0}),
                        ls_ev], ignore_index=True).sort_values("t", kind="stable")
    b = pd.merge_asof(b, ls_all, on="t", by="period")
    b = b.sort_values(["period", "t"], kind="stable", ignore_index=True)

    period = b["period"].to_numpy()
    t = b["t"].to_numpy()
    first = np.r_[True, period[1:] != period[:-1]]
    last = np.r_[period[1:] != period[:-1], True]
    nxt = np.r_[t[1:], 0]
    dec = np.where(last, per.end[period], nxt)
    is_place, is_ls = b["is_place"].to_numpy(), b["is_ls"].to_numpy()
    same = b["same_carer"].to_numpy(dtype=bool)
    rne = np.select([first, is_place & same & is_ls, is_place & same, is_place & is_ls, is_place],
                    ["S", "B", "U", "T", "P"], "L").astype(object)
    rec = np.where(last, per.rec[period], "X1").astype(object)
    next_rne = np.append(rne[1:], "S")
    moved = ~last & np.isin(next_rne, ["P", "T"])
    rpc = np.full(len(b), None, dtype=object)
    rpc[moved] = dyn.draw(rng, p.reason_place_change, int(moved.sum()))
    rpc[~last & np.isin(next_rne, ["U", "B"])] = "PLACE"   # change in the status of the placement only
    return pd.DataFrame({
        "child": per.child[period], "decom": t, "dec": dec, "rne": rne, "ls": b["ls"].to_numpy(),
        "cin": per.cin[period], "place": b["place"].to_numpy(), "place_provider": b["place_provider"].to_numpy(),
        "rec": rec, "reason_place_change": rpc, "pl_post": b["pl_post"].to_numpy(), "urn": b["urn"].to_numpy(),
        "category": np.asarray(p.categories, dtype=object)[b["cat"].to_numpy()],
    })


# ---------------------------------------------------------------------------------------------------- returns


def _fmt(d: pd.Series) -> pd.Series:
    """DD/MM/YYYY text, blank for missing; formats each distinct date once (there are few)."""
    codes, uniques = pd.factorize(d)
    text = np.append(pd.DatetimeIndex(uniques).strftime("%d/%m/%Y").to_numpy(dtype=object), "")
    return pd.Series(text[codes], index=d.index, dtype=object)


def returns_from(la: SynthLA) -> dict[int, dict[str, pd.DataFrame]]:
    """Yearly returns in the SSDA903 layout, keyed by the year the collection year ends (all columns text).

    Each return holds every episode open at any time in its year (DEC, REC and REASON_PLACE_CHANGE blank when the
    episode was still open on 31 March), the header rows of those children and the UASC rows of the UASC among them.
    SEX is 1/2 to 2023-24 and M/F from 2024-25.
    """
    ep, ch = la.episodes, la.children.set_index("child")
    b18 = pd.Series(pd.to_datetime(dyn.add_years(ch["dob"].to_numpy().astype("datetime64[D]").astype(np.int64), 18),
                                   unit="D"), index=ch.index)
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for year in la.collection_years:
        ys, ye = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
        e = ep[(ep["decom"] <= ye) & (ep["dec"].isna() | (ep["dec"] >= ys))]
        open_end = e["dec"].isna() | (e["dec"] > ye)
        dec = e["dec"].where(~open_end)
        episodes = pd.DataFrame({
            "CHILD": e["child"], "DECOM": _fmt(e["decom"]), "RNE": e["rne"], "LS": e["ls"], "CIN": e["cin"],
            "PLACE": e["place"], "PLACE_PROVIDER": e["place_provider"].fillna(""), "DEC": _fmt(dec),
            "REC": e["rec"].where(~open_end).fillna(""),
            "REASON_PLACE_CHANGE": e["reason_place_change"].where(~open_end).fillna(""),
            "HOME_POST": e["home_post"], "PL_POST": e["pl_post"], "URN": e["urn"],
        }).reset_index(drop=True)
        kids = pd.unique(e["child"])
        h = ch.loc[kids]
        male = h["male"].to_numpy()
        sex = np.where(male, "M", "F") if year >= 2025 else np.where(male, "1", "2")
        header = pd.DataFrame({
            "CHILD": kids, "SEX": sex, "DOB": _fmt(h["dob"]).to_numpy(), "ETHNIC": h["ethnic"].to_numpy(),
            # UN1: not yet of compulsory school age, no UPN allocated
            "UPN": np.where(h["dob"].to_numpy() > np.datetime64(f"{year - 5}-03-31"), "UN1", h["upn"].to_numpy()),
            "MOTHER": np.where(male, "", "0"), "MC_DOB": "",
        })
        u = h[h["uasc"]]
        uasc = pd.DataFrame({"CHILD": u.index.to_numpy(), "SEX": header.set_index("CHILD").loc[u.index, "SEX"].to_numpy(),
                             "DOB": _fmt(u["dob"]).to_numpy(), "DUC": _fmt(b18.loc[u.index]).to_numpy()})
        out[year] = {"header": header, "episodes": episodes, "uasc": uasc}
    return out


def write_returns(returns: dict[int, dict[str, pd.DataFrame]], output: str | Path) -> Path:
    """Write ``<output>/<year>/{header,episodes,uasc}.csv``."""
    out = Path(output)
    for year, tables in returns.items():
        folder = out / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            df.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return out
