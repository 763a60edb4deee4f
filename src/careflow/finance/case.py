"""The financial model of a business case: the financial keys of a case file, validated strictly.

The financial keys (:data:`FINANCIAL_KEYS`) are validated here; the rest of a case file (the council template) is
the register's (:class:`careflow.register.BusinessCase`, which reads case files and keeps these keys validated by
:func:`financials_from_mapping`). Amounts are in the case's ``units`` (``£`` or ``£k``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
)

from careflow import numbers, yamlio
from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.finance import profile as prof
from careflow.fy import FinancialYear, fy_range
from careflow.vocabulary import DeliveryStatus, SavingType

# Keys this module interprets. `directorate` and `status` (template keys) are read too, for the roll-up.
FINANCIAL_KEYS: tuple[str, ...] = (
    "units", "first_year", "investment", "savings", "savings_basis", "recurring", "ongoing_costs", "saving_type",
    "lines", "stated", "appraisal", "savings_from", "rag", "price_base", "savings_p10", "savings_p90",
    "savings_source",
)

UNITS: dict[str, float] = {"£": 1.0, "£k": 1000.0}  # pounds per unit


def _parse_year(value: Any) -> FinancialYear:
    if isinstance(value, FinancialYear):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a financial year: {value!r} (expected e.g. 2017-18)")
    if isinstance(value, int):
        # a bare 2017 is ambiguous (2016-17 or 2017-18?): insist on a label
        raise ValueError(f"not a financial year: {value!r} (write it as e.g. {value}-{(value + 1) % 100:02d})")
    return FinancialYear.parse(value)


def _parse_amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r:.60} (write amounts as plain numbers in the file's "
                         "units, without £ or commas)")
    return numbers.finite(value, "an amount")


Year = Annotated[FinancialYear, PlainValidator(_parse_year), PlainSerializer(lambda y: y.label)]
Amount = Annotated[float, PlainValidator(_parse_amount)]
YearAmounts = dict[Year, Amount]


def _enum_parser(kind: type[enum.StrEnum]):
    def parse(value: Any):
        if isinstance(value, kind):
            return value
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_").replace(" ", "_")
            if key in kind.__members__:
                return kind(key)
        raise ValueError(f"{value!r} is not one of {', '.join(m.value for m in kind)}")
    return parse


SavingTypeField = Annotated[SavingType, PlainValidator(_enum_parser(SavingType)), PlainSerializer(str)]
RagField = Annotated[DeliveryStatus, PlainValidator(_enum_parser(DeliveryStatus)), PlainSerializer(str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineStated(_Strict):
    """Row totals a document states for one line item."""

    total_investment: Amount | None = None
    total_savings: Amount | None = None
    total_ongoing_costs: Amount | None = None


class LineItem(_Strict):
    """One row of a business case's breakdown (e.g. Project A), in the case's units and savings basis."""

    name: str
    title: str | None = None
    investment: YearAmounts = Field(default_factory=dict)
    savings: YearAmounts = Field(default_factory=dict)
    ongoing_costs: YearAmounts = Field(default_factory=dict)
    saving_type: SavingTypeField | None = None
    directorate: str | None = None
    rag: RagField | None = None
    stated: LineStated | None = None


class Stated(_Strict):
    """Figures the document states, each recomputed and checked (see :mod:`careflow.finance.checks`).

    ``savings_by_year`` and ``total_savings`` are in the case's savings basis, as written (the sum of an MTFS
    table's incremental row is its total); ``net_savings_by_year`` is savings less ongoing costs.
    """

    payback_years: float | None = None  # "simple" convention
    payback_years_cashflow: float | None = None
    total_savings_years_1_to_5: Amount | None = None
    total_savings_years_1_to_10: Amount | None = None
    total_investment: Amount | None = None
    total_savings: Amount | None = None
    total_ongoing_costs: Amount | None = None
    investment_by_year: YearAmounts | None = None
    savings_by_year: YearAmounts | None = None
    net_savings_by_year: YearAmounts | None = None
    ongoing_costs_by_year: YearAmounts | None = None
    npv: Amount | None = None
    benefit_cost_ratio: float | None = None


class OptimismBias(_Strict):
    """Green Book optimism bias: percentage uplift on costs and percentage reduction of benefits."""

    investment_pct: float = Field(default=0.0, ge=0)
    ongoing_costs_pct: float = Field(default=0.0, ge=0)
    savings_pct: float = Field(default=0.0, ge=0, le=100)


class AppraisalSettings(_Strict):
    """How to discount and over how many years (counted from the first year of the case, year 0)."""

    discount: Literal["green_book"] | Annotated[float, Field(ge=0, lt=1)] = "green_book"
    horizon_years: int | None = Field(default=None, ge=1, le=300)
    optimism_bias: OptimismBias = Field(default_factory=OptimismBias)
    sensitivity_pct: list[Annotated[float, Field(gt=0, lt=100)]] = Field(default_factory=lambda: [10.0, 20.0])


class SavingsFrom(_Strict):
    """Take the savings from a ``difference.csv`` written by ``careflow scenario`` (pounds, savings positive)."""

    file: str
    lever: str = "all"
    measure: Literal["pounds_mean", "pounds_p10", "pounds_p90"] = "pounds_mean"
    # The run, for the record: what careflow scenario wrote into summary.json beside the file (read from there
    # when not given here) and the data it was priced on.
    scenario: str | None = None
    runs: int | None = Field(default=None, ge=1)
    seed: int | None = None
    data: str | None = None
    # Restate the scenario's cash savings in one year's prices (real terms, the case's price base) by careflow's
    # general price index (inflation.yaml default, or the MTFS rates given to the scenario run).
    prices_year: Year | None = None


class CaseFinancials(_Strict):
    """The financial keys of a case file. Amounts are in ``units``; savings in ``savings_basis``."""

    units: Literal["£", "£k"]
    first_year: Year | None = None
    investment: YearAmounts | None = None
    savings: YearAmounts | None = None
    savings_basis: Literal["cumulative", "incremental"] = "cumulative"
    recurring: bool = False
    ongoing_costs: YearAmounts | None = None
    saving_type: SavingTypeField = SavingType.cashable
    lines: list[LineItem] = Field(default_factory=list)
    stated: Stated = Field(default_factory=Stated)
    appraisal: AppraisalSettings = Field(default_factory=AppraisalSettings)
    savings_from: SavingsFrom | None = None
    # What prices the figures are in ("cash by financial year", "2018-19 prices"); a scenario's savings carry
    # their own (cash prices of each financial year).
    price_base: str | None = None
    # The range of the savings (cumulative basis, the case's units) and where they come from: filled from a
    # scenario's P10 and P90 by savings_from, or stated.
    savings_p10: YearAmounts | None = None
    savings_p90: YearAmounts | None = None
    savings_source: str | None = None
    rag: RagField | None = None
    directorate: str | None = None
    status: Any = None

    # -- flows (what the appraisal and roll-up use) ------------------------------------------------------------

    def _levels(self, savings: dict[FinancialYear, float]) -> prof.Profile:
        return prof.to_cumulative(savings) if self.savings_basis == "incremental" else dict(savings)

    def line_sums(self) -> dict[str, prof.Profile]:
        """Column totals of the line items (savings in the case's basis, as written)."""
        return {flow: prof.add(*(getattr(line, flow) for line in self.lines))
                for flow in ("investment", "savings", "ongoing_costs")}

    def flow(self, name: str) -> prof.Profile:
        """``investment``, ``savings`` (as written) or ``ongoing_costs``: the case-level figures when given,
        else the column totals of the lines."""
        own = getattr(self, name)
        if own is not None:
            return dict(sorted(own.items()))
        return self.line_sums()[name]

    @property
    def savings_levels(self) -> prof.Profile:
        """Each year's saving against the baseline (cumulative basis), over the stated years."""
        return self._levels(self.flow("savings"))

    @property
    def net_savings_levels(self) -> prof.Profile:
        """Each stated year's net saving against the baseline: savings (cumulative basis) less ongoing costs. This
        is the one "planned" figure delivery is tracked against, the basis MTFS tables and ``appraise`` use."""
        levels = self.savings_levels
        ongoing = self.flow("ongoing_costs")
        years = sorted(set(levels) | set(ongoing))
        return {y: levels.get(y, 0.0) - ongoing.get(y, 0.0) for y in years}

    def planned(self) -> dict[FinancialYear, tuple[float, float]]:
        """Net saving by stated year as (cumulative: against the baseline, incremental: new in that year)."""
        out, previous = {}, 0.0
        for year in fy_range(self.start, self.last_stated_year):
            level = self.net_savings_levels.get(year, previous if self.recurring else 0.0)
            out[year] = (level, level - previous)
            previous = level
        return out

    @property
    def start(self) -> FinancialYear:
        """The first year of the case (t = 0 for discounting and the cash-flow payback)."""
        if self.first_year is not None:
            return self.first_year
        years = [y for name in ("investment", "savings", "ongoing_costs") for y in self.flow(name)]
        return min(years)

    @property
    def last_stated_year(self) -> FinancialYear:
        years = [y for name in ("investment", "savings", "ongoing_costs") for y in self.flow(name)]
        return max(years)

    @property
    def pounds_per_unit(self) -> float:
        return UNITS[self.units]


@dataclass
class Case:
    """The financial view of a business case: what appraisal and the MTFS roll-up read.

    careflow has one model of a business case, :class:`careflow.register.BusinessCase`, and one loader of case
    files (:mod:`careflow.register.casefile`); a ``Case`` is built from it (``careflow.register.finance_case``,
    ``careflow.register.load_finance_case``), never read from a file here. ``file`` and ``doc`` say where its
    figures came from, so checks can name the line."""

    reference: str
    financials: CaseFinancials
    title: str | None = None
    authority: str | None = None  # the council whose budget the case is in (a roll-up never mixes two unasked)
    cross_checks: list[dict[str, Any]] = field(default_factory=list)  # as written (careflow.finance.crosscheck)
    file: str | None = None
    doc: yamlio.YamlDoc | None = None

    @property
    def directorate(self) -> str | None:
        return self.financials.directorate


# -- loading ---------------------------------------------------------------------------------------------------


def _err(doc: yamlio.YamlDoc, path: tuple, message: str) -> CareflowError:
    return doc.error(path, message, rule="case")


def _loc_line(doc: yamlio.YamlDoc, loc: tuple) -> int | None:
    variants = [tuple(loc), tuple(p if isinstance(p, int) else str(p) for p in loc),
                tuple(str(p) for p in loc)]
    for v in variants:
        if v in doc.lines:
            return doc.lines[v]
    return doc.line(variants[1])


def _findings_from_validation(exc: ValidationError, doc: yamlio.YamlDoc, prefix: tuple = ()) -> list[Finding]:
    return pydantic_findings(exc, "case", lambda loc: {"file": doc.file, "row": _loc_line(doc, loc),
                                                       "field": ".".join(str(p) for p in loc) or None}, prefix)


def financials_from_mapping(data: dict[str, Any], doc: yamlio.YamlDoc | None = None) -> CaseFinancials:
    """Validate the financial keys of a case (a mapping as read from YAML). Other keys are ignored here."""
    doc = doc or yamlio.YamlDoc(data=data, file="<case>")
    subset = {k: v for k, v in data.items() if k in FINANCIAL_KEYS or k in ("directorate", "status")}
    try:
        fin = CaseFinancials.model_validate(subset)
    except ValidationError as exc:
        raise CareflowError(_findings_from_validation(exc, doc)) from None
    _check_consistency(fin, doc)
    return fin


def _check_consistency(fin: CaseFinancials, doc: yamlio.YamlDoc, resolved: bool = False) -> None:
    errors: list[CareflowError] = []
    if fin.savings is not None and fin.savings_from is not None and not resolved and not fin.savings_source:
        errors.append(_err(doc, ("savings_from",), "give either savings or savings_from, not both"))
    if fin.savings_from is not None and fin.savings_basis != "cumulative":
        errors.append(_err(doc, ("savings_basis",), "savings_from gives each year's saving against the baseline: "
                                "savings_basis must be cumulative"))
    places: list[tuple[tuple, dict]] = []
    for name in ("investment", "savings", "ongoing_costs"):
        if getattr(fin, name):
            places.append(((name,), getattr(fin, name)))
        for i, line in enumerate(fin.lines):
            if getattr(line, name):
                places.append((("lines", i, name), getattr(line, name)))
    for path, amounts in places:
        if path[-1] in ("investment", "ongoing_costs"):
            for year, value in amounts.items():
                if value < 0:
                    errors.append(_err(doc, path + (year.label,), f"{path[-1]} in {year} is {value:g}: costs are "
                                            "positive amounts (a negative cost is a saving)"))
    all_years = [y for _, amounts in places for y in amounts]
    if not all_years and fin.savings_from is None:
        errors.append(_err(doc, (), "the case states no investment, savings or ongoing costs"))
    if fin.first_year is not None:
        for path, amounts in places:
            for year in amounts:
                if year < fin.first_year:
                    errors.append(_err(doc, path + (year.label,), f"{path[-1]} in {year}, before the case starts "
                                            f"(first_year {fin.first_year})"))
    names = [line.name for line in fin.lines]
    for i, name in enumerate(names):
        if name in names[:i]:
            errors.append(_err(doc, ("lines", i, "name"), f"line name '{name}' is used twice"))
    if errors:
        raise CareflowError([f for e in errors for f in e.findings])


class NoFinancialFigures(CareflowError):
    """A well-formed case that states no financial keys at all (its figures are "in an accompanying report").

    The register keeps such cases; there is nothing to appraise, and a roll-up lists them as without figures."""


def resolve_savings_from(fin: CaseFinancials, base_dir: Path, doc: yamlio.YamlDoc) -> CaseFinancials:
    """The financials with ``savings_from`` read into ``savings`` (the scenario's difference.csv, named relative
    to ``base_dir``, the case file's folder); unchanged when the case states its savings."""
    if fin.savings_from is None:
        return fin
    if fin.savings_source and not (base_dir / fin.savings_from.file).exists():
        return fin  # read before (the register keeps the figures and their source); the run is not here now
    from careflow.finance.scenario_link import savings_from_scenario

    fin = fin.model_copy(update=savings_from_scenario(fin.savings_from, base_dir, fin.units, doc,
                                                      fin.price_base))
    _check_consistency(fin, doc, resolved=True)
    return fin
