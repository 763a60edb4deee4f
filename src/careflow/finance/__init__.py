"""Finance: business-case financials, invest-to-save appraisal, checks of stated figures and the MTFS roll-up.

    from careflow.finance import load_case, appraise, rollup
    a = appraise(load_case("examples/cases/hf_bc2.yaml"))
    a.measures.payback_years_simple, a.failed_checks
"""

from careflow.finance.appraisal import Appraisal, Measures, appraise
from careflow.finance.case import (
    CASE_KEYS,
    FINANCIAL_KEYS,
    TEMPLATE_KEYS,
    Case,
    CaseFinancials,
    LineItem,
    Stated,
    financials_from_mapping,
    find_case_files,
    load_case,
    loads_case,
)
from careflow.finance.checks import Check
from careflow.finance.portfolio import Portfolio, rollup
from careflow.vocabulary import DeliveryStatus, SavingType

__all__ = [
    "CASE_KEYS", "FINANCIAL_KEYS", "TEMPLATE_KEYS", "Appraisal", "Case", "CaseFinancials", "Check",
    "DeliveryStatus", "LineItem", "Measures", "Portfolio", "SavingType", "Stated", "appraise", "financials_from_mapping",
    "find_case_files", "load_case", "loads_case", "rollup",
]
