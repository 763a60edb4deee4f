"""The generator's parameters, read from the sourced ``synth_*.yaml`` parameter files into arrays.

Published figures (DfE, England, year ending 31 March 2024) sit beside careflow's modelling assumptions in the same
files; docs/synth.md lists both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from careflow.parameters import load_parameter
from careflow.vocabulary import AGE_BAND_EDGES, DFE_AGE_GROUPS

AGE_BANDS = DFE_AGE_GROUPS
AGE_BAND_EDGES_YEARS = AGE_BAND_EDGES
# The exit groups in the order of synth_ceases.yaml's route shares (adulthood last: it is reaching 18, not drawn).
ROUTES = ("adoption", "sgo", "cao", "return_home", "other", "adulthood")


def _weights(mapping: dict) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(list(mapping.keys()), dtype=object)
    w = np.array([float(v) for v in mapping.values()])
    return keys, w / w.sum()


@dataclass
class SynthParameters:
    """Everything the dynamics need, as arrays (see docs/synth.md)."""

    starts_by_age: np.ndarray
    uasc_share: float
    uasc_16_plus_share: float
    male_share_non_uasc: float
    uasc_male_share: float
    legal_status_start: dict[str, float]
    cin: tuple[np.ndarray, np.ndarray]
    uasc_cin: tuple[np.ndarray, np.ndarray]
    ethnicity: tuple[np.ndarray, np.ndarray]
    uasc_ethnicity: tuple[np.ndarray, np.ndarray]
    starts_trend: float
    newborn_skew: float
    route_by_age: np.ndarray          # (6 rows: 5 age bands + uasc) x routes
    route_duration: dict[str, dict]
    other_rec: tuple[np.ndarray, np.ndarray]
    rec_at_18: tuple[np.ndarray, np.ndarray]
    return_home_rec: tuple[np.ndarray, np.ndarray]
    sgo_rec: tuple[np.ndarray, np.ndarray]
    adoption_rec: tuple[np.ndarray, np.ndarray]
    reentry_probability: float
    reentry_gap_median: float
    reentry_gap_sigma: float
    categories: tuple[str, ...]
    mix_31_march: np.ndarray
    providers: list[tuple[np.ndarray, np.ndarray]]
    subcodes: dict[str, tuple[np.ndarray, np.ndarray]]
    duration_median: np.ndarray
    duration_sigma: np.ndarray
    first_placement_factor: float
    settled_factor: float
    settled_after_days: int
    age_16_plus_factor: float
    base_weights: np.ndarray          # age band x category
    uasc_factor: np.ndarray
    entry_factor: np.ndarray
    move: np.ndarray                  # from category x to category
    sgo_final_kin_probability: float
    return_home_final_parents_probability: float
    choice_factors: np.ndarray
    reason_place_change: tuple[np.ndarray, np.ndarray]
    published: dict = field(default_factory=dict, repr=False)
    pilot_mean_days: float | None = field(default=None, repr=False)

    def with_choice_factors(self, factors) -> SynthParameters:
        return replace(self, choice_factors=np.asarray(factors, dtype=float), pilot_mean_days=None)

    def cat(self, name: str) -> int:
        return self.categories.index(name)


def load_synth_parameters() -> SynthParameters:
    """Read the shipped ``synth_starts``, ``synth_ceases`` and ``synth_placements`` parameter files."""
    s = load_parameter("synth_starts").values
    c = load_parameter("synth_ceases").values
    p = load_parameter("synth_placements").values
    sa, ca, pa = s["assumptions"], c["assumptions"], p["assumptions"]
    cats = tuple(p["categories"])

    starts = np.array([s["age_on_starting"][b] for b in AGE_BANDS], dtype=float)
    uasc_share = s["uasc_starts"] / s["total_starts"]
    uasc_males = s["uasc_male_share"] * s["uasc_starts"]
    male_non_uasc = (s["male_starts"] - uasc_males) / (s["total_starts"] - s["uasc_starts"])
    ls = s["legal_status_on_starting"]
    ls_non_uasc = dict(ls)
    # UASC start almost always accommodated under section 20 (V2): take them out of the V2 count
    ls_non_uasc["voluntary_s20"] = ls["voluntary_s20"] - s["uasc_starts"]
    tot = sum(ls_non_uasc.values())
    cin_all = dict(s["category_of_need"])
    uasc_cin = sa["uasc_category_of_need"]
    for k, v in uasc_cin.items():  # remove the UASC starts from the all-starts need counts
        cin_all[k] = max(cin_all[k] - v * s["uasc_starts"], 1.0)
    eth_all = dict(s["ethnicity"])
    ue = s["uasc_ethnicity"]
    ue_tot = sum(ue.values())
    for k, v in ue.items():
        eth_all[k] = max(eth_all[k] - v / ue_tot * s["uasc_starts"], 1.0)

    routes = ca["route_by_age_on_starting"]
    route_by_age = np.array([routes[b] for b in (*AGE_BANDS, "uasc")], dtype=float)
    route_by_age /= route_by_age.sum(axis=1, keepdims=True)

    def prov(cat):
        d = p["providers"].get(cat) or {}
        return _weights(d) if d else (np.array([""], dtype=object), np.array([1.0]))

    subcodes = {k: _weights(v) for k, v in p["subcodes"].items()}
    dur = pa["duration"]
    move = np.array([pa["move"][k] for k in cats], dtype=float)
    return SynthParameters(
        starts_by_age=starts / starts.sum(),
        uasc_share=uasc_share,
        uasc_16_plus_share=float(s["uasc_16_plus_share"]),
        male_share_non_uasc=male_non_uasc,
        uasc_male_share=float(s["uasc_male_share"]),
        legal_status_start={k: v / tot for k, v in ls_non_uasc.items()},
        cin=_weights(cin_all),
        uasc_cin=_weights(uasc_cin),
        ethnicity=_weights(eth_all),
        uasc_ethnicity=_weights(ue),
        starts_trend=float(s["starts_trend_per_year"]),
        newborn_skew=float(sa["under_1_newborn_skew"]),
        route_by_age=route_by_age,
        route_duration=ca["route_duration"],
        other_rec=_weights(ca["other_rec"]),
        rec_at_18=_weights(ca["rec_at_18"]),
        return_home_rec=_weights(ca["return_home_rec"]),
        sgo_rec=_weights(ca["sgo_rec"]),
        adoption_rec=_weights(ca["adoption_rec"]),
        reentry_probability=float(ca["reentry_probability"]),
        reentry_gap_median=float(ca["reentry_gap_median_days"]),
        reentry_gap_sigma=float(ca["reentry_gap_sigma"]),
        categories=cats,
        mix_31_march=np.array([p["mix_31_march"][k] for k in cats], dtype=float),
        providers=[prov(k) for k in cats],
        subcodes=subcodes,
        duration_median=np.array([dur[k]["median"] for k in cats], dtype=float),
        duration_sigma=np.array([dur[k]["sigma"] for k in cats], dtype=float),
        first_placement_factor=float(pa["first_placement_factor"]),
        settled_factor=float(pa["settled_factor"]),
        settled_after_days=int(pa["settled_after_days"]),
        age_16_plus_factor=float(pa["age_16_plus_factor"]),
        base_weights=np.array([pa["base_weights"][b] for b in AGE_BANDS], dtype=float),
        uasc_factor=np.array(pa["uasc_factor"], dtype=float),
        entry_factor=np.array(pa["entry_factor"], dtype=float),
        move=move,
        sgo_final_kin_probability=float(pa["sgo_final_kin_probability"]),
        return_home_final_parents_probability=float(pa["return_home_final_parents_probability"]),
        choice_factors=np.array(pa["choice_factors"], dtype=float),
        reason_place_change=_weights(p["reason_place_change"]),
        published={"starts": s, "ceases": c, "placements": p},
    )
