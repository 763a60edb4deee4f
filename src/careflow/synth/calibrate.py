"""Check and fit the generator against the DfE figures it is calibrated to.

``python -m careflow.synth.calibrate`` simulates a large LA, prints its 31 March placement mix, starts by age and
ceases by reason beside the England figures, and fits ``choice_factors`` (the per-category multipliers in
``synth_placements.yaml``) so that the simulated 31 March mix matches the published one.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from careflow.synth.params import AGE_BANDS, SynthParameters, load_synth_parameters

REC_GROUPS = {
    "adoption": ["E11", "E12"], "sgo": ["E43", "E44", "E45", "E46", "E47", "E48"], "cao": ["E41"],
    "return_home": ["E13", "E4A", "E4B"], "adulthood": ["E5", "E6", "E7", "E17"],
}


def stock_on(episodes: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Episodes open on ``day`` (one per child in care that day)."""
    return episodes[(episodes["decom"] <= day) & (episodes["dec"].isna() | (episodes["dec"] > day))]


def mix_31_march(episodes: pd.DataFrame, year: int, categories) -> pd.Series:
    """Share of children in each placement category on 31 March ``year``."""
    s = stock_on(episodes, pd.Timestamp(year, 3, 31))["category"].value_counts()
    return (s.reindex(list(categories)).fillna(0) / s.sum()).rename("share")


def starts_by_age(episodes: pd.DataFrame, children: pd.DataFrame, year: int) -> pd.Series:
    """Share of starts (RNE S) in the year ending 31 March ``year`` by DfE age band on starting."""
    ys, ye = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    s = episodes[(episodes["rne"] == "S") & episodes["decom"].between(ys, ye)]
    dob = children.set_index("child").loc[s["child"], "dob"].to_numpy()
    age = (s["decom"].to_numpy() - dob) / np.timedelta64(1, "D") / 365.25
    band = pd.cut(age, [0, 1, 5, 10, 16, 19], right=False, labels=list(AGE_BANDS))
    v = pd.Series(band).value_counts()
    return (v.reindex(list(AGE_BANDS)).fillna(0) / v.sum()).rename("share")


def ceases_by_group(episodes: pd.DataFrame, year: int) -> pd.Series:
    """Share of ceases in the year by exit group (REC grouped as in DESIGN 4.1)."""
    ys, ye = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    c = episodes[episodes["dec"].between(ys, ye) & episodes["rec"].notna() & (episodes["rec"] != "X1")]
    grp = c["rec"].map({code: g for g, codes in REC_GROUPS.items() for code in codes}).fillna("other")
    v = grp.value_counts()
    return (v / v.sum()).rename("share")


DFE_PLACEMENT_GROUPS = {"kin": "foster", "foster": "foster", "childrens_home": "homes", "secure": "homes",
                        "supported": "supported", "parents": "parents", "adoption": "adoption"}


def placement_durations(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Median and mean days of placements ceasing in the year, by DfE placement group (an episode that only changes
    legal status, RNE L, continues the placement)."""
    e = episodes.sort_values(["child", "decom"], kind="stable")
    new_placement = e["rne"].isin(["S", "P", "T", "U", "B"]).to_numpy()
    pid = np.cumsum(new_placement)
    pl = e.groupby(pid).agg(start=("decom", "first"), end=("dec", "last"), cat=("category", "first"))
    ys, ye = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    pl = pl[pl["end"].between(ys, ye)]
    pl["days"] = (pl["end"] - pl["start"]).dt.days
    pl["group"] = pl["cat"].map(DFE_PLACEMENT_GROUPS)
    return pl.groupby("group")["days"].agg(["median", "mean", "count"])


def published_ceases_by_group(p: SynthParameters) -> pd.Series:
    r = p.published["ceases"]["reason_episode_ceased"]
    m = {"E11": "adoption", "E45_E48": "sgo", "E41": "cao", "E4A": "return_home", "E4B": "return_home",
         "E13": "return_home", "E17": "adulthood", "E5": "adulthood", "E6": "adulthood", "E7": "adulthood"}
    s = pd.Series({k: v for k, v in r.items()}).groupby(lambda k: m.get(k, "other")).sum()
    return s / s.sum()


def fit_choice_factors(p: SynthParameters, children_in_care: int = 20_000, iterations: int = 6,
                       seed: int = 1, year: int = 2024) -> SynthParameters:
    """Rescale each category's choice weight by target share / simulated share on 31 March, a few times."""
    from careflow.synth.generator import simulate

    target = p.mix_31_march / p.mix_31_march.sum()
    for _ in range(iterations):
        la = simulate(children_in_care, year - 2, 3, np.random.default_rng(seed), p)
        sim = np.mean([mix_31_march(la.episodes, y, p.categories).to_numpy() for y in (year - 2, year - 1, year)],
                      axis=0)
        ratio = np.where(sim > 0, target / np.maximum(sim, 1e-9), 1.0)
        p = p.with_choice_factors(p.choice_factors * np.clip(ratio, 0.3, 3.0))
    return p


def report(p: SynthParameters, children_in_care: int = 20_000, seed: int = 1, year: int = 2024) -> str:
    from careflow.synth.generator import simulate

    la = simulate(children_in_care, year - 4, 5, np.random.default_rng(seed), p)
    lines = []
    target = pd.Series(p.mix_31_march / p.mix_31_march.sum(), index=list(p.categories))
    mix = mix_31_march(la.episodes, year, p.categories)
    lines.append(pd.DataFrame({"england_2024": target, "synthetic": mix}).round(3).to_string())
    sp = p.published["starts"]["age_on_starting"]
    st = pd.Series({b: sp[b] for b in AGE_BANDS}, dtype=float)
    lines.append(pd.DataFrame({"england_2024": st / st.sum(),
                               "synthetic": starts_by_age(la.episodes, la.children, year)}).round(3).to_string())
    lines.append(pd.DataFrame({"england_2024": published_ceases_by_group(p),
                               "synthetic": ceases_by_group(la.episodes, year)}).round(3).to_string())
    pd_ = p.published["placements"]["placement_duration_days"]
    dfe = pd.DataFrame({"england_median": {"foster": pd_["foster"]["median"], "homes": pd_["childrens_home"]["median"],
                                           "supported": pd_["supported"]["median"], "parents": pd_["parents"]["median"],
                                           "adoption": pd_["adoption"]["median"]}})
    lines.append(dfe.join(placement_durations(la.episodes, year)).to_string())
    stock = {y: len(stock_on(la.episodes, pd.Timestamp(y, 3, 31))) for y in range(year - 4, year + 1)}
    lines.append(f"children in care on 31 March: {stock}")
    return "\n\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = load_synth_parameters()
    if "--fit" in argv:
        p = fit_choice_factors(p)
        print("choice_factors:", "[" + ", ".join(f"{v:.3f}" for v in p.choice_factors) + "]")
    print(report(p))


if __name__ == "__main__":
    main()
