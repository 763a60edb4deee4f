"""Finance: business-case financials, invest-to-save appraisal, checks of stated figures and the MTFS roll-up.

Case files are read by the register (one model of a business case, :class:`careflow.register.BusinessCase`);
finance appraises their financial view::

    from careflow.finance import appraise, rollup
    from careflow.register import load_finance_case
    a = appraise(load_finance_case("examples/cases/hf_bc2.yaml"))
    a.measures.payback_years_simple, a.failed_checks
"""

from careflow.finance.appraisal import Appraisal, Measures, appraise
from careflow.finance.case import (
    FINANCIAL_KEYS,
    Case,
    CaseFinancials,
    LineItem,
    NoFinancialFigures,
    Stated,
    financials_from_mapping,
)
from careflow.finance.checks import Check
from careflow.finance.portfolio import Portfolio, rollup
from careflow.vocabulary import DeliveryStatus, SavingType

__all__ = [
    "FINANCIAL_KEYS", "Appraisal", "Case", "CaseFinancials", "Check", "DeliveryStatus", "LineItem", "Measures",
    "NoFinancialFigures", "Portfolio", "SavingType", "Stated", "appraise", "financials_from_mapping", "rollup",
]
