"""Find SSDA903 tables in files and folders and read them as text, with the collection year of every row.

Accepted layouts: one folder per year (``2017/episodes.csv``), files named by year (``episodes_2018.csv``,
``2018-episodes.csv``), or stacked files with ``LA`` and ``YEAR`` columns (the LIIA layout); CSV and XLSX (every
sheet). A table is identified by its columns, never by its file name. Nothing here raises on bad input: every
problem becomes a :class:`~careflow.errors.Finding` and the affected rows are kept or reported as excluded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from careflow.archives import check_spreadsheet
from careflow.errors import CareflowError, Finding
from careflow.fy import FinancialYear
from careflow.ssda903 import dates
from careflow.ssda903.codes import ESSENTIAL, OTHER_TABLES, STACKED_COLUMNS, TABLE_COLUMNS
from careflow.ssda903.columns import load_columns, normal

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DATE_COLUMNS = {"episodes": ("DECOM", "DEC"), "header": ("DOB", "MC_DOB"), "uasc": ("DOB", "DUC")}
UNUSED_COLUMNS = frozenset({"HOME_POST", "PL_POST", "URN", "UPN", "ETHNIC", "MOTHER", "MC_DOB"})
META = ("_file", "_row", "_year_num", "_year_explicit", "LA")

_EXPLICIT_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-_/]\s*(\d\d)(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)  # control bytes no text file holds


@dataclass
class RawTables:
    """The three modelling tables as read (text columns plus parsed dates), and the findings from reading.

    Each frame has the table's columns (upper case; missing ones blank), ``_file`` and ``_row`` (data row number
    in that file, the header being row 0), ``LA`` ("" when the data has no LA column), ``year`` (the collection
    year's start, e.g. 2020 for 2020-21; <NA> when it could not be determined) and parsed dates ``_<COLUMN>``.
    """

    episodes: pd.DataFrame
    header: pd.DataFrame
    uasc: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    year_convention: str = "auto"
    date_formats: dict[str, str | None] = field(default_factory=dict)  # file -> order of its numeric dates
    date_format: str | None = None  # the caller's strftime format, when given


def per_unique(values: pd.Series, func) -> pd.Series:
    """Apply ``func`` to each distinct value only: codes and dates repeat, so this is far faster than ``.str``."""
    codes_, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = func(pd.Series(uniques, dtype=object))
    if not len(uniques):
        return pd.Series([], index=values.index, dtype=mapped.dtype)
    if mapped.dtype == values.dtype and mapped.tolist() == np.asarray(uniques, dtype=object).tolist():
        return values.rename(None)  # nothing changes (text already clean, codes already upper case): no copy
    return pd.Series(mapped.to_numpy()[codes_], index=values.index, dtype=mapped.dtype)


def _clean_text(u: pd.Series) -> pd.Series:
    return pd.Series([("" if v is None or v != v else str(v)).strip() for v in u], dtype="str")


def upper(values: pd.Series) -> pd.Series:
    return per_unique(values, lambda u: pd.Series([str(v).upper() for v in u], dtype="str"))


def parse_dates(values: pd.Series, order: str | None = dates.DAY_FIRST, fmt: str | None = None) -> pd.Series:
    """Dates in any layout :mod:`careflow.ssda903.dates` reads (``order``: day or month first for numeric ones;
    ``fmt``: a strftime format that overrides it); NaT when not a date or outside 1900-2100."""
    return per_unique(values, lambda u: dates.parse(u, order, fmt))


def _year_from_text(text: str) -> tuple[int, bool] | None:
    """(year number, explicit) from a name or YEAR value: '2017-18' is explicit (start 2017); '2017' is not."""
    m = _EXPLICIT_YEAR.search(text)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        if (first + 1) % 100 == second:
            return first, True
    m = _YEAR.search(text)
    if m:
        return int(m.group(1)), False
    return None


def _discover(paths) -> tuple[list[tuple[Path, Path]], list[Finding]]:
    """(file, root it was found under) for every file under the given paths."""
    found: list[tuple[Path, Path]] = []
    findings: list[Finding] = []
    if isinstance(paths, str | Path):
        paths = [paths]
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "~$")))
            if not files:
                findings.append(Finding("CF-EMPTY", "folder holds no files", file=str(p)))
            found.extend((f, p) for f in files if f.resolve() not in seen)
            seen.update(f.resolve() for f in files)
        elif p.is_file():
            if p.resolve() not in seen:  # the same file given twice (or inside a folder given) is read once
                found.append((p, p.parent))
                seen.add(p.resolve())
        else:
            findings.append(Finding("CF-FILE", "no such file or folder", file=str(p)))
    return found, findings


def _decode(raw: bytes, name: str, findings: list[Finding]) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        findings.append(Finding("CF-ENCODING", "file is UTF-16, not UTF-8: save it as CSV UTF-8; read as UTF-16",
                                file=name))
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            findings.append(Finding("CF-BINARY", "not a readable text file", file=name))
            return None
    head = raw[:65536]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C, not byte by byte
    if b"\x00" in head or controls > max(8, len(head) // 100):
        findings.append(Finding("CF-BINARY", "file holds binary data, not CSV text; passed over", file=name))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n")  # header line is row 0
        findings.append(Finding("CF-ENCODING", f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as CSV UTF-8. "
                                "Read as Windows-1252, so names and postcodes may be wrong", file=name, row=line))
        return raw.decode("cp1252", errors="replace")


_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _sniff(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of comma, semicolon, tab and pipe (comma on a tie)."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _parse_csv(text: str, name: str, findings: list[Finding], utf8: bytes | None = None) -> pd.DataFrame | None:
    """Text columns, with ``_row`` the line of each row in the file as a user opens it (header = line 1, blank
    lines counted). Ragged rows are reported (too long: excluded). Comma, semicolon, tab or pipe separated.

    ``utf8``: the file's bytes when ``text`` is their UTF-8 decoding; pandas parses bytes faster than text."""
    if "\x00" in text:
        text = text.replace("\x00", "")
        utf8 = None
        findings.append(Finding("CF-BINARY", "file holds NUL bytes; removed before reading", file=name))
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    blank = [not line.strip() for line in lines]
    try:
        first = blank.index(False)
    except ValueError:
        return pd.DataFrame()
    sep = _sniff(lines[first])
    if sep != ",":
        findings.append(Finding("CF-DELIMITER", f"read as {_DELIMITERS[sep]}-separated (the header has no commas "
                                "but has " + _DELIMITERS[sep] + "s)", file=name, severity="info"))
    if '"' not in text and "\r" not in text.replace("\r\n", "\n") and first == 0:
        # Fast path: no quoting, so every non-blank line is one row; line numbers are known exactly.
        width = lines[0].count(sep) + 1
        numbers = [i + 1 for i, b in enumerate(blank) if not b][1:]
        counts = [lines[i - 1].count(sep) + 1 for i in numbers]
        if all(c <= width for c in counts):
            source = (io.BytesIO(utf8) if utf8 is not None and not any(blank[:-1])
                      else io.StringIO("\n".join(line for line, b in zip(lines, blank, strict=True) if not b)))
            try:
                df = pd.read_csv(source, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig")
            except Exception:  # noqa: BLE001 - the csv module below locates the problem
                df = None
            if df is not None and len(df) == len(numbers):
                _restore_repeated_names(df, lines[0], sep)
                df.insert(0, "_row", np.array(numbers, dtype=int), allow_duplicates=True)
                for r, c in zip(numbers, counts, strict=True):
                    if c < width and len(findings) < 10**6:
                        findings.append(Finding("CF-ROW-FIELDS", "row has fewer fields than the header; missing "
                                                "fields read as blank", file=name, row=r))
                return df
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        rows, numbers = [], []
        line = 0
        for r in reader:
            if any(c.strip() for c in r):
                rows.append(r)
                numbers.append(line + 1)  # the record's first line (a quoted field may span several)
            line = reader.line_num
    except csv.Error as exc:
        findings.append(Finding("CF-BINARY", f"cannot be read as CSV: {exc}", file=name))
        return None
    if not rows:
        return pd.DataFrame()
    head, body = rows[0], rows[1:]
    good, kept = [], []
    for r, n in zip(body, numbers[1:], strict=True):
        if len(r) > len(head):
            findings.append(Finding("CF-ROW-FIELDS", f"row has {len(r)} fields, the header {len(head)}; "
                                    "row excluded", file=name, row=n))
            continue
        if len(r) < len(head):
            findings.append(Finding("CF-ROW-FIELDS", "row has fewer fields than the header; missing fields "
                                    "read as blank", file=name, row=n))
            r = r + [""] * (len(head) - len(r))
        good.append(r)
        kept.append(n)
    df = pd.DataFrame(good, columns=head, dtype=str) if good else pd.DataFrame(columns=head, dtype=str)
    df.insert(0, "_row", np.array(kept, dtype=int), allow_duplicates=True)
    return df


def _restore_repeated_names(df: pd.DataFrame, header: str, sep: str) -> None:
    """pandas renames a repeated column ("RNE.1"): put the names back so the repeat is reported as such."""
    names = next(csv.reader(io.StringIO(header), delimiter=sep), [])
    if len(names) == df.shape[1] and len(set(names)) < len(names):
        df.columns = names


def _read_xlsx(path: Path, findings: list[Finding]) -> list[tuple[str, pd.DataFrame]]:
    bomb = check_spreadsheet(path, "CF-XLSX")
    if bomb is not None:
        findings.append(bomb)
        return []
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, header=0, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - any failure of the workbook reader is the user's file
        findings.append(Finding("CF-XLSX", f"unreadable spreadsheet: {type(exc).__name__}: {exc}"[:300],
                                file=str(path)))
        return []
    out = []
    for sheet, df in sheets.items():
        df = df.dropna(how="all").fillna("")
        df.columns = [str(c) for c in df.columns]
        # The row number a user sees in the sheet: the header is row 1 and blank rows keep their numbers.
        df.insert(0, "_row", np.asarray(df.index, dtype=int) + 2)
        out.append((f"{path}[{sheet}]", df.reset_index(drop=True)))
    return out


def _identify(columns: list[str]) -> tuple[str | None, float]:
    cols = set(columns)
    for name, other in OTHER_TABLES.items():
        if set(other) <= cols and "DECOM" not in cols:
            return f"other:{name}", 1.0
    best, score = None, 0.0
    for name, expected in TABLE_COLUMNS.items():
        s = len(cols & set(expected)) / len(expected)
        if s > score or (s == score and best is not None and len(expected) > len(TABLE_COLUMNS[best])):
            best, score = name, s
    return (best, score) if score >= 0.6 else (None, score)


@dataclass
class ReadOptions:
    """How to read what the files do not say themselves (see :func:`read_tables`)."""

    year: int | None = None  # start year of the collection year for files whose names and columns do not say
    date_format: str | None = None  # strftime format for numeric dates (overrides detection)
    aliases: dict[str, str] = field(default_factory=dict)  # normal(name) -> SSDA903 column


def plausible_years(today: dt.date | None = None) -> tuple[int, int]:
    """Start years a collection year may have: 1990-91 up to the year in progress (no return from the future)."""
    today = today or dt.date.today()
    return 1990, FinancialYear.containing(today).start_year


def _rename(raw_cols: list[str], aliases: dict[str, str], name: str, findings: list[Finding]) -> list[str]:
    cols = [str(c).replace("\ufeff", "").strip().upper() for c in raw_cols]
    out, renamed = [], []
    for raw, col in zip(raw_cols, cols, strict=True):
        target = aliases.get(normal(col), col)
        if target != col:
            renamed.append(f"{str(raw).strip()!r} as {target}")
        out.append(target)
    if renamed:
        findings.append(Finding("CF-COLUMN-NAMES", "columns read by their other names: " + ", ".join(renamed),
                                file=name, severity="info"))
    return out


def _frame_findings(df: pd.DataFrame, name: str, path: Path, root: Path, findings: list[Finding],
                    options: ReadOptions) -> tuple[str, pd.DataFrame] | None:
    """Identify the table, check its columns, attach LA and year; None when the frame is passed over."""
    if df is None:
        return None
    if df.shape[1] <= 1 and len(df) == 0:
        findings.append(Finding("CF-EMPTY", "file is empty", file=name))
        return None
    raw_cols = [c for c in df.columns if c != "_row"]
    cols = _rename(raw_cols, options.aliases, name, findings)
    dups = sorted({c for c in cols if cols.count(c) > 1})
    if dups:
        findings.append(Finding("CF-COLUMNS", f"column(s) appear more than once: {', '.join(dups)}; the first "
                                "is used", file=name, field=dups[0]))
    df = df.set_axis(["_row"] + cols, axis=1)
    if dups:
        df = df.loc[:, ~df.columns.duplicated()]
    table, score = _identify(cols)
    if table is None:
        hint = ""
        if len(cols) == 1 and any(d in str(raw_cols[0]) for d in ";\t|,"):
            hint = " (one column holding separators: is the file separated by something other than , ; tab or |?)"
        elif score > 0:
            hint = (" (some SSDA903 columns are there: map the others' names with --columns FILE, see "
                    "docs/ssda903.md)")
        findings.append(Finding("CF-UNKNOWN-TABLE", "not an SSDA903 table (columns match no Header, Episodes or "
                                f"UASC table){hint}; passed over. Columns: {', '.join(cols[:12])}", file=name,
                                severity="warning"))
        return None
    if table.startswith("other:"):
        findings.append(Finding("CF-OTHER-TABLE", f"SSDA903 {table[6:]} table: not used by careflow, passed over",
                                file=name, severity="info"))
        return None
    expected = TABLE_COLUMNS[table]
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected and c not in STACKED_COLUMNS and c != "_row"]
    if missing:
        essential = [c for c in ESSENTIAL[table] if c in missing]
        tail = ("; the table cannot be used and its rows are excluded (a column under another name? map it with "
                "--columns FILE)" if essential else "; read as blank")
        findings.append(Finding("CF-COLUMNS-MISSING", f"{table} table lacks column(s) {', '.join(missing)}{tail}",
                                file=name, field=missing[0]))
        if essential:
            return None
        for c in missing:
            df[c] = ""
    if extra:
        findings.append(Finding("CF-COLUMNS-EXTRA", f"{table} table has column(s) careflow does not use: "
                                f"{', '.join(extra)}; ignored (if a known column is among them under another name, "
                                "map it with --columns FILE)", file=name, field=extra[0], severity="warning"))
    if len(df) == 0:
        findings.append(Finding("CF-EMPTY", f"{table} table has a header but no data rows",
                                file=name, severity="warning" if table != "uasc" else "info"))
    wanted = ["_row", *expected, *[c for c in STACKED_COLUMNS if c in df.columns]]
    if list(df.columns) != wanted:  # usually the file's columns are just these, in this order
        df = df[wanted]
    df["_file"] = name
    if "LA" not in df.columns:
        df["LA"] = ""
    _collection_year(df, table, name, path, root, findings, options)
    return table, df


def _collection_year(df: pd.DataFrame, table: str, name: str, path: Path, root: Path, findings: list[Finding],
                     options: ReadOptions) -> None:
    """Set ``_year_num`` and ``_year_explicit`` on ``df`` (in place); a row whose year cannot be told is a
    finding."""
    # Collection year: the YEAR column, else the file name, else the nearest folder name below the root, else
    # the year given by the caller. (Each year column is set once: _year_num, then _year_explicit.)
    low, high = plausible_years()
    if "YEAR" in df.columns:
        # Each distinct YEAR text is parsed once and the results taken by code: no per-row mapping.
        year_codes, year_texts = pd.factorize(df["YEAR"], use_na_sentinel=False)
        parsed = [_year_from_text(v) for v in _clean_text(pd.Series(year_texts, dtype=object))]
        # A bare number may be the year the collection ends: one more than the start year.
        parsed = [p if p and low <= p[0] - (not p[1]) <= high else None for p in parsed]
        df["_year_num"] = pd.array([p[0] if p else None for p in parsed], dtype="Int64").take(year_codes)
        df["_year_explicit"] = np.array([bool(p and p[1]) for p in parsed], dtype=bool)[year_codes]
        bad = df["_year_num"].isna()
        for r in df.loc[bad, "_row"].tolist()[:1000]:
            findings.append(Finding("CF-YEAR", "YEAR is not a collection year from 1990-91 to "
                                    f"{FinancialYear(high).label} (e.g. 2021 or 2020-21); row excluded", file=name,
                                    row=int(r), field="YEAR"))
        if bad.sum() > 1000:
            findings.append(Finding("CF-YEAR", f"{int(bad.sum()) - 1000} more rows with such a YEAR excluded",
                                    file=name, field="YEAR"))
        del df["YEAR"]
    else:
        candidates = [path.stem]
        try:
            rel = path.parent.relative_to(root)
            candidates += [p for p in reversed(rel.parts)]
        except ValueError:
            pass
        if path.parent == root:
            candidates.append(root.name)
        year = next((y for y in (_year_from_text(c) for c in candidates) if y), None)
        if year is None and options.year is not None:
            year = (options.year, True)
        n = len(df)
        if year is None:
            findings.append(Finding("CF-YEAR", f"cannot tell which collection year this {table} file is: name "
                                    "the file or its folder by year (e.g. 2021/episodes.csv or episodes_2021.csv), "
                                    "add a YEAR column or give --year 2024-25; its rows are excluded", file=name))
            df["_year_num"] = pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))
            df["_year_explicit"] = False
        else:
            df["_year_num"] = pd.arrays.IntegerArray(np.full(n, year[0], dtype="int64"), np.zeros(n, dtype=bool))
            df["_year_explicit"] = year[1]


def _empty(table: str) -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="str") for c in ("_row", *TABLE_COLUMNS[table], "_file", "LA")})
    df["_row"] = df["_row"].astype(int)
    df["_year_num"] = pd.array([], dtype="Int64")
    df["_year_explicit"] = pd.Series(dtype=bool)
    return df


def _date_orders(frames: list[tuple[str, pd.DataFrame]], options: ReadOptions,
                 findings: list[Finding]) -> dict[str, tuple[str | None, bool]]:
    """{file: (order of its numeric dates, guessed)}: each file's own dates settle its order; a file whose dates
    read either way takes the order the other files agree on (``guessed``); when none do, or a file mixes orders,
    one CF-DATE-ORDER error names the file, the formats seen and ``--date-format``."""
    evidence: dict[str, dates.Evidence] = {}
    for table, df in frames:
        ev = evidence.setdefault(df["_file"].iloc[0] if len(df) else "", dates.Evidence())
        for c in DATE_COLUMNS[table]:
            ev.add(pd.unique(df[c]))
    if options.date_format is not None:
        return {f: (None, False) for f in evidence}
    settled = {f: ev.order() for f, ev in evidence.items()}
    agreed = {o for o in settled.values() if o in (dates.DAY_FIRST, dates.MONTH_FIRST)}
    out: dict[str, tuple[str | None, bool]] = {}
    for f, ev in evidence.items():
        order = settled[f]
        if order == "mixed":
            findings.append(Finding(
                "CF-DATE-ORDER", f"this file mixes day-first dates (e.g. {ev.day_first[0]}) and month-first dates "
                f"(e.g. {ev.month_first[0]}); formats seen: {ev.describe()}. Correct the file, or give "
                "--date-format (e.g. %d/%m/%Y) to read every numeric date one way and have the others reported "
                "row by row", file=f))
            out[f] = (None, False)
        elif order is not None:
            out[f] = (order, False)
            if order == dates.MONTH_FIRST:
                findings.append(Finding("CF-DATE-ORDER", f"numeric dates read month first (MM/DD), as "
                                        f"{ev.month_first[0]} can only be; formats seen: {ev.describe()}", file=f,
                                        severity="info"))
        elif not ev.needs_order():
            out[f] = (dates.DAY_FIRST, False)  # every numeric date reads the same either way (or there are none)
        elif len(agreed) == 1:
            out[f] = (next(iter(agreed)), True)
            findings.append(Finding("CF-DATE-ORDER", f"no date in this file settles day or month first (e.g. "
                                    f"{ev.ambiguous[0]}); read {next(iter(agreed))} like the other files",
                                    file=f, severity="info"))
        else:
            findings.append(Finding(
                "CF-DATE-ORDER", f"dates such as {ev.ambiguous[0]} read either day first or month first and no date "
                f"settles which (a day above 12); formats seen: {ev.describe()}. Give --date-format %d/%m/%Y "
                "(day first, the return's order) or --date-format %m/%d/%Y", file=f))
            out[f] = (None, False)
    return out


def read_tables(paths, year_convention: str = "auto", *, year: str | int | None = None,
                date_format: str | None = None, columns: str | Path | None = None,
                la: str | None = None) -> RawTables:
    """Read every Header, Episodes and UASC table under ``paths`` (files or folders).

    ``year_convention`` says what a bare year number in a name or YEAR column means: ``"ending"`` (2021 is the
    year ending 31 March 2021, i.e. 2020-21), ``"starting"`` (2021 is 2021-22), or ``"auto"``: "starting" when
    most returns hold over 5% of episodes that begin after 31 March of their number, else "ending". Labels like
    ``2020-21`` are never ambiguous. ``year`` (``"2024-25"``): the collection year of files whose names and columns
    do not say. ``date_format`` (``"%d/%m/%Y"`` or ``"DD/MM/YYYY"``): how numeric dates are written, instead of
    settling it from the data. ``columns``: a YAML of other column names (see :mod:`careflow.ssda903.columns`).
    ``la``: keep only this LA's rows of a stacked file (case and spaces ignored).
    """
    if year_convention not in ("auto", "ending", "starting"):
        raise CareflowError(f"year_convention must be auto, ending or starting, not {year_convention!r}",
                            rule="CF-USAGE")
    options = ReadOptions(year=_year_option(year), aliases=load_columns(columns))
    if date_format is not None:
        try:
            options.date_format = dates.date_format(date_format)
        except ValueError as exc:
            raise CareflowError(str(exc), field="date-format", rule="CF-USAGE") from None
    files, findings = _discover(paths)
    pending: list[tuple[str, pd.DataFrame]] = []
    for path, root in files:
        suffix = path.suffix.lower()
        try:
            if suffix in CSV_SUFFIXES:
                raw = path.read_bytes()
                if not raw.strip():
                    findings.append(Finding("CF-EMPTY", "file is empty", file=str(path)))
                    continue
                before = len(findings)
                text = _decode(raw, str(path), findings)
                if text is None:
                    continue
                utf8 = raw if len(findings) == before else None  # _decode reports every other reading
                sheets = [(str(path), _parse_csv(text, str(path), findings, utf8))]
            elif suffix in XLSX_SUFFIXES:
                sheets = _read_xlsx(path, findings)
            elif suffix == ".xls":
                findings.append(Finding("CF-XLSX", "old Excel .xls files are not read: save as .xlsx or CSV",
                                        file=str(path)))
                continue
            else:
                findings.append(Finding("CF-OTHER-FILE", "not a CSV or XLSX file; passed over", file=str(path),
                                        severity="info"))
                continue
        except OSError as exc:
            findings.append(Finding("CF-FILE", f"cannot read file: {exc.strerror}", file=str(path)))
            continue
        for name, df in sheets:
            got = _frame_findings(df, name, path, root, findings, options)
            if got is not None:
                pending.append(got)
    las = sorted({v.strip() for _, df in pending for v in pd.unique(df["LA"]) if str(v).strip()})
    if la is not None:
        wanted = " ".join(la.split()).casefold()
        if las and wanted not in {v.casefold() for v in las}:
            raise CareflowError(Finding("CF-LA", f"no LA {la!r} in the data; LAs found: {', '.join(las)}",
                                        field="la"))
        if las:
            pending = [(t, df.loc[df["LA"].str.strip().str.casefold() == wanted]) for t, df in pending]
        else:
            findings.append(Finding("CF-LA", f"the data has no LA column, so all of it is {la}'s",
                                    severity="info"))
    orders = _date_orders(pending, options, findings)
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLE_COLUMNS}
    for table, df in pending:
        order, guessed = orders.get(df["_file"].iloc[0] if len(df) else "", (dates.DAY_FIRST, False))
        for c in DATE_COLUMNS[table]:
            df["_" + c] = parse_dates(df[c], order, options.date_format)
        df["_date_guessed"] = guessed
        frames[table].append(df)
    tables = {t: (pd.concat(fs, ignore_index=True) if fs else _empty(t)) for t, fs in frames.items()}
    for t, df in tables.items():
        if not len(frames[t]):
            for c in DATE_COLUMNS[t]:
                df["_" + c] = pd.Series(dtype="datetime64[ns]")
            df["_date_guessed"] = pd.Series(dtype=bool)
        # Text is cleaned once per stacked table, not file by file: one pass over each column's distinct values.
        # Free-text fields careflow does not use (postcodes, URN, UPN, ethnicity) are left as read: cheaper.
        for c in (*(c for c in TABLE_COLUMNS[t] if c not in UNUSED_COLUMNS), "LA"):
            df[c] = per_unique(df[c], _clean_text)
    convention = _resolve_convention(tables, year_convention, findings)
    for df in tables.values():
        start = df["_year_num"].where(df["_year_explicit"].astype(bool) | (convention == "starting"),
                                      df["_year_num"] - 1)
        df["year"] = start.astype("Int64")
        del df["_year_num"], df["_year_explicit"], df["_date_guessed"]
    return RawTables(episodes=tables["episodes"], header=tables["header"], uasc=tables["uasc"],
                     findings=findings, files=[str(f) for f, _ in files], year_convention=convention,
                     date_formats={f: o for f, (o, _) in orders.items()}, date_format=options.date_format)


def _year_option(year: str | int | None) -> int | None:
    """The start year of a ``year`` option given as a collection-year label (2024-25)."""
    if year is None:
        return None
    try:
        if isinstance(year, int) or str(year).strip().isdigit():
            raise ValueError("a bare year number is ambiguous")
        start = FinancialYear.parse(str(year)).start_year
    except ValueError:
        raise CareflowError(f"--year {year!r}: give the collection year as a label, e.g. 2024-25 (a bare number "
                            "could mean the year it starts or ends)", field="year", rule="CF-USAGE") from None
    low, high = plausible_years()
    if not low <= start <= high:
        raise CareflowError(f"--year {year}: a collection year from 1990-91 to {FinancialYear(high).label}",
                            field="year", rule="CF-USAGE")
    return start


def _resolve_convention(tables: dict[str, pd.DataFrame], wanted: str, findings: list[Finding]) -> str:
    if wanted != "auto":
        return wanted
    ep = tables["episodes"]
    bare = (~ep["_year_explicit"].astype(bool) & ep["_year_num"].notna()).to_numpy()
    # Dates whose day/month order was taken from other files are not evidence: they cannot flip the reading.
    bare = bare & ~ep["_date_guessed"].astype(bool).to_numpy()
    if not bare.any():
        return "ending"
    # Under the "ending" reading almost no episode starts after 31 March of its return's number (only errors);
    # under "starting" the episodes that began during the year do (typically a third or more). A majority of
    # returns with more than 5% such episodes decides, so a few mistyped dates cannot flip the reading.
    year = ep["_year_num"][bare]
    codes_, distinct = pd.factorize(year)  # a date per distinct year number, not per row
    ends = pd.to_datetime(pd.Series(distinct, dtype="Int64").astype(str) + "-03-31", errors="coerce").to_numpy()
    share = pd.Series(ep["_DECOM"].to_numpy()[bare] > ends[codes_], index=year.index).groupby(year).mean()
    convention = "starting" if (share > 0.05).mean() > 0.5 else "ending"
    example = int(share.index[0])
    label = FinancialYear(example if convention == "starting" else example - 1).label
    findings.append(Finding(
        "CF-YEAR-CONVENTION",
        f"year numbers in names/YEAR read as the year the collection {'starts' if convention == 'starting' else 'ends'}"
        f" ({example} = {label})" + (": returns hold episodes starting after 31 March of their number"
                                     if convention == "starting" else ""),
        severity="info"))
    return convention
