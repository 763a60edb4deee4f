"""Appraise business cases: from a case file or the register, the case and its appraisal."""

from __future__ import annotations

from pathlib import Path


def load_and_appraise(path: str | Path):
    """A case file, read by the register's one reader of case files: (BusinessCase, appraisal dict, or None when
    the case states no figures: a document whose figures are in "the accompanying financial report")."""
    from careflow import finance, yamlio
    from careflow.register import casefile, finance_case

    doc = yamlio.load(path)
    case, _ = casefile.from_mapping(doc.data, file=doc.file, doc=doc)
    fc = finance_case(case, doc, Path(path).parent)
    has_figures = fc is not None and any(case.financials.get(k) for k in ("investment", "savings", "lines",
                                                                          "ongoing_costs", "savings_from"))
    return case, (finance.appraise(fc).to_dict() if has_figures else None)


def case_from_register(ref: str, database: str | None = None):
    """A case from the register: (BusinessCase, appraisal dict or None when it states no figures)."""
    from careflow.pipeline.cases import appraise_stored
    from careflow.register import Register

    with Register(database) as reg:
        stored = reg.get(ref)  # a clear finding when the reference is not there
    return stored.case, appraise_stored(stored.case)
