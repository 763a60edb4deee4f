"""The lever types as a form can show them: each type's fields, explained in plain words, and the way back from
what a user typed into a form to a validated lever.

One source: the fields, their types, defaults and explanations come from the pydantic models in
:mod:`careflow.levers.schema` (each field's docstring is its explanation); this module adds only a title and a
one-sentence summary per lever type, and a worked example for the fields that hold a list of items (posts, one-off
costs, moves, a recruitment pipeline). A lever built from form values goes through the same validation as a
scenario file (:meth:`Scenario.from_dict`), so its errors are the YAML path's, naming the field::

    from careflow.levers.catalogue import lever_catalogue, lever_from_form
    spec = lever_catalogue()[0]                   # reduce_entries: title, summary, fields (label, hint, kind...)
    lever = lever_from_form("contract", {"start": "2025-04-01", "annual_cost": "640000", "reinvest": "319000"})

Form values are strings (a list of strings for a multiple choice); an empty string means "not given".
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from careflow import yamlio
from careflow.errors import CareflowError, Finding
from careflow.levers.scenario import Scenario
from careflow.levers.schema import DEFAULT_CATEGORIES, LEVER_TYPES, LeverBase, _check_category
from careflow.vocabulary import EXIT_GROUPS, category_name, exit_group

# What a form shows for each kind of field.
KINDS = ("text", "date", "number", "integer", "choice", "choices", "bool", "number_or_list", "by_year", "items",
         "item")

TITLES: dict[str, tuple[str, str]] = {
    "reduce_entries": ("Fewer children entering care",
                       "Fewer children come into care each year: a percentage reduction, for example from early "
                       "help or edge-of-care work."),
    "step_down": ("Step children down to another placement",
                  "Children move from one placement type to a cheaper one, for example from residential care to "
                  "foster care: a number a year or a percentage."),
    "sufficiency": ("New in-house places",
                    "New places the council runs (foster carers, a children's home) take children who would "
                    "otherwise be placed elsewhere."),
    "permanence_exits": ("More children leaving care to permanence",
                         "More children leave care each year through adoption, special guardianship, a child "
                         "arrangements order or a return home."),
    "cap_growth": ("Hold a placement type at a level",
                   "The number of children in one placement type is held at a level, or its projected growth is "
                   "cut by a number of children."),
    "unit_cost_change": ("Change in weekly placement costs",
                         "The weekly cost of some placement types changes by a percentage, for example a fee "
                         "negotiated down."),
    "close_provision": ("Close a provision",
                        "A service or home closes: its running cost stops and its children move to other "
                        "placements at their cost."),
    "contract": ("End or reduce a contract",
                 "A contract's annual cost stops, and part of it may be spent elsewhere instead."),
    "staffing": ("Restructure staffing",
                 "Posts in an establishment change: full-time equivalents before and after, with one-off costs."),
    "workforce": ("Social workers and agency staff",
                  "Social workers follow the number of children in care; the share of agency workers or the time "
                  "spent with families may change."),
    "income": ("Income", "Income by financial year, for example a grant or a charge to another council."),
    "other": ("Other saving or cost",
              "Any other saving (positive) or cost (negative) by financial year, as the business case states it."),
}

# A worked example for each field that holds items (shown in the form, and checked valid by the tests).
EXAMPLES: dict[str, str] = {
    "moves": "- category: external_residential\n  weekly_cost: 5000\n  children: 2\n"
             "- category: in_house_fostering\n  weekly_cost: 500\n  children: 1\n",
    "one_off": "- item: redundancy\n  amount: 40000\n  date: 2025-06-30\n",
    "posts": "- post: Team manager\n  fte_before: 4\n  fte_after: 3\n  salary: 52000\n  on_costs: 0.3\n"
             "- post: Social worker\n  fte_before: 20\n  fte_after: 18\n  in_post: 18\n  agency_fte: 2\n"
             "  salary: 42000\n"
             "  on_costs: 0.3\n  agency_premium: 0.5\n",
    "recruitment": "enquiries_per_month: 12\nenquiry_to_assessment: 0.1\nassessment_to_approval: 0.7\n",
}
NUMBER_OR_LIST_HINT = "One figure, or one a year separated by commas (5, 10, 15), or one line per financial year " \
                      "(2025-26: 5)."
BY_YEAR_HINT = "One line per financial year, for example 2025-26: 0.5"
ITEMS_HINT = "Write one item per block as in the example, keeping the dashes and indentation."


@dataclass(frozen=True)
class FieldSpec:
    """One field of a lever as a form shows it."""

    name: str
    label: str
    hint: str  # the plain-words explanation (the schema field's docstring)
    kind: str  # one of KINDS
    required: bool
    default: typing.Any = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for choice and choices
    example: str | None = None  # for items and item: a valid example to copy
    items: tuple[FieldSpec, ...] = ()  # for items (a list of items) and item (one): the fields of an item


@dataclass(frozen=True)
class LeverSpec:
    """One lever type: its title, a sentence saying what it does, whether it changes flows of children, and its
    fields in the order the schema lists them (the fields every lever has first)."""

    type: str
    title: str
    summary: str
    flow: bool
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


def _label(name: str) -> str:
    words = name.replace("_", " ")
    for short, long in (("fte", "FTE"),):
        words = words.replace(short, long)
    return words[0].upper() + words[1:]


def _members(annotation) -> list:
    """The types a field's annotation allows (Optional and unions unpacked, Annotated kept)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _has(annotation, func) -> bool:
    """Whether ``annotation`` (or an item type in it) carries the validator ``func``."""
    if typing.get_origin(annotation) is typing.Annotated:
        return any(getattr(m, "func", None) is func for m in annotation.__metadata__)
    return any(_has(a, func) for a in typing.get_args(annotation))


def _kind(name: str, info: FieldInfo, categories, age_bands) -> tuple[str, tuple, tuple]:
    """(kind, choices, item fields) of one field."""
    metadata_funcs = [getattr(m, "func", None) for m in info.metadata]
    members = [m for m in _members(info.annotation) if m is not type(None)]
    bare = [typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m for m in members]
    cats = tuple((c, category_name(c)) for c in categories)
    if _check_category in metadata_funcs or (_has(info.annotation, _check_category)
                                             and not any(typing.get_origin(b) is list for b in bare)):
        return "choice", cats, ()
    if exit_group in metadata_funcs:
        return "choice", tuple((k, f"{k.replace('_', ' ')}: {v}") for k, v in EXIT_GROUPS.items()), ()
    if len(bare) == 1 and typing.get_origin(bare[0]) is typing.Literal:
        return "choice", tuple((str(v), str(v).replace("_", " ")) for v in typing.get_args(bare[0])), ()
    if len(bare) == 1 and typing.get_origin(bare[0]) is list:
        (item,) = typing.get_args(bare[0])
        if _has(info.annotation, _check_category):
            return "choices", cats, ()
        if name == "age_bands":
            return "choices", tuple((b, b) for b in age_bands), ()
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "items", (), _item_fields(item, categories, age_bands)
    if len(bare) == 1 and isinstance(bare[0], type) and issubclass(bare[0], BaseModel):
        return "item", (), _item_fields(bare[0], categories, age_bands)
    origins = {typing.get_origin(b) for b in bare}
    if len(bare) > 1 and (list in origins or dict in origins):
        return "number_or_list", (), ()
    if origins == {dict}:
        return "by_year", (), ()
    if len(bare) == 1:
        simple = {dt.date: "date", bool: "bool", int: "integer", float: "number", str: "text"}
        if bare[0] in simple:
            return simple[bare[0]], (), ()
    raise TypeError(f"no form field for {name}: {info.annotation}")  # a new schema type: teach this module


def _spec(name: str, info: FieldInfo, categories, age_bands) -> FieldSpec:
    kind, choices, items = _kind(name, info, categories, age_bands)
    hint = " ".join((info.description or "").split())
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if kind == "items" and default == []:
        default = None
    return FieldSpec(name, _label(name), hint, kind, info.is_required(), default, choices, EXAMPLES.get(name),
                     items)


def _item_fields(model: type[BaseModel], categories, age_bands) -> tuple[FieldSpec, ...]:
    return tuple(_spec(n, f, categories, age_bands) for n, f in model.model_fields.items())


def lever_catalogue(categories: tuple[str, ...] | None = None,
                    age_bands: tuple[str, ...] | None = None) -> list[LeverSpec]:
    """Every lever type (in the schema's order) with its fields. ``categories`` and ``age_bands`` are the choices
    offered (default: careflow's placement categories and the shipped age bands)."""
    from careflow.model.states import age_bands as shipped_age_bands

    categories = tuple(categories or DEFAULT_CATEGORIES)
    age_bands = tuple(age_bands or shipped_age_bands().labels)
    out = []
    for kind, model in LEVER_TYPES.items():
        title, summary = TITLES[kind]
        fields = tuple(_spec(n, f, categories, age_bands) for n, f in model.model_fields.items() if n != "type")
        out.append(LeverSpec(kind, title, summary, bool(model.flow), fields))
    return out


def lever_spec(kind: str, categories: tuple[str, ...] | None = None,
               age_bands: tuple[str, ...] | None = None) -> LeverSpec:
    """One lever type's spec; a CareflowError naming the known types for an unknown one."""
    for spec in lever_catalogue(categories, age_bands):
        if spec.type == kind:
            return spec
    raise CareflowError(f"unknown lever type '{kind}' (one of: {', '.join(LEVER_TYPES)})", field="type",
                        rule="scenario")


# ---------------------------------------------------------------------------------------------------------------
# Form values -> lever


def _parse(spec: FieldSpec, value) -> tuple[typing.Any, Finding | None]:
    """The value the schema takes for one form value, or a finding naming the field."""
    if spec.kind == "choices":
        values = [value] if isinstance(value, str) else list(value or [])
        values = [v for v in values if v.strip()]
        return (values or None), None
    text = (value if isinstance(value, str) else "" if value is None else str(value)).strip()
    if not text:
        return None, None
    if spec.kind == "number_or_list":
        if ":" in text:
            return _yaml(spec, text, dict)
        parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
        for p in parts:
            try:
                float(p)
            except ValueError:
                return None, Finding("scenario", f"'{p}' is not a number: {NUMBER_OR_LIST_HINT}", field=spec.name)
        return (parts[0] if len(parts) == 1 else parts), None
    if spec.kind == "by_year":
        return _yaml(spec, text, dict)
    if spec.kind in ("items", "item"):
        return _yaml(spec, text, list if spec.kind == "items" else dict)
    return text, None


def _yaml(spec: FieldSpec, text: str, shape: type) -> tuple[typing.Any, Finding | None]:
    what = {dict: BY_YEAR_HINT if spec.kind != "items" else f"Set it out as in the example. {ITEMS_HINT}",
            list: ITEMS_HINT}[shape]
    try:
        data = yamlio.loads(text, file=spec.name).data
    except CareflowError as exc:
        line = exc.findings[0].row
        return None, Finding("scenario", f"cannot be read{f' (line {line})' if line else ''}: {what}",
                             field=spec.name)
    if not isinstance(data, shape):
        return None, Finding("scenario", f"cannot be read: {what}", field=spec.name)
    return data, None


def lever_from_form(kind: str, values: Mapping[str, typing.Any], categories: tuple[str, ...] | None = None,
                    age_bands: tuple[str, ...] | None = None) -> LeverBase:
    """A validated lever of type ``kind`` from form values (strings; lists of strings for multiple choices).

    Raises a CareflowError whose findings each name the form field (``field``: the field's name, or a path into it
    such as ``posts.0.salary``), with the messages a scenario file gets."""
    spec = lever_spec(kind, categories, age_bands)
    raw: dict[str, typing.Any] = {"type": kind}
    unreadable: list[Finding] = []
    for f in spec.fields:
        value, finding = _parse(f, values.get(f.name))
        if finding:
            unreadable.append(finding)
        elif value is not None:
            raw[f.name] = value
    try:
        scenario = Scenario.from_dict({"name": "form", "levers": [raw]}, categories=categories)
    except CareflowError as exc:
        # every problem at once: what could not be read, then the schema's findings on the other fields
        bad = {f.field for f in unreadable}
        out = [_unprefixed(f, raw) for f in exc.findings]
        raise CareflowError(unreadable + [f for f in out if f is not None and (f.field or "").split(".")[0]
                                          not in bad]) from None
    if unreadable:
        raise CareflowError(unreadable)
    return scenario.levers[0]


# pydantic names the member of a union (a number, a list or a mapping) in an error's path
_UNION_MEMBERS = {"constrained-float": str, "float": str, "list[constrained-float]": list, "list[float]": list,
                  "dict[str,constrained-float]": dict, "dict[str,float]": dict}


def _unprefixed(f: Finding, raw: dict) -> Finding | None:
    """A finding on ``levers.0.<field>`` as one on ``<field>`` (a form holds one lever). Of a union's errors only
    the one for the shape given is kept (a list of percentages is not also told it should be a number)."""
    parts = (f.field or "").split(".")[2:] if (f.field or "").startswith("levers.0") else (f.field or "").split(".")
    kept = []
    for p in parts:
        if p in _UNION_MEMBERS:
            given = raw.get(parts[0])
            if not isinstance(given, _UNION_MEMBERS[p]):
                return None
            continue
        kept.append(p)
    return Finding(f.rule, f.message, field=".".join(kept) or None, severity=f.severity)


def form_values(lever: LeverBase) -> dict[str, typing.Any]:
    """The form values that give ``lever`` back (for changing a lever already added)."""
    spec = lever_spec(lever.type)  # type: ignore[attr-defined]
    data = _tidy(lever.model_dump(mode="python", exclude_none=True))
    out: dict[str, typing.Any] = {}
    for f in spec.fields:
        v = data.get(f.name)
        if v is None:
            continue
        if f.kind == "choices":
            out[f.name] = list(v)
        elif f.kind == "bool":
            out[f.name] = "true" if v else "false"
        elif f.kind == "number_or_list" and isinstance(v, list):
            out[f.name] = ", ".join(_number(x) for x in v)
        elif f.kind in ("number_or_list", "by_year", "items", "item") and isinstance(v, dict | list):
            out[f.name] = _dump(v)
        elif isinstance(v, float | int) and not isinstance(v, bool):
            out[f.name] = _number(v)
        elif isinstance(v, dt.date):
            out[f.name] = v.isoformat()
        else:
            out[f.name] = str(v)
    return out


def _tidy(value):
    """Whole-number floats as ints, all the way down (an item reads ``salary: 52000``, not ``52000.0``)."""
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _number(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _dump(value) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False).strip()


def answers(lever: LeverBase) -> list[tuple[str, str]]:
    """(label, value) of each field the lever sets, for a check-your-answers page; defaults left out."""
    spec = lever_spec(lever.type)  # type: ignore[attr-defined]
    given = lever.model_dump(mode="python", exclude_defaults=True)
    values = form_values(lever)
    rows = [("Type", spec.title)]
    for f in spec.fields:
        if f.name in given and f.name in values:
            v = values[f.name]
            shown = dict(f.choices)  # a choice as the form offered it (a category's name, not its key)
            v = [shown.get(x, x) for x in v] if isinstance(v, list) else shown.get(v, v)
            rows.append((f.label, ", ".join(v) if isinstance(v, list) else v))
    return rows
