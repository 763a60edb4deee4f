"""The scenario file format: one pydantic model per lever type (DESIGN.md section 6).

A scenario is a YAML mapping ``name``, optional ``description``, optional ``unit_costs`` (weekly pounds by category,
overriding the unit cost parameters for this scenario), optional ``horizon`` and a list of ``levers``. Each lever is a
mapping with a ``type`` and that type's fields; unknown keys are refused (``extra="forbid"``) so a typo is an error
naming its line, not a silently ignored setting.

Signs: every lever is described as the council states it (entries reduced by 5%, a contract of £640k ended, £319k
reinvested); the engine reports savings as positive pounds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from careflow.costs.staff import StaffCost
from careflow.fy import FinancialYear
from careflow.vocabulary import PLACEMENT_CATEGORIES, exit_group, financial_year_keys

# The default placement categories (DESIGN.md 4.1). A fitted model may use others; the engine checks again then.
DEFAULT_CATEGORIES = PLACEMENT_CATEGORIES

EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)

NonNeg = Annotated[float, Field(ge=0)]
Percent = Annotated[float, Field(ge=0, le=100)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    # Each field's docstring is its plain-words explanation (Field.description): the scenario builder and the
    # lever catalogue (levers/catalogue.py) show it, so it is written once, here.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class LeverBase(_Strict):
    """Fields every lever has: an optional name (used in outputs), a start date and an optional end date."""

    name: str | None = None
    """A short name for this lever, shown in the results (default: its type)."""
    note: str | None = None
    """Where the numbers come from: the business case, paper or person, in your own words."""
    start: dt.date
    """The date the lever starts to take effect, for example 2025-04-01."""
    end: dt.date | None = None
    """The date the lever stops (leave empty if it carries on to the end of the forecast)."""

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not (EARLIEST <= v <= LATEST):
            raise ValueError(f"date {v.isoformat()} is out of range ({EARLIEST.year} to {LATEST.year})")
        return v

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        return self

    # Levers that change flows of children run inside the projection; the others add a profile of pounds.
    flow: ClassVar[bool] = False

    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]

    def categories_used(self) -> dict[str, str]:
        """Field name -> category, for checking against the model's categories."""
        return {}

    def categories_listed(self) -> tuple[str, ...]:
        """The categories a lever lists in its ``categories`` field (to act on, or to limit it to), for checking
        against the model's categories one by one; () when it has no such list."""
        return ()

    def age_bands_used(self) -> tuple[str, ...]:
        """The age bands a lever is limited to (its ``age_bands`` field); () for all ages or no such field."""
        return ()


def _check_category(v: str, info: ValidationInfo) -> str:
    known = (info.context or {}).get("categories") or DEFAULT_CATEGORIES
    if v not in known:
        raise ValueError(f"unknown placement category '{v}' (known: {', '.join(known)})")
    return v


Category = Annotated[str, AfterValidator(_check_category)]
# One of careflow.vocabulary.EXIT_GROUPS, or an alias of one (child_arrangements = cao); stored as the group.
ExitGroup = Annotated[str, AfterValidator(exit_group)]


class ReduceEntries(LeverBase):
    """Fewer entries into care: a % reduction by year, optionally only some age bands and first categories.

    ``reduction`` is a single percentage, a list (year 1, year 2, ... counted in 12-month periods from ``start``;
    the last value holds after), or a mapping from financial year label to percentage (holds until the next key).
    """

    type: Literal["reduce_entries"]
    flow: ClassVar[bool] = True
    reduction: Percent | list[Percent] | dict[str, Percent]
    """How much fewer children enter care, in percent: one figure (5), one a year from the start (5, 10, 15:
    the last holds after), or by financial year (2025-26: 5)."""
    age_bands: list[str] | None = None
    """Only children entering at these ages (leave empty for all ages)."""
    categories: list[Category] | None = None
    """Only children whose first placement is in these categories (leave empty for all)."""

    def categories_listed(self) -> tuple[str, ...]:
        return tuple(self.categories or ())

    def age_bands_used(self) -> tuple[str, ...]:
        return tuple(self.age_bands or ())

    @field_validator("reduction")
    @classmethod
    def _phasing(cls, v):
        if isinstance(v, list) and not v:
            raise ValueError("give at least one percentage")
        if isinstance(v, dict):
            financial_year_keys(v)
        return v


class StepDown(LeverBase):
    """Move children from one category to a cheaper one: N a year (spread evenly by month) or a % of the stock a year,
    after a lag (months from ``start``)."""

    type: Literal["step_down"]
    flow: ClassVar[bool] = True
    from_category: Category
    """The placement type children move out of."""
    to_category: Category
    """The (cheaper) placement type they move into."""
    children_per_year: NonNeg | None = None
    """How many children move each year, spread evenly over the months (give this or a percentage)."""
    percent_per_year: Percent | None = None
    """The percentage of the children in the first placement type who move each year (give this or a number of
    children)."""
    total: NonNeg | None = None
    """Stop after this many children have moved in all (leave empty for no limit)."""
    lag_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months after the start before the first child moves."""
    age_bands: list[str] | None = None
    """Only children of these ages move (leave empty for all ages)."""


    @model_validator(mode="after")
    def _one_rate(self):
        if (self.children_per_year is None) == (self.percent_per_year is None):
            raise ValueError("give exactly one of children_per_year or percent_per_year")
        if self.from_category == self.to_category:
            raise ValueError("from_category and to_category are the same")
        return self

    def categories_used(self):
        return {"from_category": self.from_category, "to_category": self.to_category}

    def age_bands_used(self) -> tuple[str, ...]:
        return tuple(self.age_bands or ())


class Recruitment(_Strict):
    """A foster carer recruitment pipeline feeding a sufficiency lever (levers/recruitment.py): enquiries a month,
    conversion to assessment and to approval, and the months each stage takes. Defaults: the
    ``foster_recruitment`` parameter."""

    enquiries_per_month: NonNeg | list[NonNeg]
    """Enquiries from would-be foster carers each month: one figure, or one per month from the start (the last
    holds after)."""
    enquiry_to_assessment: Share = 0.10
    """The share of enquiries that go on to assessment, between 0 and 1."""
    assessment_to_approval: Share = 0.70
    """The share of assessments that end in approval, between 0 and 1."""
    months_to_assessment: Annotated[int, Field(ge=0, le=60)] = 1
    """Months from enquiry to the start of assessment."""
    assessment_months: Annotated[int, Field(ge=0, le=60)] = 4
    """Months an assessment takes."""
    placements_per_household: Annotated[float, Field(gt=0, le=10)] = 1.0
    """Children placed with each approved household."""

    @field_validator("enquiries_per_month")
    @classmethod
    def _some(cls, v):
        if isinstance(v, list) and not v:
            raise ValueError("give at least one month's enquiries")
        return v


class Sufficiency(LeverBase):
    """New in-house capacity (N placements) displacing placements in another category, filled after a recruitment
    lag and over a ramp. Weekly costs may be stated (the business case's own figures); otherwise unit costs apply."""

    type: Literal["sufficiency"]
    flow: ClassVar[bool] = True
    add_category: Category
    """The placement type the new capacity is in (for example in-house fostering)."""
    displace_category: Category
    """The placement type children would otherwise be in (for example agency fostering)."""
    placements: NonNeg
    """How many new placements the capacity adds when full."""
    lag_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months after the start before the first placement is available (recruitment time)."""
    ramp_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months over which the placements fill, after the lag."""
    add_weekly_cost: NonNeg | None = None
    """Weekly cost of one new placement in pounds, if the business case states it (else careflow's unit cost).
    """
    displace_weekly_cost: NonNeg | None = None
    """Weekly cost of one placement avoided in pounds, if the business case states it (else careflow's unit
    cost)."""
    age_bands: list[str] | None = None
    """Only children of these ages (leave empty for all ages)."""
    # Placements arrive as carers are approved (instead of lag_months and ramp_months).
    recruitment: Recruitment | None = None
    """A foster carer recruitment pipeline the placements come from, instead of a lag and ramp."""


    @model_validator(mode="after")
    def _distinct(self):
        if self.add_category == self.displace_category:
            raise ValueError("add_category and displace_category are the same")
        if self.recruitment is not None and (self.lag_months or self.ramp_months):
            raise ValueError("with recruitment, placements arrive as carers are approved: leave out lag_months and "
                             "ramp_months")
        return self

    def categories_used(self):
        return {"add_category": self.add_category, "displace_category": self.displace_category}

    def age_bands_used(self) -> tuple[str, ...]:
        return tuple(self.age_bands or ())


class PermanenceExits(LeverBase):
    """Extra exits (SGO, adoption, return home...) from a category: N a year spread by month, after a lag."""

    type: Literal["permanence_exits"]
    flow: ClassVar[bool] = True
    from_category: Category
    """The placement type the children leave care from."""
    exit_group: ExitGroup
    """How they leave care: adoption, special guardianship, child arrangements order, return home and so on.
    """
    children_per_year: NonNeg
    """How many more children leave care this way each year."""
    total: NonNeg | None = None
    """Stop after this many children in all (leave empty for no limit)."""
    lag_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months after the start before the first extra child leaves care."""
    age_bands: list[str] | None = None
    """Only children of these ages (leave empty for all ages)."""


    def categories_used(self):
        return {"from_category": self.from_category}

    def age_bands_used(self) -> tuple[str, ...]:
        return tuple(self.age_bands or ())


class CapGrowth(LeverBase):
    """Hold a category at a level, or remove N of its projected additions (relative to the stock when the lever
    starts). Children above the cap move to ``to_category`` when given, else are avoided entries."""

    type: Literal["cap_growth"]
    flow: ClassVar[bool] = True
    category: Category
    """The placement type to hold down."""
    level: NonNeg | None = None
    """Hold the number of children in this placement type at this level (give this or a number to remove)."""
    remove: NonNeg | None = None
    """Remove this many children from the projected growth (give this or a level)."""
    to_category: Category | None = None
    """Where children above the cap go instead (leave empty if they do not come into care at all)."""


    @model_validator(mode="after")
    def _one(self):
        if (self.level is None) == (self.remove is None):
            raise ValueError("give exactly one of level or remove")
        return self

    def categories_used(self):
        d = {"category": self.category}
        if self.to_category:
            d["to_category"] = self.to_category
        return d


class UnitCostChange(LeverBase):
    """A % change on the weekly unit costs of some categories from a date (fee negotiation: negative)."""

    type: Literal["unit_cost_change"]
    categories: list[Category] = Field(min_length=1)
    """The placement types whose weekly cost changes."""
    percent: Annotated[float, Field(ge=-100, le=1000)]
    """The change in weekly cost in percent: negative for a saving (a fee negotiated down by 3% is -3)."""

    def categories_listed(self) -> tuple[str, ...]:
        return tuple(self.categories)


class Phased(LeverBase):
    """Optional ``phasing``: the share (0 to 1) of the full-year effect by financial year, holding until the next
    year listed, e.g. ``{2025-26: 0.5, 2026-27: 1}``. The year the lever starts in must be listed."""

    phasing: dict[str, Share] | None = None
    """The share of the full-year effect achieved in each financial year, from 0 to 1, for example 2025-26:
    0.5 and 2026-27: 1 (leave empty for the full effect from the start)."""

    @field_validator("phasing")
    @classmethod
    def _fys(cls, v):
        return v if v is None else financial_year_keys(v)

    @model_validator(mode="after")
    def _starts_listed(self):
        if self.phasing is not None:
            first = FinancialYear.containing(self.start)
            if first not in {FinancialYear.parse(str(k)) for k in self.phasing}:
                raise ValueError(f"phasing must give the share for {first.label}, the year the lever starts in")
        return self

    def share(self, fy: FinancialYear) -> float:
        if self.phasing is None:
            return 1.0
        keyed = sorted((FinancialYear.parse(str(k)), float(v)) for k, v in self.phasing.items())
        current = [v for y, v in keyed if y <= fy]
        return current[-1] if current else 0.0


class ProvisionMove(_Strict):
    """Where a child from a closed provision goes, at what weekly cost, and until when (default: the horizon).
    """

    category: Category
    """The placement type the children move to."""
    weekly_cost: NonNeg
    """The weekly cost of each child's new placement, in pounds."""
    children: NonNeg = 1
    """How many children move this way."""
    end: dt.date | None = None
    """When the new placement ends (default: the end of the forecast)."""



class OneOff(_Strict):
    """A one-off cost (positive) on a date: redundancy, pension strain, decommissioning, investment."""

    item: str
    """What the one-off cost is for (redundancy, pension strain, investment...)."""
    amount: NonNeg
    """The one-off cost in pounds."""
    date: dt.date
    """The date the cost falls."""

    @field_validator("date")
    @classmethod
    def _in_range(cls, v: dt.date) -> dt.date:
        if not (EARLIEST <= v <= LATEST):
            raise ValueError(f"date {v.isoformat()} is out of range ({EARLIEST.year} to {LATEST.year})")
        return v


class CloseProvision(Phased):
    """Close a provision: its fixed annual cost stops; its children move to named alternatives at their costs.
    """

    type: Literal["close_provision"]
    annual_cost: NonNeg
    """What the provision costs to run for a year, in pounds: this stops."""
    moves: list[ProvisionMove] = Field(default_factory=list)
    """Where the provision's children go and what that costs."""
    one_off: list[OneOff] = Field(default_factory=list)
    """One-off costs of closing (redundancy, decommissioning...)."""

    def categories_used(self):
        return {f"moves.{i}.category": m.category for i, m in enumerate(self.moves)}


class Contract(Phased):
    """End (or reduce) a contract: its annual cost stops and ``reinvest`` pounds a year are spent elsewhere.
    """

    type: Literal["contract"]
    annual_cost: NonNeg
    """What the contract costs a year, in pounds: this stops."""
    reinvest: NonNeg = 0
    """Pounds a year spent elsewhere instead (cannot be more than the contract's cost)."""
    one_off: list[OneOff] = Field(default_factory=list)
    """One-off costs of ending the contract."""

    @model_validator(mode="after")
    def _reinvest_le_cost(self):
        if self.reinvest > self.annual_cost:
            raise ValueError(f"reinvest ({self.reinvest:,.0f}) is more than the contract's annual cost "
                             f"({self.annual_cost:,.0f})")
        return self


class Post(_Strict):
    """One post in an establishment, before and after the change."""

    post: str
    """The post's title, for example Social worker."""
    fte_before: NonNeg
    """Budgeted full-time equivalents (FTE) before the change."""
    fte_after: NonNeg
    """Budgeted FTE after the change."""
    in_post: NonNeg | None = None
    """FTE filled by employees when the change is made (default: all of fte_before)."""
    agency_fte: NonNeg = 0
    """Vacant FTE covered by agency workers."""
    salary: NonNeg
    """Annual salary of one FTE in pounds (the pay point)."""
    on_costs: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Employer's national insurance and pension as a share of salary, between 0 and 1."""
    agency_premium: Annotated[float, Field(ge=0, le=5)] = 0.0
    """What agency cover costs above salary and on-costs, as a share (0.5 is 50% more)."""

    @model_validator(mode="after")
    def _filled(self):
        filled = (self.in_post if self.in_post is not None else self.fte_before) + self.agency_fte
        if filled > self.fte_before + 1e-9:
            raise ValueError(f"in_post + agency_fte ({filled:g}) is more than fte_before ({self.fte_before:g})")
        return self

    @property
    def cost(self) -> StaffCost:
        return StaffCost(self.salary, self.on_costs, self.agency_premium)

    @property
    def cost_per_fte(self) -> float:
        return self.cost.employee

    @property
    def agency_cost_per_fte(self) -> float:
        return self.cost.agency


class Staffing(Phased):
    """A restructure: establishment FTE by post before and after, with one-off redundancy and pension strain costs.

    ``basis: establishment`` (the default, as MTFS budgets count it) saves the budgeted cost of the FTE removed;
    ``basis: in_post`` saves what is actually being spent now (employees in post and agency cover) less the cost of
    the new establishment.
    """

    type: Literal["staffing"]
    posts: list[Post] = Field(min_length=1)
    """Each post in the establishment, before and after the restructure."""
    basis: Literal["establishment", "in_post"] = "establishment"
    """What the saving is measured against: the budgeted establishment, or what is spent now on staff in post
    and agency cover."""
    one_off: list[OneOff] = Field(default_factory=list)
    """One-off costs of the restructure (redundancy, pension strain)."""


class Workforce(LeverBase):
    """Social workers priced alongside placements: the case-holding FTE follow the scenario's children in care
    (cases / ``caseload``, after ``lag_months``), agency workers go first when fewer are needed, the agency rate may
    fall to ``agency_rate_after`` over ``agency_ramp_months``, and direct time may change (``direct_time_before`` to
    ``direct_time_after`` percent: the FTE needed scale by before / after). Costs per FTE default to the
    ``social_work_staff`` parameter. See levers/workforce.py and docs/workforce.md."""

    type: Literal["workforce"]
    caseload: Annotated[float, Field(gt=0, le=1000)]
    """Children each case-holding social worker (FTE) holds."""
    agency_rate: Percent
    """The percentage of social workers who are agency workers now."""
    agency_rate_after: Percent | None = None
    """The agency percentage after the change (leave empty if it stays the same)."""
    agency_start: dt.date | None = None
    """When the agency reduction starts (default: the lever's start)."""
    agency_ramp_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months over which the agency percentage falls to its new level."""
    follow_demand: bool = True
    """Whether the number of social workers follows the number of children in care in the scenario."""
    lag_months: Annotated[int, Field(ge=0, le=120)] = 0
    """Months before staffing catches up with a change in children."""
    direct_time_before: Annotated[float, Field(gt=0, le=100)] | None = None
    """Percentage of a social worker's time spent directly with families now."""
    direct_time_after: Annotated[float, Field(gt=0, le=100)] | None = None
    """Percentage of time spent directly with families after the change."""
    salary: NonNeg | None = None
    """Annual salary of a social worker in pounds (default: careflow's social work staff figure)."""
    on_costs: Annotated[float, Field(ge=0, le=1)] | None = None
    """Employer's national insurance and pension as a share of salary, between 0 and 1 (default: careflow's
    figure)."""
    agency_premium: Annotated[float, Field(ge=0, le=5)] | None = None
    """What an agency worker costs above salary and on-costs, as a share (default: careflow's figure)."""

    @model_validator(mode="after")
    def _direct_time_pair(self):
        if self.agency_start is not None and self.agency_start < self.start:
            raise ValueError(f"agency_start {self.agency_start.isoformat()} is before start {self.start.isoformat()}")
        if (self.direct_time_before is None) != (self.direct_time_after is None):
            raise ValueError("give both direct_time_before and direct_time_after, or neither")
        if not self.follow_demand and self.agency_rate_after is None and self.direct_time_before is None:
            raise ValueError("with follow_demand false, give agency_rate_after or direct time: otherwise the lever "
                             "changes nothing")
        return self


class Income(LeverBase):
    """A profile of pounds by financial year: income, or any other saving (positive) or cost (negative).

    Amounts are for the whole financial year and accrue evenly by day from ``start``."""

    type: Literal["income", "other"]
    profile: dict[str, float] = Field(min_length=1)
    """Pounds a year by financial year, for example 2025-26: 100000 (positive for income or a saving, negative
    for a cost)."""

    @field_validator("profile")
    @classmethod
    def _fys(cls, v):
        return financial_year_keys(v)


LEVER_TYPES: dict[str, type[LeverBase]] = {
    "reduce_entries": ReduceEntries,
    "step_down": StepDown,
    "sufficiency": Sufficiency,
    "permanence_exits": PermanenceExits,
    "cap_growth": CapGrowth,
    "unit_cost_change": UnitCostChange,
    "close_provision": CloseProvision,
    "contract": Contract,
    "staffing": Staffing,
    "workforce": Workforce,
    "income": Income,
    "other": Income,
}

Lever = (ReduceEntries | StepDown | Sufficiency | PermanenceExits | CapGrowth | UnitCostChange | CloseProvision
         | Contract | Staffing | Workforce | Income)
