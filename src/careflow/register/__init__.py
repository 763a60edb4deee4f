"""The register of business cases: the council template, persistence, audit trail, import/export, tracking.

:class:`BusinessCase` is careflow's one model of a business case and :func:`load_case` the one reader of case
files; finance appraises a case's financial view (:func:`finance_case`, :func:`load_finance_case`).

Library API::

    from careflow.register import Register, load_case, BusinessCase
    reg = Register()                     # default SQLite file, or Register("postgresql://...")
    reg.import_cases([load_case("examples/cases/ar_6_255.yaml")])
    stored = reg.get("A/R.6.255"); stored.case, stored.version
    reg.update(edited_case, expected_version=stored.version)   # StaleEditError if someone got there first
    reg.set_status("A/R.6.255", "submitted"); reg.track("A/R.6.255", "2019-20", forecast=700)
    reg.history("A/R.6.255")
    reg.refresh("BC2", careflow.ssda903.load("returns/"))   # indicators bound to data measures fill in
    reg.risks()                                             # risk register across cases, highest score first
    benefits_profile(stored.case)                           # planned vs actual by year
"""

from careflow.register.casefile import (
    dumps_case,
    find_case_files,
    from_mapping,
    load_case,
    load_finance_case,
    load_finance_cases,
    loads_case,
    loads_finance_case,
    to_mapping,
)
from careflow.register.financials import finance_case
from careflow.register.model import (
    TRANSITIONS,
    BusinessCase,
    CohortSpec,
    CommunityImpact,
    Indicator,
    Loaded,
    Milestone,
    MilestoneStatus,
    Option,
    Options,
    Rag,
    Risk,
    Scope,
    Status,
    TrackingEntry,
    can_move,
    rag,
)
from careflow.register.store import (
    ACTING_USER,
    AuditEntry,
    Imported,
    Register,
    SettingChange,
    StaleEditError,
    StoredCase,
    acting_as,
    current_user,
)
from careflow.register.tracking import (
    BenefitRow,
    RiskEntry,
    benefits_profile,
    refresh_indicators,
    risk_register,
)

__all__ = [
    "ACTING_USER", "TRANSITIONS", "acting_as", "AuditEntry", "BenefitRow", "BusinessCase", "CohortSpec", "CommunityImpact", "Imported",
    "Indicator", "Loaded", "Milestone", "MilestoneStatus", "Option", "Options", "Rag", "Register", "Risk",
    "RiskEntry", "Scope", "SettingChange", "StaleEditError", "Status", "StoredCase", "TrackingEntry", "benefits_profile", "can_move",
    "current_user", "dumps_case", "finance_case", "find_case_files", "from_mapping", "load_case",
    "load_finance_case", "load_finance_cases", "loads_case", "loads_finance_case", "rag", "refresh_indicators",
    "risk_register", "to_mapping",
]
