"""A business case as the reports read it: the council template's fields and the financial lines.

Reports take a :class:`~careflow.register.BusinessCase` (careflow's one model of a business case, from a case
file or the register) or a case-file mapping, and read it as plain data. Missing template fields print as "Not
stated" rather than being dropped, so a reader can see what a case still lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from careflow.fy import FinancialYear
from careflow.register.model import BusinessCase

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


def as_mapping(case: BusinessCase | Mapping) -> dict:
    """A case as a plain dict of template and financial keys, as in a case file.

    Takes careflow's one model of a business case (:class:`~careflow.register.BusinessCase`: its ``financials``
    are merged back to the top level, as the case file writes them) or such a mapping as it is.
    """
    if isinstance(case, Mapping):
        return dict(case)
    if not isinstance(case, BusinessCase):
        raise TypeError(f"not a business case: {type(case).__name__}")
    out = case.model_dump(mode="json")
    fin = out.pop("financials", None) or {}
    return {**fin, **{k: v for k, v in out.items() if v not in (None, [], {})}}


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


_FLOW_KEYS = {"investment": INVESTMENT, "savings": SAVING, "ongoing_costs": ONGOING}


def case_lines(case: Mapping) -> list[Line]:
    """The detail lines of a case (``lines``), each with a kind: investment, saving or ongoing cost.

    A finance case-file line carries ``investment``, ``savings`` and ``ongoing_costs`` profiles side by side; each
    becomes its own line here. The simpler ``{name, kind, values}`` form is accepted too.
    """
    lines = []
    for i, raw in enumerate(case.get("lines") or []):
        if not isinstance(raw, Mapping):
            continue
        flows = {k: raw[k] for k in _FLOW_KEYS if isinstance(raw.get(k), Mapping | list)}
        if flows:
            name, title = raw.get("name"), raw.get("title")
            if name and title and not str(title).lower().startswith(str(name).lower()):
                label = f"{name}: {title}"
            else:
                label = str(title or name or f"Line {i + 1}")
            label = " ".join(label.split())
            for key, node in flows.items():
                values = _amounts(node)
                if values:
                    lines.append(Line(label, _FLOW_KEYS[key], values, str(raw.get("comment") or ""),
                                      str(raw.get("saving_type") or "")))
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
        if not values:
            continue  # a project with no costs of its own ("met within existing resources")
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
            ("Authority", text_of(case.get("authority"))),
            ("Senior Responsible Officer", text_of(case.get("senior_responsible_officer"))),
            *((label, text_of(case.get(key))) for label, key in (("Sponsor", "sponsor"),
                                                                 ("Accountable Director", "accountable_director"))
              if case.get(key)),
            ("Directorate / Service", " / ".join(text_of(case.get(k)) for k in ("directorate", "service")
                                                  if case.get(k)) or NOT_STATED),
            ("Status", text_of(case.get("status")))]


def scope_of(case: Mapping) -> tuple[Any, Any]:
    scope = case.get("scope")
    if isinstance(scope, Mapping):
        return scope.get("within", scope.get("in")), scope.get("outside", scope.get("out"))
    return scope, None


def options_of(case: Mapping) -> tuple[Any, list[Mapping]]:
    """(the feasibility-study answer, the options considered as mappings)."""
    opts = case.get("options")
    if isinstance(opts, Mapping):
        considered = opts.get("considered") or []
        return opts.get("study"), [o for o in considered if isinstance(o, Mapping)]
    if isinstance(opts, list) and opts and all(isinstance(o, Mapping) for o in opts):
        return None, list(opts)
    return opts, []


def community_impact_of(case: Mapping) -> dict:
    cia = case.get("community_impact") or {}
    if not isinstance(cia, Mapping):
        return {"affected": cia}
    out = dict(cia)
    if "who" in out and "affected" not in out:
        out["affected"] = out["who"]
    return out


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))}


def parse_when(value: Any):
    """A date from ISO text, a date, or "September 2016" / "Sept 2016" (first of the month); None if not one."""
    import datetime as dt
    import re

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    m = re.match(r"^([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{4})$", text)
    if m and m.group(1).lower() in _MONTHS:
        return dt.date(int(m.group(2)), _MONTHS[m.group(1).lower()], 1)
    m = re.match(r"^(\d{4})-(\d{2})$", text)
    if m and 1 <= int(m.group(2)) <= 12 and fy_label(text) is None:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    label = fy_label(text)
    if label is not None:  # a financial year ("2018-19", "2018/19"): its first day
        return FinancialYear.parse(label).start
    m = re.match(r"^(spring|summer|autumn|fall|winter)\s+(\d{4})$", text, re.IGNORECASE)
    if m:  # seasons as council papers use them: first month of the season
        month = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}[m.group(1).lower()]
        return dt.date(int(m.group(2)), month, 1)
    return None


def timeline_rows(case: Mapping) -> list[dict]:
    """Milestones as ``project, phase, start, end`` rows for the timeline chart.

    Milestones with only a ``date`` (the register's form) run from their date to the next milestone's date (the
    last one for a month), in date order; milestones whose dates cannot be read are left out of the chart (they
    still appear in the table).
    """
    import datetime as dt

    rows, dated = [], []
    for m in case.get("milestones") or []:
        if not isinstance(m, Mapping):
            continue
        if m.get("start"):
            start = parse_when(m.get("start"))
            end = parse_when(m.get("end") or m.get("start"))
            if start and end:
                rows.append({"project": m.get("project") or m.get("title") or "Programme",
                             "phase": m.get("phase") or m.get("name") or "implementation", "start": start,
                             "end": end})
        elif parse_when(m.get("date")):
            dated.append((parse_when(m.get("date")), m))
    dated.sort(key=lambda x: x[0])
    for i, (when, m) in enumerate(dated):
        nxt = dated[i + 1][0] if i + 1 < len(dated) else None
        end = (nxt - dt.timedelta(days=1)) if nxt and nxt > when else when + dt.timedelta(days=30)
        rows.append({"project": m.get("project") or m.get("phase") or "Programme",
                     "phase": m.get("phase") or "implementation", "start": when, "end": end})
    return rows


def units_of(case: Mapping, appraisal: Mapping | None = None) -> str:
    """The case's money unit as shown in headers: "£k" or "£"."""
    u = str((appraisal or {}).get("units") or case.get("units") or "GBP thousands").lower()
    if "thousand" in u or u in ("£k", "k", "gbp k", "£000", "£000s", "£'000"):
        return "£k"
    if "million" in u or u in ("£m", "m"):
        return "£m"
    return "£"


UNSTATED_PRICE_BASE = "price base not stated in the case: figures as the case states them, by financial year"


def price_base_of(case: Mapping, appraisal: Mapping | None = None) -> str:
    """The case's price base as its money tables state it (a case file's ``price_base``, or what a scenario's
    savings carry); said plainly when the case does not state one."""
    value = (appraisal or {}).get("price_base") or case.get("price_base")
    return str(value) if value else UNSTATED_PRICE_BASE


def risk_rows(case: Mapping) -> list[dict]:
    """The case's risks with their score (likelihood x impact on 1-5 scales, see
    :func:`careflow.register.model.rating_value`), highest score first, unscored last (in the document's order)."""
    from careflow.register.model import rating_value

    rows = []
    for r in case.get("risks") or []:
        if not isinstance(r, Mapping):
            continue
        lik, imp = rating_value(r.get("likelihood")), rating_value(r.get("impact"))
        rows.append({**r, "score": lik * imp if lik is not None and imp is not None else None})
    return sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0)))


def indicator_rows(case: Mapping) -> list[dict]:
    """The benefits profile's non-financial part: one row per indicator and period (targets against actuals),
    with tier and source; an indicator with neither appears once with no period."""
    rows = []
    for i in case.get("indicators") or []:
        if not isinstance(i, Mapping):
            continue
        targets, actuals = i.get("targets") or {}, i.get("actuals") or {}
        loaded = i.get("loaded") or {}
        base = {"name": i.get("name"), "tier": i.get("tier"), "unit": i.get("unit"),
                "source": i.get("source") or "recorded by hand", "baseline": i.get("baseline"),
                "target": i.get("target"),
                "loaded": f"{loaded.get('at', '')[:10]} by {loaded.get('by')}" if loaded else None}
        periods = sorted(set(targets) | set(actuals), key=str)
        for p in periods or [None]:
            rows.append({**base, "period": None if p is None else str(p), "planned": targets.get(p),
                         "actual": actuals.get(p)})
    return rows
