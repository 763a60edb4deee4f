"""The dynamics of a synthetic LA: entries, periods of care, placements, legal status, exits.

Everything is vectorised over children (loops run over period number and placement number, never over children), so
that national scale (about 80,000 children in care, ten years) takes seconds. Dates are integer days since
1970-01-01 inside this module. Every random draw comes from the ``numpy.random.Generator`` passed in.

Model, per child (docs/synth.md has the figures):
1. Entries: a Poisson process with a constant rate during an 18-year burn-in (so the stock at the first collection
   year is in steady state), then trended; age on starting by DfE age band; UASC mostly 16-17 year-old boys.
2. A period of care draws its exit route (adoption, SGO, CAO, return home, other, adulthood) from the age on starting
   and its length from a route-specific lognormal; nobody stays past their 18th birthday (adulthood exits happen on
   it). After a return home some children come back (a new period, RNE S).
3. Placements within a period: each placement's category depends on the age at its start, the previous placement
   (a move matrix) and UASC status; its intended length on the category, age and time in care (first placements
   are short, placements after two years in care long). Adoption periods end placed for adoption, SGO periods often
   with kin, returns home sometimes placed with parents.
4. Legal status: V2, C1 (interim care order, becoming C2), L1/L2 (police protection / EPO, then C1 or V2), J1-J3;
   E1 (placement order) before a placement for adoption. A change of legal status alone starts an episode with RNE L;
   together with a move RNE T.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from careflow.synth.params import AGE_BAND_EDGES_YEARS, ROUTES, SynthParameters

EPOCH = dt.date(1970, 1, 1)
BURN_IN_DAYS = 18 * 366 + 30
PILOT_CHILDREN = 20_000
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
R_ADOPTION, R_SGO, R_CAO, R_RETURN, R_OTHER, R_ADULT = range(6)


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar date ``years`` later (29 February becomes 1 March)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = (d - month.astype("datetime64[D]")).astype(np.int64)
    return ((month + 12 * years).astype("datetime64[D]").astype(np.int64) + offset).astype(np.int64)


def age_band(t: np.ndarray, dob: np.ndarray) -> np.ndarray:
    age = (t - dob) / 365.25
    return np.clip(np.searchsorted(AGE_BAND_EDGES_YEARS, age, side="right") - 1, 0, 4)


def draw_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) array of non-negative weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), weights.shape[1] - 1)


def draw(rng: np.random.Generator, keys_weights: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    keys, w = keys_weights
    return keys[rng.choice(len(w), size=n, p=w)]


def lognormal(rng: np.random.Generator, median, sigma, n: int) -> np.ndarray:
    return np.exp(np.log(median) + sigma * rng.standard_normal(n))


@dataclass
class Periods:
    child: np.ndarray
    start: np.ndarray
    end: np.ndarray
    route: np.ndarray
    rec: np.ndarray
    ls0: np.ndarray
    cin: np.ndarray


# ---------------------------------------------------------------------------------------------------- children


def new_children(rng: np.random.Generator, p: SynthParameters, start: np.ndarray) -> dict[str, np.ndarray]:
    """Age, UASC status, sex and ethnicity of children starting their first period of care on ``start``."""
    n = len(start)
    band = rng.choice(5, size=n, p=p.starts_by_age)
    lo = np.array(AGE_BAND_EDGES_YEARS[:-1]) * 365.25
    hi = np.array(AGE_BAND_EDGES_YEARS[1:]) * 365.25 - 2
    u = rng.random(n)
    u = np.where(band == 0, u ** p.newborn_skew, u)
    age = np.floor(lo[band] + u * (hi[band] - lo[band])).astype(np.int64)
    # UASC: among starts aged 16+ and 10-15, at the rates that give the national share and age split
    n16 = p.starts_by_age[4]
    n10 = p.starts_by_age[3]
    p16 = min(p.uasc_share * p.uasc_16_plus_share / n16, 0.95)
    p10 = min(p.uasc_share * (1 - p.uasc_16_plus_share) / n10, 0.95)
    r = rng.random(n)
    uasc = ((band == 4) & (r < p16)) | ((band == 3) & (age >= 13 * 365.25) & (r < p10 * 2))
    male = np.where(uasc, rng.random(n) < p.uasc_male_share, rng.random(n) < p.male_share_non_uasc)
    eth = np.where(uasc, draw(rng, p.uasc_ethnicity, n), draw(rng, p.ethnicity, n))
    return {"dob": start - age, "uasc": uasc, "male": male, "ethnic": eth}


# ---------------------------------------------------------------------------------------------------- periods


def _period_batch(rng, p: SynthParameters, child, start, dob, uasc, b18):
    n = len(child)
    band = age_band(start, dob)
    # legal status on starting
    ls_groups = ("voluntary_s20", "care_order", "detained_for_protection", "youth_justice")
    w = np.array([p.legal_status_start[k] for k in ls_groups])
    g = rng.choice(4, size=n, p=w / w.sum())
    g = np.where((g == 3) & (band < 3), 0, g)        # youth justice statuses only from age 10
    g = np.where(uasc, 0, g)
    ls0 = np.select([g == 0, g == 1, g == 2],
                    ["V2", "C1", np.where(rng.random(n) < 0.6, "L1", "L2")],
                    np.where(rng.random(n) < 0.7, "J1", np.where(rng.random(n) < 0.8, "J2", "J3"))).astype(object)
    cin = np.where(uasc, draw(rng, p.uasc_cin, n), draw(rng, p.cin, n))
    # exit route by age on starting (UASC their own row); youth justice mostly leave by the `other` route
    rows = p.route_by_age[np.where(uasc, 5, band)]
    route = draw_rows(rng, rows)
    route = np.where((g == 3) & (rng.random(n) < 0.7), R_OTHER, route)
    dur = np.zeros(n)
    for r, name in enumerate(ROUTES[:-1]):
        m = route == r
        if m.any():
            d = p.route_duration[name]
            dur[m] = np.maximum(lognormal(rng, d["median"], d["sigma"], int(m.sum())), d["min"])
    end = start + np.round(dur).astype(np.int64)
    adult = (route == R_ADULT) | (end >= b18)
    end = np.where(adult, b18, end)
    route = np.where(adult, R_ADULT, route)
    end = np.maximum(end, start + 1)
    # reason episode ceased
    rec = np.empty(n, dtype=object)
    rec[route == R_ADULT] = draw(rng, p.rec_at_18, int((route == R_ADULT).sum()))
    rec[route == R_RETURN] = draw(rng, p.return_home_rec, int((route == R_RETURN).sum()))
    rec[route == R_SGO] = draw(rng, p.sgo_rec, int((route == R_SGO).sum()))
    rec[route == R_ADOPTION] = draw(rng, p.adoption_rec, int((route == R_ADOPTION).sum()))
    rec[route == R_CAO] = "E41"
    m = np.flatnonzero(route == R_OTHER)
    if m.size:
        keys, w = p.other_rec
        wm = np.tile(w, (m.size, 1))
        yj = np.isin(ls0[m], ["J1", "J2", "J3"])
        wm[:, keys == "E15"] *= uasc[m][:, None] * 20          # age assessments: UASC only
        wm[:, np.isin(keys, ["E14", "E9"])] *= np.where(yj, 40.0, 0.0)[:, None]
        rec[m] = keys[draw_rows(rng, wm)]
    return Periods(child, start, end, route, rec, ls0, cin)


def periods_for(rng, p: SynthParameters, child, start, dob, uasc) -> Periods:
    """All periods of care of new children (first periods and re-entries)."""
    b18_all = add_years(dob, 18)
    out = []
    idx = np.arange(len(child))
    cur_start = start
    while idx.size:
        per = _period_batch(rng, p, child[idx], cur_start, dob[idx], uasc[idx], b18_all[idx])
        out.append(per)
        back = np.isin(per.route, [R_RETURN, R_CAO]) & (rng.random(idx.size) < p.reentry_probability)
        gap = np.maximum(np.round(lognormal(rng, p.reentry_gap_median, p.reentry_gap_sigma, idx.size)), 1)
        nxt = per.end + gap.astype(np.int64)
        back &= nxt < b18_all[idx] - 30
        idx, cur_start = idx[back], nxt[back]
    return Periods(*[np.concatenate([getattr(o, f) for o in out]) for f in Periods.__dataclass_fields__])


# ---------------------------------------------------------------------------------------------------- placements


def placements_for(rng, p: SynthParameters, per: Periods, dob: np.ndarray, uasc: np.ndarray) -> pd.DataFrame:
    """Placements (period index, start, end, category index) filling every period of care."""
    n = len(per.child)
    length = per.end - per.start
    cat_adopt, cat_kin, cat_par = p.cat("adoption"), p.cat("kin"), p.cat("parents")
    final_cat = np.full(n, -1)
    final_len = np.zeros(n, dtype=np.int64)
    m = per.route == R_ADOPTION
    final_cat[m] = cat_adopt
    final_len[m] = np.minimum(lognormal(rng, p.duration_median[cat_adopt], p.duration_sigma[cat_adopt], n)[m],
                              0.8 * length[m])
    m = (per.route == R_SGO) & (rng.random(n) < p.sgo_final_kin_probability)
    final_cat[m] = cat_kin
    final_len[m] = (rng.uniform(0.4, 0.9, n) * length)[m]
    m = (per.route == R_RETURN) & (rng.random(n) < p.return_home_final_parents_probability) & (length > 7)
    final_cat[m] = cat_par
    final_len[m] = np.minimum(lognormal(rng, p.duration_median[cat_par], p.duration_sigma[cat_par], n),
                              0.8 * length)[m]
    final_len = np.where(final_cat >= 0, np.maximum(final_len, 1), 0)
    main_end = per.end - final_len

    weights = p.base_weights * p.choice_factors[None, :]
    rows_p, rows_s, rows_e, rows_c = [], [], [], []
    idx = np.flatnonzero(main_end > per.start)
    cur = per.start[idx]
    prev = np.full(idx.size, -1)
    k = 0
    while idx.size:
        band = age_band(cur, dob[idx])
        w = weights[band]
        w = w * np.where(prev[:, None] >= 0, p.move[np.maximum(prev, 0)], p.entry_factor[None, :])
        w = np.where(uasc[idx][:, None], w * p.uasc_factor[None, :], w)
        w[:, cat_adopt] = 0
        age16 = band == 4
        bad = w.sum(axis=1) <= 0
        w[bad, p.cat("foster")] = 1.0
        cat = draw_rows(rng, w)
        factor = np.where(k == 0, p.first_placement_factor, 1.0)
        factor = factor * np.where(cur - per.start[idx] >= p.settled_after_days, p.settled_factor, 1.0)
        factor = factor * np.where(age16, p.age_16_plus_factor, 1.0)
        d = lognormal(rng, p.duration_median[cat] * factor, p.duration_sigma[cat], idx.size)
        pend = cur + np.maximum(np.round(d), 1).astype(np.int64)
        last = pend >= main_end[idx]
        pend = np.where(last, main_end[idx], pend)
        rows_p.append(idx)
        rows_s.append(cur)
        rows_e.append(pend)
        rows_c.append(cat)
        keep = ~last
        idx, cur, prev = idx[keep], pend[keep], cat[keep]
        k += 1
    f = np.flatnonzero(final_cat >= 0)
    rows_p.append(f)
    rows_s.append(main_end[f])
    rows_e.append(per.end[f])
    rows_c.append(final_cat[f])
    out = pd.DataFrame({"period": np.concatenate(rows_p), "pstart": np.concatenate(rows_s),
                        "pend": np.concatenate(rows_e), "cat": np.concatenate(rows_c)})
    return out.sort_values(["period", "pstart"], kind="stable", ignore_index=True)


# ---------------------------------------------------------------------------------------------------- codes


def placement_codes(rng, p: SynthParameters, pl: pd.DataFrame, area: str) -> pd.DataFrame:
    """PLACE, PLACE_PROVIDER, PL_POST and URN for each placement, consistent with the placement category."""
    n = len(pl)
    cat = pl["cat"].to_numpy()
    start = pl["pstart"].to_numpy()
    place = np.empty(n, dtype=object)
    prov = np.empty(n, dtype=object)
    y2024, y2025 = day(dt.date(2024, 4, 1)), day(dt.date(2025, 4, 1))
    for c, name in enumerate(p.categories):
        m = cat == c
        if not m.any():
            continue
        k = int(m.sum())
        if name == "supported":
            s = start[m]
            codes = np.where(s < y2024, draw(rng, p.subcodes["supported_to_2024"], k),
                             np.where(s < y2025 - 1, draw(rng, p.subcodes["supported_2024_25"], k),
                                      draw(rng, p.subcodes["supported_from_2025"], k)))
        elif name == "other":
            codes = np.where(start[m] < y2025, "Z1", draw(rng, p.subcodes["other_from_2025"], k))
        else:
            codes = draw(rng, p.subcodes[name], k)
        place[m] = codes
        prov[m] = draw(rng, p.providers[c], k)
    # (a supported placement starting on 31 March 2025 is already K3: H5/P2 are recoded that day, see below)
    # NHS trusts and YOIs are never LA provision (provider codes 526-531 in the validator)
    prov[np.isin(place, ["R2", "R5"]) & np.isin(prov, ["PR1", "PR2"])] = "PR3"
    prov[(cat == p.cat("adoption")) & (prov == "PR3")] = "PR1"
    external = np.isin(prov, ["PR2", "PR4", "PR5"])
    out_of_area = external & (rng.random(n) < 0.55) | (~external & (rng.random(n) < 0.2))
    areas = np.where(out_of_area, rng.choice(["BX", "CY", "DW", "EV", "FU"], n), area)
    pl_post = _postcodes(rng, areas)
    # a move is a move: the next placement of a period never has the same postcode as the last (validator 435)
    period = pl["period"].to_numpy()
    for _ in range(5):
        same = np.r_[False, (period[1:] == period[:-1]) & (pl_post[1:] == pl_post[:-1])]
        if not same.any():
            break
        pl_post[same] = _postcodes(rng, areas[same])
    registered = np.isin(place, ["K1", "K2", "K3"])
    pool = np.array([f"SC{v:06d}" for v in rng.choice(900_000, size=200, replace=False) + 100_000])
    urn = np.where(registered, pool[rng.integers(0, len(pool), n)], "XXXXXXX")
    return pd.DataFrame({"place": place, "place_provider": prov, "pl_post": pl_post, "urn": urn},
                        index=pl.index)


RETIRED_2025 = {"H5": "K3", "P2": "K3", "Z1": "Z11"}


def recode_retired(rng, pl: pd.DataFrame) -> pd.DataFrame:
    """H5, P2 and Z1 end with the 2024-25 return: a placement open across the change continues with the same carer
    as K3 or Z11 (a new episode with RNE U, as an LA recoding it would return). H5/P2 become K3 (valid from
    2024-25) on 31 March 2025, so no H5/P2 episode reaches 2025-26; Z11 is only valid from 2025-26, so Z1 becomes
    Z11 on 1 April 2025 (the Z1 episode then ends on 01/04/2025 in the 2025-26 return). Adds ``same_carer``."""
    switch = np.where(pl["place"] == "Z1", day(dt.date(2025, 4, 1)), day(dt.date(2025, 3, 31)))
    m = (pl["place"].isin(list(RETIRED_2025)) & (pl["pstart"] < switch) & (pl["pend"] > switch)).to_numpy()
    pl = pl.assign(same_carer=False)
    if not m.any():
        return pl
    second = pl[m].copy()
    second["pstart"] = switch[m]
    second["place"] = second["place"].map(RETIRED_2025)
    k3 = (second["place"] == "K3").to_numpy()
    second["urn"] = np.where(k3, np.char.add("SC", rng.integers(100_000, 1_000_000, len(second)).astype(str)),
                             "XXXXXXX").astype(object)
    second["same_carer"] = True
    pl.loc[m, "pend"] = switch[m]
    return pd.concat([pl, second]).sort_values(["period", "pstart"], kind="stable", ignore_index=True)


def _postcodes(rng, areas) -> np.ndarray:
    """Fictional postcodes: a pool of 400 per postcode area (AN for the LA's own), drawn with replacement."""
    areas = np.asarray(areas, dtype=object)
    n = len(areas)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    pool_n = 400
    names, inverse = np.unique(areas.astype(str), return_inverse=True)
    out = np.empty(n, dtype=object)
    pick = rng.integers(0, pool_n, n)
    for i, area in enumerate(names):
        district = rng.integers(1, 30, pool_n).astype(str)
        inward = np.char.add(np.char.add(rng.integers(1, 10, pool_n).astype(str), letters[rng.integers(0, 20, pool_n)]),
                             letters[rng.integers(0, 20, pool_n)])
        pool = np.char.add(np.char.add(np.char.add(area, district), " "), inward).astype(object)
        m = inverse == i
        out[m] = pool[pick[m]]
    return out


def upns(rng, la_number: int, n: int) -> np.ndarray:
    """Unique pupil numbers with a valid check letter (DfE UPN algorithm: weights 2..13, modulus 23)."""
    body = np.int64(la_number % 1000) * 10**9 + rng.integers(0, 10**9, n, dtype=np.int64)
    digits = (body[:, None] // (10 ** np.arange(11, -1, -1, dtype=np.int64))[None, :]) % 10
    check = (digits * np.arange(2, 14)[None, :]).sum(axis=1) % 23
    letters = np.array(list(UPN_LETTERS))
    return np.char.add(letters[check], np.char.zfill(body.astype(str), 12)).astype(object)


# ---------------------------------------------------------------------------------------------------- legal status


def legal_status_events(rng, p: SynthParameters, per: Periods, pl: pd.DataFrame) -> pd.DataFrame:
    """Changes of legal status within periods: (period, t, ls); the status on starting is per.ls0."""
    n = len(per.child)
    start, end, ls0 = per.start, per.end, per.ls0
    ev_p, ev_t, ev_ls = [], [], []

    def add(mask, t, ls):
        i = np.flatnonzero(mask)
        ev_p.append(i)
        ev_t.append(np.asarray(t)[i].astype(np.int64))
        ev_ls.append(np.broadcast_to(np.asarray(ls, dtype=object), (n,))[i])

    interim = lognormal(rng, 200, 0.3, n).round().astype(np.int64)
    # police protection / EPO: a few days, then an interim care order or section 20
    detained = np.isin(ls0, ["L1", "L2"])
    t1 = start + rng.integers(1, 9, n)
    to_c1 = rng.random(n) < 0.7
    add(detained, t1, np.where(to_c1, "C1", "V2"))
    add(detained & to_c1, t1 + interim, "C2")
    # interim care order on starting: full care order at the final hearing
    add(ls0 == "C1", start + interim, "C2")
    # section 20 becoming care proceedings, always on the adoption route, often for the young on long routes
    young_long = np.isin(per.route, [R_SGO, R_ADULT]) & (rng.random(n) < 0.5)
    to_order = (ls0 == "V2") & ((per.route == R_ADOPTION) | young_long)
    t_v = start + lognormal(rng, 90, 0.6, n).round().astype(np.int64)
    add(to_order, t_v, "C1")
    add(to_order, t_v + interim, "C2")
    ev = pd.DataFrame({"period": np.concatenate(ev_p), "t": np.concatenate(ev_t),
                       "ls": np.concatenate(ev_ls)})
    # placement order (E1) before placement for adoption: on the day for A3/A5 (RNE must be T), earlier otherwise
    adopt = pl[pl["place"].isin(["A3", "A4", "A5", "A6"])]
    lag = np.where(adopt["place"].isin(["A3", "A5"]), 0, rng.integers(14, 121, len(adopt)))
    e1 = pd.DataFrame({"period": adopt["period"].to_numpy(), "t": adopt["pstart"].to_numpy() - lag, "ls": "E1"})
    e1["t"] = np.maximum(e1["t"].to_numpy(), start[e1["period"].to_numpy()] + 1)
    first_e1 = e1.groupby("period")["t"].min()
    ev = ev.merge(first_e1.rename("t_e1"), left_on="period", right_index=True, how="left")
    ev = ev[ev["t_e1"].isna() | (ev["t"] < ev["t_e1"])].drop(columns="t_e1")
    ev = pd.concat([ev, e1], ignore_index=True)
    pe = ev["period"].to_numpy()
    ev = ev[(ev["t"].to_numpy() > start[pe]) & (ev["t"].to_numpy() < end[pe])]
    ev = ev.sort_values(["period", "t"], kind="stable").drop_duplicates(["period", "t"], keep="last")
    # drop no-op changes (same status as before)
    prev = ev.groupby("period")["ls"].shift(1)
    prev = prev.fillna(pd.Series(ls0[ev["period"].to_numpy()], index=ev.index))
    return ev[ev["ls"] != prev].reset_index(drop=True)
