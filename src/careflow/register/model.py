"""A business case in the council's template: the Cambridgeshire business planning template (overview, background,
approach, assumptions, constraints, scope, dependencies, cost and savings, non-financial benefits, risks, community
impact assessment) plus what H&F's BC2 adds (options with the preferred one, indicators, milestones), its workflow
status and its delivery tracking.

The financial keys (``units``, ``investment``, ``savings`` ...) belong to :mod:`careflow.finance`; here they are
kept together in :attr:`BusinessCase.financials` and validated by :func:`careflow.register.financials.validate`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from careflow.fy import FinancialYear
from careflow.vocabulary import COHORT_STATES, RISK_RATINGS, MilestoneStatus, Rag


def _blank_to_none(value: Any) -> Any:
    # Empty cells in Excel and empty YAML values mean "the document is blank here": one representation, None.
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _date_to_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _blank_to_none(value)


Text = Annotated[str | None, BeforeValidator(_blank_to_none)]
# Ratings in the seeds are words ("Medium") or scores (1-5); numbers and words are both kept as given.
Rating = Annotated[str | int | None, BeforeValidator(_blank_to_none)]
# int before float: a measure written 20 stays 20 (a report prints it as written), 57.1 stays a float
Measure = Annotated[int | float | str | None, BeforeValidator(_blank_to_none)]
When = Annotated[str | None, BeforeValidator(_date_to_text)]


def _fy_label(value: Any) -> str:
    try:
        return FinancialYear.parse(value).label
    except ValueError as exc:
        raise ValueError(str(exc)) from None


FYLabel = Annotated[str, BeforeValidator(_fy_label)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Status(StrEnum):
    """Workflow status of a case. Allowed moves are in :data:`TRANSITIONS`."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.DRAFT, Status.WITHDRAWN}),  # draft = returned for rework
    Status.APPROVED: frozenset({Status.DELIVERING, Status.WITHDRAWN}),
    Status.DELIVERING: frozenset({Status.DELIVERED, Status.WITHDRAWN}),
    Status.DELIVERED: frozenset(),
    Status.WITHDRAWN: frozenset({Status.DRAFT}),  # reopened as a new draft
}


def can_move(old: Status, new: Status) -> bool:
    return new == old or new in TRANSITIONS[old]


RATING_SCALE = RISK_RATINGS  # words for likelihood and impact on the 1-5 scale (careflow.vocabulary)


def rating_value(rating: str | int | None) -> int | None:
    """A likelihood or impact on the 1-5 scale: a number 1-5 as given, or a word of :data:`RATING_SCALE`; None for
    anything else (e.g. an impact written as a sentence, as in H&F's risk table)."""
    if isinstance(rating, bool) or rating is None:
        return None
    if isinstance(rating, int | float):
        return int(rating) if 1 <= rating <= 5 and rating == int(rating) else None
    text = str(rating).strip().lower()
    if text.isdigit():
        return rating_value(int(text))
    return RATING_SCALE.get(text)


class Risk(_Model):
    title: str
    description: Text = None
    likelihood: Rating = None
    impact: Rating = None
    mitigation: Text = None
    owner: Text = None
    review_date: When = None  # when the risk is next reviewed (ISO date)

    @property
    def score(self) -> int | None:
        """likelihood x impact on the 1-5 scales (1-25); None unless both can be read as ratings."""
        lik, imp = rating_value(self.likelihood), rating_value(self.impact)
        return lik * imp if lik is not None and imp is not None else None


class Option(_Model):
    title: str
    description: Text = None
    preferred: bool = False


class Options(_Model):
    """"Has an options and feasibility study been undertaken?" and the options considered."""

    study: Text = None
    considered: list[Option] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list):  # a bare list of options is accepted
            return {"considered": data}
        return data

    @field_validator("considered")
    @classmethod
    def _one_preferred(cls, value: list[Option]) -> list[Option]:
        if sum(o.preferred for o in value) > 1:
            raise ValueError("at most one option can be preferred")
        return value


class Scope(_Model):
    within: list[str] = Field(default_factory=list)
    outside: list[str] = Field(default_factory=list)


class CommunityImpact(_Model):
    """Community impact assessment, as the Cambridgeshire template asks it."""

    affected: Text = None  # who will be affected by this proposal?
    positive: Text = None
    negative: Text = None
    neutral: Text = None
    disproportionate: Text = None  # on protected characteristics, and how they will be addressed


COHORT_MEASURES = COHORT_STATES  # what a cohort-bound indicator reports (careflow.vocabulary)


class CohortSpec(_Model):
    """The named children a ``source: cohort.<measure>`` indicator follows: a CSV with a CHILD column (path as
    given, or relative to the folder named when refreshing), the start date and the points in months."""

    children: str
    start: When
    months: list[int] = Field(default_factory=lambda: [3, 6, 12])

    @field_validator("months")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if not value or min(value) < 1:
            raise ValueError("months must be whole numbers of 1 or more")
        return sorted(set(value))


class Loaded(_Model):
    """Where an indicator's actuals last came from: when, who, which data (and the last date it covers)."""

    at: str
    by: str
    data: Text = None
    data_end: When = None


class Indicator(_Model):
    name: str
    description: Text = None  # how it will be used to measure impact
    unit: Text = None
    tier: Text = None  # the performance framework's tier, e.g. Haringey's "Tier 2: Service level"
    source: Text = None  # "indicators.<measure>" or "cohort.<in_care|left|not_looked_after|entered>": from the data
    cohort: CohortSpec | None = None  # for source cohort.*
    baseline: Measure = None
    target: Measure = None
    targets: dict[str, float] = Field(default_factory=dict)  # planned value by period (the benefits profile)
    actuals: dict[str, float] = Field(default_factory=dict)  # period label (e.g. 2025-26 or 2025-09-30) -> value
    loaded: Loaded | None = None  # set when the actuals are filled in from data (careflow cases refresh)

    @field_validator("actuals", "targets", mode="before")
    @classmethod
    def _period_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_date_to_text(k) if not isinstance(k, str) else k: v for k, v in value.items()}
        return value

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind, _, name = value.strip().partition(".")
        if kind == "indicators" and name:
            return value.strip()  # the measure's name is checked against the data when refreshing
        if kind == "cohort" and name in COHORT_MEASURES:
            return value.strip()
        raise ValueError(f"source must be 'indicators.<measure>' or 'cohort.<{'|'.join(COHORT_MEASURES)}>', "
                         f"not {value!r}")

    @model_validator(mode="after")
    def _cohort_given(self) -> Indicator:
        if self.source and self.source.startswith("cohort.") and self.cohort is None:
            raise ValueError(f"indicator {self.name!r}: source {self.source} needs a cohort (children, start, months)")
        return self


class Milestone(_Model):
    phase: str  # scoping and planning, piloting, implementation, review ... as the document names it
    date: When = None  # ISO date or a period as the document states it ("September 2016")
    description: Text = None
    planned: When = None  # planned completion date (ISO)
    actual: When = None  # actual completion date (ISO)
    status: MilestoneStatus | None = None

    @field_validator("planned", "actual")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None and _iso(value) is None:
            raise ValueError(f"must be a date as YYYY-MM-DD, not {value!r}")
        return value

    def late(self, today: dt.date | None = None) -> bool:
        """Not complete and past its planned date (or completed after it)."""
        planned = _iso(self.planned)
        if planned is None:
            return False
        actual = _iso(self.actual)
        if actual is not None:
            return actual > planned
        if self.status in (MilestoneStatus.COMPLETE, MilestoneStatus.CANCELLED):
            return False
        return (today or dt.date.today()) > planned


def _iso(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# Forecast or delivered savings at or above this share of the planned saving (but below it) are amber.
AMBER_SHARE = 0.9


def rag(planned: float | None, forecast: float | None, delivered: float | None) -> Rag | None:
    """The RAG rule: compare the best evidence (delivered if known, else forecast) with the planned saving.

    green: evidence >= planned; amber: evidence >= 90% of planned; red: below that; "not started" when there is a
    plan but neither forecast nor delivered; None with no plan.
    """
    if planned is None:
        return None
    evidence = delivered if delivered is not None else forecast
    if evidence is None:
        return Rag.NOT_STARTED
    if evidence >= planned:
        return Rag.GREEN
    if planned > 0 and evidence >= AMBER_SHARE * planned:
        return Rag.AMBER
    return Rag.RED


class TrackingEntry(_Model):
    """Savings in one financial year, in the case's units, against the baseline (cumulative basis)."""

    year: FYLabel
    planned: float | None = None
    forecast: float | None = None
    delivered: float | None = None
    note: Text = None

    @property
    def rag(self) -> Rag | None:
        return rag(self.planned, self.forecast, self.delivered)


class BusinessCase(_Model):
    """One business case. ``reference`` identifies it in the register (e.g. ``A/R.6.255``)."""

    reference: str = Field(min_length=1)
    project_code: Text = None
    title: Text = None
    authority: Text = None  # the council, e.g. "Cambridgeshire County Council"
    senior_responsible_officer: Text = None
    sponsor: Text = None  # programme / project sponsor
    accountable_director: Text = None
    directorate: Text = None
    service: Text = None
    status: Status = Status.DRAFT
    description: Text = None  # business planning brief description
    background: Text = None  # why do we need to undertake this project?
    what_if_not: Text = None  # what would happen if we did not complete this project?
    aims: Text = None
    approach: Text = None  # project overview: what are we doing
    assumptions: Text = None
    constraints: Text = None
    options: Options = Field(default_factory=Options)
    scope: Scope = Field(default_factory=Scope)
    dependencies: list[str] = Field(default_factory=list)
    non_financial_benefits: Text = None
    risks: list[Risk] = Field(default_factory=list)
    community_impact: CommunityImpact = Field(default_factory=CommunityImpact)
    indicators: list[Indicator] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    tracking: list[TrackingEntry] = Field(default_factory=list)
    # figures the document states more than once or with their parts (careflow.finance.crosscheck), as written
    cross_checks: list[dict[str, Any]] = Field(default_factory=list)
    source: Text = None
    notes: Text = None
    financials: dict[str, Any] = Field(default_factory=dict)  # the finance keys, see careflow.register.financials

    @field_validator("reference")
    @classmethod
    def _strip_reference(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("reference must not be blank")
        return value

    @field_validator("tracking")
    @classmethod
    def _one_entry_per_year(cls, value: list[TrackingEntry]) -> list[TrackingEntry]:
        seen = set()
        for entry in value:
            if entry.year in seen:
                raise ValueError(f"tracking has {entry.year} twice")
            seen.add(entry.year)
        return sorted(value, key=lambda e: e.year)

    def tracking_for(self, year: str) -> TrackingEntry | None:
        label = FinancialYear.parse(year).label
        return next((e for e in self.tracking if e.year == label), None)


TEMPLATE_KEYS: tuple[str, ...] = tuple(k for k in BusinessCase.model_fields if k != "financials")
