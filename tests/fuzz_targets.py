"""Fuzzing careflow's readers: valid seed files, hypothesis strategies that damage them, and one target per reader.

Shared by tests/test_fuzz.py (a few thousand inputs on every test run) and benchmarks/fuzz.py (the long run). A
target reads one damaged input the way careflow does and must end in a result or a :class:`CareflowError`:
anything else (a traceback) is a failure, and so is taking longer than the hang limit.

Reader families: SSDA903 returns (CSV), DfE statistics (children looked after and CSWW workforce CSVs), other
CSVs (cleaned episodes for the forecast, cohort children lists, scenario differences), a forecast folder (as the
workforce plan and foster carer sufficiency read it), every YAML input kind
(business cases, register case files, scenarios, stated totals, unit costs, inflation, category mappings,
parameters, workforce teams), register workbooks (XLSX), the ``--columns`` file of other SSDA903 column names,
MHCLG RO3 revenue outturn workbooks (ODS and XLSX) and SSDA903 returns supplied as XLSX.
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


# ---- the --columns file (other names for SSDA903 columns) -----------------------------------------------------

# A return exported under other column names, read with a user's column-name file: damage to the file reaches the
# reader through the aliases it gives.
COLUMNS_YAML = ("description: our case-management export\nvalues:\n  CHILD: [Child ID, Person Ref]\n"
                "  DECOM: [Date Episode Commenced]\n  DEC: [Episode End]\n  PLACE: [Placement Type]\n"
                "  DOB: [Birth Date]\n")
_RENAMED = {"CHILD": "Person Ref", "DECOM": "Date Episode Commenced", "DEC": "Episode End",
            "PLACE": "Placement Type", "DOB": "Birth Date"}


def columns_seed() -> dict[str, str]:
    from careflow.ssda903.codes import TABLE_COLUMNS
    from ssda903_fixtures import YEAR, base_tables, to_csv

    out = {}
    for name, rows in base_tables().items():
        text = to_csv(rows, list(TABLE_COLUMNS[name]))
        head, _, body = text.partition("\n")
        out[f"data/{YEAR}/{name}.csv"] = ",".join(_RENAMED.get(c, c) for c in head.split(",")) + "\n" + body
    return out


@st.composite
def columns_inputs(draw) -> dict[str, str | bytes]:
    from careflow.ssda903.columns import default_path

    files: dict[str, str | bytes] = dict(columns_seed())
    if draw(st.integers(0, 19)) == 0:
        files["input.yaml"] = draw(st.binary(max_size=64))
    else:
        files["input.yaml"] = draw(damaged_yaml([COLUMNS_YAML, default_path().read_text(encoding="utf-8")]))
    return files


def read_columns(folder: Path):
    from careflow.ssda903 import load, validate
    from careflow.ssda903.columns import load_columns

    load_columns(folder / "input.yaml")
    report = validate(folder / "data", columns=folder / "input.yaml")
    report.to_dict()
    if report.episodes:
        load(folder / "data", columns=folder / "input.yaml")


# ---- spreadsheets (XLSX, ODS): structure damage -----------------------------------------------------------------

_FORMULAS = ["=1/0", "=A1", "=SUM(A1:A3)", "=NA()", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0",
             "=1+", '="a"&"b"']
_XLSX_VALUE = st.one_of(
    _cell_value, st.sampled_from(_FORMULAS),
    st.sampled_from([1e308, -1e308, 1e-308, -0.0, -1, -99999999, 10**15, 2**63, -(2**63), 0.1 + 0.2]),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
    st.times())


@st.composite
def sheet_edits(draw, shape: list[tuple[str, int, int]]) -> list[tuple]:
    """1-4 structural edits of a workbook of ``shape`` ((sheet, rows, columns) ...): a cell overwritten (any type,
    formulas, huge, negative, NaN, far dates), a row or column deleted or inserted, cells merged, a sheet renamed,
    emptied, removed or added. Drawn from the fixed shape only (never from a saved workbook: see
    :func:`workbook_inputs`)."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        s = draw(st.integers(0, len(shape) - 1))
        _, rows, cols = shape[s]
        op = draw(st.sampled_from(["cell"] * 6 + ["delete_row", "delete_col", "insert_row", "insert_col", "merge",
                                                  "merge", "rename", "clear", "remove", "add"]))
        r, c = draw(st.integers(1, rows + 1)), draw(st.integers(1, cols + 1))
        if op == "cell":
            edits.append((op, s, r, c, draw(_XLSX_VALUE)))
        elif op == "merge":
            edits.append((op, s, r, c, r + draw(st.integers(0, 3)), c + draw(st.integers(0, 3))))
        elif op in ("rename", "add"):
            edits.append((op, s, draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)))))
        else:
            edits.append((op, s, r, c))
    return edits


def _sheet_title(name: str, taken: list[str]) -> str:
    """openpyxl refuses some titles (too long, []:*?/\\, taken): such an edit becomes a plain unusual title."""
    name = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", name)[:31] or "_"
    while name.lower() in (t.lower() for t in taken):
        name = (name + "_")[-31:]
    return name


def apply_sheet_edits(wb, edits: list[tuple]) -> None:
    import math as _m

    sheets = list(wb.worksheets)  # indices refer to the seed's sheets, whatever happens to the others
    for op, s, *args in edits:
        ws = sheets[s]
        if ws not in wb.worksheets:
            continue  # removed by an earlier edit
        if op == "cell":
            r, c, v = args
            if isinstance(v, float) and not _m.isfinite(v):
                v = str(v)  # openpyxl would write an invalid number; a text "nan" is what a user can type
            cell = ws.cell(r, c)
            if type(cell).__name__ != "MergedCell":  # inside a merged range only the first cell holds a value
                cell.value = v
        elif op == "delete_row":
            ws.delete_rows(args[0])
        elif op == "delete_col":
            ws.delete_cols(args[1])
        elif op == "insert_row":
            ws.insert_rows(args[0])
        elif op == "insert_col":
            ws.insert_cols(args[1])
        elif op == "merge":
            r, c, r2, c2 = args
            if (r, c) != (r2, c2):
                ws.merge_cells(start_row=r, start_column=c, end_row=r2, end_column=c2)
        elif op == "rename":
            ws.title = _sheet_title(args[0], [w.title for w in wb.worksheets if w is not ws])
        elif op == "clear":
            ws.delete_rows(1, ws.max_row)
        elif op == "remove":
            wb.remove(ws)
            if not wb.worksheets:
                wb.create_sheet("x")
        elif op == "add":
            wb.create_sheet(_sheet_title(args[0], wb.sheetnames), 0)


_BOMBS: dict[tuple[bytes, int], bytes] = {}


def zip_bomb(data: bytes, megabytes: int = 200) -> bytes:
    """``data`` (an XLSX or ODS) with its largest sheet swollen by ``megabytes`` of rows of one number each (an
    XLSX ``<row>``, an ODS ``<table:table-row>``), compressing about 1,000 times: small on disk, millions of rows
    for a reader that opens it blindly."""
    import zipfile

    if (data, megabytes) not in _BOMBS:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            infos = src.infolist()
            sheets = [i for i in infos if i.filename.startswith("xl/worksheets/") or i.filename == "content.xml"]
            big = max(sheets or infos, key=lambda i: i.file_size).filename
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in infos:
                    if info.filename != big:
                        dst.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6]),
                                     src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                        continue
                    xml = src.read(big)
                    if b"<sheetData>" in xml:
                        cut, row = xml.index(b"<sheetData>") + len(b"<sheetData>"), b"<row><c><v>1</v></c></row>"
                    elif b"<table:table " in xml:
                        cut = xml.index(b">", xml.index(b"<table:table ")) + 1
                        row = (b'<table:table-row><table:table-cell office:value-type="float" office:value="1">'
                               b"<text:p>1</text:p></table:table-cell></table:table-row>")
                    else:
                        cut, row = xml.index(b">", xml.index(b"?>") + 2) + 1, b"<!-- -->"
                    block = row * ((1 << 20) // len(row))
                    bomb = zipfile.ZipInfo(big, date_time=_FIXED_TIME.timetuple()[:6])
                    bomb.compress_type = zipfile.ZIP_DEFLATED
                    with dst.open(bomb, "w") as fh:
                        fh.write(xml[:cut])
                        for _ in range(megabytes):
                            fh.write(block)
                        fh.write(xml[cut:])
            _BOMBS[data, megabytes] = out.getvalue()
    return _BOMBS[data, megabytes]


@st.composite
def zip_damage(draw) -> tuple | None:
    """Now and then (1 in 8) damage at the byte level: truncated, bytes overwritten, emptied, random bytes
    instead, or a zip bomb."""
    if draw(st.integers(0, 7)):
        return None
    op = draw(st.sampled_from(["truncate", "truncate", "overwrite", "overwrite", "empty", "random", "bomb"]))
    if op in ("truncate", "overwrite"):
        return (op, draw(st.floats(0, 1, exclude_max=True)), draw(st.binary(min_size=1, max_size=16)))
    if op == "random":
        return (op, draw(st.binary(max_size=256)))
    return (op,)


def apply_zip_damage(data: bytes, damage: tuple | None, seed: bytes | None = None) -> bytes:
    """``data`` damaged; a bomb is made from ``seed`` (the undamaged file) when given, once per seed: swelling
    each input's own bytes would cost seconds of compression per bomb."""
    if damage is None:
        return data
    op = damage[0]
    if op == "truncate":
        return data[:int(damage[1] * len(data))]
    if op == "overwrite":
        k = int(damage[1] * len(data))
        return data[:k] + damage[2] + data[k + len(damage[2]):]
    if op == "empty":
        return b""
    if op == "random":
        return damage[1]
    return zip_bomb(seed or data)


def build_xlsx(sheets: list[tuple[str, list[list]]], edits: list[tuple] = ()) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    apply_sheet_edits(wb, list(edits))
    return _deterministic_xlsx(wb)


def _shape(sheets: list[tuple[str, list[list]]]) -> list[tuple[str, int, int]]:
    return [(name, max(len(rows), 1), max((len(r) for r in rows), default=1)) for name, rows in sheets]


# ---- RO3 revenue outturn workbooks (ODS and XLSX as published) ------------------------------------------------

RO3_MEASURES = ["Employees (C1)", "Running Expenses (C2)", "Total Expenditure (C3 = C1 + C2)",
                "Sales, Fees and Charges (C4)", "Other Income (C5)", "Total Income (C6 = C4 + C5)",
                "Net Current Expenditure (C7 = C3 - C6)"]
RO3_LINES = ["Children's social care - Children Looked After",
             "Children's social care - Children Looked After of which residential care",
             "Children's social care - Children Looked After of which fostering services",
             "Children's social care - Family Support Services", "TOTAL CHILDREN SOCIAL CARE"]


def ro3_sheets(layout: str) -> list[tuple[str, list[list]]]:
    """An RO3 data sheet shaped like MHCLG's (title rows, the 2023-24 two-row or 2024-25 joined header, one row per
    authority with the DfE test LAs' ONS codes, markers, England, the class table below) and a notes sheet."""
    from dfe_fixtures import LAS

    ids = ["E-code", "ONS Code", "Local authority", "Notes", "Class", "Detailed Class", "Certified"]
    year = "2023-24" if layout == "2023" else "2024-25"
    width = 7 + 7 * len(RO3_LINES)
    rows: list[list] = [[f"Worksheet 2: Revenue Outturn (RO) {year}: RO3 data"], ["£ thousand"], []]
    if layout == "2023":
        line_row: list = [None] * 7
        for line in RO3_LINES:
            line_row += [f"{line} [note 3]"] + [None] * 6
        rows += [line_row, ids + [m.replace(" (", "\n (") + "2" for m in RO3_MEASURES] * len(RO3_LINES)]
    else:
        rows.append(ids + [f"{line} - {m}" for line in RO3_LINES for m in RO3_MEASURES])
    for k, (code, (name, ons)) in enumerate(LAS.items()):
        figures = []
        for j in range(len(RO3_LINES)):
            emp, run, inc = 1000 + 100 * k + j, 4000 + 37 * k, 300 + k
            figures += [emp, run, emp + run, inc, 10, inc + 10, emp + run - inc - 10]
        if k == 4:  # one authority's return not received
            figures = ["M"] * len(figures)
        rows.append([f"E{code}1", ons, name, "[note 4]" if k == 3 else None, "UA", "UA", "Y"] + figures)
    rows.append(["E0000", "E92000001", "ENGLAND", None, "ENG", "ENG", None] + [12345.678] * (width - 7))
    rows += [[], [None, "ONS Code", "Class"], [None, "SC", "Shire counties"]]
    return [("Contents", [["RO3 data"], ["Notes"]]), ("RO3_LA_Data_" + year[:4], rows),
            ("Notes", [["[note 3]", "line codes"], ["[note 4]", "allocated"]])]


_RO3: dict[str, tuple[list, list]] = {}


def _ro3_seed(layout: str):
    if layout not in _RO3:
        sheets = ro3_sheets(layout)
        _RO3[layout] = (sheets, _shape(sheets))
    return _RO3[layout]


def build_ods(sheets: list[tuple[str, list[list]]]) -> bytes:
    """Sheets as ODS (what MHCLG publishes), through pandas' odf writer."""
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as w:
        for name, rows in sheets:
            width = max((len(r) for r in rows), default=0)
            pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows]).to_excel(
                w, sheet_name=name, header=False, index=False)
    return buf.getvalue()


def _rows_of(wb) -> list[tuple[str, list[list]]]:
    return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


@st.composite
def outturn_inputs(draw) -> dict[str, bytes]:
    """An RO3 workbook in either year's layout, damaged in its structure and cells (and now and then its bytes);
    1 in 5 saved as ODS (what MHCLG publishes), the rest as XLSX (merged cells kept)."""
    layout = draw(st.sampled_from(["2023", "2024"]))
    sheets, shape = _ro3_seed(layout)
    edits = draw(sheet_edits(shape))
    as_ods = draw(st.integers(0, 4)) == 0
    damage = draw(zip_damage())
    if as_ods:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(sheets, edits)))
        rows = [(n, [[None if isinstance(v, dt.time) else v for v in r] for r in rs]) for n, rs in _rows_of(wb)]
        data, seed = build_ods(rows), _seed_bytes(("ods", layout), lambda: build_ods(sheets))
        name = f"RO3_{layout}-24_data_by_LA.ods"
    else:
        data, seed = build_xlsx(sheets, edits), _seed_bytes(("xlsx", layout), lambda: build_xlsx(sheets))
        name = f"RO3_{layout}-24_data_by_LA.xlsx"
    return {name: apply_zip_damage(data, damage, seed)}


_SEED_BYTES: dict = {}


def _seed_bytes(key, build: Callable[[], bytes]) -> bytes:
    if key not in _SEED_BYTES:
        _SEED_BYTES[key] = build()
    return _SEED_BYTES[key]


_DFE_DIR: list[Path] = []
_DFE: list = []


def _dfe_folder() -> Path:
    from dfe_fixtures import write_folder

    if not _DFE_DIR:
        _DFE_DIR.append(write_folder(Path(tempfile.mkdtemp(prefix="careflow-fuzz-dfe-"))))
    return _DFE_DIR[0]


def _fresh_outturn_cache() -> None:
    """read_outturn caches by path and modification time; every fuzz input is written to the same path within
    milliseconds of the last (the same mtime tick), so the cache is emptied for each."""
    from careflow.dfe.outturn import _read_cached

    _read_cached.cache_clear()


def read_outturn_file(folder: Path):
    """As ``careflow benchmark`` reads it: the RO3 file found under the folder, then the spend per child."""
    from careflow.aggregate.spend import unit_cost
    from careflow.dfe import read_folder
    from careflow.dfe.outturn import find_outturn_files, read_outturn
    from careflow.errors import CareflowError

    _fresh_outturn_cache()
    (path,) = find_outturn_files(folder)
    o = read_outturn(path)
    for f in o.findings:
        assert f.file and f.message, f
    for ons in ("E06000901", "E06000902", "E06000905", "E92000001"):
        o.value(ons), o.marker(ons), o.authority(ons)
    if not _DFE:  # the DfE figures are the same for every input: read once
        _DFE.append(read_folder(_dfe_folder()))
    dfe = _DFE[0]
    for code in ("101", "104", "105", None):
        try:
            unit_cost(o, dfe, code)
        except CareflowError:
            pass


def outturn_cli(folder: Path, scratch_: Path) -> list[str]:
    _fresh_outturn_cache()
    found = sorted(folder.glob("RO3_*"))
    return ["benchmark", "--data", str(_dfe_folder()), "--la", "101", "--outturn", str(found[0])]


# ---- SSDA903 returns supplied as XLSX ---------------------------------------------------------------------------

def ssda903_xlsx_sheets() -> list[tuple[str, list[list]]]:
    """The SSDA903 seed return as one workbook, one sheet per table (header row, then rows; dates as text as
    most exports write them, and child 2's as real Excel dates)."""
    from careflow.ssda903.codes import TABLE_COLUMNS
    from ssda903_fixtures import base_tables

    out = []
    for name, rows in base_tables().items():
        cols = list(TABLE_COLUMNS[name])
        body = []
        for row in rows:
            vals = [row.get(c, "") or None for c in cols]
            if row["CHILD"] == "2":
                vals = [dt.datetime.strptime(v, "%d/%m/%Y") if isinstance(v, str) and re.fullmatch(
                    r"\d\d/\d\d/\d{4}", v) else v for v in vals]
            body.append(vals)
        out.append((name, [cols] + body))
    return out


_SSDA903_XLSX: list = []


@st.composite
def ssda903_xlsx_inputs(draw) -> dict[str, bytes]:
    """The seed return as XLSX (1 in 3 as one workbook per table), damaged in structure, cells and bytes."""
    from ssda903_fixtures import YEAR

    if not _SSDA903_XLSX:
        sheets = ssda903_xlsx_sheets()
        _SSDA903_XLSX.append((sheets, _shape(sheets)))
    sheets, shape = _SSDA903_XLSX[0]
    edits = draw(sheet_edits(shape))
    damage = draw(zip_damage())
    if draw(st.integers(0, 2)) == 0:  # a workbook per table: edits go to the sheet's own workbook
        files = {}
        for i, (name, rows) in enumerate(sheets):
            own = [(op, 0, *a) for op, s, *a in edits if s == i]
            files[f"{YEAR}/{name}.xlsx"] = build_xlsx([(name, rows)], own)
        target = draw(st.sampled_from(sorted(files)))
        files[target] = apply_zip_damage(files[target], damage, _seed_bytes(target, lambda: build_xlsx(
            [sheets[[f"{YEAR}/{n}.xlsx" for n, _ in sheets].index(target)]])))
        return files
    return {f"{YEAR}/return.xlsx": apply_zip_damage(build_xlsx(sheets, edits), damage,
                                                    _seed_bytes("return", lambda: build_xlsx(sheets)))}


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
        Family("columns", columns_inputs(), read_columns,
               lambda d, s: ["validate", str(d / "data"), "--columns", str(d / "input.yaml")]),
        Family("outturn", outturn_inputs(), read_outturn_file, outturn_cli),
        Family("ssda903_xlsx", ssda903_xlsx_inputs(), read_ssda903, lambda d, s: ["validate", str(d)]),
    ]
    return {f.name: f for f in out}


# The long run groups the families as the issue counts them: each reader family gets its own 10,000 inputs.
READER_FAMILIES = {
    "ssda903": ["ssda903"], "dfe": ["dfe", "csww"], "other_csv": ["episodes_csv", "children", "difference"],
    "workbook": ["workbook"], "forecast_folder": ["forecast_folder"],
    "columns": ["columns"], "outturn": ["outturn"], "ssda903_xlsx": ["ssda903_xlsx"],
    "yaml": ["case", "register_case", "scenario", "stated_totals", "unit_costs", "inflation", "categories",
             "parameter", "teams"],
}


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="careflow-fuzz-"))


def clear(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
