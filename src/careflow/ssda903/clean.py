"""Clean SSDA903 tables into the modelling data: stack years, one row per episode, periods of care.

Steps (each reported through findings where it changes or excludes data):

1. Exclude rows that cannot be placed in time or attributed: blank CHILD, invalid DECOM (141), DEC before DECOM
   (356), unknown collection year (CF-YEAR). Exact duplicate rows of one file are counted once (CF-DUPLICATE).
2. Latest return wins: an episode (LA, CHILD, DECOM) found in several returns is taken from the latest one.
3. Repairs: an open episode followed by another episode is closed when the next starts (142); an episode running
   past the next episode's start is cut there (501); an episode open at the end of a return but missing from all
   later returns is closed on 1 April after that return (CF-LOST). REC is ignored on open episodes (148).
4. Same-day continuations are merged: an episode with RNE L, T or U starting on the previous episode's DEC, where
   that episode ended X1, with the same placement category and the same short-break status, is not a real move.
   Placement changes (RNE P, B, or a different category) stay separate episodes in the same period of care.
5. Periods of care: a new period starts unless the episode starts on the previous DEC after an X1 REC (or a blank
   REC, unless the episode's RNE is S).
6. Categories from the mapping, exit groups from REC on a period's last episode, short breaks (LS V3/V4),
   pseudonymised child ids (HMAC-SHA256 of LA and CHILD keyed with the installation's secret salt; see
   careflow.privacy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from careflow.errors import Finding
from careflow.fy import FinancialYear
from careflow.privacy import SALT_ENV, pseudonyms, resolve_salt  # noqa: F401 (re-exported)
from careflow.ssda903 import codes
from careflow.ssda903.categories import UNKNOWN, CategoryMap
from careflow.ssda903.reader import UNUSED_COLUMNS, upper
from careflow.ssda903.validate import emit

EPISODE_COLUMNS = ["child", "la", "dob", "sex", "uasc", "decom", "dec", "rne", "ls", "cin", "place",
                   "place_provider", "rec", "reason_place_change", "category", "period", "exit_group",
                   "short_break", "year", "source_file", "source_row", "ethnic", "home_post", "pl_post"]
# Free-text columns kept for the indicators (ethnicity breakdowns, placements out of area): not used by the model.
KEPT_TEXT = frozenset({"HOME_POST", "PL_POST"})
PERIOD_COLUMNS = ["child", "la", "period", "start", "end", "exit_group", "dob", "first_category", "short_break"]


def pseudonymise(la: pd.Series, child: pd.Series, salt: str, key: np.ndarray | None = None) -> pd.Series:
    """Keyed pseudonyms (:func:`careflow.privacy.pseudonyms`) of LA and CHILD; hashed once per distinct child.

    ``key`` (one integer per (LA, CHILD), see :func:`child_key`) saves hashing the strings again."""
    if key is not None:
        uniq, first, inverse = np.unique(np.asarray(key), return_index=True, return_inverse=True)
        pairs = zip(la.to_numpy()[first].tolist(), child.to_numpy()[first].tolist(), strict=True)
        hashed = np.array(pseudonyms(salt, pairs), dtype=object)
        return pd.Series(hashed[inverse.ravel()] if len(uniq) else [], index=la.index, dtype="str")
    # Hash each distinct (LA, CHILD) once; combine factorised codes instead of building a key string per row.
    la_codes, la_uniques = pd.factorize(la.astype(str))
    child_codes, child_uniques = pd.factorize(child.astype(str))
    width = max(len(child_uniques), 1)
    key = la_codes.astype(np.int64) * width + child_codes
    uniq, inverse = np.unique(key, return_inverse=True)
    las, children = la_uniques.tolist(), child_uniques.tolist()
    hashed = np.array(pseudonyms(salt, ((las[k // width], children[k % width]) for k in uniq.tolist())),
                      dtype=object)
    return pd.Series(hashed[inverse.ravel()] if len(uniq) else [], index=la.index, dtype="str")


def child_key(la: pd.Series, child: pd.Series) -> np.ndarray:
    """One int64 per (LA, CHILD), ordered as the strings sort: integer sorts and comparisons are far faster."""
    la_codes, _ = pd.factorize(la, sort=True)
    child_codes, child_uniques = pd.factorize(child, sort=True)
    return la_codes.astype(np.int64) * max(len(child_uniques), 1) + child_codes


def joint_keys(*frames: pd.DataFrame) -> list[np.ndarray]:
    """:func:`child_key` over several tables at once, so the same (LA, CHILD) has the same key in each."""
    la = pd.concat([f["LA"] for f in frames], ignore_index=True)
    child = pd.concat([f["CHILD"] for f in frames], ignore_index=True)
    key = child_key(la, child) if len(la) else np.zeros(0, dtype=np.int64)
    return np.split(key, np.cumsum([len(f) for f in frames])[:-1])


def _next_same(*arrays: np.ndarray) -> np.ndarray:
    """Per row of sorted arrays: the next row has the same values in every array (False for the last row)."""
    n = len(arrays[0])
    same = np.zeros(n, dtype=bool)
    if n > 1:
        same[:-1] = True
        for a in arrays:
            same[:-1] &= a[1:] == a[:-1]
    return same


def latest_episodes(ep: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """Steps 1-2: usable rows, one per (LA, CHILD, DECOM), from the latest return; sorted by LA, CHILD, DECOM.

    Adds ``_key`` (see :func:`child_key`) unless ``ep`` has it already (:func:`joint_keys`)."""
    usable = (ep["CHILD"] != "") & ep["_DECOM"].notna() & ep["year"].notna() & ~(ep["_DEC"] < ep["_DECOM"])
    rows = np.flatnonzero(usable.to_numpy())  # positions in ep: ep itself is taken from only once, at the end
    key = (ep["_key"].to_numpy()[rows] if "_key" in ep.columns
           else child_key(ep["LA"].iloc[rows], ep["CHILD"].iloc[rows]))
    n = len(rows)
    decom = ep["_DECOM"].to_numpy().view("int64")[rows]
    year = ep["year"].iloc[rows].to_numpy(dtype="int64")
    # Rows are stacked file by file, so file codes rise with the row order: sorting by (year, file, row) within
    # a child and start is sorting by (year, row), and rows of one file with one child, start and year are
    # adjacent. Duplicates are then found by comparing neighbours on integers, never by hashing strings.
    fc = pd.factorize(ep["_file"].iloc[rows])[0]
    order = np.lexsort((np.arange(n), fc, year, decom, key))
    k, d, y, f = key[order], decom[order], year[order], fc[order]
    same_group = _next_same(k, d, y, f)
    maybe = same_group | np.r_[False, same_group[:-1]] if n else same_group
    dup = np.zeros(n, dtype=bool)  # in sorted order
    if maybe.any():
        content = ["LA", "year", "_file", *[c for c in ep.columns if c.isupper() and c != "LA"]]
        dup[maybe] = ep.iloc[rows[order[maybe]]].duplicated(subset=content, keep="first").to_numpy()
    dup_rows = ep.iloc[rows[np.sort(order[dup])]]
    emit(findings, dup_rows, np.ones(len(dup_rows), dtype=bool), "CF-DUPLICATE", None,
         "row repeats an earlier row of this file exactly; counted once")
    order, k, d, y = order[~dup], k[~dup], d[~dup], y[~dup]
    same_return = rows[order[_next_same(k, d, y)]]
    emit(findings, ep.iloc[same_return], np.ones(len(same_return), dtype=bool), "CF-DUPLICATE-EPISODE", "DECOM",
         lambda r: f"another row of the same return has this child and DECOM {r['DECOM']}; the later row is used")
    keep = ~_next_same(k, d)
    out = ep.drop(columns=[c for c in UNUSED_COLUMNS - KEPT_TEXT if c in ep.columns]).iloc[rows[order[keep]]]
    out = out.reset_index(drop=True)
    out["_key"] = k[keep]
    return out


def _postcode_or_code(values: pd.Series) -> pd.Series:
    """Free text as a code: stripped, upper case, inner spaces single; blank as <NA>. Once per distinct value."""
    text = values.fillna("").astype(str)
    uniq, inverse = np.unique(text.to_numpy(dtype=str), return_inverse=True)
    cleaned = np.array([" ".join(u.split()).upper() for u in uniq.tolist()], dtype=object)
    out = pd.Series(cleaned[inverse.ravel()] if len(uniq) else [], index=values.index, dtype=object)
    return out.where(out != "", pd.NA)


def people_table(raw_header: pd.DataFrame, raw_uasc: pd.DataFrame) -> pd.DataFrame:
    """Latest header row per (LA, CHILD), preferring rows with a valid DOB; UASC flag from the UASC table.

    One row per (LA, CHILD); with the tables' ``_key`` (:func:`joint_keys`) when both have one."""
    keyed = "_key" in raw_header.columns and "_key" in raw_uasc.columns
    if not keyed:
        hk, uk = joint_keys(raw_header, raw_uasc)
        raw_header, raw_uasc = raw_header.assign(_key=hk), raw_uasc.assign(_key=uk)
    h = raw_header.loc[(raw_header["CHILD"] != "") & raw_header["year"].notna()]
    key = h["_key"].to_numpy()
    # Sorted by child, then valid DOB, then year (ties: row order): the last row of each child wins.
    order = np.lexsort((np.arange(len(h)), h["year"].to_numpy(dtype="int64"), h["_DOB"].notna().to_numpy(),
                        key))
    order = order[~_next_same(key[order])]
    h = h.iloc[order]
    people = pd.DataFrame({"_key": h["_key"].to_numpy(), "LA": h["LA"], "CHILD": h["CHILD"], "dob": h["_DOB"],
                           "sex": upper(h["SEX"]).map(codes.SEX_LABEL).astype("str"),
                           "ethnic": _postcode_or_code(h["ETHNIC"]) if "ETHNIC" in h.columns else pd.NA})
    u = raw_uasc.loc[raw_uasc["CHILD"] != "", ["_key", "LA", "CHILD"]]
    u = u.iloc[np.unique(u["_key"].to_numpy(), return_index=True)[1]]
    only_uasc = u.loc[~u["_key"].isin(people["_key"])]
    people = pd.concat([people, only_uasc], ignore_index=True)
    people["uasc"] = people["_key"].isin(u["_key"]).to_numpy()
    people = people.sort_values("_key", ignore_index=True)
    return people if keyed else people.drop(columns="_key")


def clean(ep: pd.DataFrame, people: pd.DataFrame, findings: list[Finding], categories: CategoryMap,
          salt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Steps 3-6 on the output of :func:`latest_episodes` (sorted by LA, CHILD, DECOM); (episodes, periods).

    ``people`` (:func:`people_table`) is matched to ``ep`` by ``_key`` when it has one, which must then come
    from the same :func:`joint_keys` call as the episodes' keys (as in :func:`careflow.ssda903.load`)."""
    dec, rec, same_next = _end_dates(ep, findings)
    out = _episode_frame(ep, dec, rec, findings, categories)
    merged = _merge_continuations(out, same_next, findings)
    _periods_of_care(merged)
    episodes, mkey = _with_people(merged, people, salt)
    return episodes, _periods_table(episodes, mkey)


def _end_dates(ep: pd.DataFrame, findings: list[Finding]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 3: each episode's end date and reason once open episodes followed by another are closed (142),
    overlaps cut (501) and episodes lost from later returns closed (CF-LOST); and whether the next row is the same
    child's."""
    n = len(ep)
    decom = ep["_DECOM"].to_numpy()
    dec = ep["_DEC"].to_numpy().copy()
    rec = upper(ep["REC"]).where(ep["_DEC"].notna() & (ep["REC"] != "")).to_numpy(dtype=object)
    key = ep["_key"].to_numpy()
    same_next = np.zeros(n, dtype=bool)
    if n > 1:
        same_next[:-1] = key[:-1] == key[1:]
    next_decom = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    next_decom[:-1] = decom[1:]
    # 142: open followed by another episode -> closed when the next starts, as a continuation.
    # When the next episode says it starts a new period (RNE S), the open one ends there without a reason.
    open_then_next = same_next & np.isnat(dec)
    next_rne = np.empty(n, dtype=object)
    rne = upper(ep["RNE"])
    next_rne[:-1] = rne.to_numpy(dtype=object)[1:]
    dec[open_then_next] = next_decom[open_then_next]
    rec[open_then_next & (next_rne != "S")] = "X1"
    # 501: running past the next start -> cut there.
    overlap = same_next & ~np.isnat(dec) & (next_decom < dec)
    dec[overlap] = next_decom[overlap]
    # CF-LOST: open at the end of a return that is not the latest for this LA.
    year = ep["year"].astype("int64").to_numpy()
    last_year = pd.Series(year).groupby(pd.factorize(ep["LA"])[0]).transform("max").to_numpy()
    lost = np.isnat(dec) & (year < last_year) & ~same_next
    if lost.any():
        emit(findings, ep, lost, "CF-LOST", "DEC",
             lambda r: f"open at the end of the {FinancialYear(int(r['year'])).label} return but missing from "
                       "later returns; closed on 1 April after that return")
        dec[lost] = (pd.to_datetime((year[lost] + 1).astype(str) + "-04-01")).to_numpy(dtype="datetime64[ns]")

    return dec, rec, same_next


def _episode_frame(ep: pd.DataFrame, dec: np.ndarray, rec: np.ndarray, findings: list[Finding],
                   categories: CategoryMap) -> pd.DataFrame:
    """The episodes with careflow's column names, codes upper-cased, the placement category (CF-CATEGORY for a
    valid code the mapping leaves out) and the short-break flag."""
    key = ep["_key"].to_numpy()
    decom = ep["_DECOM"].to_numpy()
    rne = upper(ep["RNE"])
    year = ep["year"].astype("int64").to_numpy()
    out = pd.DataFrame({
        "la": ep["LA"].to_numpy(), "CHILD": ep["CHILD"].to_numpy(), "_key": key, "decom": decom, "dec": dec,
        "rne": rne.to_numpy(), "ls": upper(ep["LS"]).to_numpy(),
        "cin": upper(ep["CIN"]).to_numpy(), "place": upper(ep["PLACE"]).to_numpy(),
        "place_provider": upper(ep["PLACE_PROVIDER"]).replace("", pd.NA).to_numpy(),
        "rec": rec, "reason_place_change": ep["REASON_PLACE_CHANGE"].replace("", pd.NA).to_numpy(),
        "year": year, "source_file": ep["_file"].to_numpy(), "source_row": ep["_row"].to_numpy(),
        "home_post": _postcode_or_code(ep["HOME_POST"]).to_numpy() if "HOME_POST" in ep.columns else pd.NA,
        "pl_post": _postcode_or_code(ep["PL_POST"]).to_numpy() if "PL_POST" in ep.columns else pd.NA,
    })
    out["rec"] = out["rec"].astype("str").where(pd.notna(rec), pd.NA)
    out["category"] = categories.assign(out["place"], out["place_provider"])
    # Invalid codes are reported by 146/178/526 already; this is for valid codes the mapping leaves out.
    valid_provider = out["place_provider"].isin(codes.PLACE_PROVIDER) | (
        out["place_provider"].isna() & out["place"].isin(codes.NO_PROVIDER_PLACE))
    unknown = (out["category"] == UNKNOWN) & out["place"].isin(codes.PLACE) & valid_provider
    if unknown.any():  # (emit adds nothing otherwise; this saves copying ep)
        emit(findings, ep.assign(_cat=out["category"].to_numpy()), unknown.to_numpy(), "CF-CATEGORY",
             "PLACE_PROVIDER", lambda r: f"the category mapping has no category for PLACE {r['PLACE']} with "
                                         f"provider {r['PLACE_PROVIDER'] or 'blank'}; category 'unknown'")
    out["short_break"] = out["ls"].isin(codes.SHORT_BREAK_LS)

    return out


def _merge_continuations(out: pd.DataFrame, same_next: np.ndarray, findings: list[Finding]) -> pd.DataFrame:
    """Step 4: same-day continuations merged into the episodes they continue (CF-MERGED says how many)."""
    n = len(out)
    decom = out["decom"].to_numpy()
    dec = out["dec"].to_numpy()
    # Vectorised: a merge flag per row, then one group per kept episode.
    prev_same = np.zeros(n, dtype=bool)
    prev_same[1:] = same_next[:-1]
    prev_dec = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prev_dec[1:] = dec[:-1]
    prev_rec = np.empty(n, dtype=object)
    prev_rec[1:] = out["rec"].to_numpy(dtype=object)[:-1]
    cat = out["category"].to_numpy(dtype=object)
    sb = out["short_break"].to_numpy()
    prev_cat = np.empty(n, dtype=object)
    prev_cat[1:] = cat[:-1]
    prev_sb = np.zeros(n, dtype=bool)
    prev_sb[1:] = sb[:-1]
    contiguous = prev_same & (decom == prev_dec)
    continuation = (contiguous & (prev_rec == "X1") & out["rne"].isin(codes.CONTINUATION_RNE).to_numpy()
                    & (cat == prev_cat) & (sb == prev_sb))
    if continuation.any():
        findings.append(Finding("CF-MERGED", f"{int(continuation.sum())} same-day continuation row(s) (RNE L, T or U "
                                "starting on the day an X1 episode in the same category ended) merged into the "
                                "episodes they continue; episode counts are after merging", severity="info"))
    first_idx = np.flatnonzero(~continuation)
    last_idx = np.r_[first_idx[1:] - 1, n - 1] if n else first_idx
    merged = out.iloc[last_idx].reset_index(drop=True)  # latest state of the merged episode
    merged["decom"] = out["decom"].to_numpy()[first_idx]
    merged["rne"] = out["rne"].to_numpy()[first_idx]
    merged["source_file"] = out["source_file"].to_numpy()[first_idx]
    merged["source_row"] = out["source_row"].to_numpy()[first_idx]

    return merged


def _periods_of_care(merged: pd.DataFrame) -> None:
    """Step 5: each episode's period of care (``period``, numbered per child from 0) and, at the end of a closed
    period, its exit group."""
    # Continuing when the episode starts on the previous DEC after X1 (or a blank REC,
    # unless the new episode's RNE says a new period starts).
    m = len(merged)
    mkey = merged["_key"].to_numpy()
    mdecom, mdec = merged["decom"].to_numpy(), merged["dec"].to_numpy()
    mrec = merged["rec"].to_numpy(dtype=object)
    first_of_child = np.ones(m, dtype=bool)
    starts_new = np.ones(m, dtype=bool)
    if m > 1:
        first_of_child[1:] = mkey[1:] != mkey[:-1]
        prev_x1 = (mrec[:-1] == "X1") | (pd.isna(mrec[:-1]) & (merged["rne"].to_numpy()[1:] != "S"))
        starts_new[1:] = first_of_child[1:] | ~((mdecom[1:] == mdec[:-1]) & prev_x1)
    period_global = np.cumsum(starts_new)
    child_base = pd.Series(period_global).where(pd.Series(first_of_child)).ffill().to_numpy()
    merged["period"] = (period_global - child_base).astype("int64")
    last_of_period = np.r_[starts_new[1:], True] if m else starts_new
    closed = last_of_period & ~np.isnat(mdec)
    # X1, blank or unknown REC at the end of a closed period: "other" (reported by 388/148/149).
    groups = pd.Series(mrec, dtype=object).map(codes.EXIT_GROUP_OF).fillna("other")
    merged["exit_group"] = pd.Series(groups.to_numpy(), dtype="str").where(pd.Series(closed), pd.NA)



def _with_people(merged: pd.DataFrame, people: pd.DataFrame, salt: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Step 6: date of birth, sex, UASC and ethnicity looked up by integer key, and the pseudonymised child."""
    # Looked up by integer key (people has one row per key).
    mkey = merged["_key"].to_numpy()
    if "_key" not in people.columns:  # keys of episodes and people must come from one joint_keys call
        mkey, pkey = joint_keys(merged.rename(columns={"la": "LA"}), people)
        people = people.assign(_key=pkey)
    if "ethnic" not in people.columns:
        people = people.assign(ethnic=pd.NA)
    look = people.set_index("_key")[["dob", "sex", "uasc", "ethnic"]].reindex(mkey)
    episodes = merged.assign(dob=look["dob"].to_numpy(), sex=look["sex"].to_numpy(),
                             uasc=look["uasc"].fillna(False).astype(bool).to_numpy(),
                             ethnic=look["ethnic"].to_numpy())
    episodes["dob"] = episodes["dob"].astype("datetime64[ns]")
    episodes["child"] = pseudonymise(episodes["la"], episodes["CHILD"], salt, key=mkey)
    episodes = episodes[EPISODE_COLUMNS].reset_index(drop=True)

    return episodes, mkey


def _periods_table(episodes: pd.DataFrame, mkey: np.ndarray) -> pd.DataFrame:
    """One row per period of care: start, end, exit group, first category and whether it was all short breaks."""
    # Periods: a child's episodes are contiguous and in period order, so each period is a run of rows.
    period = episodes["period"].to_numpy()
    starts = np.flatnonzero(~np.r_[False, _next_same(mkey, period)[:-1]])
    ends = np.r_[starts[1:] - 1, len(episodes) - 1]
    head = episodes.iloc[starts].reset_index(drop=True)
    tail = episodes.iloc[ends].reset_index(drop=True)
    periods = pd.DataFrame({"child": head["child"], "la": head["la"], "period": head["period"],
                            "start": head["decom"], "end": tail["dec"], "exit_group": tail["exit_group"],
                            "dob": head["dob"], "first_category": head["category"],
                            "short_break": np.logical_and.reduceat(episodes["short_break"].to_numpy(), starts)})
    return periods[PERIOD_COLUMNS]
