"""Price a scenario against the forecast: the difference from the baseline by lever, financial year and month.

Flow levers (entries, step-downs, sufficiency, permanence exits, caps) run inside the projection, deterministic or
Monte Carlo with common random numbers, so their savings carry intervals. Unit cost changes re-price the projected
care-days. Workforce levers price the social workers that follow the flow levers' combined change in children, run
by run. The other levers add their own profile of pounds.

Attribution: each lever's contribution is its Shapley value over the levers that interact (flow and unit cost
levers): the average, over every order of adding levers, of the difference that lever makes. It does not depend on
the order levers are listed in, and the contributions add up to the combined difference exactly, run by run.
Exact over all subsets for up to ``max_exact`` interacting levers; above that, averaged over sampled orders
(seeded). Purely financial levers are additive, so their Shapley value is their own profile.

Permanence is not free: children who leave care by special guardianship, a child arrangements order or adoption
cost an allowance afterwards (``careflow.costs.allowances``), so the pounds of a scenario are placements plus those
allowances, and an SGO saves less than a return home by the allowance.

Signs: every difference is baseline minus scenario, so savings, fewer children and fewer care-days are positive.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.costs.allowances import Allowances, allowance_cost, load_allowances
from careflow.fy import FinancialYear
from careflow.levers import money
from careflow.levers.flows import Combined, Delivery, LeverContext, flow_adjustment
from careflow.levers.projector import FixedUnitCosts, Projected, Projector, WeeklyCosts
from careflow.levers.scenario import Scenario
from careflow.levers.schema import LeverBase, Sufficiency, UnitCostChange, Workforce
from careflow.levers.workforce import workforce_saving
from careflow.model.adjust import NO_CHANGE


class Metric(enum.IntEnum):
    """The first axis of a result's [metric, run, month] arrays."""

    CHILDREN = 0  # children in care at the month end (baseline minus scenario)
    CARE_DAYS = 1
    POUNDS = 2


METRICS = tuple(m.name.lower() for m in Metric)  # children, care_days, pounds
DIFFERENCE_COLUMNS = ["financial_year", "lever", "children_mean", "care_days_mean", "pounds_mean", "pounds_p10",
                      "pounds_p90"]


@dataclass
class ScenarioResult:
    """Differences from the baseline. ``by_lever[name]`` is an array [metric, run, month] (metrics: METRICS)."""

    scenario: Scenario
    month_starts: tuple[dt.date, ...]
    month_ends: tuple[dt.date, ...]
    by_lever: dict[str, np.ndarray]
    total: np.ndarray  # [metric, run, month], the combined scenario against the baseline
    runs: int
    deterministic: bool
    exact: bool  # Shapley values computed exactly (not sampled)
    weekly_costs: dict[str, float]  # the weekly costs used in the first financial year, by category
    # what each flow lever that asks for a number of children delivered in the whole scenario (children there to
    # move vs asked; see careflow.levers.flows.Delivery)
    delivery: list[Delivery] = field(default_factory=list)
    model_warnings: tuple[str, ...] = ()  # what the projection's fit limited (trend, drift caps that bind)

    def warnings(self) -> list[str]:
        """The model's warnings, and one line per lever that delivered less than it asked (below
        flows.DELIVERED_ENOUGH)."""
        return [*self.model_warnings, *(
            f"lever {d.describe()}: fewer children were there than it asks for, so it is priced at what could "
            "be delivered" for d in self.delivery if d.short)]

    @property
    def financial_years(self) -> list[FinancialYear]:
        return sorted({FinancialYear.containing(d) for d in self.month_starts})

    def metric(self, metric: Metric | str, lever: str = "all") -> np.ndarray:
        """[run, month] differences of one metric (``children``, ``care_days``, ``pounds``) for ``lever``."""
        m = metric if isinstance(metric, Metric) else Metric[str(metric).upper()]
        if lever != "all" and lever not in self.by_lever:
            raise KeyError(f"no lever named '{lever}' (have: {', '.join(self.by_lever)})")
        return (self.total if lever == "all" else self.by_lever[lever])[m]

    def _by_fy(self, arr: np.ndarray) -> tuple[list[FinancialYear], np.ndarray]:
        """Aggregate [metric, run, month] to [metric, run, fy]: children at the FY's last month, others summed."""
        fys = self.financial_years
        out = np.zeros((arr.shape[0], arr.shape[1], len(fys)))
        month_fy = [fys.index(FinancialYear.containing(d)) for d in self.month_starts]
        flows = [Metric.CARE_DAYS, Metric.POUNDS]
        for m, f in enumerate(month_fy):
            out[flows, :, f] += arr[flows, :, m]
            out[Metric.CHILDREN, :, f] = arr[Metric.CHILDREN, :, m]  # months in order, so the last one wins
        return fys, out

    def difference(self) -> pd.DataFrame:
        """One row per financial year and lever (``all`` for the combined scenario): means and P10/P90 of pounds."""
        rows = []
        for name, arr in [*self.by_lever.items(), ("all", self.total)]:
            fys, agg = self._by_fy(arr)
            for f, fy in enumerate(fys):
                pounds = agg[Metric.POUNDS, :, f]
                rows.append({
                    "financial_year": fy.label, "lever": name,
                    "children_mean": float(np.mean(agg[Metric.CHILDREN, :, f])),
                    "care_days_mean": float(np.mean(agg[Metric.CARE_DAYS, :, f])),
                    "pounds_mean": float(np.mean(pounds)),
                    "pounds_p10": float(np.percentile(pounds, 10)),
                    "pounds_p90": float(np.percentile(pounds, 90)),
                })
        return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)

    def savings_by_year(self, lever: str = "all") -> dict[str, float]:
        """Mean saving in pounds by financial year label, for a business case's savings profile (cumulative: each
        year's saving against the baseline)."""
        df = self.difference()
        rows = df[df["lever"] == lever]
        if rows.empty:
            raise KeyError(f"no lever named '{lever}' (have: {', '.join(df['lever'].unique())})")
        return dict(zip(rows["financial_year"], rows["pounds_mean"], strict=True))

    def difference_by_month(self) -> pd.DataFrame:
        rows = []
        for name, arr in [*self.by_lever.items(), ("all", self.total)]:
            mean = arr.mean(axis=1)
            for m, a in enumerate(self.month_starts):
                rows.append({"month": a.isoformat()[:7], "financial_year": FinancialYear.containing(a).label,
                             "lever": name, "children_mean": float(mean[Metric.CHILDREN, m]),
                             "care_days_mean": float(mean[Metric.CARE_DAYS, m]),
                             "pounds_mean": float(mean[Metric.POUNDS, m])})
        return pd.DataFrame(rows)


def scenario_prices(scenario: Scenario, categories: tuple[str, ...]) -> dict[str, float]:
    """Weekly costs the scenario states itself: ``unit_costs`` and sufficiency levers' own figures."""
    prices = dict(scenario.unit_costs)
    for i, lv in enumerate(scenario.levers):
        if isinstance(lv, Sufficiency):
            for fieldname, cat in (("add_weekly_cost", lv.add_category),
                                   ("displace_weekly_cost", lv.displace_category)):
                v = getattr(lv, fieldname)
                if v is None:
                    continue
                if cat in prices and prices[cat] != v:
                    raise scenario.error(i, fieldname, f"weekly cost of {cat} given twice in this scenario "
                                                       f"({prices[cat]:,.0f} and {v:,.0f})")
                prices[cat] = float(v)
    return prices


def _price_matrix(p: Projected, unit_costs: WeeklyCosts, fixed: dict[str, float],
                  prices_year: FinancialYear | None = None) -> np.ndarray:
    """Weekly cost [month, category]. A scenario's own costs stated in ``prices_year``'s prices are carried to
    each month's financial year by the unit costs' price index (one price base: cash by year)."""
    carry = getattr(unit_costs, "price_factor", None) if prices_year is not None else None
    out = np.zeros((len(p.month_starts), len(p.categories)))
    for m, a in enumerate(p.month_starts):
        fy = FinancialYear.containing(a)
        for c, cat in enumerate(p.categories):
            if cat in fixed:
                out[m, c] = fixed[cat] * (carry(cat, prices_year, fy) if carry else 1.0)
            else:
                out[m, c] = unit_costs.weekly_cost(cat, fy)
    return out


def _cost_factor(levers: list[UnitCostChange], p: Projected) -> np.ndarray:
    """Multiplier on weekly costs [month, category] from unit cost changes, by share of the month's days."""
    out = np.ones((len(p.month_starts), len(p.categories)))
    for lv in levers:
        cols = [p.categories.index(c) for c in lv.categories if c in p.categories]
        for m, (a, b) in enumerate(zip(p.month_starts, p.month_ends, strict=True)):
            days = (b - a).days + 1
            share = money._overlap(a, b, lv.start, lv.end) / days
            out[m, cols] *= 1.0 + lv.percent / 100.0 * share
    return out


def _check_against_model(scenario: Scenario, projector: Projector) -> None:
    cats, bands = tuple(projector.categories), tuple(projector.age_bands)
    for i, lv in enumerate(scenario.levers):
        for fieldname, cat in lv.categories_used().items():
            if cat not in cats:
                raise scenario.error(i, fieldname, f"the model has no placement category '{cat}' "
                                                   f"(it has: {', '.join(cats)})")
        for j, cat in enumerate(lv.categories_listed()):
            if cat not in cats:
                raise scenario.error(i, f"categories.{j}", f"the model has no placement category '{cat}'")
        for j, band in enumerate(lv.age_bands_used()):
            if band not in bands:
                raise scenario.error(i, f"age_bands.{j}", f"the model has no age band '{band}' "
                                                         f"(it has: {', '.join(bands)})")


def _shapley_weights(n: int) -> list[float]:
    """Weight of a coalition of size s not containing the player: s!(n-s-1)!/n!."""
    return [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]


def evaluate(scenario: Scenario, projector: Projector, unit_costs: WeeklyCosts | dict[str, float] | None = None, *,
             runs: int = 100, seed: int = 0, deterministic: bool = False, max_exact: int = 6,
             sampled_orders: int = 24, allowances: Allowances | None = None) -> ScenarioResult:
    """Price ``scenario`` against ``projector``'s baseline. See the module docstring for the method.

    ``unit_costs``: weekly costs by category (a mapping, or an object with ``weekly_cost``); default careflow's
    shipped unit costs with inflation (:func:`careflow.costs.load_unit_costs`). A category without a cost is an
    error. ``allowances``: after permanence exits (default: the shipped ``permanence_allowances`` parameter)."""
    if isinstance(unit_costs, dict):
        unit_costs = FixedUnitCosts(unit_costs)
    if unit_costs is None:
        from careflow.costs import load_unit_costs

        unit_costs = load_unit_costs(categories=tuple(projector.categories))
    _check_against_model(scenario, projector)
    runs = 1 if deterministic else int(runs)
    expected = projector.project(NO_CHANGE, runs=1, seed=seed, deterministic=True)
    base = expected if deterministic else projector.project(NO_CHANGE, runs=runs, seed=seed, deterministic=False)
    # levers hold their numbers against each run's own baseline (see careflow.levers.flows)
    ctx = LeverContext(age_bands=tuple(projector.age_bands), categories=tuple(projector.categories),
                       month_starts=base.month_starts, baseline_stock=expected.stock_end[0],
                       baseline_runs=None if deterministic else base.stock_end)

    levers = scenario.levers
    names = [lv.label() for lv in levers]
    flow_idx = [i for i, lv in enumerate(levers) if lv.flow]
    price_idx = [i for i, lv in enumerate(levers) if isinstance(lv, UnitCostChange)]
    players = flow_idx + price_idx

    fixed = scenario_prices(scenario, ctx.categories)
    price = _price_matrix(base, unit_costs, fixed, scenario.prices_year)
    weekly_costs = {cat: float(price[0, c]) for c, cat in enumerate(ctx.categories)}
    allowances = load_allowances() if allowances is None else allowances
    month_days = np.array([(b - a).days + 1 for a, b in zip(base.month_starts, base.month_ends, strict=True)])

    def allowance(p: Projected) -> np.ndarray:
        """Pounds of permanence allowances [run, month] (0 where the projector does not report exits)."""
        if p.exits is None:
            return np.zeros(p.care_days.shape[:2])
        return allowance_cost(p.exits, p.month_starts, month_days, p.exit_groups, allowances)

    base_cost = base.care_days * price[None, :, :] / 7.0  # [run, month, cat]
    base_allowance = allowance(base)
    base_stock = base.stock_end.sum(axis=2)
    base_days = base.care_days.sum(axis=2)

    projections: dict[frozenset, Projected] = {frozenset(): base}
    deliveries: list[Delivery] = []

    def projected(flow_set: frozenset) -> Projected:
        if flow_set not in projections:
            # fresh adjustments for each projection: each records what its levers delivered in it
            adj = Combined([flow_adjustment(levers[i], ctx) for i in sorted(flow_set)])
            projections[flow_set] = projector.project(adj, runs=runs, seed=seed, deterministic=deterministic)
            if flow_set == frozenset(flow_idx):  # the whole scenario: what each lever delivered in it
                deliveries.extend(adj.deliveries())
        return projections[flow_set]

    values: dict[frozenset, np.ndarray] = {}

    def value(coalition: frozenset) -> np.ndarray:
        """[metric, run, month] difference from the baseline of the levers in ``coalition``."""
        if coalition not in values:
            p = projected(frozenset(i for i in coalition if levers[i].flow))
            factor = _cost_factor([levers[i] for i in coalition if i in price_idx], p)
            cost = p.care_days * (price * factor)[None, :, :] / 7.0
            diff = {Metric.CHILDREN: base_stock - p.stock_end.sum(axis=2),
                    Metric.CARE_DAYS: base_days - p.care_days.sum(axis=2),
                    Metric.POUNDS: (base_cost - cost).sum(axis=2) + base_allowance - allowance(p)}
            values[coalition] = np.stack([diff[m] for m in Metric])
        return values[coalition]

    shape = (len(Metric), runs, len(base.month_starts))
    by_lever = {name: np.zeros(shape) for name in names}
    exact = len(players) <= max_exact
    _attribute(players, names, value, by_lever, exact, sampled_orders, seed)
    total = value(frozenset(players)).copy() if players else np.zeros(shape)
    _add_levers_outside_the_model(levers, players, names, by_lever, total, base, base_stock)

    if flow_idx:
        projected(frozenset(flow_idx))
    return ScenarioResult(scenario=scenario, month_starts=base.month_starts, month_ends=base.month_ends,
                          by_lever=by_lever, total=total, runs=runs, deterministic=deterministic, exact=exact,
                          weekly_costs=weekly_costs, delivery=deliveries,
                          model_warnings=tuple(projector.warnings))


def _attribute(players: list[int], names: list[str], value, by_lever: dict[str, np.ndarray], exact: bool,
               sampled_orders: int, seed: int) -> None:
    """Add each player's Shapley share of the joint difference to ``by_lever``: exactly over every coalition, or
    averaged over ``sampled_orders`` random orders (seeded) when there are too many players."""
    n = len(players)
    if not n:
        return
    if exact:
        weights = _shapley_weights(n)
        for k, i in enumerate(players):
            others = players[:k] + players[k + 1:]
            for size in range(n):
                for coalition in itertools.combinations(others, size):
                    s = frozenset(coalition)
                    by_lever[names[i]] += weights[size] * (value(s | {i}) - value(s))
    else:
        rng = np.random.default_rng(seed)
        for _ in range(sampled_orders):
            order = [players[j] for j in rng.permutation(n)]
            s: frozenset = frozenset()
            for i in order:
                by_lever[names[i]] += (value(s | {i}) - value(s)) / sampled_orders
                s = s | {i}


def _add_levers_outside_the_model(levers: list[LeverBase], players: list[int], names: list[str],
                                  by_lever: dict[str, np.ndarray], total: np.ndarray, base: Projected,
                                  base_stock: np.ndarray) -> None:
    """Workforce levers (staff follow the children the flow levers saved, all of them together, run by run) and
    the fixed money levers (a profile of pounds), added to ``by_lever`` and ``total``."""
    staff = [i for i, lv in enumerate(levers) if isinstance(lv, Workforce)]
    for i in staff:
        pounds = workforce_saving(levers[i], base_stock, total[Metric.CHILDREN], base.month_starts,
                                  base.month_ends)
        by_lever[names[i]][Metric.POUNDS] += pounds
        total[Metric.POUNDS] += pounds

    for i, lv in enumerate(levers):
        if i in players or i in staff:
            continue
        profile = np.array([money.saving(lv, a, b) for a, b in zip(base.month_starts, base.month_ends,
                                                                    strict=True)])
        by_lever[names[i]][Metric.POUNDS] += profile[None, :]
        total[Metric.POUNDS] += profile[None, :]


def lever_kind(lever: LeverBase) -> str:
    if lever.flow:
        return "flow"
    if isinstance(lever, UnitCostChange):
        return "price"
    return "financial"
