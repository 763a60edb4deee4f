"""A business case as the reports read it: the council template's fields and the financial lines.

Reports take the case as plain data (the YAML case file's mapping, or a register/finance model via
``model_dump()``), so they work whichever module produced it. Missing template fields print as "Not stated" rather
than being dropped, so a reader can see what a case still lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from careflow.fy import FinancialYear

NOT_STATED = "Not stated"

# Line kinds as the MTFS profile groups them.
INVESTMENT, SAVING, ONGOING = "investment", "saving", "ongoing_cost"
_KIND_WORDS = {INVESTMENT: ("invest", "one-off", "one off", "oneoff"), ONGOING: ("ongoing", "running", "cost"),
               SAVING: ("saving", "income", "cashable", "avoid")}


@dataclass
class Line:
    """One row of a cost and savings table: amounts by financial year in the case's units."""

    name: str
    kind: str
    values: dict[str, float] = field(default_factory=dict)
    comment: str = ""
    saving_type: str = ""

    @property
    def total(self) -> float:
        return float(sum(self.values.values()))


def as_mapping(case: Any) -> dict:
    """A case as a plain dict (accepts a mapping, a pydantic model or a dataclass)."""
    if isinstance(case, Mapping):
        return dict(case)
    if hasattr(case, "model_dump"):
        return case.model_dump(mode="json")
    if hasattr(case, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(case)
    raise TypeError(f"not a business case: {type(case).__name__}")


def fy_label(value: Any) -> str | None:
    try:
        return FinancialYear.parse(value if not isinstance(value, float) else int(value)).label
    except (ValueError, TypeError):
        return None


def _amounts(node: Any) -> dict[str, float]:
    """Financial-year amounts from a mapping ``{2017-18: 797}`` or a list of ``{financial_year, amount}``."""
    out: dict[str, float] = {}
    if isinstance(node, Mapping):
        for k, v in node.items():
            label = fy_label(k)
            if label is not None and isinstance(v, int | float) and not isinstance(v, bool):
                out[label] = out.get(label, 0.0) + float(v)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, Mapping):
                label = fy_label(item.get("financial_year", item.get("year")))
                v = item.get("amount", item.get("value"))
                if label is not None and isinstance(v, int | float):
                    out[label] = out.get(label, 0.0) + float(v)
    return out


def _kind(text: str, default: str) -> str:
    t = text.lower()
    for kind in (INVESTMENT, ONGOING, SAVING):
        if t == kind or t.replace(" ", "_") == kind:
            return kind
    for kind in (INVESTMENT, ONGOING, SAVING):
        if any(w in t for w in _KIND_WORDS[kind]):
            return kind
    return default


def case_lines(case: Mapping) -> list[Line]:
    """The detail lines of a case (``lines``), each with a kind: investment, saving or ongoing cost."""
    lines = []
    for i, raw in enumerate(case.get("lines") or []):
        if not isinstance(raw, Mapping):
            continue
        name = str(raw.get("name") or raw.get("title") or raw.get("description") or f"Line {i + 1}")
        kind = _kind(str(raw.get("kind") or raw.get("section") or raw.get("category") or ""), "")
        saving_type = str(raw.get("saving_type") or raw.get("type") or "")
        if not kind:
            kind = _kind(saving_type, SAVING)
        values = {}
        for key in ("values", "amounts", "profile", "by_year", "years", "amount"):
            if key in raw:
                values = _amounts(raw[key])
                break
        if not values:
            values = _amounts(raw)
        lines.append(Line(name, kind, values, str(raw.get("comment") or raw.get("comments") or ""),
                          saving_type if _kind(saving_type, "") != kind else ""))
    return lines


def text_of(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return NOT_STATED
    if isinstance(value, list):
        return "\n".join(text_of(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k.replace('_', ' ')}: {text_of(v)}" for k, v in value.items())
    return str(value).strip()


def overview_rows(case: Mapping) -> list[tuple[str, str]]:
    """The "Project Overview" table of the council template."""
    return [("Project Title", text_of(case.get("title"))),
            ("Project Code", text_of(case.get("project_code"))),
            ("Business Planning Reference", text_of(case.get("reference"))),
            ("Business Planning Brief Description", text_of(case.get("description"))),
            ("Senior Responsible Officer", text_of(case.get("senior_responsible_officer"))),
            ("Directorate / Service", " / ".join(text_of(case.get(k)) for k in ("directorate", "service")
                                                  if case.get(k)) or NOT_STATED),
            ("Status", text_of(case.get("status")))]


def units_of(case: Mapping, appraisal: Mapping | None = None) -> str:
    """The case's money unit as shown in headers: "£k" or "£"."""
    u = str((appraisal or {}).get("units") or case.get("units") or "GBP thousands").lower()
    if "thousand" in u or u in ("£k", "k", "gbp k", "£000", "£000s", "£'000"):
        return "£k"
    if "million" in u or u in ("£m", "m"):
        return "£m"
    return "£"
