"""The financial part of a business case, as the register keeps it: validated by :mod:`careflow.finance`.

The financial keys belong to the finance package (its :class:`~careflow.finance.CaseFinancials` validates and
appraises them). A :class:`~careflow.register.BusinessCase` keeps them as the file wrote them (financial-year keys
normalised to ``2019-20``), checked by finance's model whenever a case is read, and needs three things from
finance, all here: that they are valid, the savings planned in each year for delivery tracking, and the
financial view of the case (:class:`~careflow.finance.Case`) that appraisal and the MTFS roll-up read.

A case may have no financial keys at all (a draft, or a document whose figures are in "an accompanying financial
report"): the register keeps it; finance has nothing to appraise. Once any financial key is given, finance's rules
apply in full (``units`` and at least one year of investment, savings or ongoing costs).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from careflow.errors import CareflowError, Finding
from careflow.finance.case import FINANCIAL_KEYS as _FINANCE_KEYS
from careflow.finance.case import (
    Case,
    CaseFinancials,
    NoFinancialFigures,
    financials_from_mapping,
    resolve_savings_from,
)
from careflow.fy import FinancialYear
from careflow.yamlio import YamlDoc

if TYPE_CHECKING:
    from careflow.register.model import BusinessCase

FINANCIAL_KEYS: tuple[str, ...] = tuple(_FINANCE_KEYS)
_BY_YEAR = ("investment", "savings", "ongoing_costs")
_SHARED = ("directorate", "status")  # template keys finance reads too; the template reports their problems


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

    ``context`` carries the shared keys finance also reads (``directorate``, ``status``); their problems are the
    template's to report and are left out here. Raises :class:`CareflowError` whose findings name the key path
    (``field``) and, given the YAML ``doc``, its line.
    """
    if not data:
        return {}
    file = doc.file if doc is not None else None
    findings = [Finding(rule="case", message=f"'{k}' is not a financial key", file=file,
                        row=doc.line((k,)) if doc else None, field=str(k)) for k in data if k not in FINANCIAL_KEYS]
    if "units" not in data:
        # a missing key has no line of its own: point at the start of the document
        findings.append(Finding(rule="case", message="'units' is required when a case has financial keys: £ or £k "
                                "(the units of every amount)", file=file,
                                row=(doc.line(()) or 1) if doc else None, field="units"))
    try:
        financials_from_mapping({**data, **(context or {})}, doc)
    except CareflowError as exc:
        seen = {f.field for f in findings}
        findings += [f for f in exc.findings if f.field not in seen and (f.field or "").split(".")[0] not in _SHARED]
    if findings:
        raise CareflowError(findings)
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


def finance_case(case: BusinessCase, doc: YamlDoc | None = None, base_dir: str | Path | None = None
                 ) -> Case | None:
    """The financial view of a case, as appraisal and the MTFS roll-up take it (None when it has no financial
    keys).

    ``doc`` is the case file it was read from (so checks name its lines) and ``base_dir`` the folder its
    ``savings_from`` names the difference.csv from (default: the file's folder). A case from the register has no
    file: its ``savings_from`` is kept as written, not read (the register does not know where the file was)."""
    if not case.financials:
        return None
    model = financials_from_mapping({**case.financials, **_context(case)}, doc)
    if doc is not None and model.savings_from is not None:
        model = resolve_savings_from(model, Path(base_dir) if base_dir is not None else Path(doc.file).parent, doc)
    return Case(reference=case.reference, financials=model, title=case.title, authority=case.authority,
                cross_checks=list(case.cross_checks), file=doc.file if doc else f"register:{case.reference}",
                doc=doc)


def require_figures(case: BusinessCase, doc: YamlDoc | None = None, base_dir: str | Path | None = None) -> Case:
    """:func:`finance_case`, refusing a case without financial keys (:class:`NoFinancialFigures`, a finding)."""
    fc = finance_case(case, doc, base_dir)
    if fc is None:
        raise NoFinancialFigures(Finding(
            rule="case-no-figures", file=doc.file if doc else f"register:{case.reference}",
            row=doc.line(("reference",)) if doc else None, field="units",
            message=f"case {case.reference} states no financial figures (no units, investment or savings): "
                    "nothing to appraise"))
    return fc
