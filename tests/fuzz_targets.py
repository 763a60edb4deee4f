"""Fuzzing careflow's readers: valid seed files, hypothesis strategies that damage them, and one target per reader.

Shared by tests/test_fuzz.py (a few thousand inputs on every test run) and benchmarks/fuzz.py (the long run). A
target reads one damaged input the way careflow does and must end in a result or a :class:`CareflowError`:
anything else (a traceback) is a failure, and so is taking longer than the hang limit.

Reader families: SSDA903 returns (CSV), DfE statistics (children looked after and CSWW workforce CSVs), other
CSVs (cleaned episodes for the forecast, cohort children lists, scenario differences), a forecast folder (as the
workforce plan and foster carer sufficiency read it), every YAML input kind
(business cases, register case files, scenarios, stated totals, unit costs, inflation, category mappings,
parameters, workforce teams) and register workbooks (XLSX).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# Cell values that broke, or could break, a reader: far and impossible dates, numbers no float holds, formulas,
# control characters, quoting, YAML syntax and tags, encodings.
HOSTILE = [
    "", " ", "0", "-1", "1.5", "1e999", "-1e999", "nan", "NaN", ".nan", ".inf", "-.inf", "inf", "9" * 400,
    "99999999999999999999", "-0", "0x1F", "1_000", "1,000", "£1,000", "31/12/2999", "9999-12-31", "0001-01-01",
    "01/01/1899", "1899-12-31", "29/02/2021", "32/01/2020", "2020-02-30", "00/00/0000", "2025-13-01", "13/13/2013",
    "2020-21", "2021/22", "20x0", "=cmd|' /C calc'!A0", "@SUM(A1)", "+1+1", "\x00", "\ufeff", "\u202e", "é",
    "你好", "\r\n", "\n", "\r", ",", ";", "\t", '"', "'", '""', "[", "]", "{", "}", "&a", "*a", "<<: *a", "---",
    "...", "!!python/object/apply:os.system ['true']", "!!binary AAAA", "true", "false", "null", "~", "yes",
    "c", "x", "z", "k", "..", ":", "-", "#VALUE!", "E92000001", "999", "V3", "V4", "X1", "S", "P", "U1", "K2",
]
# Dates past pandas' limit (2262), which crashed the SSDA903 reader (issue 15, item 1), and before 1900.
FAR_DATES = ["2263-01-01", "01/01/2300", "1850-06-30", "01/01/0001"]
HOSTILE += FAR_DATES

hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


@dataclass
class Family:
    """A reader family: seed inputs, a strategy of damaged inputs, and how careflow reads one."""

    name: str
    strategy: st.SearchStrategy  # of dict[relative path, str | bytes]
    read: Callable[[Path], object]  # reads the folder the files were written to; may raise CareflowError
    cli: Callable[[Path, Path], list[str]] | None = None  # CLI arguments (folder, scratch) for the same read


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8", "surrogatepass"))
    return folder


# ---- text damage (CSV and YAML alike) -------------------------------------------------------------------------

@st.composite
def damaged_text(draw, text: str, pool: list[str] | None = None, cells: bool = True) -> str:
    """``text`` with 1-4 damages: a cell replaced, characters inserted or deleted, a line dropped, doubled or
    cut, the delimiter changed."""
    values = st.one_of(st.sampled_from(pool or HOSTILE), st.text(max_size=12))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["cell", "cell", "cell", "insert", "delete", "line", "double", "cut", "delim"]
                                  if cells else ["insert", "insert", "delete", "line", "double", "cut"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if op == "cell" and lines:
            cells_ = lines[i].split(",")
            j = draw(st.integers(0, len(cells_) - 1))
            cells_[j] = draw(values)
            lines[i] = ",".join(cells_)
            text = "\n".join(lines)
        elif op == "insert":
            k = draw(st.integers(0, len(text)))
            text = text[:k] + draw(values) + text[k:]
        elif op == "delete" and text:
            k = draw(st.integers(0, len(text) - 1))
            text = text[:k] + text[k + draw(st.integers(1, 40)):]
        elif op == "line" and len(lines) > 1:
            del lines[i]
            text = "\n".join(lines)
        elif op == "double":
            lines.insert(i, lines[i] if lines else "")
            text = "\n".join(lines)
        elif op == "cut":
            text = text[:draw(st.integers(0, len(text)))]
        elif op == "delim":
            text = text.replace(",", draw(st.sampled_from([";", "\t", "|", ", ", ""])))
    return text


# ---- SSDA903 returns -------------------------------------------------------------------------------------------

def ssda903_seed() -> dict[str, str]:
    from careflow.ssda903.codes import TABLE_COLUMNS
    from ssda903_fixtures import YEAR, base_tables, to_csv

    return {f"{YEAR}/{name}.csv": to_csv(rows, list(TABLE_COLUMNS[name])) for name, rows in base_tables().items()}


@st.composite
def ssda903_inputs(draw) -> dict[str, str | bytes]:
    files = dict(ssda903_seed())
    for rel in draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2, unique=True)):
        files[rel] = draw(damaged_text(files[rel]))
    if draw(st.integers(0, 19)) == 0:  # now and then: binary junk or an empty file instead of a table
        files[draw(st.sampled_from(sorted(files)))] = draw(st.binary(max_size=64))
    return files


def read_ssda903(folder: Path):
    from careflow.ssda903 import load, validate

    report = validate(folder)
    report.to_dict()
    if report.episodes:
        load(folder)


# ---- DfE statistics ---------------------------------------------------------------------------------------------

def dfe_seed() -> dict[str, str]:
    from dfe_fixtures import write_folder

    with tempfile.TemporaryDirectory() as tmp:
        root = write_folder(Path(tmp))
        return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.csv"))}


@st.composite
def dfe_inputs(draw) -> dict[str, str | bytes]:
    files = dict(dfe_seed())
    for rel in draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2, unique=True)):
        files[rel] = draw(damaged_text(files[rel]))
    return files


def read_dfe(folder: Path):
    from careflow.aggregate import benchmark
    from careflow.dfe import read_folder
    from careflow.errors import CareflowError

    d = read_folder(folder)
    if not d.series.empty:
        try:
            benchmark(d, "101", None)
        except CareflowError:
            pass


# ---- cleaned episodes CSV (forecast input) ----------------------------------------------------------------------

EPISODES_CSV = (
    "child,dob,decom,dec,category,period,exit_group,rne,ls,place,rec,short_break\n"
    "a1,2010-01-01,2021-05-01,2021-06-10,ifa_fostering,0,,S,C2,U4,X1,False\n"
    "a1,2010-01-01,2021-06-10,,in_house_fostering,0,,P,C2,U1,,False\n"
    "b2,2012-05-05,2021-06-01,2021-09-01,residential,0,home,S,C1,K2,E13,False\n"
)


@st.composite
def episodes_inputs(draw) -> dict[str, str | bytes]:
    return {"episodes.csv": draw(damaged_text(EPISODES_CSV))}


def read_episodes(folder: Path):
    from careflow.pipeline import load_data

    load_data(folder / "episodes.csv")


# ---- YAML kinds -----------------------------------------------------------------------------------------------

def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


WHOLE_FILE_ATTACKS = [_bomb(9), "[" * 3000, "{a: " * 3000, "a: &x {b: *x}\n", "&x [*x]\n", "- " * 5000,
                      "!!python/object/apply:os.system ['true']\n", "a: !!binary AAAA\n", "\x00\x01\x02",
                      "a: 1\na: 2\n", "? [1, 2]\n: x\n", "a: [1, 2\n", "", "---\n---\n", "%YAML 9.9\n---\na: 1\n"]

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**420),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HOSTILE), st.text(max_size=10),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
value = st.recursive(leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(
    st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE), st.integers()), c, max_size=3), max_leaves=6)


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


def _set(data, path, new):
    if not path:
        return new
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = new
    return data


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # write shared values out; aliases are damaged on purpose elsewhere
        return True


@st.composite
def damaged_yaml(draw, seeds: list[str]) -> str:
    """A seed document with values swapped for hostile ones (any type, any depth), keys dropped or added, then
    sometimes damaged as text; now and then a whole-file attack (anchor bomb, deep nesting, tags)."""
    if draw(st.integers(0, 14)) == 0:
        return draw(st.sampled_from(WHOLE_FILE_ATTACKS))
    text = draw(st.sampled_from(seeds))
    data = copy.deepcopy(yaml.safe_load(text))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if op == "drop" and path:
            parent = data
            for p in path[:-1]:
                parent = parent[p]
            del parent[path[-1]]
        elif op == "add":
            target = data
            for p in path:
                target = target[p]
            if isinstance(target, dict):
                target[draw(st.one_of(st.text(max_size=8), st.sampled_from(sorted(map(str, target)) or ["x"])))] \
                    = draw(value)
            elif isinstance(target, list):
                target.append(draw(value))
        else:
            data = _set(data, path, draw(value))
    try:
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
    except (yaml.YAMLError, ValueError, TypeError):
        text = str(data)
    if draw(st.integers(0, 3)) == 0:
        text = draw(damaged_text(text, cells=False))
    return text


def _seed_texts(pattern: str, limit: int = 6) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob(pattern))[:limit]]


def _parameter_seeds(names) -> list[str]:
    from careflow.parameters import parameter_dir

    return [(parameter_dir() / f"{n}.yaml").read_text(encoding="utf-8") for n in names]


def yaml_family(name: str, seeds: list[str], read: Callable[[Path], object], cli=None) -> Family:
    return Family(name, st.builds(lambda t: {"input.yaml": t}, damaged_yaml(seeds)), read, cli)


def read_case(folder: Path):
    from careflow.finance.appraisal import appraise
    from careflow.finance.portfolio import rollup
    from careflow.register import load_finance_case as load_case

    case = load_case(folder / "input.yaml")
    appraise(case).to_dict()
    rollup([case]).breakdown()


def read_register_case(folder: Path):
    from careflow.register.casefile import load_case

    load_case(folder / "input.yaml")


def read_scenario(folder: Path):
    from careflow.levers import Scenario

    Scenario.load(folder / "input.yaml")


def read_stated(folder: Path):
    from careflow.finance.portfolio import check_stated_totals_file, rollup
    from careflow.register import load_finance_case as load_case

    cases = [load_case(p) for p in sorted(EXAMPLES.glob("cases/haringey_*.yaml"))]
    check_stated_totals_file(rollup(cases), folder / "input.yaml")


def read_costs(folder: Path):
    from careflow.costs import load_unit_costs

    costs = load_unit_costs(folder / "input.yaml")
    for cat in costs.weekly:
        costs.weekly_cost(cat, "2025-26")


def read_inflation(folder: Path):
    from careflow.costs import load_unit_costs

    costs = load_unit_costs(inflation=folder / "input.yaml")
    costs.weekly_cost("ifa_fostering", "2027-28")


def read_categories(folder: Path):
    import pandas as pd

    from careflow.ssda903 import load_categories

    cats = load_categories(folder / "input.yaml")
    cats.assign(pd.Series(["U1", "K2", "R1"]), pd.Series(["PR1", "PR4", None]))


def read_parameter_file(folder: Path):
    from careflow.parameters import read_parameter

    read_parameter(folder / "input.yaml")


# ---- register workbooks (XLSX) ----------------------------------------------------------------------------------

def workbook_seed() -> bytes:
    from careflow.register.casefile import load_case
    from careflow.register.workbook import write_workbook

    case, _ = load_case(EXAMPLES / "cases" / "hf_bc2.yaml")
    buf = io.BytesIO()
    write_workbook(case, buf)
    return buf.getvalue()


_WORKBOOK: list[tuple[bytes, list[tuple[str, int, int]]]] = []  # the seed's bytes and (sheet, rows, columns)


def _workbook_seed_and_shape() -> tuple[bytes, list[tuple[str, int, int]]]:
    import openpyxl

    if not _WORKBOOK:
        data = workbook_seed()
        wb = openpyxl.load_workbook(io.BytesIO(data))
        _WORKBOOK.append((data, [(ws.title, max(ws.max_row, 1), max(ws.max_column, 1)) for ws in wb.worksheets]))
    return _WORKBOOK[0]


_FIXED_TIME = dt.datetime(2025, 4, 1)


def _deterministic_xlsx(wb) -> bytes:
    """The workbook's bytes with every timestamp fixed (document properties and zip entries), so the same edits
    give the same bytes whenever they are made."""
    import zipfile

    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)  # stamps the save time as "modified" and on every zip entry: both are rewritten below
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-04-01T00:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6]), content,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_cell_value = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(HOSTILE).map(lambda s: "".join(ch for ch in s if ch >= " " or ch in "\t\n\r")),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))


@st.composite
def workbook_inputs(draw) -> dict[str, bytes]:
    """The seed workbook with 1-4 cells overwritten, now and then a sheet removed or the zip damaged.

    Every draw depends only on the seed's fixed shape and on earlier draws, never on the edited workbook or its
    saved bytes (which carried the save time: drawing a damage offset from their length made hypothesis' replay
    see a different strategy, FlakyStrategyDefinition). The edits are drawn first, then applied."""
    import openpyxl

    seed, shape = _workbook_seed_and_shape()
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        sheet, rows, cols = draw(st.sampled_from(shape))
        edits.append((sheet, draw(st.integers(1, rows + 1)), draw(st.integers(1, cols + 1)), draw(_cell_value)))
    removed = draw(st.sampled_from([s for s, _, _ in shape])) if draw(st.integers(0, 9)) == 0 else None
    damage = None
    if draw(st.integers(0, 19)) == 0:  # a damaged zip: where (a fraction of the length) and with what
        damage = (draw(st.floats(0, 1, exclude_max=True)), draw(st.binary(min_size=1, max_size=16)))

    wb = openpyxl.load_workbook(io.BytesIO(seed))
    for sheet, r, c, v in edits:
        wb[sheet].cell(r, c).value = v
    if removed is not None:
        wb.remove(wb[removed])
        if not wb.sheetnames:
            wb.create_sheet("x")
    data = _deterministic_xlsx(wb)
    if damage is not None:
        k = int(damage[0] * len(data))
        data = data[:k] + damage[1] + data[k + 16:]
    return {"case.xlsx": data}


def read_workbook_file(folder: Path):
    from careflow.register.workbook import read_workbook

    read_workbook(folder / "case.xlsx")


# ---- smaller CSV readers: CSWW workforce statistics, cohort children lists, scenario differences -------------

CSWW_CSV = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name,inpost_fte,agency_rate_fte,vacancy_rate_fte,turnover_rate_fte,caseload_fte\n"
    "2025,Reporting year,National,E92000001,England,,,,,,1000,10,8,12,15\n"
    "2025,Reporting year,Local authority,E92000001,England,E1,R,999,E0,Testshire,50,c,7,z,12.5\n"
    "2024,Reporting year,Local authority,E92000001,England,E1,R,999,E0,Testshire,48,11,6,14,13.5\n"
)
CHILDREN_CSV = "LA,CHILD\n,1\n,2\n,3\n"
DIFFERENCE_CSV = (
    "financial_year,lever,children_mean,care_days_mean,pounds_mean,pounds_p10,pounds_p90\n"
    "2025-26,all,3.5,1200,150000.00,90000.00,210000.00\n"
    "2025-26,in-house carers,3.5,1200,150000.00,90000.00,210000.00\n"
    "2026-27,all,5.0,1800,220000.00,150000.00,290000.00\n"
)


def csv_family(name: str, file: str, seed: str, read: Callable[[Path], object]) -> Family:
    return Family(name, st.builds(lambda t: {file: t}, damaged_text(seed)), read, None)


def read_csww_file(folder: Path):
    from careflow.dfe import read_csww

    d = read_csww(folder / "csww.csv")
    d.value("999", 2025, "caseload_fte")


def read_children_file(folder: Path):
    from careflow.indicators import read_children

    read_children(folder / "children.csv")


def read_difference_file(folder: Path):
    from careflow.finance.scenario_link import read_difference

    read_difference(folder / "difference.csv")


def read_teams_file(folder: Path):
    from careflow.workforce import read_teams

    read_teams(folder / "input.yaml", default_caseload=15)


FORECAST_CSV = (
    "date,category,age_band,mean,p10,p50,p90\n"
    "2025-04-30,in_house_fostering,5-10,12,10,12,14\n2025-04-30,ifa_fostering,5-10,8,6,8,10\n"
    "2025-04-30,ifa_fostering,10-16,4,3,4,5\n2025-04-30,all,all,25,20,25,30\n"
    "2025-05-31,in_house_fostering,5-10,12.5,10,12,15\n2025-05-31,all,all,26,21,26,31\n"
)


def read_forecast_folder(folder: Path):
    """A forecast folder as the workforce plan and the foster carer sufficiency read it."""
    from careflow.workforce import forecast_cases, fostering_demand

    forecast_cases(folder)
    fostering_demand(folder)


TEAMS_YAML = ("teams:\n  - {name: looked after}\n  - {name: children in need, caseload: 20, cases_now: 300, "
              "growth_percent: 2}\n  - {name: care leavers, caseload: 25, cases_now: 50, growth_percent: 0}\n")


# ---- the families ---------------------------------------------------------------------------------------------

def families() -> dict[str, Family]:
    # cases that state figures, so damage reaches the appraisal and the roll-up (Cambridgeshire's state none)
    cases = _seed_texts("cases/hf_bc2.yaml") + _seed_texts("cases/haringey_0*.yaml", limit=5)
    out = [
        Family("ssda903", ssda903_inputs(), read_ssda903, lambda d, s: ["validate", str(d)]),
        Family("dfe", dfe_inputs(), read_dfe, lambda d, s: ["benchmark", "--data", str(d), "--la", "101"]),
        Family("episodes_csv", episodes_inputs(), read_episodes, None),
        yaml_family("case", cases, read_case, lambda d, s: ["appraise", str(d / "input.yaml")]),
        yaml_family("register_case", cases, read_register_case, None),
        yaml_family("scenario", _seed_texts("scenarios/*.yaml"), read_scenario, None),
        yaml_family("stated_totals", _seed_texts("portfolios/*.yaml"), read_stated,
                    lambda d, s: ["portfolio", str(EXAMPLES / "cases" / "hf_bc2.yaml"), "--stated",
                                  str(d / "input.yaml")]),
        yaml_family("unit_costs", _parameter_seeds(["unit_costs"]), read_costs, None),
        yaml_family("inflation", _parameter_seeds(["inflation"]), read_inflation, None),
        yaml_family("categories", _parameter_seeds(["placement_categories"]), read_categories, None),
        yaml_family("parameter", _parameter_seeds(["green_book_discount", "age_bands", "cla_weekly_cost"]),
                    read_parameter_file, None),
        Family("workbook", workbook_inputs(), read_workbook_file, None),
        yaml_family("teams", [TEAMS_YAML], read_teams_file, None),
        csv_family("csww", "csww.csv", CSWW_CSV, read_csww_file),
        csv_family("children", "children.csv", CHILDREN_CSV, read_children_file),
        csv_family("difference", "difference.csv", DIFFERENCE_CSV, read_difference_file),
        csv_family("forecast_folder", "forecast.csv", FORECAST_CSV, read_forecast_folder),
    ]
    return {f.name: f for f in out}


# The long run groups the families as the issue counts them: each reader family gets its own 10,000 inputs.
READER_FAMILIES = {
    "ssda903": ["ssda903"], "dfe": ["dfe", "csww"], "other_csv": ["episodes_csv", "children", "difference"],
    "workbook": ["workbook"], "forecast_folder": ["forecast_folder"],
    "yaml": ["case", "register_case", "scenario", "stated_totals", "unit_costs", "inflation", "categories",
             "parameter", "teams"],
}


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="careflow-fuzz-"))


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
