"""Case files: one business case per YAML file, the financial keys and the template keys side by side.

``version`` at the top level is register metadata written by ``cases export``: the register version the file was
exported at. ``cases import --update`` refuses a file whose version is older than the register's (a stale edit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from careflow.errors import CareflowError, Finding, pydantic_findings
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
    except fin.FinancialsError as exc:
        for path, message, line in exc.problems:
            if path[:1] in (("directorate",), ("status",)):
                continue  # reported by the template's own checks
            loc = where(path)
            if line is not None:
                loc["row"] = line
            findings.append(Finding(rule="case-financials", message=message, **loc))
    case = None
    try:
        case = BusinessCase.model_validate({**template, "financials": money})
    except ValidationError as exc:
        findings += pydantic_findings(
            exc, lambda loc: "case-" + ("status" if loc[:1] == ("status",) else "type"), where,
            # the financial keys and a missing reference are reported above
            keep=lambda loc, err: loc[:1] != ("financials",) and not (err["type"] == "missing"
                                                                       and loc == ("reference",)))
    if findings:
        raise CareflowError(findings)
    assert case is not None
    return case, version


def load_case(path: str | Path) -> tuple[BusinessCase, int | None]:
    """Read one YAML case file; errors name the file, line and field."""
    doc = load(path)
    return from_mapping(doc.data, file=doc.file, doc=doc)


def loads_case(text: str, file: str = "<string>") -> tuple[BusinessCase, int | None]:
    doc = loads(text, file)
    return from_mapping(doc.data, file=file, doc=doc)


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
