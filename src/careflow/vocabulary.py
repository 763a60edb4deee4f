"""The domain's word lists, each written once: placement categories, exit groups, age bands, saving types,
delivery status and RAG ratings, milestone status, risk ratings, indicator breakdowns and cohort states, and
financial-year keys.

The scenario schema, the model, the SSDA903 reader, synth, finance, the register, reports and docs take their
words from here (tests/test_vocabulary.py checks the copies that must stay in data files and docs).
"""

from __future__ import annotations

import enum

from careflow.fy import FinancialYear

# Placement categories (DESIGN.md 4.1): the keys of the shipped mapping (parameters/placement_categories.yaml), in
# the order tables show them. A user's mapping may define others.
PLACEMENT_CATEGORIES: tuple[str, ...] = (
    "kinship_fostering", "in_house_fostering", "ifa_fostering", "in_house_residential", "external_residential",
    "secure", "supported_accommodation", "placed_for_adoption", "placed_with_parents", "other",
)
# Placements whose codes the mapping does not know (reported by the reader).
UNKNOWN_CATEGORY = "unknown"
# What tables and charts call each category (reports show names, never keys).
CATEGORY_NAMES: dict[str, str] = {
    "kinship_fostering": "Kinship fostering", "in_house_fostering": "In-house fostering",
    "ifa_fostering": "Independent fostering agency", "in_house_residential": "In-house residential",
    "external_residential": "External residential", "secure": "Secure", "supported_accommodation":
    "Supported accommodation", "placed_for_adoption": "Placed for adoption", "placed_with_parents":
    "Placed with parents", "other": "Other placements", UNKNOWN_CATEGORY: "Unknown placement", "all": "All placements",
}


def category_name(key: str) -> str:
    """The display name of a placement category (a user's own category: its key in words)."""
    key = str(key)
    return CATEGORY_NAMES.get(key) or key.replace("_", " ").capitalize()

# Why a child left care, grouped from the SSDA903 reason episode ceased (REC) codes (ssda903/codes.py holds the
# codes of each group). The order is the model's outcome order.
EXIT_GROUPS: dict[str, str] = {
    "adoption": "adopted (E11, E12)",
    "sgo": "special guardianship order (E43-E48)",
    "cao": "child arrangements order, formerly residence order (E41)",
    "return_home": "returned home to parents or relatives (E13, E4A, E4B)",
    "adulthood": "moved to independent living or adult services, or turned 18 (E5, E6, E7, E17)",
    "other": "any other reason (E2, E3, E8, E9, E14, E15, E16)",
}
# Other names users write for a group: scenario files accept them and mean the group.
EXIT_GROUP_ALIASES: dict[str, str] = {"child_arrangements": "cao"}

# DfE's published age groups (years, [lower, upper)); the model's default bands (parameters/age_bands.yaml) and
# synth's calibration use these edges.
AGE_BAND_EDGES: tuple[int, ...] = (0, 1, 5, 10, 16, 18)
DFE_AGE_GROUPS: tuple[str, ...] = ("under_1", "1_to_4", "5_to_9", "10_to_15", "16_plus")


def exit_group(name: str) -> str:
    """The exit group ``name`` means (an alias becomes its group); ValueError naming the groups otherwise."""
    key = str(name).strip().lower()
    key = EXIT_GROUP_ALIASES.get(key, key)
    if key not in EXIT_GROUPS:
        names = ", ".join(list(EXIT_GROUPS) + [f"{a} (= {g})" for a, g in EXIT_GROUP_ALIASES.items()])
        raise ValueError(f"unknown exit group {name!r}: use one of {names}")
    return key


class SavingType(enum.StrEnum):
    """What kind of saving a business case line is, as MTFS savings trackers classify them."""

    cashable = "cashable"
    non_cashable = "non_cashable"
    cost_avoidance = "cost_avoidance"
    income = "income"


class DeliveryStatus(enum.StrEnum):
    """Where a saving stands in the MTFS savings tracker (a case's ``rag:`` field)."""

    planned = "planned"
    forecast = "forecast"
    delivered = "delivered"
    at_risk = "at_risk"


class Rag(enum.StrEnum):
    """Red/amber/green delivery rating of a tracked saving (register.model.rag computes it)."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NOT_STARTED = "not started"


class MilestoneStatus(enum.StrEnum):
    """Where a business case milestone stands (register milestones' ``status``)."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


# Likelihood and impact words on the common 1-5 risk scale (risk score = likelihood x impact).
RISK_RATINGS: dict[str, int] = {"very low": 1, "low": 2, "medium": 3, "moderate": 3, "high": 4, "very high": 5}

# What the indicators can be broken down by (careflow indicators --by).
INDICATOR_BREAKDOWNS: tuple[str, ...] = ("sex", "ethnicity", "uasc", "age_band", "category")

# What a cohort-bound indicator reports at each point (source: cohort.<state>; careflow.indicators.cohort).
COHORT_STATES: tuple[str, ...] = ("in_care", "left", "not_looked_after", "entered")


def financial_year_keys(value: dict) -> dict:
    """Check that ``value`` has keys and that each is a financial year (``2025-26``, ``2025/26``, ``25/26``: see
    :meth:`careflow.fy.FinancialYear.parse`); returns ``value``. The scenario schema's validators share this."""
    if not value:
        raise ValueError("give at least one financial year")
    for k in value:
        FinancialYear.parse(str(k))  # its ValueError names the key and the accepted forms
    return value
