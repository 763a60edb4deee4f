"""Projecting children in care month by month: expected values (deterministic) and Monte Carlo.

Both engines take the same monthly steps. In each step, for the children in care at the start of the month:
1. the scenario's :class:`~careflow.model.adjust.FlowChanges` for the step are applied (moves, extra exits);
2. each child may have one event in the month (a move to another category or an exit by reason group), with
   probabilities from the hazards as competing risks: ``P(any) = 1 - exp(-H * days)``, shared in proportion to the
   hazards;
3. everyone ages one month, and those reaching 18 leave care (exit group ``adulthood``);
4. entries arrive (expected ``rate * days * trend * scenario multiplier``, by age band and first category, at ages
   drawn from the ages at entry seen in the data); arriving at a uniform moment of the month, each may move or
   leave before it ends, with the first duration class's hazards for the rest of the month;
5. caps from the scenario remove children above a category's limit; they are reported as ``capped``.
Time in care (or in the placement) is counted as the fit counts it: a child's first month runs from its start to
the same day of the next month, and so on. Each child therefore has a phase, the day of each monthly step on which
it completes another month; in a step where that moves it into another duration class it faces the old class's
hazards until that day and the new class's after it (an entrant's first month: the rest of its entry month and the
first part of the next, one month in all). The deterministic engine holds the children still in such states at
whole-day phase nodes; the Monte Carlo engine gives each child its own phase (an entrant's day of arrival).
Care-days in a month are ``days * (stock after step 1 + stock at end) / 2`` per category: a mid-month
approximation of the days each child spends in each category. Moves and extra exits of step 1 happen on the first
day of the month, so a moved child counts in its new category all month and an extra exit counts nothing; events,
entries and leaving at 18 count half a month; children removed by caps count half a month if they were in care at
the start of the month and nothing if they entered in it.

The deterministic engine carries expected numbers of children by month of age x category. The Monte Carlo engine
follows individual children in all runs at once (vectorised), draws every run's rates from their Gamma posteriors
(parameter uncertainty) and realises events, entries and adjustments as whole children (process uncertainty). It
takes the same monthly steps with the same law, but a child in the settled duration class does not draw a random
number every month: it draws when a stretch of its stay begins how much hazard it will bear before its next event
(an Exp(1) amount), and each month compares the cumulative hazard of its cell with that target (see ``_Runs``).

Monte Carlo runs use common random numbers: each run's rates and entry counts come from generators that the
scenario does not touch, and every child's random numbers (its event draws and their outcomes, its age at entry,
whether it is kept when entries are cut, its priority when an adjustment picks children) are hashes of the run's
key, the child's identity (its place in the starting stock, or (month, age band, category, ordinal) for an entrant)
and the month.
So a baseline and a scenario from the same seed differ only through the children the scenario touches: moving one
child changes a run by at most that child's days, and cutting entries only removes entrants of the baseline.
"""

from __future__ import annotations

import datetime as dt
import os
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.errors import CareflowError
from careflow.model import episodes as epi
from careflow.model.adjust import NO_CHANGE, Adjustment, FlowChanges, NoChange, RunOffset, StepInfo
from careflow.model.rates import FittedModel
from careflow.model.states import MAX_AGE_MONTHS

try:  # compiled when careflow is installed (setup.py); without it every run takes the numpy engine (_Runs)
    from careflow.model import _children
except ImportError:  # pragma: no cover - a source tree used without installing
    _children = None

QUANTILES = (0.1, 0.5, 0.9)
# A projection taking its starting children from the data may start at most this long after the data's end: the
# children who came or left in between are not in the data (docs/model.md).
START_GAP_DAYS = 31
RUN_BLOCK = 200  # Monte Carlo runs simulated together (memory grows with runs x children)
MAX_THREADS = int(os.environ.get("CAREFLOW_THREADS", "2"))  # blocks of runs simulated at once (1: one at a time)
# Which engine runs the baseline (no scenario): "children" follows each child alone in compiled code
# (careflow.model._children), "steps" steps all children a month at a time in numpy (_Runs, also the engine for
# scenarios). The two give identical runs; "children" is used when it is compiled.
ENGINE = os.environ.get("CAREFLOW_ENGINE", "children")
# Phase of a child's clock: the number of days into each monthly step at which it completes another month since
# its clock started (entry to care, or to the placement). The deterministic engine carries children still in the
# duration states where it matters at whole-day nodes 0..31; node 31 also stands for a clock started on the
# first day of a step (a scenario move): it stays in its class for the whole step, however long.
PHASE_NODES = np.arange(32, dtype=float)
START_NODE = len(PHASE_NODES) - 1


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
    # set by careflow.model.calibration.calibrate: how far each month's runs were spread out on the log scale
    # around their median (1: not at all) to match the spread of the model's own past errors, their bias, and
    # those errors
    band_factor: np.ndarray | None = field(default=None, repr=False)  # [M]
    bias: np.ndarray | None = field(default=None, repr=False)  # [M] past mean log error of the total by lead
    bias_corrected: bool = False  # whether the runs were multiplied by exp(bias)
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
            # one array with the totals, filled in place (fresh memory is slow to come by: the kernel zeroes it
            # page by page), and the quantiles partition it in place; whole children (uncalibrated runs) stay
            # integers: their sums, mean and quantiles are exact either way
            a = self.stock_runs
            runs = np.empty(a.shape[:-2] + (B + 1, C + 1), dtype=np.int32 if a.dtype.kind in "iu" else float)
            runs[..., :B, :C] = a
            runs[..., B, :C] = a.sum(axis=-2)
            runs[..., C] = runs[..., :C].sum(axis=-1)
            mean = runs.mean(axis=0)
            qs = np.quantile(runs, quantiles, axis=0, overwrite_input=True)
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


def _two_part(h0: np.ndarray, h1: np.ndarray, a, b) -> tuple[np.ndarray, np.ndarray]:
    """P(no event) [...] and P(each outcome) [..., K] in a month for a child facing daily hazards ``h0`` [..., K]
    for ``a`` days and then ``h1`` for ``b`` days (at most one event a month): the clock passes a month boundary
    ``a`` days into the step."""
    H0, H1 = h0.sum(axis=-1), h1.sum(axis=-1)
    p0 = -np.expm1(-H0 * a)
    p1 = -np.expm1(-H1 * b)
    return (1 - p0) * (1 - p1), _shared(h0, H0, p0) + _shared(h1, H1, (1 - p0) * p1)


def _node_weights(days: float) -> np.ndarray:
    """Phases spread evenly over a month of ``days`` (whole) days, on the nodes (the trapezoid rule's weights)."""
    return _to_nodes((PHASE_NODES < days) / days)


def _to_nodes(by_day: np.ndarray) -> np.ndarray:
    """Children who arrived evenly through day j of a month [day j, ...] on the phase nodes: half at node j and
    half at node j + 1, so that their mean phase, j + 1/2, is kept."""
    out = by_day / 2
    out[1:] += by_day[:-1] / 2
    return out


def _arrival_probabilities(h: np.ndarray, days: float) -> tuple[np.ndarray, np.ndarray]:
    """P(no event) [day j, ...] and P(each outcome) [day j, ..., K] in the month of arrival for children arriving
    at an even rate through day j of the month, ``[lo, hi) = [j, j + 1)``, and facing the daily hazards ``h``
    [..., K] for the rest of it: ``P(no event) = exp(-H (days - hi)) (1 - exp(-H (hi - lo))) / (H (hi - lo))``."""
    lo = np.minimum(PHASE_NODES, days).reshape((-1,) + (1,) * (h.ndim - 1))
    hi = np.minimum(PHASE_NODES + 1, days).reshape(lo.shape)
    H = h.sum(axis=-1)[None]
    x = H * (hi - lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        stay = np.exp(-H * (days - hi)) * np.where(x > 0, -np.expm1(-x) / np.where(x > 0, x, 1), 1.0)
    return stay, _shared(h[None], H, 1 - stay)


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
    return start_state(model, start, episodes).sum(axis=0)


def start_state(model: FittedModel, start: dt.date, episodes: pd.DataFrame | None = None) -> np.ndarray:
    """:func:`start_stock` with the phase of each child's clock: [phase node, 216, duration_states, C]. A child
    with ``u`` completed months since its clock started completes month ``u + 1`` on some day of the first step;
    children in the last duration state (where further months change nothing) are all at node 0."""
    st = _starting_children(model, start, episodes)
    ci = st["category"]
    U = model.duration_states
    u = np.zeros(len(ci), dtype=np.int64)
    q = np.zeros(len(ci), dtype=np.int64)
    if model.duration and len(ci):
        done = st[f"months_in_{model.duration}"]
        u = np.clip(done, 0, U - 1)
        year, month, day = epi.year_month_day(pd.DatetimeIndex(st[f"{model.duration}_start"]))
        # the next month boundary: the clock's day of the month, u + 1 months on (the month's last day if shorter)
        nxt = epi.add_months(year, month, day, done + 1)
        offset = (nxt - np.datetime64(start + dt.timedelta(days=1), "D")).astype(np.int64)
        q = np.where(u < U - 1, np.clip(offset, 0, START_NODE), 0)
    S = np.zeros((len(PHASE_NODES), MAX_AGE_MONTHS, U, len(model.categories)))
    np.add.at(S, (q, st["age_months"], u, ci), 1)
    return S


def _starting_children(model: FittedModel, start: dt.date, episodes: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """The children in care at the end of ``start`` (:func:`careflow.model.episodes.stock_on`) as arrays: category
    index, age in months, and for each clock its start and the completed months since. A model fitted on prepared
    episodes (the band calibration's refits) reads them from those: the same children, without sorting the
    episodes and starting their clocks again."""
    ep = model.episodes if episodes is None else episodes
    if ep is None:
        raise CareflowError("no episodes to take the starting stock from", rule="model-input")
    if episodes is None and model.prepared is not None:
        found = model.prepared.in_care(start, model.categories)
        if found is not None:
            return found
    st = epi.stock_on(ep, start)
    return {"category": epi.category_index(st["category"], model.categories),
            **{c: st[c].to_numpy() for c in ("age_months", "months_in_care", "months_in_placement")},
            **{c: st[c].to_numpy(dtype="datetime64[ns]") for c in ("care_start", "placement_start")}}


def _as_stock(model: FittedModel, stock) -> np.ndarray:
    """A user's starting stock: [216, C] (placed in the longest duration state) or [216, U, C], with phases
    [phase node, 216, U, C]: children in the shorter duration states are spread evenly over the days of a month."""
    S = np.asarray(stock, dtype=float)
    U, C = model.duration_states, len(model.categories)
    if S.shape == (MAX_AGE_MONTHS, C):
        out = np.zeros((MAX_AGE_MONTHS, U, C))
        out[:, U - 1] = S
        S = out
    if S.shape != (MAX_AGE_MONTHS, U, C):
        raise CareflowError(f"stock must have shape ({MAX_AGE_MONTHS}, {C}) or ({MAX_AGE_MONTHS}, {U}, {C})",
                            rule="model-input")
    out = np.zeros((len(PHASE_NODES),) + S.shape)
    out[0, :, U - 1] = S[:, U - 1]
    out[:, :, :U - 1] = _node_weights(30.0)[:, None, None, None] * S[None, :, :U - 1]
    return out


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
    S0 = start_state(model, start) if stock is None else _as_stock(model, stock)
    agg = np.zeros((model.age_bands.n, MAX_AGE_MONTHS))
    agg[model.age_bands.month_band(), np.arange(MAX_AGE_MONTHS)] = 1.0
    parts: list = []
    threaded = isinstance(adjustment, NoChange) and min(os.cpu_count() or 1, MAX_THREADS) > 1
    with ThreadPoolExecutor(max(MAX_THREADS, 1)) as pool:
        # a baseline's runs go first, to threads (compiled, without Python's lock), and the expected values are
        # worked out while they run; a scenario's adjustment is asked for the expected values first, as always
        if runs and threaded:
            parts = _start_runs(pool, model, S0, m_starts, m_ends, days, adjustment, runs, rng,
                                parameter_uncertainty)
        det = _deterministic(model, S0, m_starts, m_ends, days, adjustment, agg)
        if runs and not threaded:
            parts = _start_runs(None, model, S0, m_starts, m_ends, days, adjustment, runs, rng,
                                parameter_uncertainty)
        parts = [p.result() if threaded else p for p in parts]
    proj = Projection(age_bands=model.age_bands.labels, categories=model.categories,
                      exit_groups=model.exit_groups, start=start, month_starts=m_starts, month_ends=m_ends,
                      days=days, start_stock=agg @ S0.sum(axis=(0, 2)), **det)
    if runs:
        proj.runs = runs
        for k in parts[0]:
            setattr(proj, k, np.concatenate([p[k] for p in parts], axis=0))
    return proj


def _start_runs(pool, model, S0, m_starts, m_ends, days, adjustment, runs, rng, parameter_uncertainty) -> list:
    """The Monte Carlo runs in blocks: futures on ``pool``, or done here one block after another (a list of
    results) without a pool (a scenario adjustment, whose Python code may keep state between calls, or one
    thread)."""
    if rng is None:
        raise CareflowError("Monte Carlo runs need a seeded numpy Generator (rng)", rule="model-runs")
    if runs < 0:
        raise CareflowError(f"runs must be 0 or more (got {runs})", field="runs", rule="model-runs")
    # runs go in blocks, each with its own random stream, to bound memory; the block size is fixed so a seed
    # always gives the same runs
    blocks = [(a, min(runs, a + RUN_BLOCK)) for a in range(0, runs, RUN_BLOCK)]
    jobs = [(b - a, block_rng, adjustment if a == 0 or isinstance(adjustment, NoChange)
             else RunOffset(adjustment, a))
            for (a, b), block_rng in zip(blocks, rng.spawn(len(blocks)), strict=True)]

    def run_block(job):
        n, block_rng, adj = job
        return _monte_carlo(model, S0, m_starts, m_ends, days, adj, n, block_rng, parameter_uncertainty)

    # blocks in threads: the compiled engine and numpy's array operations release Python's lock, so two blocks
    # use two cores. Each block has its own random stream, so the runs are the same whichever thread runs them.
    if pool is not None:
        return [pool.submit(run_block, job) for job in jobs]
    return [run_block(job) for job in jobs]


def check_start(model: FittedModel, start: dt.date) -> None:
    """Refuse a start more than START_GAP_DAYS after the end of the model's data (the children in care then are
    not in the data: open episodes would be taken as that day's children)."""
    latest = model.data_end + dt.timedelta(days=START_GAP_DAYS)
    if start > latest:
        raise CareflowError(f"the start ({start}) is more than {START_GAP_DAYS} days after the end of the data "
                            f"({model.data_end}): the children in care then are not in the data. Start on or "
                            f"before {latest}, or give newer data", field="start", rule="model-dates")


def _class_hazards(model: FittedModel, hz: np.ndarray, u: int) -> np.ndarray:
    """Hazards [..., B, C, K] of the duration class of months-since-clock state ``u`` (``hz``: [..., group, C, K])."""
    B = model.age_bands.n
    k = int(model.duration_class(np.array(u)))
    return hz[..., k * B:(k + 1) * B, :, :]


def _deterministic(model, S, m_starts, m_ends, days, adjustment, agg) -> dict:
    """Expected values (see :class:`_Expected`)."""
    det = _Expected(model, S, agg)
    for m in range(len(m_starts)):
        det.step(m, m_starts[m], m_ends[m], days[m], adjustment)
    return {key: np.array(values) for key, values in det.out.items()}


class _Expected:
    """The deterministic engine. ``S`` is the starting stock with phases [node, age, u, C] (:func:`start_state`).
    Children in months-since-clock states ``u < T`` (T = the last state) are held by phase node,
    ``Y[node, age, u, C]``, because the day they pass into state u + 1 decides how long they face each duration
    class's hazards in the month: class(u) for ``min(phase, days)`` days, then class(u + 1). The rest are
    ``O[age, C]``."""

    def __init__(self, model, S, agg):
        self.model, self.agg = model, agg
        self.C, self.G, self.B = len(model.categories), len(model.exit_groups), model.age_bands.n
        self.Q, U = S.shape[0], S.shape[2]
        self.T = U - 1
        self.reset = model.duration == "placement"  # a move starts a new placement clock
        self.mb = model.age_bands.month_band()
        self.Y = S[:, :, :self.T].copy()
        self.O = S[:, :, self.T].sum(axis=0)
        self.out: dict = {}
        self.cache: dict[float, tuple] = {}
        self.adult = model.exit_groups.index("adulthood")
        self.h_settled, self.h_first = _class_hazards(model, model.hazards, self.T), _class_hazards(
            model, model.hazards, 0)
        self.mixed = [model.duration_class(np.array(u)) != model.duration_class(np.array(u + 1))
                      for u in range(self.T)]
        self.edges = np.searchsorted(self.mb, np.arange(self.B + 1))  # ages (months) of band b: edges[b]..[b + 1] - 1

    def by_band(self, X, P):
        """``sum_c X[..., age, c] P[..., band(age), c, k]`` -> [..., age, k], one matrix product per band."""
        edges = self.edges
        out = np.empty(np.broadcast_shapes(X.shape[:-2], P.shape[:-3]) + (X.shape[-2], P.shape[-1]))
        for k in range(self.B):
            out[..., edges[k]:edges[k + 1], :] = X[..., edges[k]:edges[k + 1], :] @ P[..., k, :, :]
        return out

    def band_sums(self, X):  # [..., age, C] -> [..., B, C]
        return np.add.reduceat(X, self.edges[:-1], axis=-2)

    def probabilities(self, d: float) -> tuple:
        """Transition probabilities for a month of ``d`` days (cached by length): the settled children's, each
        young state's by phase node, and the entrants' by day of arrival."""
        if d in self.cache:
            return self.cache[d]
        model, hz, C, Q, B, mb = self.model, self.model.hazards, self.C, self.Q, self.B, self.mb
        pany, p = _probabilities(self.h_settled, d)
        a = np.minimum(PHASE_NODES, d)[:, None, None]
        young = []
        for u in range(self.T):
            h0, h1 = _class_hazards(model, hz, u), _class_hazards(model, hz, u + 1)
            if self.mixed[u]:
                stay_u, p_u = _two_part(h0, h1, a, d - a)  # [Q, B, C], [Q, B, C, K]
            else:
                pany_u, p_u = _probabilities(h0, d)
                stay_u, p_u = np.broadcast_to(1 - pany_u, (Q, B, C)), np.broadcast_to(p_u, (Q,) + p_u.shape)
            young.append((stay_u[:, mb], p_u))  # [Q, age, C], [Q, B, C, K]
        # entrants arrive evenly through the month and face the first duration class's hazards for the rest of it
        # (computed by day of arrival)
        w = _node_weights(d)
        stay_e, p_e = _arrival_probabilities(self.h_first, d)  # [day, B, C], [day, B, C, K]
        on_day = (PHASE_NODES < d) / d  # share of the month's entrants arriving on each day
        self.cache[d] = ((1 - pany)[mb], p, young, w, on_day, stay_e[:, mb],
                         np.einsum("j,jbck->bck", on_day, p_e[..., C:]), p_e[..., :C])
        return self.cache[d]

    def step(self, m: int, month_start, month_end, d: float, adjustment) -> None:
        """One month: the scenario's changes, events, ageing and leaving at 18, entries, caps; the results."""
        model, C, G, B = self.model, self.C, self.G, self.B
        exits = np.zeros((C, G))
        ch = adjustment.changes(StepInfo(m, month_start, month_end, model.age_bands.labels, model.categories,
                                         self.agg @ (self.O + self.Y.sum(axis=(0, 2)))))
        self.apply_changes(ch, exits)
        start_by_cat = self.O.sum(axis=0) + self.Y.sum(axis=(0, 1, 2))  # after the month's moves and extra exits
        probs = self.probabilities(d)
        new_o, new_y, restarted = self.events(probs, exits)
        aged_o, aged_y = self.age(new_o, new_y, restarted, probs, exits)
        mult = _entry_multiplier(ch, (B, C)) * model.entry_multiplier(month_start)
        entries = model.entry_rates * d * mult  # [B, C]
        self.enter(entries, aged_o, aged_y, probs, exits)
        capped = self.cap(ch, aged_o, aged_y)
        self.O, self.Y = aged_o, aged_y
        now = self.O + self.Y.sum(axis=(0, 2))
        for key, value in (("expected_stock", self.agg @ now), ("expected_care_days",
                                                                 d * (start_by_cat + now.sum(axis=0)) / 2),
                           ("expected_entries", entries), ("expected_exits", exits), ("expected_capped", capped)):
            self.out.setdefault(key, []).append(value)

    def apply_changes(self, ch, exits) -> None:
        """A scenario's moves and extra exits, on the first day of the month, in proportion to the stock."""
        model, O, Y, mb, T = self.model, self.O, self.Y, self.mb, self.T  # noqa: E741 (O for 'old')
        for mv in ch.moves:
            i, j = _index(model.categories, mv.from_category, "category"), _index(model.categories, mv.to_category,
                                                                                    "category")
            band = _band_mask(model, mv.age_bands)[mb]
            total = (band * (O[:, i] + Y[:, :, :, i].sum(axis=(0, 2)))).sum()
            share = min(max(mv.count, 0.0), total) / total if total > 0 else 0.0
            moved_o, moved_y = share * band * O[:, i], share * band[None, :, None] * Y[:, :, :, i]
            O[:, i] -= moved_o
            Y[:, :, :, i] -= moved_y
            if self.reset and T > 0:  # a new placement from the first day of the step: node START_NODE, state 0
                Y[START_NODE, :, 0, j] += moved_o + moved_y.sum(axis=(0, 2))
            else:
                O[:, j] += moved_o
                Y[:, :, :, j] += moved_y
        for ex in ch.extra_exits:
            i = _index(model.categories, ex.from_category, "category")
            g = _index(model.exit_groups, ex.exit_group, "exit group")
            band = _band_mask(model, ex.age_bands)[mb]
            total = (band * (O[:, i] + Y[:, :, :, i].sum(axis=(0, 2)))).sum()
            take = min(max(ex.count, 0.0), total)
            if take > 0:
                O[:, i] -= take / total * band * O[:, i]
                Y[:, :, :, i] -= take / total * band[None, :, None] * Y[:, :, :, i]
                exits[i, g] += take

    def events(self, probs, exits):
        """The month's events: the settled children, then each young state; moves by band (matrix products),
        exits from the band totals. Returns the stayers [age, C] and [node, age, u, C], and the children moved
        into a new placement clock during the month [age, C]."""
        C, O, Y = self.C, self.O, self.Y  # noqa: E741
        stay_o, p_o, young = probs[0], probs[1], probs[2]
        new_o = O * stay_o
        moved = self.by_band(O, p_o[..., :C])  # [age, to]
        restarted = np.zeros((MAX_AGE_MONTHS, C))  # children moved (new placement clock) during the month
        if self.reset:
            restarted += moved
        else:
            new_o += moved
        exits += np.einsum("bc,bcg->cg", self.band_sums(O), p_o[..., C:])
        new_y = np.empty_like(Y)
        for u in range(self.T):
            stay_u, p_u = young[u]
            new_y[:, :, u] = Y[:, :, u] * stay_u
            moved = self.by_band(Y[:, :, u], p_u[..., :C])  # [Q, age, to]
            if self.reset:
                restarted += moved.sum(axis=0)
            else:
                new_y[:, :, u] += moved
            exits += np.einsum("qbc,qbcg->cg", self.band_sums(Y[:, :, u]), p_u[..., C:])
        return new_o, new_y, restarted

    def age(self, new_o, new_y, restarted, probs, exits):
        """Ageing (and the duration clock); leaving care at 18."""
        T, w = self.T, probs[3]
        exits[:, self.adult] += new_o[-1] + new_y[:, -1].sum(axis=(0, 1)) + restarted[-1]
        aged_o = np.zeros_like(new_o)
        aged_y = np.zeros_like(self.Y)
        aged_o[1:] = new_o[:-1]
        if T > 0:
            aged_o[1:] += new_y[:, :-1, T - 1].sum(axis=0)
            aged_y[:, 1:, 1:] = new_y[:, :-1, :-1]
            # a placement started during the month: its first month ends on the same day of the next
            aged_y[:, 1:, 0] += w[:, None, None] * restarted[None, :-1]
        else:
            aged_o[1:] += restarted[:-1]
        return aged_o, aged_y

    def enter(self, entries, aged_o, aged_y, probs, exits) -> None:
        """Entries [B, C] arriving evenly through the month at ages from the entry-age distribution; by day of
        arrival j: ``on_day[j] * (arriving x stay, plus moves of the month's entrants)``."""
        _, _, _, w, on_day, stay_e, p_e_exit, p_e_move = probs
        arriving = self.model.entry_age_pmf.T @ entries  # [age, C]
        moved_e = self.by_band(arriving, p_e_move)  # [day, age, to]
        if self.reset:
            joined = _to_nodes(on_day[:, None, None] * arriving * stay_e) \
                + w[:, None, None] * np.einsum("j,jak->ak", on_day, moved_e)[None]
        else:
            joined = _to_nodes(on_day[:, None, None] * (arriving * stay_e + moved_e))
        exits += np.einsum("bc,bcg->cg", self.band_sums(arriving), p_e_exit)
        if self.T > 0:
            aged_y[:, :, 0] += joined
        else:
            aged_o += joined.sum(axis=0)

    def cap(self, ch, aged_o, aged_y) -> np.ndarray:
        """A scenario's caps: children above a category's limit removed at the end of the month [C]."""
        capped = np.zeros(self.C)
        for cat, cap in ch.caps.items():
            j = _index(self.model.categories, cat, "category")
            total = aged_o[:, j].sum() + aged_y[..., j].sum()
            if total > cap and total > 0:
                excess = total - max(cap, 0.0)
                aged_o[:, j] *= 1 - excess / total
                aged_y[..., j] *= 1 - excess / total
                capped[j] += excess
        return capped


# Common random numbers: every random number a child uses is a hash of (its run's key, its identity, the month, a
# stream number), so it does not depend on how many other children there are or in what order they are held. A
# baseline and a scenario from the same seed then differ only through the children the scenario touches.
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_EVENT, _AGE, _KEEP, _PICK, _REALISE, _PHASE, _REPHASE, _SEGMENT, _OUTCOME, _RESEG = range(10)  # streams
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
    return _mix(seed + np.uint64(((month * 16 + stream + 1) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF))


def _uniforms(seed: np.ndarray, month: int, stream: int) -> np.ndarray:
    """Uniforms on [0, 1) (53 bits) from each child's ``seed`` for ``month`` and ``stream``."""
    x = _bits(seed, month, stream)
    np.right_shift(x, np.uint64(11), out=x)
    return x.astype(np.float64) * 2.0 ** -53


def _slice(shares: np.ndarray, row: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How many of the cumulative shares ``shares[row[i], :]`` are at or below ``x[i]`` (the slice ``x[i]`` falls
    in), a column at a time: no [children, outcomes] table is built."""
    width = shares.shape[1]
    flat, base = shares.ravel(), row * width
    k = np.zeros(len(x), dtype=np.int64)
    for j in range(width):
        k += x >= flat[base + j]
    return k


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


# small integer types where the values are small (a block's run, age in months from the start, category, duration
# state): less memory to fill and to read each month; the cell (``row``) stays a full index for its look-ups
_FIELDS = {"run": np.int32, "born": np.int16, "cat": np.int8, "seed": np.uint64, "alive": bool, "young": bool,
           "dur": np.int8, "phase": np.float64, "row": np.int64, "target": np.float64}


def _monte_carlo(model, S0, m_starts, m_ends, days, adjustment, R, rng, parameter_uncertainty=True) -> dict:
    """``R`` Monte Carlo runs of the monthly steps (module notes): without a scenario, each child followed alone in
    compiled code (:class:`_Followed`) unless :data:`ENGINE` is "steps" or it is not compiled; otherwise all
    children of all runs a month at a time (:class:`_Runs`). Both give the same runs."""
    if isinstance(adjustment, NoChange) and ENGINE != "steps" and _children is not None:
        return _Followed(model, S0, m_starts, m_ends, days, adjustment, R, rng, parameter_uncertainty).results()
    sim = _Runs(model, S0, m_starts, m_ends, days, adjustment, R, rng, parameter_uncertainty)
    for m in range(len(m_starts)):
        sim.step(m)
    return sim.results()


class _Runs:
    """One block of Monte Carlo runs: every child of every run in flat arrays (``_FIELDS``, grown as entrants come).

    The monthly model gives a child at most one event a month, with ``P(event in month m) = 1 - exp(-H_m d_m)``
    (``H_m``: its total daily hazard that month). A child in the settled duration class (the last, where further
    months change nothing) draws ``E ~ Exp(1)`` from its own uniform when a segment of its stay starts (at the
    start, the month after each event, on leaving the shorter classes) and has its event in the first month whose
    cumulative hazard from the segment's start exceeds ``E``: the same law (``P(no event up to m) =
    exp(-sum H d)``). Its hazards depend on its run, age band and category and on the run's exit drift, so the
    cumulative hazard from the start of the projection is a table ``Hc[m, (run, band, category)]``; a child holds
    its cell (``row``) and ``target = Hc[m1, row] + E``, and its event comes in month m when ``Hc[m + 1, row] >
    target``: one look-up and one comparison a month instead of a random number and the outcome probabilities.
    When its band changes (a birthday, known in advance), its target moves with its cell so the hazard left is
    kept. The event's outcome is drawn in proportion to that month's hazards. Children in the shorter duration
    classes (an entrant's first month in care, a new placement's with a placement clock) are stepped month by month
    (:meth:`_step_young`): their hazards change on their own phase day. Children left, and children in the shorter
    classes, hold the cell ``trash`` (never an event, not counted there).
    """

    def __init__(self, model, S0, m_starts, m_ends, days, adjustment, R, rng, parameter_uncertainty):
        self.model, self.m_starts, self.m_ends, self.days, self.adjustment, self.R = (
            model, m_starts, m_ends, days, adjustment, R)
        self.C, self.G, self.B, self.M = (len(model.categories), len(model.exit_groups), model.age_bands.n,
                                          len(m_starts))
        self.K = self.C + self.G
        U = S0.shape[2]
        self.T = U - 1  # the settled duration state
        self.reset = model.duration == "placement"  # a move starts a new placement clock
        self.dur_class = model.duration_class(np.arange(U + 1)).astype(np.int64)
        self.mb = model.age_bands.month_band().astype(np.int64)
        self.edges = np.searchsorted(self.mb, np.arange(self.B + 1))  # first month of age of each band, and 216
        self.is_edge = np.zeros(MAX_AGE_MONTHS + self.M + 2, dtype=bool)  # (a stale entry's age may be above 18)
        self.is_edge[self.edges[1:]] = True
        self.adult = model.exit_groups.index("adulthood")
        self.baseline = isinstance(adjustment, NoChange)
        self._draw_rates(rng, parameter_uncertainty)
        self._tables()
        R, M, B, C, G = self.R, self.M, self.B, self.C, self.G
        self.stock = np.zeros((R, M, B, C), dtype=np.int32)
        self.entries = np.zeros((R, M, C), dtype=np.int32)
        self.exits = np.zeros((R, M, C, G), dtype=np.int32)
        self.capped = np.zeros((R, M, C), dtype=np.int32)
        self.start_rc = np.zeros((R, M, C))  # children at the start of each month (after a scenario's moves)
        # settled children whose age at the start of month m is the first of a band, or 18 (they leave at the end of
        # month m - 1); entries go stale when a child leaves (its place may be taken by an entrant): each is checked
        self.birthdays: list[list[np.ndarray]] = [[] for _ in range(M + 1)]
        self.freed: list[np.ndarray] = []  # places of children who left, for entrants
        self.scan_h, self.scan_fired = np.empty(0), np.empty(0, dtype=bool)
        self._start_children(S0)

    # --- set-up ---------------------------------------------------------------------------------------------------

    def _draw_rates(self, rng, parameter_uncertainty):
        """Each run's rates from their Gamma posteriors and its drift walks (parameter uncertainty), the runs'
        keys for the children's own random numbers, and a stream per month for the entry counts."""
        model, R, M, B, C = self.model, self.R, self.M, self.B, self.C
        param_rng, step_parent, key_rng = rng.spawn(3)
        self.step_rngs = step_parent.spawn(M)
        self.run_keys = key_rng.integers(0, np.iinfo(np.int64).max, size=R, dtype=np.int64).astype(np.uint64)
        allowed = model.alpha > 0
        h = param_rng.gamma(np.where(allowed, model.alpha, 1.0), 1.0 / model.beta, size=(R,) + model.alpha.shape)
        self.h = h * allowed  # [R, group, C, K] daily hazards
        self.lam = param_rng.gamma(model.entry_alpha, 1.0 / model.entry_beta, size=(R, B, C))
        window_years = ((model.window_end - model.window_start).days + 1) / 365.25
        self.entry_walk = drift_walk(param_rng, model.entry_drift, R, M, window_years)
        self.exit_walk = drift_walk(param_rng, model.exit_drift, R, M, window_years)
        if not parameter_uncertainty:
            self.h = np.broadcast_to(model.hazards, (R,) + model.alpha.shape)
            self.lam = np.broadcast_to(model.entry_rates, (R, B, C))
            self.entry_walk, self.exit_walk = np.ones((R, M)), np.ones((R, M))
        cdf_age = np.cumsum(model.entry_age_pmf, axis=1)
        cdf_age[:, -1] = 1.0
        self.cdf_age = cdf_age

    def _tables(self):
        """Tables used every month: the settled class's cumulative hazard from the start of the projection to the
        start of each month, ``Hc[m, row]`` with ``row = (run, band, category)`` and each run's exit drift (and a
        last cell, ``trash``, at -inf); each hazard cell's total daily hazard of moves and of exits [R, group, C];
        and each cell's outcomes as cumulative shares of its moves and of its exits."""
        R, B, C, G = self.R, self.B, self.C, self.G
        groups = self.h.shape[1]
        self.g_settled = B * int(self.dur_class[self.T])  # first hazard group of the settled class
        self.h_move = self.h[..., :C].sum(axis=-1).ravel()  # [(R, group, C)]
        self.h_exit = self.h[..., C:].sum(axis=-1).ravel()
        self.trash = R * B * C
        r, b, c = np.unravel_index(np.arange(self.trash), (R, B, C))
        self.row_cell = (r * groups + self.g_settled + b) * C + c  # hazard cell of each settled row
        self.row_run = r
        cum_days = np.r_[0.0, np.cumsum(self.days)]  # [M + 1]
        cum_exit = np.concatenate([np.zeros((R, 1)), np.cumsum(self.exit_walk * self.days, axis=1)], axis=1)
        self.Hc = self._hazard_table(cum_days, cum_exit[r])
        with np.errstate(invalid="ignore", divide="ignore"):
            share_move = np.cumsum(self.h[..., :C], axis=-1) / self.h[..., :C].sum(axis=-1, keepdims=True)
            share_exit = np.cumsum(self.h[..., C:], axis=-1) / self.h[..., C:].sum(axis=-1, keepdims=True)
        self.share_move = np.where(np.isfinite(share_move), share_move, 1.0).reshape(R * groups * C, C)
        self.share_exit = np.where(np.isfinite(share_exit), share_exit, 1.0).reshape(R * groups * C, G)

    def _hazard_table(self, cum_days: np.ndarray, cum_exit: np.ndarray) -> np.ndarray:
        """``Hc`` [M + 1, rows + 1] from the cumulative days [M + 1] and each row's cumulative exit drift
        [rows, M + 1]: one month's row of cells contiguous, as each month looks them all up."""
        Hc = np.full((self.M + 1, self.trash + 1), -np.inf)
        Hc[:, :-1] = (self.h_move[self.row_cell][None] * cum_days[:, None]
                      + self.h_exit[self.row_cell][None] * cum_exit.T)
        return Hc

    @staticmethod
    def _stock_children(S0) -> dict:
        """The stock's children, one entry each (the same in every run; a child's identity is its place here):
        age in months at the start, category, duration state and phase, the day of each step on which its clock
        passes a month boundary (PHASE_NODES)."""
        q0, a0, u0, c0 = np.nonzero(S0)
        n0 = S0[q0, a0, u0, c0].round().astype(np.int64)
        return {"born": np.repeat(a0, n0), "cat": np.repeat(c0, n0), "dur": np.repeat(u0, n0),
                "phase": np.repeat(PHASE_NODES[q0], n0)}

    def _starting(self, S0) -> dict:
        """The starting children of every run (the stock copied into each run) as arrays of their fields."""
        one = self._stock_children(S0)
        n1 = len(one["born"])
        run = np.repeat(np.arange(self.R), n1)
        return dict(run=run, seed=_child_seeds(self.run_keys[run], np.tile(np.arange(n1, dtype=np.uint64), self.R)),
                    **{k: np.tile(v, self.R) for k, v in one.items()})

    def _start_children(self, S0):
        """The starting children, in their places."""
        start = self._starting(S0)
        expected_entrants = float(self.model.entry_rates.sum() * self.days.sum())
        self.cap = max(1024, int(self.R * (len(start["run"]) / max(self.R, 1) + 1.3 * expected_entrants + 50)))
        self.n = 0
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(self.cap, dtype=dtype))
        idx = self._add(**start)
        self.rc = np.bincount(start["run"] * self.C + self.cat[idx],
                              minlength=self.R * self.C).reshape(self.R, self.C)
        young = self.dur[idx] < self.T
        self.young[idx[young]] = True
        self.yidx = idx[young]
        self._settle(idx[~young], 0)

    def _add(self, **values) -> np.ndarray:
        """Append children (in care, in no settled cell yet); returns their indices."""
        k = len(values["run"])
        free = np.concatenate(self.freed) if self.freed else np.zeros(0, dtype=np.int64)
        self.freed = [free[k:]]
        reuse = free[:k]
        k -= len(reuse)
        if self.n + k > self.cap:
            self.cap = max(2 * self.cap, self.n + k)
            for name in _FIELDS:
                old = getattr(self, name)
                new = np.zeros(self.cap, dtype=old.dtype)
                new[:self.n] = old[:self.n]
                setattr(self, name, new)
        idx = np.concatenate([reuse, np.arange(self.n, self.n + k)])
        self.n += k
        self.alive[idx] = True
        self.young[idx] = False
        self.row[idx] = self.trash
        for name, v in values.items():
            getattr(self, name)[idx] = v
        return idx

    # --- settled children -----------------------------------------------------------------------------------------

    def _settle(self, idx: np.ndarray, m1: int) -> None:
        """Children ``idx`` join the settled class from the start of month ``m1``: their birthdays that change
        their band, and the month they turn 18, are filed; then their first segment starts."""
        if not len(idx):
            return
        month = self.edges[1:, None] - self.born[idx][None]  # [band 1..B (18), child]: the month it is that age
        sel = (month > m1) & (month <= self.M)
        i, month = np.broadcast_to(idx, sel.shape)[sel], month[sel]
        order = np.argsort(month.astype(np.int16), kind="stable")  # months fit in 16 bits: a radix sort
        month, i = month[order], i[order]
        cuts = np.r_[0, np.flatnonzero(np.diff(month)) + 1, len(month)]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            if b > a:
                self.birthdays[month[a]].append(i[a:b])
        self._segment(idx, m1, _SEGMENT)

    def _birthdays(self, m: int) -> np.ndarray:
        """Settled children in care whose age at the start of month ``m`` begins a band, or is 18."""
        if not self.birthdays[m]:
            return np.zeros(0, dtype=np.int64)
        idx = np.sort(np.concatenate(self.birthdays[m]))
        self.birthdays[m] = []
        idx = idx[np.r_[True, idx[1:] != idx[:-1]]]  # a place may be filed twice (left, then reused)
        return idx[self.alive[idx] & ~self.young[idx] & self.is_edge[self.born[idx] + m]]

    def _segment(self, idx: np.ndarray, m1: int, stream: int) -> None:
        """A new segment for settled children ``idx`` from the start of month ``m1``: their cell (band at that
        month) and ``target = Hc[m1, cell] + E``, ``E ~ Exp(1)`` from the child's own uniform."""
        if not len(idx):
            return
        age = np.minimum(self.born[idx] + m1, MAX_AGE_MONTHS - 1)  # (one turning 18 now leaves at this month's end)
        row = (self.run[idx] * self.B + self.mb[age]) * self.C + self.cat[idx]
        self.row[idx] = row
        self.target[idx] = self.Hc[m1][row] - np.log1p(-_uniforms(self.seed[idx], m1, stream))

    def _rebands(self, m: int) -> None:
        """Settled children whose band changes at the start of month ``m`` take the new band's cell, keeping the
        hazard left before their next event."""
        idx = self.due_birthdays  # (a place left this month may hold an entrant now: checked again)
        idx = idx[self.alive[idx] & ~self.young[idx] & self.is_edge[self.born[idx] + m]]
        old = self.row[idx]
        new = (self.run[idx] * self.B + self.mb[self.born[idx] + m]) * self.C + self.cat[idx]
        self.target[idx] += self.Hc[m][new] - self.Hc[m][old]
        self.row[idx] = new

    def _settled_events(self, m: int) -> None:
        """The settled children's events in month ``m`` (``Hc[m + 1, cell] > target``): exits, and moves after
        which a new segment starts next month (or, with a placement clock, the new placement's first months);
        then those turning 18 leave."""
        n = self.n
        if len(self.scan_h) < n:  # buffers for the month's look-up and comparison over every place, reused
            self.scan_h, self.scan_fired = np.empty(self.cap), np.empty(self.cap, dtype=bool)
        h, fired = self.scan_h[:n], self.scan_fired[:n]
        np.take(self.Hc[m + 1], self.row[:n], out=h)
        idx = np.flatnonzero(np.greater(h, self.target[:n], out=fired))
        run, cell = self.run[idx], self.row_cell[self.row[idx]]
        k = self._pick_outcome(cell, self.h_move[cell], self.exit_walk[run, m] * self.h_exit[cell],
                               _uniforms(self.seed[idx], m, _OUTCOME))
        self._leave(idx[k >= self.C], m, k[k >= self.C] - self.C)
        moved = idx[k < self.C]
        self.cat[moved] = k[k < self.C]
        birthdays = self.due_birthdays = self._birthdays(m + 1)
        self._leave(birthdays[self.born[birthdays] + m + 1 >= MAX_AGE_MONTHS], m, self.adult)
        moved = moved[self.alive[moved]]
        if self.reset:
            self.row[moved] = self.trash
            self.young[moved] = True
            self.dur[moved] = 0
            self.phase[moved] = _uniforms(self.seed[moved], m, _PHASE) * self.days[m]
            self.yidx = np.concatenate([self.yidx, moved])
        else:
            self._segment(moved, m + 1, _SEGMENT)

    def _pick_outcome(self, cell: np.ndarray, move: np.ndarray, exit_: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The outcome (k < C: a move to category k; C + group: an exit) of an event in hazard cell ``cell`` whose
        total daily hazards of moves and exits are ``move`` and ``exit_``, from one uniform ``u`` each: an exit
        when ``u < exit_ / (move + exit_)``, then the slice of that kind's cumulative shares ``u`` (rescaled)
        falls in."""
        p_exit = exit_ / (move + exit_)
        leave = u < p_exit
        k = np.empty(len(u), dtype=np.int64)
        x = u[leave] / p_exit[leave]
        k[leave] = self.C + np.minimum(_slice(self.share_exit, cell[leave], x), self.G - 1)
        stay = ~leave
        x = (u[stay] - p_exit[stay]) / (1 - p_exit[stay])
        k[stay] = np.minimum(_slice(self.share_move, cell[stay], x), self.C - 1)
        return k

    def _leave(self, idx: np.ndarray, m: int, group) -> None:
        """Children ``idx`` leave care in month ``m`` by exit ``group`` (an array or one group)."""
        self._count_exits(m, self.run[idx], self.cat[idx], group)
        self._remove(idx)

    def _count_exits(self, m: int, run, cat, group) -> None:
        key = (run * self.C + cat) * self.G + group
        self.exits[:, m] += np.bincount(key, minlength=self.R * self.C * self.G).reshape(self.R, self.C, self.G)

    def _remove(self, idx: np.ndarray) -> None:
        self.freed.append(idx)
        self.alive[idx] = False
        self.young[idx] = False
        self.row[idx] = self.trash

    # --- the month ------------------------------------------------------------------------------------------------

    def step(self, m: int) -> None:
        """One monthly step: the scenario's changes, events, ageing and leaving at 18, entries, caps, and the
        children in care at the end of the month."""
        entry_rng, extra_rng = self.step_rngs[m].spawn(2)
        if self.baseline:
            mult, caps = None, {}
            self.start_rc[:, m] = self.rc
        else:
            mult, caps = self._adjust(m)
        self._step_young(m)
        self._settled_events(m)
        self._enter(m, mult, entry_rng, extra_rng)
        if caps:
            self._cap(m, caps)
        self._rebands(m + 1)
        self._count(m)

    def _count(self, m: int) -> None:
        """Children in care at the end of month ``m`` by run, band (at their age then) and category."""
        R, B, C = self.R, self.B, self.C
        settled = np.bincount(self.row[:self.n], minlength=self.trash + 1)[:-1].reshape(R, B, C)
        Y = self.yidx = self.yidx[self.alive[self.yidx]]  # (a cap may have removed some this month)
        key = (self.run[Y] * B + self.mb[self.born[Y] + m + 1]) * C + self.cat[Y]
        self.stock[:, m] = settled + np.bincount(key, minlength=R * B * C).reshape(R, B, C)
        self.rc = self.stock[:, m].sum(axis=1)

    def _step_young(self, m: int) -> None:
        """Children in the shorter duration classes, month by month: an event with the hazards of their class until
        their phase day and the next class's after it (in the first part when the child's uniform ``u <
        1 - exp(-H0 a)``, in the second when ``u < 1 - exp(-H0 a - H1 (d - a))``); then the clock, leaving at 18,
        and the settled class (from next month) for those whose clock reaches it."""
        Y = self.yidx[self.alive[self.yidx] & self.young[self.yidx]]
        if not len(Y):
            self.yidx = Y
            return
        d, B, C, groups = self.days[m], self.B, self.C, self.h.shape[1]
        run, age, cat, dur = self.run[Y], self.born[Y] + m, self.cat[Y], self.dur[Y]
        cell0 = (run * groups + self.mb[age] + B * self.dur_class[dur]) * C + cat
        cell1 = (run * groups + self.mb[age] + B * self.dur_class[dur + 1]) * C + cat  # the same unless mixed
        walk = self.exit_walk[run, m]
        mv, ex = self.h_move, self.h_exit
        a = np.minimum(self.phase[Y], d)
        h0 = (mv[cell0] + walk * ex[cell0]) * a
        part0 = -np.expm1(-h0)
        either = -np.expm1(-h0 - (mv[cell1] + walk * ex[cell1]) * (d - a))
        u = _uniforms(self.seed[Y], m, _EVENT)
        e = np.flatnonzero(u < either)
        cell = np.where(u[e] < part0[e], cell0[e], cell1[e])
        k = self._pick_outcome(cell, mv[cell], walk[e] * ex[cell], _uniforms(self.seed[Y[e]], m, _OUTCOME))
        self._leave(Y[e[k >= C]], m, k[k >= C] - C)
        moved = Y[e[k < C]]
        self.cat[moved] = k[k < C]
        if self.reset:  # a new placement at a moment of the month: its first month ends on that day of the next
            self.dur[moved] = -1  # state 0 after the clock's step below
            self.phase[moved] = _uniforms(self.seed[moved], m, _PHASE) * d
        Y = Y[self.alive[Y]]
        self.dur[Y] = np.minimum(self.dur[Y] + 1, self.T)
        self._leave(Y[self.born[Y] + m + 1 >= MAX_AGE_MONTHS], m, self.adult)
        Y = Y[self.alive[Y]]
        settled = self.dur[Y] == self.T
        self.young[Y[settled]] = False
        self.yidx = Y[~settled]
        self._settle(Y[settled], m + 1)

    def _entrants(self, m: int, mult, entry_rng, extra_rng) -> tuple:
        """Month ``m``'s entrants, counted in ``entries``: the baseline's (Poisson counts that do not depend on the
        scenario), each kept with probability min(multiplier, 1) by its own uniform, plus extra entrants for a
        multiplier above 1 from a stream of their own, so an entrant of a scenario that cuts entries is always an
        entrant of the baseline. Returns their runs, entry age bands, categories, seeds, ages at the end of the
        month and days of arrival (each its own uniform: its phase, its first month in care ends on that day of
        the next)."""
        R, B, C, d = self.R, self.B, self.C, self.days[m]
        lam_m = self.lam * d * self.model.entry_multiplier(self.m_starts[m]) * self.entry_walk[:, m, None, None]
        n_base = entry_rng.poisson(lam_m)
        n_all = n_base
        if mult is not None and np.any(mult > 1):
            n_all = n_base + extra_rng.poisson(lam_m * np.maximum(mult - 1, 0))
        n_all = n_all.ravel()
        flat = np.repeat(np.arange(R * B * C), n_all)
        ordinal = np.arange(len(flat)) - np.repeat(np.cumsum(n_all) - n_all, n_all)
        r_new, rest = np.divmod(flat, B * C)
        b_new, c_new = np.divmod(rest, C)
        id_new = (np.uint64(_ENTRANT) | np.uint64(m) << np.uint64(40) | rest.astype(np.uint64) << np.uint64(20)
                  | ordinal.astype(np.uint64))
        id_new = _child_seeds(self.run_keys[r_new], id_new)
        if mult is not None and np.any(mult < 1):
            keep = ((ordinal >= n_base.ravel()[flat])
                    | (_uniforms(id_new, m, _KEEP) < np.minimum(mult, 1).ravel()[flat]))
            r_new, b_new, c_new, id_new = r_new[keep], b_new[keep], c_new[keep], id_new[keep]
        u_age = _uniforms(id_new, m, _AGE)
        a_new = np.zeros(len(r_new), dtype=np.int64)
        for band in range(B):
            sel = b_new == band
            a_new[sel] = np.searchsorted(self.cdf_age[band], u_age[sel], side="left")
        self.entries[:, m] = np.bincount(r_new * C + c_new, minlength=R * C).reshape(R, C)
        return r_new, b_new, c_new, id_new, a_new, _uniforms(id_new, m, _PHASE) * d

    def _enter(self, m: int, mult, entry_rng, extra_rng) -> None:
        """Entries (:meth:`_entrants`): each arrives on its day and faces the first duration class's hazards for
        the rest of the month."""
        C, d = self.C, self.days[m]
        r_new, b_new, c_new, id_new, a_new, o_new = self._entrants(m, mult, entry_rng, extra_rng)
        cell = (r_new * self.h.shape[1] + b_new) * C + c_new  # group b_new: the first duration class in band b_new
        mv, ex = self.h_move[cell], self.exit_walk[r_new, m] * self.h_exit[cell]
        e = np.flatnonzero(_uniforms(id_new, m, _EVENT) < -np.expm1(-(mv + ex) * (d - o_new)))
        k = self._pick_outcome(cell[e], mv[e], ex[e], _uniforms(id_new[e], m, _OUTCOME))
        gone = e[k >= C]
        self._count_exits(m, r_new[gone], c_new[gone], k[k >= C] - C)
        c_new[e[k < C]] = k[k < C]
        if self.reset:
            o_new[e[k < C]] = _uniforms(id_new[e[k < C]], m, _REPHASE) * d
        stay = np.ones(len(r_new), dtype=bool)
        stay[gone] = False
        idx = self._add(run=r_new[stay], born=a_new[stay] - (m + 1), cat=c_new[stay], seed=id_new[stay], dur=0,
                        phase=o_new[stay])
        if self.T > 0:
            self.young[idx] = True
            self.yidx = np.concatenate([self.yidx, idx])
        else:
            self._settle(idx, m + 1)

    # --- a scenario's changes ---------------------------------------------------------------------------------------

    def _per_run(self, key, m, stream):  # one uniform per run for an adjustment
        return _uniforms(_child_seeds(self.run_keys, np.full(self.R, _key_id(key), dtype=np.uint64)), m, stream)

    def _adjust(self, m: int):
        """The scenario's changes for month ``m`` in each run (from that run's children at the start of the month):
        moves and extra exits on the first day, realised as whole children picked by their own uniforms; returns
        the entry multipliers [R, B, C] and the caps {category: [R]} for the end of the month."""
        model, R, B, C = self.model, self.R, self.B, self.C
        alive = np.flatnonzero(self.alive[:self.n])
        band = self.mb[self.born[alive] + m]
        rbc = np.bincount((self.run[alive] * B + band) * C + self.cat[alive], minlength=R * B * C).reshape(R, B, C)
        mult = np.ones((R, B, C))
        moves: dict = defaultdict(lambda: np.zeros(R))
        extra: dict = defaultdict(lambda: np.zeros(R))
        caps: dict[int, np.ndarray] = {}
        for r in range(R):
            ch = self.adjustment.changes(StepInfo(m, self.m_starts[m], self.m_ends[m], model.age_bands.labels,
                                                  model.categories, rbc[r].astype(float), run=r))
            mult[r] = _entry_multiplier(ch, (B, C))
            for mv in ch.moves:
                moves[(mv.from_category, mv.to_category, mv.age_bands)][r] += mv.count
            for ex in ch.extra_exits:
                extra[(ex.from_category, ex.exit_group, ex.age_bands)][r] += ex.count
            for c, cap in ch.caps.items():
                j = _index(model.categories, c, "category")
                caps.setdefault(j, np.full(R, np.inf))[r] = cap
        if moves or extra:
            priority = _uniforms(self.seed[alive], m, _PICK)
            run = self.run[alive]
            for (fc, tc, bands), cnt in moves.items():
                i, j = _index(model.categories, fc, "category"), _index(model.categories, tc, "category")
                elig = (self.cat[alive] == i) & _band_mask(model, bands)[band]
                pick = _pick(run, elig, _realise(cnt, self._per_run(("move", fc, tc, bands), m, _REALISE)), priority)
                chosen = alive[pick]
                self.cat[chosen] = j
                if self.reset:  # a new placement from the first day of the step
                    self.dur[chosen] = 0
                    self.phase[chosen] = PHASE_NODES[START_NODE]
                    self.row[chosen] = self.trash
                    self.yidx = np.union1d(self.yidx, chosen)
                    self.young[chosen] = True
                else:  # the settled ones' next event from the new category's hazards, from this month
                    self._segment(chosen[~self.young[chosen]], m, _RESEG)
            for (fc, grp, bands), cnt in extra.items():
                i, g = _index(model.categories, fc, "category"), _index(model.exit_groups, grp, "exit group")
                elig = (self.cat[alive] == i) & _band_mask(model, bands)[band] & self.alive[alive]
                pick = _pick(run, elig, _realise(cnt, self._per_run(("exit", fc, grp, bands), m, _REALISE)), priority)
                self._leave(alive[pick], m, g)
            # children moved at the start of the month count in their new category all month
            now = alive[self.alive[alive]]
            self.rc = np.bincount(self.run[now] * C + self.cat[now], minlength=R * C).reshape(R, C)
        self.start_rc[:, m] = self.rc
        return mult, caps

    def _cap(self, m: int, caps: dict) -> None:
        """Remove children above a category's cap at the end of the month (realised as whole children, picked by
        their own uniforms), reported as capped."""
        alive = np.flatnonzero(self.alive[:self.n])
        run, cat = self.run[alive], self.cat[alive]
        now = np.bincount(run * self.C + cat, minlength=self.R * self.C).reshape(self.R, self.C)
        priority = _uniforms(self.seed[alive], m, _PICK)
        for j, cap in caps.items():
            excess = np.where(np.isfinite(cap), np.maximum(now[:, j] - np.floor(np.maximum(cap, 0)), 0), 0)
            self._remove(alive[_pick(run, cat == j, excess.astype(np.int64), priority)])
            self.capped[:, m, j] = excess

    def results(self) -> dict:
        """The runs' outputs; care-days ``days * (children at the start + at the end) / 2`` by category."""
        care_days = self.days[None, :, None] * (self.start_rc + self.stock.sum(axis=2)) / 2
        return {"stock_runs": self.stock, "care_days_runs": care_days, "entries_runs": self.entries,
                "exits_runs": self.exits, "capped_runs": self.capped}


class _Followed(_Runs):
    """Baseline runs (no scenario), each child followed alone from its start to leaving care or the end of the
    projection by the compiled ``careflow.model._children``: the same rates and tables as :class:`_Runs` (its
    methods), the same starting children, entry counts and identities, and the same monthly law and random numbers,
    so the runs are the same; without a scenario nothing makes the children of a run interact, so the
    month-by-month arrays of every child are not needed."""

    def _hazard_table(self, cum_days: np.ndarray, cum_exit: np.ndarray) -> np.ndarray:
        """``Hc`` transposed, [rows, M + 1], without the trash cell: one cell's months contiguous, as a child
        follows its cell month by month (the same products and sums, so the same values)."""
        return (self.h_move[self.row_cell][:, None] * cum_days[None, :]
                + self.h_exit[self.row_cell][:, None] * cum_exit)

    def _start_children(self, S0):
        # the stock's children once; the kernel copies them into each run with their seeds there (as _starting)
        self.start = {k: v if k == "phase" else v.astype(np.int32) for k, v in self._stock_children(S0).items()}
        self.rc = np.broadcast_to(np.bincount(self.start["cat"], minlength=self.C), (self.R, self.C))

    def results(self) -> dict:
        R, M, B, C = self.R, self.M, self.B, self.C
        # each month's entry counts from that month's own stream, as _Runs._entrants draws them
        arrivals = np.stack([self.step_rngs[m].spawn(2)[0].poisson(
            self.lam * self.days[m] * self.model.entry_multiplier(self.m_starts[m])
            * self.entry_walk[:, m, None, None]) for m in range(M)]).astype(np.int64)
        held = np.zeros((R, M + 1, B, C), dtype=np.int32)
        _children.simulate(
            R, M, B, C, self.G, self.T, self.h.shape[1], self.g_settled, self.adult, self.reset,
            self.Hc, self.h_move, self.h_exit, self.share_move, self.share_exit,
            np.ascontiguousarray(self.exit_walk, dtype=float), np.ascontiguousarray(self.days, dtype=float),
            self.mb, self.edges.astype(np.int64), self.dur_class, self.run_keys, self.start["born"],
            self.start["cat"], self.start["dur"], self.start["phase"], arrivals,
            np.ascontiguousarray(self.cdf_age, dtype=float), held, self.entries, self.exits)
        np.cumsum(held[:, :M], axis=1, out=self.stock)
        self.start_rc[:, 0] = self.rc
        self.start_rc[:, 1:] = self.stock[:, :-1].sum(axis=2)
        return super().results()
