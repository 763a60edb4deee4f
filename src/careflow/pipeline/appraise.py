"""Appraise business cases: from a case file or the register, the case and its appraisal."""

from __future__ import annotations

from pathlib import Path

from careflow.errors import CareflowError


def load_and_appraise(path: str | Path):
    """A case file through careflow.finance: (case, appraisal dict or None when the case states no figures)."""
    from careflow import finance, yamlio

    try:
        case = finance.load_case(path)
    except CareflowError as exc:
        # A case whose figures are in "the accompanying financial report": still a document, no appraisal.
        if exc.findings and all(f.rule == "case-no-figures" for f in exc.findings):
            return yamlio.load(path).data, None
        raise
    data = case.doc.data if case.doc is not None else {}
    has_figures = any(data.get(k) for k in ("investment", "savings", "lines", "ongoing_costs", "savings_from"))
    return case, (finance.appraise(case).to_dict() if has_figures else None)


def case_from_register(ref: str, database: str | None = None):
    """A case from the register: (BusinessCase, appraisal dict or None when it states no figures)."""
    from careflow.pipeline.cases import appraise_stored
    from careflow.register import Register

    with Register(database) as reg:
        stored = reg.get(ref)  # a clear finding when the reference is not there
    return stored.case, appraise_stored(stored.case)
