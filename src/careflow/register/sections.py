"""Editing a case one section of the council template at a time, from plain form values.

A form (a web page, a notebook widget, a test) sends text: ``{"assumptions": "...", "risks-0-title": "..."}``.
:func:`form_values` gives a section's current values in that shape and :func:`apply_section` reads them back into
an edited copy of the case, or raises :class:`~careflow.errors.CareflowError` whose findings name the form field
(``risks-0-title``) and say what to do. Nothing here writes: the caller stores the copy with
:meth:`careflow.register.Register.update` and the version the form was based on, so a stale edit is refused.

Section kinds:

- text fields (one line or a paragraph): blank means "not stated";
- lists of lines (scope, dependencies): one item per line, blank lines ignored;
- repeated rows (options, risks, indicators, milestones): ``<section>-<i>-<field>``; a row whose fields are all
  blank is dropped (that is how a row is removed), and :data:`BLANK_ROWS` empty rows are offered for new items.
  Indicator rows carry ``indicators-<i>-was``, the row's position when the form was made, so what the form does
  not show (targets by period, actuals, data source, cohort) stays with the indicator through a rename;
- the cost and savings table: units, first year, savings basis, recurring, type of saving and one row per
  financial year (``years-<i>-year``, ``-investment``, ``-savings``, ``-ongoing_costs``). A column left blank in
  every row keeps the case's line items for that flow; the other financial keys (lines, stated figures,
  appraisal settings, scenario link) are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from careflow.errors import CareflowError, Finding
from careflow.fy import FinancialYear
from careflow.register import financials as fin
from careflow.register.model import BusinessCase, Indicator, Milestone, MilestoneStatus, Option, Risk
from careflow.vocabulary import SavingType

BLANK_ROWS = 2  # empty rows offered after a section's existing rows, for new items
MAX_ROWS = 200  # rows read from a form (a form cannot make the register read without end)
MAX_TEXT = 100_000  # characters in one field


@dataclass(frozen=True)
class Field:
    """One input of a section: ``name`` is the form field (and, for text fields, the case's key)."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, lines, number, date, select, checkbox
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for select


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str = ""
    fields: tuple[Field, ...] = ()
    rows: str | None = None  # the case's list these rows edit (risks, indicators, ...)
    row_label: str = ""  # "Risk" -> "Risk 1", "Risk 2"
    row_fields: tuple[Field, ...] = field(default=())


_RATING_HINT = "1 (very low) to 5 (very high), or a word: very low, low, medium, high, very high"
_MILESTONE_CHOICES = (("", "Not recorded"), *((s.value, s.value.capitalize()) for s in MilestoneStatus))

SECTIONS: dict[str, Section] = {s.key: s for s in (
    Section("overview", "Project overview", "The project overview table of the council template.", (
        Field("title", "Project title"),
        Field("project_code", "Project code"),
        Field("authority", "Authority", hint="The council, for example Cambridgeshire County Council. The "
                                             "portfolio never adds different councils' savings together."),
        Field("senior_responsible_officer", "Senior responsible officer"),
        Field("sponsor", "Programme or project sponsor"),
        Field("accountable_director", "Accountable director"),
        Field("directorate", "Directorate"),
        Field("service", "Service"),
        Field("description", "Business planning brief description", "textarea"),
    )),
    Section("background", "Background", "Why the project is needed.", (
        Field("background", "Why do we need to undertake this project?", "textarea"),
        Field("what_if_not", "What would happen if we did not complete this project?", "textarea"),
    )),
    Section("approach", "Approach", "Aims and what the project will do.", (
        Field("aims", "Aims and objectives", "textarea"),
        Field("approach", "Project overview: what are we doing", "textarea"),
    )),
    Section("options", "Options", "The options considered, and the preferred one.", (
        Field("study", "Has an options and feasibility study been undertaken?", "textarea"),
    ), rows="options", row_label="Option", row_fields=(
        Field("title", "Option"),
        Field("description", "Description", "textarea"),
        Field("preferred", "This is the preferred option", "checkbox"),
    )),
    Section("assumptions", "Assumptions", "", (
        Field("assumptions", "What assumptions have been made?", "textarea"),
    )),
    Section("constraints", "Constraints", "", (
        Field("constraints", "What constraints apply?", "textarea"),
    )),
    Section("scope", "Scope", "One item per line.", (
        Field("within", "What is within scope?", "lines", "One item per line."),
        Field("outside", "What is outside of scope?", "lines", "One item per line."),
    )),
    Section("dependencies", "Dependencies", "", (
        Field("dependencies", "Dependencies", "lines", "One dependency per line."),
    )),
    Section("financials", "Cost and savings", "Amounts by financial year in the case's units, as plain numbers.", (
        Field("units", "Units", "select", choices=(("£k", "£ thousands (£k)"), ("£", "£"))),
        Field("first_year", "First year of the case", hint="A financial year, for example 2025-26. Leave blank "
                                                           "to start at the first year with an amount."),
        Field("savings_basis", "The savings are stated as", "select",
              choices=(("cumulative", "Cumulative: each year's saving against the baseline"),
                       ("incremental", "Incremental: the new saving in each year, as MTFS tables state them"))),
        Field("recurring", "The last year's saving recurs in later years", "checkbox"),
        Field("saving_type", "Type of saving", "select",
              choices=tuple((t.value, t.value.replace("_", " ").capitalize()) for t in SavingType)),
    ), rows="years", row_label="Year", row_fields=(
        Field("year", "Financial year", hint="For example 2025-26"),
        Field("investment", "Investment (one-off)", "number"),
        Field("savings", "Savings", "number"),
        Field("ongoing_costs", "Ongoing costs", "number"),
    )),
    Section("benefits", "Non-financial benefits", "", (
        Field("non_financial_benefits", "What are the non-financial benefits?", "textarea"),
    )),
    Section("risks", "Risks", "Clear every field of a risk to remove it.", rows="risks", row_label="Risk",
            row_fields=(
                Field("title", "Risk"),
                Field("description", "Description", "textarea"),
                Field("likelihood", "Likelihood", hint=_RATING_HINT),
                Field("impact", "Impact", hint=_RATING_HINT),
                Field("mitigation", "Mitigation", "textarea"),
                Field("owner", "Owner"),
                Field("review_date", "Next review date", "date", "As YYYY-MM-DD, for example 2026-03-31"),
            )),
    Section("community_impact", "Community impact assessment", "", (
        Field("affected", "Who will be affected by this proposal?", "textarea"),
        Field("positive", "What positive impacts are anticipated?", "textarea"),
        Field("negative", "What negative impacts are anticipated?", "textarea"),
        Field("neutral", "Are there any other impacts (neutral)?", "textarea"),
        Field("disproportionate", "Is there a disproportionate impact on anyone with a protected characteristic, "
                                  "and how will it be addressed?", "textarea"),
    )),
    Section("indicators", "Indicators", "How the change will be measured. Actuals by year are recorded on the "
                                        "delivery tracking page. Clear every field of an indicator to remove it.",
            rows="indicators", row_label="Indicator", row_fields=(
                Field("name", "Indicator"),
                Field("description", "How it will be used to measure impact", "textarea"),
                Field("unit", "Unit"),
                Field("tier", "Tier of the performance framework"),
                Field("baseline", "Baseline", hint="A number, or words if the document gives words"),
                Field("target", "Target", hint="A number, or words if the document gives words"),
            )),
    Section("milestones", "Milestones", "Phases such as scoping and planning, piloting, implementation and review. "
                                        "Clear every field of a milestone to remove it.",
            rows="milestones", row_label="Milestone", row_fields=(
                Field("phase", "Phase"),
                Field("date", "When", hint="As the document states it, for example September 2026"),
                Field("description", "Description", "textarea"),
                Field("planned", "Planned completion date", "date", "As YYYY-MM-DD"),
                Field("actual", "Actual completion date", "date", "As YYYY-MM-DD"),
                Field("status", "Status", "select", choices=_MILESTONE_CHOICES),
            )),
)}

YES = "yes"  # a ticked checkbox's value


def section(key: str) -> Section:
    try:
        return SECTIONS[key]
    except KeyError:
        raise CareflowError(Finding(rule="case-section", field="section",
                                    message=f"no section {key!r}: one of {', '.join(SECTIONS)}")) from None


# -- case -> form values ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else ""
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _rows(case: BusinessCase, s: Section) -> list[dict[str, str]]:
    if s.rows == "options":
        items = [o.model_dump() for o in case.options.considered]
    elif s.rows == "years":
        return year_rows(case)
    else:
        items = [x.model_dump(mode="json") for x in getattr(case, s.rows)]
    return [{f.name: _text(item.get(f.name)) for f in s.row_fields} for item in items]


def year_rows(case: BusinessCase) -> list[dict[str, str]]:
    """The case-level investment, savings and ongoing costs by financial year, as text (blank where not stated)."""
    money = case.financials
    flows = ("investment", "savings", "ongoing_costs")
    years = sorted({str(y) for k in flows for y in (money.get(k) or {})})
    return [{"year": y, **{k: _text((money.get(k) or {}).get(y)) for k in flows}} for y in years]


def form_values(case: BusinessCase, key: str) -> dict[str, str]:
    """The section's current values as form fields (all text), rows numbered from 0 with
    :data:`BLANK_ROWS` blank rows after them."""
    s = section(key)
    out: dict[str, str] = {}
    for f in s.fields:
        if key == "scope":
            out[f.name] = "\n".join(getattr(case.scope, f.name))
        elif key == "options":
            out[f.name] = _text(case.options.study)
        elif key == "community_impact":
            out[f.name] = _text(getattr(case.community_impact, f.name))
        elif key == "dependencies":
            out[f.name] = "\n".join(case.dependencies)
        elif key == "financials":
            default = {"units": "£k", "savings_basis": "cumulative", "saving_type": SavingType.cashable.value}
            out[f.name] = _text(case.financials.get(f.name, default.get(f.name)))
        else:
            out[f.name] = _text(getattr(case, f.name))
    if s.rows:
        rows = _rows(case, s)
        for i, row in enumerate(rows + [{f.name: "" for f in s.row_fields}] * BLANK_ROWS):
            for name, value in row.items():
                out[f"{s.rows}-{i}-{name}"] = value
            if s.rows == "indicators":
                out[f"indicators-{i}-was"] = str(i) if i < len(rows) else ""
    return out


def row_count(values: Mapping[str, str], key: str) -> int:
    """How many rows the form values hold for the section (0 for a section without rows)."""
    s = section(key)
    if not s.rows:
        return 0
    pattern = re.compile(rf"^{re.escape(s.rows)}-(\d+)-")
    found = [int(m.group(1)) for k in values if (m := pattern.match(k))]
    return min(max(found) + 1, MAX_ROWS) if found else 0


def line_items(case: BusinessCase) -> dict[str, dict[str, float]]:
    """The totals by year of the case's line items for each flow the case states only through its lines (what a
    blank column of the cost and savings table keeps)."""
    model = fin.to_model(case.financials)
    if model is None or not model.lines:
        return {}
    sums = model.line_sums()
    return {flow: {y.label: v for y, v in sorted(sums[flow].items())} for flow in sums
            if case.financials.get(flow) is None and sums[flow]}


# -- form values -> case ---------------------------------------------------------------------------------------


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(self, field_name: str, message: str) -> None:
        self.items.append(Finding(rule="case-form", field=field_name, message=message))


def _get(values: Mapping[str, str], name: str, problems: _Findings) -> str:
    value = values.get(name, "")
    value = "" if value is None else str(value)
    if len(value) > MAX_TEXT:
        problems.add(name, f"must be {MAX_TEXT:,} characters or fewer")
        return ""
    return value.replace("\r\n", "\n").strip()


def parse_number(text: str) -> float:
    """A number as people type it: ``1,250``, ``£1,250.5``, ``-300``; ValueError otherwise."""
    cleaned = text.replace(",", "").replace("£", "").replace(" ", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise ValueError(text)
    return float(cleaned)


def _measure(text: str) -> float | str | None:
    if not text:
        return None
    try:
        return parse_number(text)
    except ValueError:
        return text


def _rating(text: str) -> str | int | None:
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _validation_findings(exc: ValidationError, prefix: str, problems: _Findings) -> None:
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        name = f"{prefix}-{loc[0]}" if prefix and loc else prefix or (loc[0] if loc else "")
        problems.add(name, str(err["msg"]).removeprefix("Value error, "))


def _read_rows(values: Mapping[str, str], s: Section, problems: _Findings) -> list[tuple[int, dict[str, str]]]:
    out = []
    for i in range(row_count(values, s.key)):
        row = {f.name: _get(values, f"{s.rows}-{i}-{f.name}", problems) for f in s.row_fields}
        if any(row.values()):
            out.append((i, row))
    return out


def _apply_rows(case: BusinessCase, s: Section, values: Mapping[str, str], problems: _Findings) -> dict:
    rows = _read_rows(values, s, problems)
    label = s.row_label.lower()
    built: list = []
    for n, (i, row) in enumerate(rows, start=1):
        prefix = f"{s.rows}-{i}"
        dates = {f.name: _date(row[f.name], f"{prefix}-{f.name}", problems) for f in s.row_fields
                 if f.kind == "date"}
        first = s.row_fields[0]
        if not row[first.name]:
            problems.add(f"{prefix}-{first.name}", f"Enter the {first.label.lower()} of {label} {n}, or clear "
                                                   f"all its fields to remove it")
            continue
        try:
            if s.rows == "options":
                built.append(Option(title=row["title"], description=row["description"] or None,
                                    preferred=row["preferred"] == YES))
            elif s.rows == "risks":
                built.append(Risk(title=row["title"], description=row["description"] or None,
                                  likelihood=_rating(row["likelihood"]), impact=_rating(row["impact"]),
                                  mitigation=row["mitigation"] or None, owner=row["owner"] or None,
                                  review_date=dates["review_date"]))
            elif s.rows == "indicators":
                was = values.get(f"indicators-{i}-was", "")
                old = case.indicators[int(was)] if str(was).isdigit() and int(was) < len(case.indicators) else None
                kept = old.model_dump(exclude={"name", "description", "unit", "tier", "baseline", "target"}) \
                    if old is not None else {}
                built.append(Indicator(**kept, name=row["name"], description=row["description"] or None,
                                       unit=row["unit"] or None, tier=row["tier"] or None,
                                       baseline=_measure(row["baseline"]), target=_measure(row["target"])))
            elif s.rows == "milestones":
                built.append(Milestone(phase=row["phase"], date=row["date"] or None,
                                       description=row["description"] or None, planned=dates["planned"],
                                       actual=dates["actual"], status=row["status"] or None))
        except ValidationError as exc:
            _validation_findings(exc, prefix, problems)
    if s.rows == "options":
        preferred = [i for i, row in rows if row["preferred"] == YES]
        if len(preferred) > 1:
            problems.add(f"options-{preferred[1]}-preferred", "Choose at most one preferred option")
        return {"options": {"study": _get(values, "study", problems) or None,
                            "considered": [o for o in built if isinstance(o, Option)]}}
    names = [getattr(x, "name", None) for x in built]
    if s.rows == "indicators":
        for i, row in rows:
            if row["name"] and names.count(row["name"]) > 1:
                problems.add(f"indicators-{i}-name", f"Another indicator is called {row['name']!r}: give each "
                                                     "indicator its own name")
                break
    return {s.rows: built}


def _date(text: str, name: str, problems: _Findings) -> str | None:
    import datetime as dt

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        problems.add(name, f"Enter a real date as YYYY-MM-DD, for example 2026-03-31, not {text!r}")
        return None


def _set(money: dict, before: Mapping, key: str, value: Any, default: Any) -> None:
    # finance's defaults are not written into a case that did not state them: saving the form unchanged changes
    # nothing
    if value == default and key not in before:
        money.pop(key, None)
    else:
        money[key] = value


def _apply_financials(case: BusinessCase, values: Mapping[str, str], problems: _Findings) -> dict:
    s = SECTIONS["financials"]
    money = dict(case.financials)
    units = _get(values, "units", problems)
    if units not in ("£", "£k"):
        problems.add("units", "Choose the units: £k or £")
    money["units"] = units
    first = _get(values, "first_year", problems)
    if first:
        try:
            money["first_year"] = FinancialYear.parse(first).label
        except ValueError as exc:
            problems.add("first_year", str(exc))
    else:
        money.pop("first_year", None)
    basis = _get(values, "savings_basis", problems)
    if basis not in ("cumulative", "incremental"):
        problems.add("savings_basis", "Choose how the savings are stated: cumulative or incremental")
    _set(money, case.financials, "savings_basis", basis, "cumulative")
    _set(money, case.financials, "recurring", _get(values, "recurring", problems) == YES, False)
    saving_type = _get(values, "saving_type", problems)
    if saving_type not in {t.value for t in SavingType}:
        problems.add("saving_type", f"Choose the type of saving: {', '.join(t.value for t in SavingType)}")
    _set(money, case.financials, "saving_type", saving_type, SavingType.cashable.value)
    flows = ("investment", "savings", "ongoing_costs")
    amounts: dict[str, dict[str, float]] = {k: {} for k in flows}
    given = {k: False for k in flows}
    seen: dict[str, int] = {}
    for i, row in _read_rows(values, s, problems):
        prefix = f"years-{i}"
        try:
            label = FinancialYear.parse(row["year"]).label
        except ValueError:
            problems.add(f"{prefix}-year", f"Enter the financial year as for example 2025-26, not "
                                           f"{row['year']!r}" if row["year"] else "Enter the financial year of "
                                                                              "this row, or clear the row")
            continue
        if label in seen:
            problems.add(f"{prefix}-year", f"{label} is in the table twice: one row per year")
            continue
        seen[label] = i
        for k in flows:
            if row[k]:
                given[k] = True
                try:
                    amounts[k][label] = parse_number(row[k])
                except ValueError:
                    problems.add(f"{prefix}-{k}", f"Enter {s.row_fields[flows.index(k) + 1].label.lower()} in "
                                                  f"{label} as a number, like 1250 or 1,250.5, not {row[k]!r}")
    for k in flows:
        if given[k]:
            money[k] = amounts[k]
        else:
            money.pop(k, None)  # a blank column: the line items (if any) give this flow
    if problems.items:
        return {}
    if not any(given.values()) and not money.get("lines") and not money.get("savings_from"):
        return {"financials": {}}  # no figures at all: a case without financials (a draft), as the register allows
    try:
        money = fin.validate(money, context={"directorate": case.directorate, "status": case.status.value})
    except CareflowError as exc:
        for finding in exc.findings:
            path, message = tuple(finding.field.split(".")) if finding.field else (), finding.message
            name = path[0] if path else "years-0-year"
            if len(path) >= 2 and path[0] in flows:
                label = str(path[1])
                name = f"years-{seen[label]}-{path[0]}" if label in seen else "years-0-year"
            elif path and path[0] in ("lines", "stated", "appraisal", "savings_from"):
                name = "years-0-year"
            problems.add(str(name), message)
        return {}
    return {"financials": money}


def apply_section(case: BusinessCase, key: str, values: Mapping[str, str]) -> BusinessCase:
    """A copy of ``case`` with section ``key`` replaced by the form ``values``; CareflowError (findings naming
    the form fields) when a value is not acceptable. The rest of the case is unchanged."""
    s = section(key)
    problems = _Findings()
    update: dict[str, Any] = {}
    if key == "financials":
        update = _apply_financials(case, values, problems)
    elif s.rows:
        update = _apply_rows(case, s, values, problems)
    elif key == "scope":
        update["scope"] = {f.name: _lines(_get(values, f.name, problems)) for f in s.fields}
    elif key == "dependencies":
        update["dependencies"] = _lines(_get(values, "dependencies", problems))
    elif key == "community_impact":
        update["community_impact"] = {f.name: _get(values, f.name, problems) or None for f in s.fields}
    else:
        update = {f.name: _get(values, f.name, problems) or None for f in s.fields}
    if problems.items:
        raise CareflowError(problems.items)
    try:
        return BusinessCase.model_validate({**case.model_dump(), **update})
    except ValidationError as exc:
        _validation_findings(exc, "", problems)
        raise CareflowError(problems.items) from None


def _lines(text: str) -> list[str]:
    return [line.strip().removeprefix("- ").strip() for line in text.splitlines() if line.strip()]


NEW_CASE_FIELDS: tuple[Field, ...] = (
    Field("reference", "Reference", hint="The business planning reference, for example A/R.6.255. It cannot be "
                                         "changed later."),
    Field("title", "Project title"),
    *(f for f in SECTIONS["overview"].fields if f.name in ("authority", "directorate",
                                                           "senior_responsible_officer", "description")),
)


def new_case(values: Mapping[str, str]) -> BusinessCase:
    """A new draft case from the "create a case" form: a reference and a title at least."""
    problems = _Findings()
    got = {f.name: _get(values, f.name, problems) for f in NEW_CASE_FIELDS}
    if not got["reference"]:
        problems.add("reference", "Enter a reference for the case, for example A/R.6.255")
    elif len(got["reference"]) > 100:
        problems.add("reference", "The reference must be 100 characters or fewer")
    if not got["title"]:
        problems.add("title", "Enter a title for the case")
    if problems.items:
        raise CareflowError(problems.items)
    try:
        return BusinessCase(**{k: v or None for k, v in got.items() if k != "reference"}, reference=got["reference"])
    except ValidationError as exc:
        _validation_findings(exc, "", problems)
        raise CareflowError(problems.items) from None


@dataclass(frozen=True)
class TrackingInput:
    """What the delivery tracking form records for one financial year (the arguments of
    :meth:`careflow.register.Register.track`)."""

    year: str
    planned: float | None
    forecast: float | None
    delivered: float | None
    note: str | None
    indicators: dict[str, float]


def tracking_fields(case: BusinessCase) -> dict[str, str]:
    """Form field name -> indicator name for the tracking form's indicator actuals (``indicator-<i>``)."""
    return {f"indicator-{i}": ind.name for i, ind in enumerate(case.indicators)}


def read_tracking(case: BusinessCase, values: Mapping[str, str]) -> TrackingInput:
    """The tracking form (``year``, ``planned``, ``forecast``, ``delivered``, ``note``, ``indicator-<i>``) read
    into numbers; CareflowError naming the fields otherwise. Blank amounts keep what was recorded."""
    problems = _Findings()
    year_text = _get(values, "year", problems)
    year = ""
    try:
        year = FinancialYear.parse(year_text).label
    except ValueError:
        problems.add("year", "Choose the financial year" if not year_text else
                     f"Enter the financial year as for example 2025-26, not {year_text!r}")
    amounts: dict[str, float | None] = {}
    for name, label in (("planned", "planned saving"), ("forecast", "forecast saving"),
                        ("delivered", "delivered saving")):
        text = _get(values, name, problems)
        amounts[name] = None
        if text:
            try:
                amounts[name] = parse_number(text)
            except ValueError:
                problems.add(name, f"Enter the {label} as a number, like 1250 or 1,250.5, not {text!r}")
    indicators: dict[str, float] = {}
    for field_name, ind_name in tracking_fields(case).items():
        text = _get(values, field_name, problems)
        if text:
            try:
                indicators[ind_name] = parse_number(text)
            except ValueError:
                problems.add(field_name, f"Enter the actual for {ind_name!r} as a number, not {text!r}")
    if not problems.items and all(v is None for v in amounts.values()) and not indicators \
            and not _get(values, "note", problems):
        problems.add("forecast", "Enter a forecast or delivered saving, or an indicator's actual, for the year")
    if problems.items:
        raise CareflowError(problems.items)
    return TrackingInput(year, amounts["planned"], amounts["forecast"], amounts["delivered"],
                         _get(values, "note", problems) or None, indicators)
