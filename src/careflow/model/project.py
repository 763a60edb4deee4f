"""Projecting children in care month by month: expected values (deterministic) and Monte Carlo.

Both engines take the same monthly steps. In each step, for the children in care at the start of the month:
1. the scenario's :class:`~careflow.model.adjust.FlowChanges` for the step are applied (moves, extra exits);
2. each child may have one event in the month (a move to another category or an exit by reason group), with
   probabilities from the hazards as competing risks: ``P(any) = 1 - exp(-H * days)``, shared in proportion to the
   hazards;
3. everyone ages one month, and those reaching 18 leave care (exit group ``adulthood``);
4. entries arrive (expected ``rate * days * trend * scenario multiplier``, by age band and first category, at ages
   drawn from the ages at entry seen in the data); arriving at a uniform moment of the month, each may move or
   leave before it ends, with the first duration class's hazards: ``P(any) = 1 - (1 - exp(-H * days)) / (H * days)``;
5. caps from the scenario remove children above a category's limit; they are reported as ``capped``.
Care-days in a month are ``days * (stock after step 1 + stock at end) / 2`` per category: a mid-month
approximation of the days each child spends in each category. Moves and extra exits of step 1 happen on the first
day of the month, so a moved child counts in its new category all month and an extra exit counts nothing; events,
entries and leaving at 18 count half a month; children removed by caps count half a month if they were in care at
the start of the month and nothing if they entered in it.

The deterministic engine carries expected numbers of children by month of age x category. The Monte Carlo engine
follows individual children in all runs at once (vectorised), draws every run's rates from their Gamma posteriors
(parameter uncertainty) and realises events, entries and adjustments as whole children (process uncertainty).

Monte Carlo runs use common random numbers: each run's rates and entry counts come from generators that the
scenario does not touch, and every child's random numbers (its event each month, its age at entry, whether it is
kept when entries are cut, its priority when an adjustment picks children) are hashes of the run's key, the child's
identity (its place in the starting stock, or (month, age band, category, ordinal) for an entrant) and the month.
So a baseline and a scenario from the same seed differ only through the children the scenario touches: moving one
child changes a run by at most that child's days, and cutting entries only removes entrants of the baseline.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.model import episodes as epi
from careflow.model.adjust import NO_CHANGE, Adjustment, FlowChanges, NoChange, RunOffset, StepInfo
from careflow.model.rates import FittedModel
from careflow.model.states import MAX_AGE_MONTHS

QUANTILES = (0.1, 0.5, 0.9)
# A projection taking its starting children from the data may start at most this long after the data's end: the
# children who came or left in between are not in the data (docs/model.md).
START_GAP_DAYS = 31
RUN_BLOCK = 200  # Monte Carlo runs simulated together (memory grows with runs x children)


@dataclass
class Projection:
    """What a projection produced. Arrays are indexed by month (M), age band (B), category (C), exit group (G)
    and, for Monte Carlo, run (R) first. Expected values come from the deterministic engine; ``*_runs`` from the
    Monte Carlo runs (None when ``runs=0``). Children are counts at the end of each month."""

    age_bands: tuple[str, ...]
    categories: tuple[str, ...]
    exit_groups: tuple[str, ...]
    start: dt.date  # stock is taken at the end of this day; month 0 starts the day after
    month_starts: list[dt.date]
    month_ends: list[dt.date]
    days: np.ndarray  # [M] days in each month
    start_stock: np.ndarray  # [B, C]
    expected_stock: np.ndarray  # [M, B, C]
    expected_care_days: np.ndarray  # [M, C]
    expected_entries: np.ndarray  # [M, B, C]
    expected_exits: np.ndarray  # [M, C, G] by the category left from
    expected_capped: np.ndarray  # [M, C] children removed by caps (avoided placements)
    runs: int = 0
    seed: int | None = None
    stock_runs: np.ndarray | None = field(default=None, repr=False)  # [R, M, B, C]
    care_days_runs: np.ndarray | None = field(default=None, repr=False)  # [R, M, C]
    entries_runs: np.ndarray | None = field(default=None, repr=False)  # [R, M, C]
    exits_runs: np.ndarray | None = field(default=None, repr=False)  # [R, M, C, G]
    capped_runs: np.ndarray | None = field(default=None, repr=False)  # [R, M, C]
    # set by careflow.model.calibration.calibrate: how far each month's runs were spread out (1: not at all) to
    # match the model's own past errors, and those errors
    band_factor: np.ndarray | None = field(default=None, repr=False)  # [M]
    past_errors: object | None = field(default=None, repr=False)

    @property
    def months(self) -> int:
        return len(self.month_starts)

    def stock_table(self, quantiles: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        """Children in care at each month end by category x age band, with ``all`` rows for totals:
        columns ``date, category, age_band, expected, mean, p10, p50, p90`` (mean and quantiles from the runs;
        without runs the mean is the expected value and the quantiles are empty)."""
        B, C = len(self.age_bands), len(self.categories)

        def with_totals(a):  # [..., B, C] -> [..., B+1, C+1] with totals last
            a = np.concatenate([a, a.sum(axis=-2, keepdims=True)], axis=-2)
            return np.concatenate([a, a.sum(axis=-1, keepdims=True)], axis=-1)

        exp = with_totals(self.expected_stock)
        if self.stock_runs is not None:
            runs = with_totals(self.stock_runs.astype(float))
            mean = runs.mean(axis=0)
            qs = np.quantile(runs, quantiles, axis=0)
        else:
            mean = exp
            qs = np.full((len(quantiles),) + exp.shape, np.nan)
        bands = list(self.age_bands) + ["all"]
        cats = list(self.categories) + ["all"]
        m_idx, b_idx, c_idx = np.meshgrid(np.arange(self.months), np.arange(B + 1), np.arange(C + 1), indexing="ij")
        out = pd.DataFrame({
            "date": np.array(self.month_ends, dtype="datetime64[D]")[m_idx.ravel()],
            "category": np.array(cats, dtype=object)[c_idx.ravel()],
            "age_band": np.array(bands, dtype=object)[b_idx.ravel()],
            "expected": exp.ravel(), "mean": mean.ravel()})
        for q, arr in zip(quantiles, qs, strict=True):
            out[f"p{round(q * 100)}"] = arr.ravel()
        return out

    def total_runs(self) -> np.ndarray:
        """Total children in care at each month end in each run [R, M]."""
        if self.stock_runs is None:
            raise CareflowError("this projection has no Monte Carlo runs (runs=0)", rule="model-runs")
        return self.stock_runs.sum(axis=(2, 3))


# ---------------------------------------------------------------------------------------------------------------
# calendar and probabilities

def _add_months(day: dt.date, n: int) -> dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=n)).date()


def month_grid(start: dt.date, end: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """Monthly steps from the day after ``start`` until a step ends on or after ``end``."""
    if end <= start:
        raise CareflowError(f"the end of the projection ({end}) must be after its start ({start})",
                            field="end", rule="model-dates")
    first = start + dt.timedelta(days=1)
    starts, ends = [], []
    i = 0
    while True:
        s = _add_months(first, i)
        e = _add_months(first, i + 1) - dt.timedelta(days=1)
        starts.append(s)
        ends.append(e)
        if e >= end:
            return starts, ends
        i += 1


def _probabilities(h: np.ndarray, days: float) -> tuple[np.ndarray, np.ndarray]:
    """P(any event) [..., C] and P(each outcome) [..., C, K] in a month from daily hazards."""
    H = h.sum(axis=-1)
    pany = -np.expm1(-H * days)
    return pany, _shared(h, H, pany)


def _shared(h: np.ndarray, H: np.ndarray, pany: np.ndarray) -> np.ndarray:
    """P(each outcome): P(any event) shared in proportion to the hazards (competing risks)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(H[..., None] > 0, h / np.where(H > 0, H, 1)[..., None], 0.0)
    return pany[..., None] * share


def _entry_month_probabilities(h: np.ndarray, days: float) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_probabilities`, for children entering at a uniformly random moment of a month of ``days``
    days: each faces the hazards for the rest of the month, so ``P(any) = 1 - (1 - exp(-H d)) / (H d)``."""
    H = h.sum(axis=-1)
    x = H * days
    with np.errstate(invalid="ignore", divide="ignore"):
        pany = 1 - np.where(x > 0, -np.expm1(-x) / np.where(x > 0, x, 1), 1.0)
    return pany, _shared(h, H, pany)


def _index(names: tuple[str, ...], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        raise CareflowError(f"unknown {what} '{name}' in a scenario adjustment (known: {', '.join(names)})",
                            field=what, rule="adjustment") from None


def _band_mask(model: FittedModel, bands: tuple[str, ...] | None) -> np.ndarray:
    labels = model.age_bands.labels
    mask = np.zeros(len(labels), dtype=bool)
    if bands is None:
        mask[:] = True
    else:
        for b in bands:
            mask[_index(labels, b, "age band")] = True
    return mask


def _entry_multiplier(changes: FlowChanges, shape) -> np.ndarray:
    m = np.asarray(changes.entry_multiplier, dtype=float)
    try:
        m = np.broadcast_to(m, shape)
    except ValueError:
        raise CareflowError(f"entry_multiplier must be a number or an array of shape {shape}",
                            field="entry_multiplier", rule="adjustment") from None
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise CareflowError("entry_multiplier must be finite and not negative", field="entry_multiplier",
                            rule="adjustment")
    return m


def start_stock(model: FittedModel, start: dt.date, episodes: pd.DataFrame | None = None) -> np.ndarray:
    """Children in care at the end of ``start`` by month of age x months-since-clock state x category
    [216, model.duration_states, C]."""
    ep = model.episodes if episodes is None else episodes
    if ep is None:
        raise CareflowError("no episodes to take the starting stock from", rule="model-input")
    st = epi.stock_on(ep, start)
    ci = epi.category_index(st["category"], model.categories)
    U = model.duration_states
    u = np.zeros(len(st), dtype=np.int64)
    if model.duration:
        u = np.clip(st[f"months_in_{model.duration}"].to_numpy(), 0, U - 1)
    S = np.zeros((MAX_AGE_MONTHS, U, len(model.categories)))
    np.add.at(S, (st["age_months"].to_numpy(), u, ci), 1)
    return S


def _as_stock(model: FittedModel, stock) -> np.ndarray:
    """A user's starting stock: [216, C] (placed in the longest duration state) or [216, U, C]."""
    S = np.asarray(stock, dtype=float)
    U, C = model.duration_states, len(model.categories)
    if S.shape == (MAX_AGE_MONTHS, C):
        out = np.zeros((MAX_AGE_MONTHS, U, C))
        out[:, U - 1] = S
        return out
    if S.shape != (MAX_AGE_MONTHS, U, C):
        raise CareflowError(f"stock must have shape ({MAX_AGE_MONTHS}, {C}) or ({MAX_AGE_MONTHS}, {U}, {C})",
                            rule="model-input")
    return S


# ---------------------------------------------------------------------------------------------------------------
# the engines

def project(model: FittedModel, start: dt.date | None = None, end: dt.date | None = None, *, months: int | None = None,
            runs: int = 0, rng: np.random.Generator | None = None, adjustment: Adjustment = NO_CHANGE,
            stock: np.ndarray | None = None, parameter_uncertainty: bool = True) -> Projection:
    """Project from the end of ``start`` (default: the model's ``data_end``) to ``end`` (or for ``months``).

    ``runs`` Monte Carlo runs use ``rng`` (required when runs > 0); the same seed gives the same draws, so a
    baseline and a scenario projected with generators from the same seed share their random numbers
    (common random numbers, see the module notes): their difference run by run is the scenario's effect. ``stock``
    overrides the starting children by month of age x category [216, C]. ``parameter_uncertainty=False`` keeps
    every run on the posterior mean rates without drift (process uncertainty only): the runs' mean then
    converges on the expected values; with it, the mean stock is slightly higher than the expected values when
    rates are uncertain (survival ``exp(-rate * days)`` is convex in the rate).
    """
    start = pd.Timestamp(start if start is not None else model.data_end).date()
    if stock is None:
        check_start(model, start)
    if end is None:
        if months is None:
            raise CareflowError("give an end date or a number of months", rule="model-dates")
        end = _add_months(start, months)
    end = pd.Timestamp(end).date()
    m_starts, m_ends = month_grid(start, end)
    days = np.array([(e - s).days + 1 for s, e in zip(m_starts, m_ends, strict=True)], dtype=float)
    S0 = start_stock(model, start) if stock is None else _as_stock(model, stock)
    agg = np.zeros((model.age_bands.n, MAX_AGE_MONTHS))
    agg[model.age_bands.month_band(), np.arange(MAX_AGE_MONTHS)] = 1.0
    det = _deterministic(model, S0, m_starts, m_ends, days, adjustment, agg)
    proj = Projection(age_bands=model.age_bands.labels, categories=model.categories,
                      exit_groups=model.exit_groups, start=start, month_starts=m_starts, month_ends=m_ends,
                      days=days, start_stock=agg @ S0.sum(axis=1), **det)
    if runs:
        if rng is None:
            raise CareflowError("Monte Carlo runs need a seeded numpy Generator (rng)", rule="model-runs")
        if runs < 0:
            raise CareflowError(f"runs must be 0 or more (got {runs})", field="runs", rule="model-runs")
        # runs go in blocks, each with its own random stream, to bound memory; the block size is fixed so a seed
        # always gives the same runs
        blocks = [(a, min(runs, a + RUN_BLOCK)) for a in range(0, runs, RUN_BLOCK)]
        parts = [_monte_carlo(model, S0, m_starts, m_ends, days,
                              adjustment if a == 0 or isinstance(adjustment, NoChange) else RunOffset(adjustment, a),
                              b - a, block_rng, parameter_uncertainty)
                 for (a, b), block_rng in zip(blocks, rng.spawn(len(blocks)), strict=True)]
        proj.runs = runs
        for k in parts[0]:
            setattr(proj, k, np.concatenate([p[k] for p in parts], axis=0))
    return proj


def check_start(model: FittedModel, start: dt.date) -> None:
    """Refuse a start more than START_GAP_DAYS after the end of the model's data (the children in care then are
    not in the data: open episodes would be taken as that day's children)."""
    latest = model.data_end + dt.timedelta(days=START_GAP_DAYS)
    if start > latest:
        raise CareflowError(f"the start ({start}) is more than {START_GAP_DAYS} days after the end of the data "
                            f"({model.data_end}): the children in care then are not in the data. Start on or "
                            f"before {latest}, or give newer data", field="start", rule="model-dates")


def _groups(model: FittedModel) -> np.ndarray:
    """Hazard group of each [month of age, duration state]."""
    U, B = model.duration_states, model.age_bands.n
    return model.duration_class(np.arange(U))[None, :] * B + model.age_bands.month_band()[:, None]


def _deterministic(model, S, m_starts, m_ends, days, adjustment, agg) -> dict:
    C, G, B, M = len(model.categories), len(model.exit_groups), model.age_bands.n, len(m_starts)
    U = S.shape[1]
    T = U - 1
    reset = model.duration == "placement"  # a move starts a new placement clock
    mb = model.age_bands.month_band()
    gidx = _groups(model)
    hz = model.hazards
    lam = model.entry_rates
    S = S.copy()
    out = {"expected_stock": np.zeros((M, B, C)), "expected_care_days": np.zeros((M, C)),
           "expected_entries": np.zeros((M, B, C)), "expected_exits": np.zeros((M, C, G)),
           "expected_capped": np.zeros((M, C))}
    cache: dict[float, tuple] = {}
    entry_cache: dict[float, tuple] = {}
    adult = model.exit_groups.index("adulthood")
    for m in range(M):
        d = days[m]
        if d not in cache:
            pany, p = _probabilities(hz, d)
            cache[d] = (1 - pany)[gidx], p[gidx]  # [age, u, C], [age, u, C, K]
        stay, p = cache[d]
        exits = np.zeros((C, G))
        ch = adjustment.changes(StepInfo(m, m_starts[m], m_ends[m], model.age_bands.labels, model.categories,
                                         agg @ S.sum(axis=1)))
        for mv in ch.moves:
            i, j = _index(model.categories, mv.from_category, "category"), _index(model.categories, mv.to_category,
                                                                                    "category")
            sel = _band_mask(model, mv.age_bands)[mb][:, None] * S[:, :, i]
            moved = sel * (min(max(mv.count, 0.0), sel.sum()) / sel.sum() if sel.sum() > 0 else 0.0)
            S[:, :, i] -= moved
            if reset:
                S[:, 0, j] += moved.sum(axis=1)
            else:
                S[:, :, j] += moved
        for ex in ch.extra_exits:
            i = _index(model.categories, ex.from_category, "category")
            g = _index(model.exit_groups, ex.exit_group, "exit group")
            sel = _band_mask(model, ex.age_bands)[mb][:, None] * S[:, :, i]
            take = min(max(ex.count, 0.0), sel.sum())
            if take > 0:
                S[:, :, i] -= sel * take / sel.sum()
                exits[i, g] += take
        start_by_cat = S.sum(axis=(0, 1))  # after the month's moves and extra exits (see the module notes)
        flows = S[..., None] * p  # [age, u, from, outcome]
        new = S * stay
        if reset:
            new[:, 0, :] += flows[..., :C].sum(axis=(1, 2))
        else:
            new += flows[..., :C].sum(axis=2)
        exits += flows[..., C:].sum(axis=(0, 1))
        # ageing (and the duration clock); leaving care at 18
        exits[:, adult] += new[-1].sum(axis=0)
        aged = np.zeros_like(new)
        if U > 1:
            aged[1:, 1:] = new[:-1, :-1]
            aged[1:, T] += new[:-1, T]
        else:
            aged[1:] = new[:-1]
        mult = _entry_multiplier(ch, (B, C)) * model.entry_multiplier(m_starts[m])
        entries = lam * d * mult  # [B, C]
        # entrants arrive through the month and face the first duration class's hazards for the rest of it
        if d not in entry_cache:
            pany_e, p_e = _entry_month_probabilities(hz[:B], d)
            entry_cache[d] = (1 - pany_e)[mb], p_e[mb]  # [age, C], [age, C, K]
        stay_e, p_e = entry_cache[d]
        arriving = model.entry_age_pmf.T @ entries  # [age, C]
        flows_e = arriving[..., None] * p_e
        aged[:, 0, :] += arriving * stay_e + flows_e[..., :C].sum(axis=1)
        exits += flows_e[..., C:].sum(axis=0)
        for cat, cap in ch.caps.items():
            j = _index(model.categories, cat, "category")
            total = aged[:, :, j].sum()
            if total > cap and total > 0:
                excess = total - max(cap, 0.0)
                aged[:, :, j] *= 1 - excess / total
                out["expected_capped"][m, j] += excess
        S = aged
        out["expected_stock"][m] = agg @ S.sum(axis=1)
        out["expected_care_days"][m] = d * (start_by_cat + S.sum(axis=(0, 1))) / 2
        out["expected_entries"][m] = entries
        out["expected_exits"][m] = exits
    return out


# Common random numbers: every random number a child uses is a hash of (its run's key, its identity, the month, a
# stream number), so it does not depend on how many other children there are or in what order they are held. A
# baseline and a scenario from the same seed then differ only through the children the scenario touches.
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_EVENT, _AGE, _KEEP, _PICK, _REALISE = range(5)  # streams
_ENTRANT = 1 << 63  # identities of entrants: this bit | month << 40 | (age band, category) cell << 20 | ordinal


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on ``x`` (uint64): a bijection whose outputs look independent for
    neighbouring inputs."""
    t = np.empty_like(x)
    for shift, mult in ((30, _MIX1), (27, _MIX2), (31, None)):
        np.right_shift(x, np.uint64(shift), out=t)
        np.bitwise_xor(x, t, out=x)
        if mult is not None:
            np.multiply(x, mult, out=x)
    return x


def _child_seeds(key: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Each child's own seed from its run's key and its identity."""
    x = np.asarray(child, dtype=np.uint64) * _GOLDEN
    np.bitwise_xor(x, np.asarray(key, dtype=np.uint64), out=x)
    return _mix(x)


def _bits(seed: np.ndarray, month: int, stream: int) -> np.ndarray:
    """64 random bits from each child's ``seed`` for ``month`` and ``stream``: counter-based (SplitMix64 at position
    (month, stream) of the child's sequence), so a child's draws are its own whatever else happens."""
    return _mix(seed + np.uint64(((month * 8 + stream + 1) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF))


def _uniforms(seed: np.ndarray, month: int, stream: int) -> np.ndarray:
    """Uniforms on [0, 1) (53 bits) from each child's ``seed`` for ``month`` and ``stream``."""
    x = _bits(seed, month, stream)
    np.right_shift(x, np.uint64(11), out=x)
    return x.astype(np.float64) * 2.0 ** -53


def _realise(count: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole children from expected counts: the integer part plus one more with the fractional probability, using
    one uniform ``u`` per count."""
    count = np.maximum(np.asarray(count, dtype=float), 0.0)
    base = np.floor(count)
    return (base + (u < count - base)).astype(np.int64)


def _pick(run: np.ndarray, eligible: np.ndarray, n_per_run: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Indices of up to ``n_per_run[r]`` eligible children in each run r: those with the lowest ``priority`` (each
    child's own uniform), so who is picked does not depend on the order children are held in."""
    idx = np.flatnonzero(eligible)
    if not len(idx):
        return idx
    order = np.lexsort((priority[idx], run[idx]))
    idx = idx[order]
    r = run[idx]
    first = np.searchsorted(r, r, side="left")
    rank = np.arange(len(idx)) - first
    return idx[rank < n_per_run[r]]


def _key_id(key) -> int:
    """A stable identity for a scenario adjustment (same in every process, unlike ``hash``)."""
    return zlib.crc32(repr(key).encode()) | (1 << 62)


def drift_walk(rng: np.random.Generator, sd: float, runs: int, months: int, window_years: float = 1.0) -> np.ndarray:
    """Rate multipliers [runs, months] for a log rate that is a random walk with variance ``sd**2`` a year.

    The fitted rate is the mean over a reference window of ``window_years`` ending at the start, so under the same
    random walk the rate at the start already differs from it, by a variance ``sd**2 * window_years / 3`` (the
    window-lag); each month then adds ``sd**2 / 12``. The log multiplier in month m (0-based) thus has
    variance ``sd**2 * (window_years / 3 + (m + 1) / 12)``, and is mean-corrected so the expected multiplier is 1.
    """
    lag = rng.normal(0.0, sd * np.sqrt(window_years / 3), size=(runs, 1))
    steps = rng.normal(0.0, sd / np.sqrt(12), size=(runs, months))
    var = sd ** 2 * (window_years / 3 + np.arange(1, months + 1) / 12)
    return np.exp(lag + np.cumsum(steps, axis=1) - var / 2)


def _monte_carlo(model, S0, m_starts, m_ends, days, adjustment, R, rng, parameter_uncertainty=True) -> dict:
    C, G, B, M = len(model.categories), len(model.exit_groups), model.age_bands.n, len(m_starts)
    K = C + G
    U = S0.shape[1]
    T = U - 1
    reset = model.duration == "placement"
    dur_class = model.duration_class(np.arange(U)).astype(np.int32)  # duration class of each months-since-clock state
    mb = model.age_bands.month_band().astype(np.int32)  # int32 index arithmetic: half the memory traffic
    adult = model.exit_groups.index("adulthood")
    param_rng, step_parent, key_rng = rng.spawn(3)
    step_rngs = step_parent.spawn(M)
    run_keys = key_rng.integers(0, np.iinfo(np.int64).max, size=R, dtype=np.int64).astype(np.uint64)
    # parameter uncertainty: each run's rates from their Gamma posteriors
    allowed = model.alpha > 0
    h = param_rng.gamma(np.where(allowed, model.alpha, 1.0), 1.0 / model.beta, size=(R,) + model.alpha.shape)
    h = h * allowed
    lam = param_rng.gamma(model.entry_alpha, 1.0 / model.entry_beta, size=(R, B, C))

    window_years = ((model.window_end - model.window_start).days + 1) / 365.25
    entry_walk = drift_walk(param_rng, model.entry_drift, R, M, window_years)
    exit_walk = drift_walk(param_rng, model.exit_drift, R, M, window_years)
    if not parameter_uncertainty:
        h = np.broadcast_to(model.hazards, (R,) + model.alpha.shape)
        lam = np.broadcast_to(model.entry_rates, (R, B, C))
        entry_walk, exit_walk = np.ones((R, M)), np.ones((R, M))
    is_exit = np.arange(K) >= C
    cdf_age = np.cumsum(model.entry_age_pmf, axis=1)
    cdf_age[:, -1] = 1.0
    # the starting children, copied into every run; a starting child's identity is its place in the stock
    a0, u0, c0 = np.nonzero(S0)
    n0 = S0[a0, u0, c0].round().astype(np.int64)
    n1 = int(n0.sum())
    run = np.repeat(np.arange(R, dtype=np.int32), n1)
    age = np.tile(np.repeat(a0, n0).astype(np.int16), R)
    dur = np.tile(np.repeat(u0, n0).astype(np.int16), R)
    cat = np.tile(np.repeat(c0, n0).astype(np.int16), R)
    cseed = _child_seeds(run_keys[run], np.tile(np.arange(n1, dtype=np.uint64), R))  # each child's own seed
    stock = np.zeros((R, M, B, C), dtype=np.int32)
    care_days = np.zeros((R, M, C))
    entries_out = np.zeros((R, M, C), dtype=np.int32)
    exits_out = np.zeros((R, M, C, G), dtype=np.int32)
    capped = np.zeros((R, M, C), dtype=np.int32)
    baseline = isinstance(adjustment, NoChange)

    def counts_rbc(run, age, cat):
        return np.bincount((run * np.int32(B) + mb[age]) * np.int32(C) + cat, minlength=R * B * C).reshape(R, B, C)

    def per_run(key, m, stream):  # one uniform per run for an adjustment
        return _uniforms(_child_seeds(run_keys, np.full(R, _key_id(key), dtype=np.uint64)), m, stream)

    GC = h.shape[1] * C  # hazard cells per run
    end_rbc = counts_rbc(run, age, cat)

    for m in range(M):
        d = days[m]
        entry_rng, extra_rng = step_rngs[m].spawn(2)
        hm = h * np.where(is_exit, exit_walk[:, m, None, None, None], 1.0)
        pany, p = _probabilities(hm, d)
        cum = np.cumsum(p, axis=-1).reshape(-1, K)
        thr = (np.minimum(pany, 1 - 2.0 ** -53) * 2.0 ** 64).astype(np.uint64)
        pany_e, p_e = _entry_month_probabilities(hm[:, :B], d)  # entrants: first duration class, rest of the month
        cum_e = np.cumsum(p_e, axis=-1).reshape(-1, K)
        thr_e = (np.minimum(pany_e, 1 - 2.0 ** -53) * 2.0 ** 64).astype(np.uint64).reshape(-1)
        start_rc = end_rbc.sum(axis=1)
        alive = np.ones(len(run), dtype=bool)
        exits = np.zeros((R, C, G), dtype=np.int64)
        mult = np.ones((R, B, C))
        caps: dict[int, np.ndarray] = {}
        if not baseline:
            rbc = counts_rbc(run, age, cat)
            moves: dict = defaultdict(lambda: np.zeros(R))
            extra: dict = defaultdict(lambda: np.zeros(R))
            for r in range(R):
                ch = adjustment.changes(StepInfo(m, m_starts[m], m_ends[m], model.age_bands.labels,
                                                 model.categories, rbc[r].astype(float), run=r))
                mult[r] = _entry_multiplier(ch, (B, C))
                for mv in ch.moves:
                    moves[(mv.from_category, mv.to_category, mv.age_bands)][r] += mv.count
                for ex in ch.extra_exits:
                    extra[(ex.from_category, ex.exit_group, ex.age_bands)][r] += ex.count
                for c, cap in ch.caps.items():
                    j = _index(model.categories, c, "category")
                    caps.setdefault(j, np.full(R, np.inf))[r] = cap
            if moves or extra or caps:
                priority = _uniforms(cseed, m, _PICK)
            for (fc, tc, bands), cnt in moves.items():
                i, j = _index(model.categories, fc, "category"), _index(model.categories, tc, "category")
                elig = (cat == i) & _band_mask(model, bands)[mb[age]]
                chosen = _pick(run, elig, _realise(cnt, per_run(("move", fc, tc, bands), m, _REALISE)), priority)
                cat[chosen] = j
                if reset:
                    dur[chosen] = 0
            for (fc, grp, bands), cnt in extra.items():
                i, g = _index(model.categories, fc, "category"), _index(model.exit_groups, grp, "exit group")
                elig = (cat == i) & _band_mask(model, bands)[mb[age]] & alive
                chosen = _pick(run, elig, _realise(cnt, per_run(("exit", fc, grp, bands), m, _REALISE)), priority)
                alive[chosen] = False
                np.add.at(exits, (run[chosen], i, g), 1)
            if moves or extra:  # children moved at the start of the month count in their new category all month
                start_rc = np.bincount(run[alive] * np.int32(C) + cat[alive], minlength=R * C).reshape(R, C)
        # events: at most one per child per month, from the child's own uniform u: outcome k when u falls in the
        # k-th slice of [0, P(any event)), no event when u >= P(any event)
        grp = mb[age]
        if model.duration:
            grp = grp + np.int32(B) * dur_class[dur]
        cell = run * np.int32(GC) + grp * np.int32(C) + cat
        x = _bits(cseed, m, _EVENT)  # the uniform is x / 2**64; compared as integers to save passes
        event = alive & (x < thr.reshape(-1)[cell])
        e = np.flatnonzero(event)
        u = x[e].astype(np.float64) * 2.0 ** -64
        k = np.minimum((u[:, None] >= cum[cell[e]]).sum(axis=1), K - 1)
        del cell, grp, event, x
        is_move = k < C
        np.add.at(exits, (run[e[~is_move]], cat[e[~is_move]], k[~is_move] - C), 1)
        alive[e[~is_move]] = False
        cat[e[is_move]] = k[is_move]
        if reset:
            dur[e[is_move]] = 0
        # ageing, the duration clock, and leaving care at 18
        age = age + 1
        dur = np.minimum(dur + 1, T).astype(np.int16)
        out18 = alive & (age >= MAX_AGE_MONTHS)
        np.add.at(exits, (run[out18], cat[out18], adult), 1)
        alive &= ~out18
        run, age, dur, cat, cseed = run[alive], age[alive], dur[alive], cat[alive], cseed[alive]
        # entries: the baseline's entrants (Poisson counts that do not depend on the scenario), each kept with
        # probability min(multiplier, 1) by its own uniform, plus extra entrants for a multiplier above 1 from a
        # stream of their own, so an entrant of a scenario that cuts entries is always an entrant of the baseline
        lam_m = lam * d * model.entry_multiplier(m_starts[m]) * entry_walk[:, m, None, None]
        n_base = entry_rng.poisson(lam_m)
        n_extra = np.zeros_like(n_base)
        if np.any(mult > 1):
            n_extra = extra_rng.poisson(lam_m * np.maximum(mult - 1, 0))
        n_all = (n_base + n_extra).ravel()
        flat = np.repeat(np.arange(R * B * C), n_all)
        ordinal = np.arange(len(flat)) - np.repeat(np.cumsum(n_all) - n_all, n_all)
        r_new, rest = np.divmod(flat, B * C)
        b_new, c_new = np.divmod(rest, C)
        id_new = (np.uint64(_ENTRANT) | np.uint64(m) << np.uint64(40) | rest.astype(np.uint64) << np.uint64(20)
                  | ordinal.astype(np.uint64))
        id_new = _child_seeds(run_keys[r_new], id_new)
        if np.any(mult < 1):
            keep = ((ordinal >= n_base.ravel()[flat])
                    | (_uniforms(id_new, m, _KEEP) < np.minimum(mult, 1).ravel()[flat]))
            r_new, b_new, c_new, id_new = r_new[keep], b_new[keep], c_new[keep], id_new[keep]
        u_age = _uniforms(id_new, m, _AGE)
        a_new = np.zeros(len(r_new), dtype=np.int64)
        for band in range(B):
            sel = b_new == band
            a_new[sel] = np.searchsorted(cdf_age[band], u_age[sel], side="left")
        entries_out[:, m] = np.bincount(r_new * C + c_new, minlength=R * C).reshape(R, C)
        # the entrant's own event in its first (part) month, decided by its own uniform as for everyone else
        cell = (r_new * B + b_new) * C + c_new
        x = _bits(id_new, m, _EVENT)
        e = np.flatnonzero(x < thr_e[cell])
        k = np.minimum((x[e].astype(np.float64)[:, None] * 2.0 ** -64 >= cum_e[cell[e]]).sum(axis=1), K - 1)
        gone = e[k >= C]
        np.add.at(exits, (r_new[gone], c_new[gone], k[k >= C] - C), 1)
        c_new[e[k < C]] = k[k < C]
        stay = np.ones(len(r_new), dtype=bool)
        stay[gone] = False
        r_new, a_new, c_new, id_new = r_new[stay], a_new[stay], c_new[stay], id_new[stay]
        run = np.concatenate([run, r_new.astype(np.int32)])
        age = np.concatenate([age, a_new.astype(np.int16)])
        dur = np.concatenate([dur, np.zeros(len(r_new), dtype=np.int16)])
        cat = np.concatenate([cat, c_new.astype(np.int16)])
        cseed = np.concatenate([cseed, id_new])
        # caps: remove children above the limit (realised as whole children), reported as capped
        if caps:
            keep = np.ones(len(run), dtype=bool)
            now = counts_rbc(run, age, cat).sum(axis=1)
            priority = _uniforms(cseed, m, _PICK)
            for j, cap in caps.items():
                excess = np.where(np.isfinite(cap), np.maximum(now[:, j] - np.floor(np.maximum(cap, 0)), 0), 0)
                chosen = _pick(run, cat == j, excess.astype(np.int64), priority)
                keep[chosen] = False
                capped[:, m, j] = excess
            run, age, dur, cat, cseed = run[keep], age[keep], dur[keep], cat[keep], cseed[keep]
        end_rbc = counts_rbc(run, age, cat)
        stock[:, m] = end_rbc
        care_days[:, m] = d * (start_rc + end_rbc.sum(axis=1)) / 2
        exits_out[:, m] = exits
    return {"stock_runs": stock, "care_days_runs": care_days, "entries_runs": entries_out,
            "exits_runs": exits_out, "capped_runs": capped}
