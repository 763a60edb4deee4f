"""A scenario: a named list of levers and parameter changes, read from YAML with errors that name line and field.

The baseline is the empty scenario. Scenarios combine (``a + b`` or ``Scenario.combine(a, b)``): their levers are
put together and their unit cost overrides merged (a conflicting override is an error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from careflow import yamlio
from careflow.errors import CareflowError, Finding, pydantic_findings
from careflow.fy import FinancialYear
from careflow.levers.schema import DEFAULT_CATEGORIES, EARLIEST, LATEST, LEVER_TYPES, LeverBase

_TOP_KEYS = {"name", "description", "reference", "unit_costs", "prices_year", "horizon", "levers"}


def _finding(doc: yamlio.YamlDoc | None, path: tuple, message: str, rule: str = "scenario") -> Finding:
    if doc is None:
        return Finding(rule=rule, message=message, field=".".join(str(p) for p in path) or None)
    return doc.error(path, message, rule).findings[0]


def _pydantic_findings(doc, base: tuple, exc: ValidationError) -> list[Finding]:
    return pydantic_findings(exc, "scenario", lambda loc: _at(doc, loc), base)


def _at(doc: yamlio.YamlDoc | None, path: tuple) -> dict:
    f = _finding(doc, path, "")
    return {"file": f.file, "row": f.row, "field": f.field}


@dataclass
class Scenario:
    """A named set of levers. ``levers`` are validated pydantic models (see ``careflow.levers.schema``)."""

    name: str = "baseline"
    levers: list[LeverBase] = field(default_factory=list)
    description: str | None = None
    unit_costs: dict[str, float] = field(default_factory=dict)  # weekly pounds by category, for this scenario
    horizon: tuple[dt.date | None, dt.date | None] = (None, None)
    file: str | None = None
    # The financial year whose prices the scenario's own weekly costs (``unit_costs`` and levers' weekly costs) are
    # in: carried to each year by careflow's price index. None: they are taken as every year's cash price.
    prices_year: FinancialYear | None = None
    # Where each lever came from (its file and index there), for errors found at run time (e.g. an age band the
    # fitted model lacks) in scenarios combined from several files.
    origins: list[tuple[yamlio.YamlDoc | None, int]] = field(default_factory=list, repr=False, compare=False)

    # --- reading -------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, categories: tuple[str, ...] | None = None) -> Scenario:
        """Read a scenario YAML file. Raises CareflowError naming line and field for anything wrong."""
        return cls._from_doc(yamlio.load(path), categories)

    @classmethod
    def loads(cls, text: str, file: str = "<string>", categories: tuple[str, ...] | None = None) -> Scenario:
        return cls._from_doc(yamlio.loads(text, file=file), categories)

    @classmethod
    def from_dict(cls, data: Any, categories: tuple[str, ...] | None = None) -> Scenario:
        """Build from a Python mapping (a notebook); errors name the field but no line."""
        return cls._from_doc(yamlio.YamlDoc(data=data, file="<dict>"), categories)

    @classmethod
    def _from_doc(cls, doc: yamlio.YamlDoc, categories) -> Scenario:
        data = doc.data
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise doc.error((), "a scenario must be a mapping with 'name' and 'levers'", "scenario")
        findings: list[Finding] = []
        for key in data:
            if key not in _TOP_KEYS:
                findings.append(_finding(doc, (key,), f"unknown key '{key}' (expected one of: "
                                                      f"{', '.join(sorted(_TOP_KEYS))})"))
        context = {"categories": tuple(categories) if categories else DEFAULT_CATEGORIES}
        levers: list[LeverBase] = []
        raw_levers = data.get("levers") or []
        if not isinstance(raw_levers, list):
            findings.append(_finding(doc, ("levers",), "'levers' must be a list of levers"))
            raw_levers = []
        for i, raw in enumerate(raw_levers):
            base = ("levers", i)
            if not isinstance(raw, dict):
                findings.append(_finding(doc, base, "each lever must be a mapping with a 'type'"))
                continue
            kind = raw.get("type")
            if kind is None:
                findings.append(_finding(doc, base, f"lever has no 'type' (one of: {', '.join(LEVER_TYPES)})"))
                continue
            model = LEVER_TYPES.get(str(kind))
            if model is None:
                findings.append(_finding(doc, base + ("type",),
                                         f"unknown lever type '{kind}' (one of: {', '.join(LEVER_TYPES)})"))
                continue
            try:
                levers.append(model.model_validate(raw, context=context))
            except ValidationError as exc:
                findings.extend(_pydantic_findings(doc, base, exc))
        unit_costs = data.get("unit_costs") or {}
        if not isinstance(unit_costs, dict):
            findings.append(_finding(doc, ("unit_costs",), "'unit_costs' must map category to weekly pounds"))
            unit_costs = {}
        for cat, value in unit_costs.items():
            if cat not in context["categories"]:
                findings.append(_finding(doc, ("unit_costs", cat), f"unknown placement category '{cat}'"))
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                findings.append(_finding(doc, ("unit_costs", cat), "weekly cost must be a number >= 0"))
        prices_year = None
        if data.get("prices_year") is not None:
            try:
                prices_year = FinancialYear.parse(str(data["prices_year"]))
            except ValueError as exc:
                findings.append(_finding(doc, ("prices_year",), f"{exc} (a financial year such as 2018-19)"))
        horizon = (None, None)
        if "horizon" in data:
            h = data["horizon"]
            if not isinstance(h, dict) or set(h) - {"start", "end"}:
                findings.append(_finding(doc, ("horizon",), "'horizon' takes 'start' and 'end' dates"))
            else:
                vals = []
                for k in ("start", "end"):
                    v = h.get(k)
                    if v is not None and (not isinstance(v, dt.date) or not EARLIEST <= v <= LATEST):
                        findings.append(_finding(doc, ("horizon", k), f"'{k}' must be a date like 2025-04-01"))
                        v = None
                    vals.append(v)
                horizon = (vals[0], vals[1])
        names = [lv.label() for lv in levers]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes and not findings:
            # Unnamed levers of one type are numbered; named duplicates are an error (outputs are keyed by name).
            counts: dict[str, int] = {}
            renamed = []
            for i, lv in enumerate(levers):
                label = lv.label()
                if label in dupes:
                    if lv.name is not None:
                        findings.append(_finding(doc, ("levers", i, "name"), f"two levers are named '{label}'"))
                        continue
                    counts[label] = counts.get(label, 0) + 1
                    lv = lv.model_copy(update={"name": f"{label} {counts[label]}"})
                renamed.append(lv)
            levers = renamed
        if findings:
            raise CareflowError(findings)
        name = data.get("name")
        return cls(name=str(name) if name is not None else Path(doc.file).stem, levers=levers,
                   description=data.get("description"),
                   unit_costs={str(k): float(v) for k, v in unit_costs.items()}, horizon=horizon,
                   file=doc.file, origins=[(doc, i) for i in range(len(levers))], prices_year=prices_year)

    # --- writing -------------------------------------------------------------------------------------------
    def to_mapping(self) -> dict:
        """The scenario as the mapping its YAML file holds (fields left at their defaults are left out), so
        ``Scenario.from_dict(s.to_mapping())`` gives the same levers back."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.unit_costs:
            out["unit_costs"] = dict(self.unit_costs)
        if self.horizon != (None, None):
            out["horizon"] = {k: v for k, v in zip(("start", "end"), self.horizon, strict=True) if v is not None}
        out["levers"] = [{"type": lv.type, **lv.model_dump(mode="python", exclude_defaults=True,  # type: ignore
                                                           exclude={"type"})} for lv in self.levers]
        return out

    def to_yaml(self) -> str:
        """The scenario as a YAML file :meth:`load` reads back (the scenario builder's "save as YAML")."""
        import yaml

        head = f"# careflow scenario: {self.name}\n"
        return head + yaml.safe_dump(self.to_mapping(), sort_keys=False, allow_unicode=True, width=110)

    # --- errors found later (against a fitted model) --------------------------------------------------------
    def error(self, lever_index: int, fieldname: str, message: str) -> CareflowError:
        doc, index = self.origins[lever_index] if lever_index < len(self.origins) else (None, lever_index)
        return CareflowError(_finding(doc, ("levers", index, *fieldname.split(".")), message))

    # --- combining ---------------------------------------------------------------------------------------
    @classmethod
    def combine(cls, *scenarios: Scenario, name: str | None = None) -> Scenario:
        """One scenario with all the levers of ``scenarios``; lever names must stay distinct."""
        levers: list[LeverBase] = []
        origins: list = []
        costs: dict[str, float] = {}
        for sc in scenarios:
            origins.extend(sc.origins if len(sc.origins) == len(sc.levers) else
                           [(None, i) for i in range(len(sc.levers))])
            for cat, v in sc.unit_costs.items():
                if cat in costs and costs[cat] != v:
                    raise CareflowError(f"scenarios '{name or sc.name}' disagree on the weekly cost of {cat} "
                                        f"({costs[cat]:,.0f} vs {v:,.0f})", rule="scenario")
                costs[cat] = v
            levers.extend(sc.levers)
        labels = [lv.label() for lv in levers]
        dupes = sorted({n for n in labels if labels.count(n) > 1})
        if dupes:
            raise CareflowError(f"levers with the same name in the combined scenarios: {', '.join(dupes)}",
                                rule="scenario")
        horizons = [sc.horizon for sc in scenarios if sc.horizon != (None, None)]
        years = {sc.prices_year for sc in scenarios if sc.prices_year is not None}
        if len(years) > 1:
            raise CareflowError(f"scenarios state their own weekly costs in different years' prices "
                                f"({', '.join(sorted(str(y) for y in years))}); combine scenarios priced alike",
                                rule="scenario")
        return cls(name=name or " + ".join(sc.name for sc in scenarios), levers=levers, unit_costs=costs,
                   horizon=horizons[0] if horizons else (None, None), origins=origins,
                   prices_year=next(iter(years)) if years else None)

    def __add__(self, other: Scenario) -> Scenario:
        return Scenario.combine(self, other)

    @property
    def flow_levers(self) -> list[LeverBase]:
        return [lv for lv in self.levers if lv.flow]

    @property
    def is_empty(self) -> bool:
        return not self.levers
