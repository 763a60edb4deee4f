"""The register of business cases: the council template, persistence, audit trail, import/export, tracking.

Library API::

    from careflow.register import Register, load_case, BusinessCase
    reg = Register()                     # default SQLite file, or Register("postgresql://...")
    reg.import_cases([load_case("examples/cases/ar_6_255.yaml")])
    stored = reg.get("A/R.6.255"); stored.case, stored.version
    reg.update(edited_case, expected_version=stored.version)   # StaleEditError if someone got there first
    reg.set_status("A/R.6.255", "submitted"); reg.track("A/R.6.255", "2019-20", forecast=700)
    reg.history("A/R.6.255")
"""

from careflow.register.casefile import dumps_case, from_mapping, load_case, loads_case, to_mapping
from careflow.register.model import (
    TRANSITIONS,
    BusinessCase,
    CommunityImpact,
    Indicator,
    Milestone,
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
from careflow.register.store import AuditEntry, Imported, Register, StaleEditError, StoredCase, current_user

__all__ = [
    "TRANSITIONS", "AuditEntry", "BusinessCase", "CommunityImpact", "Imported", "Indicator", "Milestone", "Option",
    "Options", "Rag", "Register", "Risk", "Scope", "StaleEditError", "Status", "StoredCase", "TrackingEntry",
    "can_move", "current_user", "dumps_case", "from_mapping", "load_case", "loads_case", "rag", "to_mapping",
]
