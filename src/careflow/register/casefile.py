"""Case files: one business case per YAML file, the financial keys and the template keys side by side.

``version`` at the top level is register metadata written by ``cases export``: the register version the file was
exported at. ``cases import --update`` refuses a file whose version is older than the register's (a stale edit).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.finance import crosscheck
from careflow.finance.case import Case, NoFinancialFigures
from careflow.register import financials as fin
from careflow.register.model import TEMPLATE_KEYS, BusinessCase
from careflow.yamlio import YamlDoc, load, loads

META_KEYS = ("version",)


def from_mapping(data: Any, *, file: str = "<mapping>", doc: YamlDoc | None = None) -> tuple[BusinessCase, int | None]:
    """Build a case from a flat case-file mapping; return it with the file's register ``version`` (or None)."""

    def where(path: tuple) -> dict:
        return {"file": file, "row": doc.line(path) if doc else None, "field": ".".join(map(str, path)) or None}

    if not isinstance(data, dict):
        raise CareflowError(Finding(rule="case-file", message="a case file is a mapping of keys to values",
                                    **where(())))
    findings: list[Finding] = []
    template: dict[str, Any] = {}
    money: dict[str, Any] = {}
    version = None
    for key, value in data.items():
        if key in TEMPLATE_KEYS:
            template[key] = value
        elif key in fin.FINANCIAL_KEYS:
            money[key] = value
        elif key == "version":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                findings.append(Finding(rule="case-type", message="version must be a whole number >= 1",
                                        **where((key,))))
            version = value
        else:
            findings.append(Finding(rule="case-unknown-key",
                                    message=f"unknown key {key!r} (template keys: {', '.join(TEMPLATE_KEYS)}; "
                                            f"financial keys: {', '.join(fin.FINANCIAL_KEYS)})",
                                    **where((key,))))
    if "reference" not in data:
        findings.append(Finding(rule="case-reference", message="reference is required (e.g. A/R.6.255)",
                                **where(())))
    try:
        context = {k: data[k] for k in ("directorate", "status") if k in data}
        money = fin.validate(money, doc=doc, context=context)
    except CareflowError as exc:
        findings += [f if f.file == file else replace(f, file=file) for f in exc.findings]
    try:
        crosscheck.parse(data.get("cross_checks"), file, doc)  # a malformed check is an error when read
    except CareflowError as exc:
        findings += exc.findings
    case = None
    try:
        case = BusinessCase.model_validate({**template, "financials": money})
    except ValidationError as exc:
        findings += pydantic_findings(
            exc, lambda loc: "case-" + ("status" if loc[:1] == ("status",) else "type"), where,
            # the financial keys, cross-checks and a missing reference are reported above
            keep=lambda loc, err: loc[:1] not in (("financials",), ("cross_checks",))
            and not (err["type"] == "missing" and loc == ("reference",)))
    if findings:
        raise CareflowError(findings)
    assert case is not None
    return case, version


def load_case(path: str | Path) -> tuple[BusinessCase, int | None]:
    """Read one YAML case file; errors name the file, line and field. Savings taken from a scenario
    (``savings_from``) are read from its difference.csv now and kept with the case (mean, P10, P90, the scenario
    named as their source, the price base), so the register holds the figures, not a path it cannot follow."""
    doc = load(path)
    case, version = from_mapping(doc.data, file=doc.file, doc=doc)
    return with_scenario_figures(case, doc, Path(path).parent), version


def with_scenario_figures(case: BusinessCase, doc: YamlDoc, base_dir: Path) -> BusinessCase:
    """``case`` with its ``savings_from`` read into its financial keys (unchanged without one)."""
    if not case.financials.get("savings_from"):
        return case
    model = fin.finance_case(case, doc, base_dir).financials
    money = dict(case.financials)
    for key in ("savings", "savings_p10", "savings_p90"):
        value = getattr(model, key)
        if value is not None:
            money[key] = {year.label: round(float(v), 6) for year, v in value.items()}  # as Excel keeps it
    money["savings_source"] = model.savings_source
    money["price_base"] = model.price_base
    return case.model_copy(update={"financials": money})


def loads_case(text: str, file: str = "<string>") -> tuple[BusinessCase, int | None]:
    """Parse one case from YAML text (tests and notebooks)."""
    doc = loads(text, file)
    return from_mapping(doc.data, file=file, doc=doc)


def load_finance_case(path: str | Path) -> Case:
    """The financial view of the case file at ``path`` (read by :func:`load_case`, the one reader of case files),
    for appraisal: its ``savings_from`` read relative to the file's folder. A case that states no financial keys
    raises :class:`~careflow.finance.case.NoFinancialFigures`."""
    doc = load(path)
    case, _ = from_mapping(doc.data, file=doc.file, doc=doc)
    return fin.require_figures(case, doc, Path(path).parent)


def loads_finance_case(text: str, file: str = "<string>", base_dir: str | Path | None = None) -> Case:
    """:func:`load_finance_case` from YAML text (``savings_from`` relative to ``base_dir``, default the current
    folder)."""
    doc = loads(text, file)
    case, _ = from_mapping(doc.data, file=file, doc=doc)
    return fin.require_figures(case, doc, Path(base_dir) if base_dir is not None else Path.cwd())


def load_finance_cases(paths: list[str | Path]) -> tuple[list[Case], list[Finding]]:
    """The financial view of every case file named or found in the folders named (:func:`find_case_files`).

    Returns the cases with figures and, for cases that state none, a note each: they are listed, never silently
    dropped. Any other problem raises :class:`CareflowError`."""
    cases: list[Case] = []
    without: list[Finding] = []
    for f in find_case_files(paths):
        try:
            cases.append(load_finance_case(f))
        except NoFinancialFigures as exc:
            without.extend(exc.findings)
    return cases, without


def find_case_files(paths: list[str | Path]) -> list[Path]:
    """Case files named directly, plus every ``*.yaml``/``*.yml`` in the folders named (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise CareflowError(Finding(rule="file", message="no such file or folder", file=str(p)))
    return out


def to_mapping(case: BusinessCase, version: int | None = None) -> dict[str, Any]:
    """A flat case-file mapping: version, reference, then template order with the financial keys where the
    template has "cost and savings" (before the non-financial benefits)."""
    body = case.model_dump(mode="json", exclude_defaults=True)
    money = body.pop("financials", {})
    out: dict[str, Any] = {}
    if version is not None:
        out["version"] = version
    out["reference"] = case.reference
    for key in TEMPLATE_KEYS:
        if key == "non_financial_benefits":
            out.update(money)
        if key in body:
            out[key] = body[key]
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value and not any(ch in value for ch in "\r\t") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dumps_case(case: BusinessCase, version: int | None = None) -> str:
    return yaml.dump(to_mapping(case, version), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
