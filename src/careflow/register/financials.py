"""The financial part of a case, as the register sees it: validated by :mod:`careflow.finance`.

The financial keys belong to the finance package (its :class:`~careflow.finance.CaseFinancials` validates and
appraises them). The register stores them as the file wrote them (financial-year keys normalised to ``2019-20``)
and needs three things from finance, all here: that they are valid, the savings planned in each year for delivery
tracking, and a finance :class:`~careflow.finance.Case` for the MTFS roll-up.

A case may have no financial keys at all (a draft, or a document whose figures are in "an accompanying financial
report"): the register keeps it; finance has nothing to appraise. Once any financial key is given, finance's rules
apply in full (``units`` and at least one year of investment, savings or ongoing costs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careflow.errors import CareflowError
from careflow.finance.case import FINANCIAL_KEYS as _FINANCE_KEYS
from careflow.finance.case import Case, CaseFinancials, financials_from_mapping
from careflow.fy import FinancialYear
from careflow.yamlio import YamlDoc

if TYPE_CHECKING:
    from careflow.register.model import BusinessCase

FINANCIAL_KEYS: tuple[str, ...] = tuple(_FINANCE_KEYS)
_BY_YEAR = ("investment", "savings", "ongoing_costs")


class FinancialsError(ValueError):
    """Problems in the financial keys: a list of (key path, message, line or None)."""

    def __init__(self, problems: list[tuple[tuple, str, int | None]]):
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m, _ in problems))


def _normalise_years(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in _BY_YEAR:
        value = out.get(key)
        if isinstance(value, dict):
            normalised = {}
            for year, amount in value.items():
                try:
                    label = FinancialYear.parse(year).label if isinstance(year, str) else year
                except ValueError:
                    label = year  # finance reports it
                normalised[label] = amount
            out[key] = dict(sorted(normalised.items(), key=lambda kv: str(kv[0])))
    return out


def validate(data: dict[str, Any], *, doc: YamlDoc | None = None, context: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """Check the financial keys with finance's model; return them with year labels normalised.

    ``context`` carries the shared keys finance also reads (``directorate``, ``status``). Raises FinancialsError
    listing (key path, message, line).
    """
    if not data:
        return {}
    unknown = [k for k in data if k not in FINANCIAL_KEYS]
    if unknown:
        raise FinancialsError([((k,), "not a financial key", doc.line((k,)) if doc else None) for k in unknown])
    problems = []
    if "units" not in data:
        problems.append((("units",), "'units' is required when a case has financial keys: £ or £k", None))
    try:
        financials_from_mapping({**data, **(context or {})}, doc)
    except CareflowError as exc:
        for f in exc.findings:
            path = tuple(f.field.split(".")) if f.field else ()
            if path == ("units",) and problems:
                continue
            problems.append((path, f.message, f.row))
    if problems:
        raise FinancialsError(problems)
    return _normalise_years(data)


def to_model(financials: dict[str, Any], context: dict[str, Any] | None = None) -> CaseFinancials | None:
    """Finance's model of a case's financial keys (None when the case has none)."""
    if not financials:
        return None
    return financials_from_mapping({**financials, **(context or {})})


def _context(case: BusinessCase) -> dict[str, Any]:
    return {"directorate": case.directorate, "status": case.status.value}


def planned_savings(financials: dict[str, Any]) -> dict[str, float]:
    """The net saving planned in each year of the case (savings less ongoing costs, against the baseline:
    cumulative basis), in the case's units: the figure ``appraise``, ``portfolio`` and delivery tracking share."""
    model = to_model(financials)
    if model is None:
        return {}
    return {year.label: cumulative for year, (cumulative, _) in model.planned().items()}


def planned_incremental(financials: dict[str, Any]) -> dict[str, float]:
    """The same net saving as the new saving in each year (incremental basis), in the case's units."""
    model = to_model(financials)
    if model is None:
        return {}
    return {year.label: incremental for year, (_, incremental) in model.planned().items()}


def units(financials: dict[str, Any]) -> str | None:
    return financials.get("units")


def finance_case(case: BusinessCase) -> Case | None:
    """The case as finance's roll-up and appraisal take it (None when it has no financial keys)."""
    model = to_model(case.financials, _context(case))
    if model is None:
        return None
    template = case.model_dump(mode="json", exclude_defaults=True, exclude={"financials"})
    return Case(reference=case.reference, financials=model, title=case.title, template=template,
                file=f"register:{case.reference}")
