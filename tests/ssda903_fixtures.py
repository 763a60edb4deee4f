"""Small hand-made SSDA903 returns for tests: a valid base that each test breaks in exactly one way."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from careflow.ssda903.codes import TABLE_COLUMNS

YEAR = "2021-22"


def base_tables() -> dict[str, list[dict]]:
    """Two children, valid under every rule. Child 1: a placement move (one period, still open at 31 March
    2022); child 2: one episode, returned home on 1 September 2021."""
    header = [
        {"CHILD": "1", "SEX": "1", "DOB": "01/01/2010", "ETHNIC": "WBRI", "UPN": "A123", "MOTHER": "", "MC_DOB": ""},
        {"CHILD": "2", "SEX": "2", "DOB": "25/05/2012", "ETHNIC": "WBRI", "UPN": "B123", "MOTHER": "", "MC_DOB": ""},
    ]
    ep = dict.fromkeys(TABLE_COLUMNS["episodes"], "")
    episodes = [
        {**ep, "CHILD": "1", "DECOM": "01/05/2021", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4",
         "PLACE_PROVIDER": "PR4", "DEC": "10/06/2021", "REC": "X1", "REASON_PLACE_CHANGE": "CARPL"},
        {**ep, "CHILD": "1", "DECOM": "10/06/2021", "RNE": "P", "LS": "C2", "CIN": "N1", "PLACE": "U1",
         "PLACE_PROVIDER": "PR1"},
        {**ep, "CHILD": "2", "DECOM": "15/06/2021", "RNE": "S", "LS": "C1", "CIN": "N2", "PLACE": "K2",
         "PLACE_PROVIDER": "PR1", "DEC": "01/09/2021", "REC": "E13"},
    ]
    return {"header": header, "episodes": episodes}


def to_csv(rows: list[dict], columns=None) -> str:
    columns = columns or list(rows[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_return(folder: Path, tables: dict[str, list[dict]], year: str = YEAR) -> Path:
    d = folder / year
    d.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        (d / f"{name}.csv").write_text(to_csv(rows, list(TABLE_COLUMNS[name])), encoding="utf-8")
    return folder
