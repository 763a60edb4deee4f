"""Cross-document checks: a figure a document states more than once, or states with its parts, checked against
itself (DESIGN.md section 7: "recompute and list every disagreement").

A case file lists them under ``cross_checks`` (the document's words, not careflow's model), each one of:

* ``same``: the same figure as each place states it (``{value, where}``): every statement must agree with the
  first, to the precision it is stated at;
* ``parts`` and ``total``: the parts must add up to the stated total (``relation: at_least`` when the document only
  says the parts reach it, e.g. "exceed the £750K target");
* ``percent`` with ``numerator`` and ``denominator``: a stated share against the ratio of the figures it rests on.

Each gives :class:`~careflow.finance.checks.Check` rows (item, stated, computed, ok, field, note) beside the
appraisal's own checks; ``careflow appraise`` lists every disagreement and exits 1. A case without financial figures
(A/R.6.255: "in the accompanying financial report") is still cross-checked.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.finance.checks import Check, agrees


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Statement(_Strict):
    value: float
    where: str


class CrossCheck(_Strict):
    item: str
    same: list[Statement] = Field(default_factory=list)
    parts: list[float] = Field(default_factory=list)
    total: float | None = None
    relation: Literal["equal", "at_least"] = "equal"
    percent: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    where: str | None = None
    note: str | None = None


def parse(raw: Any, file: str | None = None, doc=None) -> list[CrossCheck]:
    """The ``cross_checks`` of a case (a list of mappings); errors name the file, line and field."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CareflowError("'cross_checks' must be a list of checks (item with same / parts and total / percent)",
                            file=file, field="cross_checks", rule="cross-check")
    out, findings = [], []
    for i, item in enumerate(raw):
        try:
            c = CrossCheck.model_validate(item)
        except ValidationError as exc:
            findings += pydantic_findings(exc, "cross-check", lambda loc: {
                "file": file, "row": doc.line(loc[:2]) if doc is not None else None, "field": ".".join(map(str, loc))},
                prefix=("cross_checks", i))
            continue
        kinds = [bool(c.same), bool(c.parts) or c.total is not None, c.percent is not None]
        if sum(kinds) != 1 or (kinds[0] and len(c.same) < 2) or (kinds[1] and (not c.parts or c.total is None)) \
                or (kinds[2] and (c.numerator is None or not c.denominator)):
            findings.append(Finding("cross-check", "give exactly one of: 'same' (two or more statements), 'parts' "
                                    "with 'total', or 'percent' with 'numerator' and a non-zero 'denominator'",
                                    file=file, row=doc.line(("cross_checks", i)) if doc is not None else None,
                                    field=f"cross_checks.{i}"))
            continue
        out.append(c)
    if findings:
        raise CareflowError(findings)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.10g}"


def run(checks: list[CrossCheck]) -> list[Check]:
    """Every statement of every cross-check against the figure it should equal."""
    out: list[Check] = []
    for i, c in enumerate(checks):
        field = f"cross_checks.{i}"
        if c.same:
            first = c.same[0]
            for s in c.same[1:]:
                out.append(Check(item=f"{c.item}: {s.where} against {first.where}", stated=s.value,
                                 computed=first.value, ok=agrees(s.value, first.value), field=field, note=c.note))
        elif c.parts:
            total = sum(c.parts)
            ok = total >= c.total - 1e-9 if c.relation == "at_least" else agrees(c.total, total)
            words = " + ".join(_fmt(p) for p in c.parts)
            out.append(Check(item=f"{c.item}: {words} {'reaching' if c.relation == 'at_least' else 'against'} "
                                  f"the stated {_fmt(c.total)}" + (f" ({c.where})" if c.where else ""),
                             stated=c.total, computed=total, ok=ok, field=field, note=c.note))
        else:
            share = c.numerator / c.denominator * 100
            out.append(Check(item=f"{c.item}: stated {_fmt(c.percent)}% against {_fmt(c.numerator)} / "
                                  f"{_fmt(c.denominator)}" + (f" ({c.where})" if c.where else ""),
                             stated=c.percent, computed=share, ok=agrees(c.percent, share), field=field,
                             note=c.note))
    return out
