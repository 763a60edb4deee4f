"""Validation rules for SSDA903 data, with the Data to Insight 903 validator's rule codes where they match.

Row rules run on the tables as read (every row of every return); sequence rules (overlaps, open previous episodes,
continuations) run on the stacked episodes after "latest return wins". Rules of careflow's own start with ``CF``.
All rules are vectorised with pandas: no Python loop over episodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from careflow.errors import Finding
from careflow.fy import FinancialYear
from careflow.ssda903 import codes, dates
from careflow.ssda903.reader import upper

# code -> (field, severity, rule text) for the documentation table and the CLI.
RULES: dict[str, tuple[str, str, str]] = {
    "101": ("SEX", "error", "Gender code is not valid (1, 2, M, F or U)."),
    "102": ("DOB", "error", "Date of birth is not a valid date."),
    "141": ("DECOM", "error", "Date episode began is not a valid date (row excluded)."),
    "142": ("DEC", "error", "A new episode has started, but the previous episode has not ended (closed at the "
                            "next episode's start)."),
    "143": ("RNE", "error", "The reason for new episode code is not a valid code."),
    "144": ("LS", "error", "The legal status code is not a valid code."),
    "145": ("CIN", "error", "Category of need code is not a valid code."),
    "146": ("PLACE", "error", "Placement type code is not a valid code (category 'unknown')."),
    "147": ("DEC", "error", "Date episode ceased is not a valid date (episode treated as open)."),
    "148": ("DEC", "error", "Date episode ceased and reason episode ceased must both be coded, or both blank."),
    "149": ("REC", "error", "Reason episode ceased code is not valid (exit group 'other')."),
    "178": ("PLACE_PROVIDER", "error", "Placement provider code is not a valid code (blank for T0-T4, Z1)."),
    "302": ("DECOM", "error", "Episode starts before the child was born."),
    "356": ("DEC", "error", "The date the episode ceased is before the date it started (row excluded)."),
    "388": ("REC", "error", "Reason episode ceased is X1 (new episode begins) but no episode starts that day."),
    "501": ("DECOM", "error", "A new episode has started before the end date of the previous episode (previous "
                              "episode cut to end when the next starts)."),
    "526": ("PLACE_PROVIDER", "error", "Missing placement provider code."),
    "527": ("PLACE_PROVIDER", "error", "PR1 cannot be associated with placements P1, R2 or R5."),
    "528": ("PLACE_PROVIDER", "error", "PR2 cannot be associated with placements P1, R2 or R5."),
    "529": ("PLACE_PROVIDER", "error", "PR3 cannot be associated with P1, A3-A6, K1, K2, U1-U6."),
    "530": ("PLACE_PROVIDER", "error", "PR4 cannot be associated with placement P1."),
    "531": ("PLACE_PROVIDER", "error", "PR5 cannot be associated with placement P1."),
    "CF-AFTER-YEAR": ("DECOM", "warning", "Episode starts or ends after 31 March of its return's collection year."),
    "CF-NO-HEADER": ("CHILD", "error", "Child has episodes but no Header row in any return (no date of birth)."),
    "CF-CHILD": ("CHILD", "error", "CHILD is blank (row excluded)."),
    "CF-DUPLICATE": ("", "warning", "Row repeats another row of the same file exactly (counted once)."),
    "CF-DUPLICATE-EPISODE": ("DECOM", "error", "Two different rows for the same child and DECOM in one return "
                                               "(the later row is used)."),
    "CF-LOST": ("DEC", "warning", "Episode open at the end of a return is missing from every later return "
                                  "(closed on 1 April after that return)."),
    "CF-CATEGORY": ("PLACE_PROVIDER", "warning", "No placement category for this PLACE and provider in the "
                                                 "category mapping (category 'unknown')."),
    "CF-COLUMNS-MISSING": ("", "error", "Table lacks expected columns (read as blank, or the file is excluded "
                                        "when CHILD/DECOM/DOB is missing)."),
    "CF-COLUMNS-EXTRA": ("", "warning", "Table has columns careflow does not use (ignored)."),
    "CF-COLUMNS": ("", "error", "A column appears more than once."),
    "CF-ROW-FIELDS": ("", "error", "Row has more (row excluded) or fewer (read as blank) fields than the header."),
    "CF-EMPTY": ("", "error", "Empty file (warning: header but no rows)."),
    "CF-ENCODING": ("", "error", "File is not UTF-8 text."),
    "CF-BINARY": ("", "error", "File is binary junk, not CSV text (file excluded)."),
    "CF-XLSX": ("", "error", "Spreadsheet cannot be read (file excluded)."),
    "CF-FILE": ("", "error", "File or folder missing or unreadable."),
    "CF-UNKNOWN-TABLE": ("", "warning", "File or sheet matches no SSDA903 table (passed over)."),
    "CF-OTHER-TABLE": ("", "info", "Another SSDA903 table (missing, OC2, reviews...): passed over."),
    "CF-OTHER-FILE": ("", "info", "Not a CSV or XLSX file: passed over."),
    "CF-YEAR": ("YEAR", "error", "Collection year cannot be determined (rows excluded)."),
    "CF-YEAR-CONVENTION": ("", "info", "How bare year numbers were read (year the collection starts or ends)."),
    "CF-NO-DATA": ("", "error", "No usable Episodes rows were found (the first finding, saying why in one "
                                "sentence)."),
    "CF-DATE-ORDER": ("", "error", "A file's numeric dates read either day or month first and nothing settles "
                                   "which, or the file mixes both (nothing is loaded; give --date-format). Info: "
                                   "a file read month first, or in the order of the other files."),
    "CF-HEADER-DOB": ("DOB", "error", "A child's Header rows (in one return or across returns) give different "
                                      "dates of birth (the latest return's valid one is used)."),
    "CF-HEADER-SEX": ("SEX", "warning", "A child's Header rows give different sexes (the latest return's is used)."),
    "CF-DELIMITER": ("", "info", "The file is separated by semicolons, tabs or pipes, not commas."),
    "CF-COLUMN-NAMES": ("", "info", "Columns read by another name (careflow's list of export names or --columns)."),
    "CF-LA": ("", "error", "No such LA in the data (--la); info: --la on data without an LA column."),
    "CF-MERGED": ("", "info", "Same-day continuation rows merged into the episodes they continue (counted)."),
    "CF-MIN-DATA": ("", "warning", "Too few children or too short a history for a forecast to mean much."),
}


@dataclass
class ValidationReport:
    """Findings and counts: ``ok`` when there is no error (warnings and info allowed)."""

    findings: list[Finding] = field(default_factory=list)
    children: int = 0
    episodes: int = 0
    years: list[str] = field(default_factory=list)
    las: list[dict] = field(default_factory=list)  # per LA when the data hold several: la, children, episodes, years

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def counts_by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.rule] = out.get(f.rule, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        """Every issue (with the CHILD identifiers the data team needs to find each record), counts and summary."""
        return {
            "issues": [{k: f.to_dict()[k] for k in ("rule", "severity", "file", "row", "child", "field", "message")}
                       for f in self.findings],
            **self.status(),
        }

    def status(self) -> dict:
        """The validation status without any issue: summary and counts by rule. No child identifier, date of
        birth or file line: safe to travel with a forecast into reports for finance."""
        by_rule: dict[str, dict] = {}
        for f in self.findings:
            entry = by_rule.setdefault(f.rule, {"severity": f.severity, "count": 0})
            entry["count"] += 1
        return {"summary": {"errors": self.errors, "warnings": self.warnings, "children": self.children,
                            "episodes": self.episodes, "years": self.years, "las": self.las},
                "by_rule": dict(sorted(by_rule.items()))}


def emit(findings: list[Finding], df: pd.DataFrame, mask, rule: str, field_: str | None, message,
         severity: str | None = None) -> None:
    """Add one finding per row of ``df`` where ``mask``; ``message`` is text or a function of the row."""
    mask = pd.Series(mask, index=df.index).fillna(False).astype(bool)
    if not mask.any():
        return
    sev = severity or RULES.get(rule, ("", "error", ""))[1]
    sub = df.loc[mask]
    files = sub["_file"].tolist()
    rows = sub["_row"].tolist()
    children = sub["CHILD"].tolist() if "CHILD" in sub else [None] * len(sub)
    if callable(message):
        cols = [c for c in sub.columns if not c.startswith("_") or c in ("_DEC", "_DECOM", "_file")]
        texts = [message(dict(zip(cols, vals, strict=True)))
                 for vals in zip(*(sub[c].tolist() for c in cols), strict=True)]
    else:
        texts = [message] * len(sub)
    findings.extend(Finding(rule=rule, message=t, file=f, row=int(r), field=field_, child=c or None,
                            severity=sev)
                    for t, f, r, c in zip(texts, files, rows, children, strict=True))


def _upper_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, upper-cased text of each distinct value), as :func:`upper` reads codes: each rule then
    tests the few distinct codes, not every row."""
    codes_, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes_, np.array([str(v).upper() for v in uniques], dtype=object)


def _rows_where(coded: tuple[np.ndarray, np.ndarray], test) -> np.ndarray:
    codes_, uniques = coded
    return np.array([bool(test(u)) for u in uniques], dtype=bool)[codes_]


def _text(df: pd.DataFrame, column: str) -> np.ndarray:
    return df[column].to_numpy(dtype=object)  # numpy compares plain objects faster than the str dtype does


def _code_rule(findings, df, column, valid, rule, allow_blank=False, coded=None):
    bad = _rows_where(coded or _upper_codes(df[column]),
                      lambda u: u not in valid and not (allow_blank and u == ""))
    emit(findings, df, bad, rule, column,
         lambda r: (f"{column} is blank" if not r[column] else f"{column} {r[column]!r} is not a valid code"))


def _not_a_date(formats: dict[str, str | None] | None, fmt: str | None):
    """Why a date text did not read, for a finding: out of the 1900-2100 range, or not a date at all."""
    def why(r: dict, column: str) -> str:
        text = r[column]
        if not text:
            return f"{column} is blank"
        order = (formats or {}).get(r["_file"], dates.DAY_FIRST)
        if dates.out_of_range(text, order, fmt):
            return (f"{column} {text!r} is outside {dates.MIN_YEAR}-{dates.MAX_YEAR} (a placeholder date?), so it "
                    "is not read as a date")
        return f"{column} {text!r} is not a valid date" + (f" in the format {fmt}" if fmt else "")
    return why


def check_episode_rows(ep: pd.DataFrame, findings: list[Finding], formats: dict[str, str | None] | None = None,
                       fmt: str | None = None) -> None:
    """Rules on each Episodes row as read: codes, dates, DEC/REC pairing, provider against placement.
    ``formats``: the day/month order of each file's numeric dates; ``fmt`` the caller's date format (messages)."""
    why = _not_a_date(formats, fmt)
    emit(findings, ep, _text(ep, "CHILD") == "", "CF-CHILD", "CHILD", "CHILD is blank; row excluded")
    emit(findings, ep, ep["_DECOM"].isna(), "141", "DECOM", lambda r: why(r, "DECOM") + "; row excluded")
    has_dec = _text(ep, "DEC") != ""
    emit(findings, ep, ep["_DEC"].isna().to_numpy() & has_dec, "147", "DEC",
         lambda r: why(r, "DEC") + "; episode treated as open")
    emit(findings, ep, ep["_DEC"] < ep["_DECOM"], "356", "DEC",
         lambda r: f"DEC {r['DEC']} is before DECOM {r['DECOM']}; row excluded")
    place, prov = _upper_codes(ep["PLACE"]), _upper_codes(ep["PLACE_PROVIDER"])
    _code_rule(findings, ep, "RNE", codes.RNE, "143")
    _code_rule(findings, ep, "LS", codes.LS, "144")
    _code_rule(findings, ep, "CIN", codes.CIN, "145")
    _code_rule(findings, ep, "PLACE", codes.PLACE, "146", coded=place)
    _code_rule(findings, ep, "REC", codes.REC, "149", allow_blank=True)
    no_prov = _rows_where(place, lambda u: u in codes.NO_PROVIDER_PLACE)
    prov_blank = _rows_where(prov, lambda u: u == "")
    emit(findings, ep, ~prov_blank & (~_rows_where(prov, lambda u: u in codes.PLACE_PROVIDER) | no_prov), "178",
         "PLACE_PROVIDER",
         lambda r: (f"PLACE_PROVIDER {r['PLACE_PROVIDER']!r} must be blank for placement {r['PLACE']}"
                    if r["PLACE"].upper() in codes.NO_PROVIDER_PLACE
                    else f"PLACE_PROVIDER {r['PLACE_PROVIDER']!r} is not a valid code"))
    emit(findings, ep, prov_blank & _rows_where(place, lambda u: u in codes.PLACE - codes.NO_PROVIDER_PLACE),
         "526", "PLACE_PROVIDER", lambda r: f"placement {r['PLACE']} needs a placement provider code")
    for rule, (pcode, places) in codes.PROVIDER_INVALID_FOR_PLACE.items():
        emit(findings, ep, _rows_where(prov, lambda u, p=pcode: u == p) & _rows_where(place, places.__contains__),
             rule, "PLACE_PROVIDER",
             lambda r: f"provider {r['PLACE_PROVIDER']} cannot be associated with placement {r['PLACE']}")
    year_end = _year_ends(ep["year"])
    emit(findings, ep, ep["_DECOM"] > year_end, "CF-AFTER-YEAR", "DECOM",
         lambda r: f"DECOM {r['DECOM']} is after the end of this return's collection year "
                   f"({int(r['year'])}-{(int(r['year']) + 1) % 100:02d})")
    emit(findings, ep, (ep["_DEC"] > year_end) & ~(ep["_DECOM"] > year_end), "CF-AFTER-YEAR", "DEC",
         lambda r: f"DEC {r['DEC']} is after the end of this return's collection year "
                   f"({int(r['year'])}-{(int(r['year']) + 1) % 100:02d})")
    has_rec = _text(ep, "REC") != ""
    emit(findings, ep, has_dec & ~has_rec, "148", "REC", "DEC is set but REC is blank")
    emit(findings, ep, has_rec & ~has_dec, "148", "DEC",
         lambda r: f"REC {r['REC']!r} is set but DEC is blank; episode treated as open")


def _year_ends(years: pd.Series) -> pd.Series:
    """31 March ending each row's collection year (``years``: start years); NaT where the year is missing."""
    codes_, distinct = pd.factorize(years)
    ends = pd.to_datetime((pd.Series(distinct, dtype="Int64").astype("float") + 1).astype("Int64").astype(str)
                          + "-03-31", errors="coerce").to_numpy(dtype="datetime64[ns]")
    out = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[codes_ >= 0] = ends[codes_[codes_ >= 0]]
    return pd.Series(out, index=years.index)


def check_person_rows(df: pd.DataFrame, findings: list[Finding], table: str,
                      formats: dict[str, str | None] | None = None, fmt: str | None = None) -> None:
    """Header and UASC rows: SEX code and DOB."""
    why = _not_a_date(formats, fmt)
    _code_rule(findings, df, "SEX", codes.SEX, "101")
    emit(findings, df, df["_DOB"].isna(), "102", "DOB", lambda r: why(r, "DOB"))
    emit(findings, df, df["CHILD"] == "", "CF-CHILD", "CHILD", f"CHILD is blank; {table} row excluded")


def check_sequences(ep: pd.DataFrame, findings: list[Finding]) -> None:
    """Rules across a child's episodes; ``ep`` (from ``latest_episodes``) is sorted by ``_key`` (LA, CHILD) and
    DECOM, one row per episode."""
    same = ep["_key"] == ep["_key"].shift(-1)
    next_decom = ep["_DECOM"].shift(-1).where(same)
    emit(findings, ep, same & ep["_DEC"].isna(), "142", "DEC",
         lambda r: "episode has no DEC but a later episode starts; closed when the next episode starts")
    emit(findings, ep, same & ep["_DEC"].notna() & (next_decom < ep["_DEC"]), "501", "DEC",
         lambda r: f"episode ends {r['_DEC']:%d/%m/%Y}, after the next episode of this child starts")
    x1 = upper(ep["REC"]).eq("X1") & ep["_DEC"].notna()
    emit(findings, ep, x1 & ~(next_decom == ep["_DEC"]), "388", "REC",
         "REC is X1 (new episode begins) but no episode of this child starts on its DEC")


def check_header_conflicts(header: pd.DataFrame, findings: list[Finding]) -> None:
    """A child whose Header rows (in one return or across returns) disagree on DOB (error) or SEX (warning): one
    finding per child naming the values and the rows, at the row that is used. Resolution, as the cleaning does
    it: the latest return's row with a valid DOB wins (within a return, the later row)."""
    h = header.loc[header["CHILD"] != ""]
    if h.empty:
        return
    key = h["_key"].to_numpy()
    dob = h["_DOB"]
    sex = upper(h["SEX"]).map(codes.SEX_LABEL)
    n_dob = dob.groupby(key).nunique()
    n_sex = sex.groupby(key).nunique()
    for column, counts, rule in (("DOB", n_dob, "CF-HEADER-DOB"), ("SEX", n_sex, "CF-HEADER-SEX")):
        clash = counts.index[counts.to_numpy() > 1]
        if not len(clash):
            continue
        sub = h.loc[np.isin(key, clash)].assign(value_=(dob if column == "DOB" else sex).loc[np.isin(key, clash)])
        for _, g in sub.groupby("_key", sort=True):
            # The row used: latest year, valid DOB first, later row last (as people_table sorts).
            order = np.lexsort((np.arange(len(g)), g["year"].to_numpy(dtype="int64"), g["_DOB"].notna().to_numpy()))
            used = g.iloc[order[-1]]
            seen = [f"{r[column]} ({FinancialYear(int(r['year'])).label} {_short(r['_file'])} line {r['_row']})"
                    for r in g.to_dict("records") if pd.notna(r["value_"])]
            findings.append(Finding(
                rule, f"Header rows for this child give different {'dates of birth' if column == 'DOB' else 'sexes'}"
                f": {'; '.join(seen)}; the latest return's ({used[column]}) is used", file=used["_file"],
                row=int(used["_row"]), field=column, child=used["CHILD"], severity=RULES[rule][1]))


def _short(file: str) -> str:
    """A file's name with its folder (2021-22/header.csv): enough to find it, shorter than the full path."""
    parts = str(file).replace("\\", "/").split("/")
    return "/".join(parts[-2:])
