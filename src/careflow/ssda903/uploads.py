"""Storing SSDA903 files a user uploads (CSV, XLSX, or a zip of them) in one folder, safely.

The files come from a browser: their names and contents are untrusted. Names are reduced to safe characters (no
folder can be escaped); only CSV, XLSX and zip files are taken; an empty file is refused; a zip is unpacked with
limits on the number of files, their total size and each member's compression ratio (a zip bomb is refused before
it fills the disk), streaming with a byte count rather than trusting the sizes the zip declares. A zip keeps its
folders (a folder per collection year is one of the layouts careflow reads).

    stored = store_files([("2024.csv", fh)], "workspace/uploads/abc")     # -> the files written

Shared mode (``pseudonymise=``, a :class:`Pseudonymiser`): nothing is written as uploaded. Each file (or zip
member) is read into memory within the same limits, and only its pseudonymised copy is written: the CHILD column
becomes a keyed pseudonym (:func:`careflow.privacy.pseudonyms` of ``("", CHILD)``: HMAC-SHA256 with the
installation's salt, so the same child has the same pseudonym in every upload and the years join), UPN and MC_DOB
(direct identifiers careflow does not use) are blanked, and an XLSX workbook becomes one CSV per sheet (only the
cell values survive: no document properties, comments or hidden sheets). Rows keep their line numbers, so a finding
names the same row as in the original file. A table without a CHILD column is not kept (it is noted).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from careflow.archives import MAX_BYTES, MAX_RATIO, check_spreadsheet, expansion
from careflow.errors import CareflowError, Finding

TAKEN = (".csv", ".xlsx", ".zip")
RULE = "upload"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """How much one upload may unpack to: files in all (zip members count), bytes in all (after unzipping),
    and the largest ratio of a zip member's size to its compressed size (text compresses about 5 to 20 times;
    a zip bomb by thousands)."""

    files: int = 200
    bytes: int = MAX_BYTES
    ratio: float = MAX_RATIO


def safe_name(name: str) -> str:
    """A file or folder name reduced to letters, digits, space, dot, dash and underscore; never empty, never
    starting with a dot (no hidden files, no ``..``)."""
    cleaned = re.sub(r"[^A-Za-z0-9 ._-]", "_", name).strip(" .")
    return cleaned or "file"


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def store_files(files: Iterable[tuple[str, BinaryIO]], folder: str | Path, limits: Limits = Limits(), *,
                pseudonymise: Pseudonymiser | None = None) -> list[Path]:
    """Write each ``(name, stream)`` into ``folder`` (CSV and XLSX as they are, zips unpacked into a folder named
    after the zip); returns the files written. Raises :class:`CareflowError` naming each file that cannot be
    taken, having written nothing (the folder is emptied). With ``pseudonymise``, only pseudonymised copies are
    written (see the module's docstring): the uploaded bytes are held in memory, never written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    findings: list[Finding] = []
    budget = _Budget(limits)
    used: set[str] = set()
    try:
        for name, stream in files:
            base = PurePosixPath(str(name).replace("\\", "/")).name  # browsers may send a path
            suffix = _suffix(base)
            if suffix not in TAKEN:
                findings.append(Finding(RULE, f"{base or 'the file'} is not a CSV, XLSX or zip file: upload the "
                                              "SSDA903 tables as CSV or Excel files, or a zip of them", file=base))
                continue
            target = _unique(folder / safe_name(base), used)
            if pseudonymise is not None:
                try:
                    written += pseudonymise.store(stream, base, target, budget, used)
                except CareflowError as exc:
                    findings += exc.findings
                continue
            try:
                size = _copy(stream, target, budget, base)
            except CareflowError as exc:
                findings += exc.findings
                target.unlink(missing_ok=True)
                continue
            if size == 0:
                findings.append(Finding(RULE, f"{base} is empty", file=base))
                target.unlink()
                continue
            if suffix == ".zip":
                try:
                    written += unzip(target, _unique(folder / safe_name(PurePosixPath(base).stem), used), budget)
                except CareflowError as exc:
                    findings += exc.findings
                budget.bytes -= size  # what counts is what it unpacks to
                target.unlink()
            elif suffix == ".xlsx" and not _starts_with(target, b"PK"):
                findings.append(Finding(RULE, f"{base} is not an Excel (.xlsx) workbook", file=base))
                target.unlink()
            else:
                written.append(target)
        if not findings and not written:
            findings.append(Finding(RULE, "choose at least one file to upload"))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if findings:
        shutil.rmtree(folder, ignore_errors=True)
        raise CareflowError(findings)
    return written


def unzip(path: str | Path | BinaryIO, folder: str | Path, budget: _Budget | Limits | None = None, *,
          name: str | None = None, pseudonymise: Pseudonymiser | None = None) -> list[Path]:
    """Unpack the CSV and XLSX members of the zip ``path`` (a file, or a seekable stream named ``name``) into
    ``folder`` (its folders kept, names made safe; other members, hidden files and macOS metadata passed over)
    within ``budget``'s limits; with ``pseudonymise``, their pseudonymised copies only."""
    folder = Path(folder)
    budget = budget if isinstance(budget, _Budget) else _Budget(budget or Limits())
    name = name or Path(path).name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CareflowError(Finding(RULE, f"{name} is not a zip file that can be opened", file=name)) from None
    written: list[Path] = []
    used: set[str] = set()  # members whose safe names, or a workbook's sheet files, would be the same file
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _wanted(m.filename)]
        if not members:
            raise CareflowError(Finding(RULE, f"{name} holds no CSV or XLSX file", file=name))
        for m in members:
            where = f"{name}: {m.filename}"
            if m.flag_bits & 0x1:
                raise CareflowError(Finding(RULE, f"{where} is encrypted: zip the files without a password",
                                            file=name))
            if expansion(m) > budget.limits.ratio:
                raise CareflowError(Finding(RULE, f"{where} expands {expansion(m):,.0f} times: "
                                                  "refused as a zip bomb", file=name))
            budget.declare(m.file_size, where, name)
            parts = [safe_name(p) for p in PurePosixPath(m.filename.replace("\\", "/")).parts if p not in ("", ".")]
            target = _unique(folder.joinpath(*parts), used)
            if not target.resolve().is_relative_to(folder.resolve()):  # cannot happen after safe_name; belt and braces
                raise CareflowError(Finding(RULE, f"{where} would be written outside the upload", file=name))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(m) as src:
                    if pseudonymise is not None:
                        data = _read(src, budget, where, expected=m.file_size, file=name)
                        written += pseudonymise.write(data, where, target, used)
                        continue
                    _copy(src, target, budget, where, expected=m.file_size, file=name)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise CareflowError(Finding(RULE, f"{where} cannot be unpacked: {exc}", file=name)) from None
            written.append(target)
    return written


def _wanted(member: str) -> bool:
    parts = PurePosixPath(member.replace("\\", "/")).parts
    if not parts or parts[0] == "__MACOSX" or any(p.startswith(".") and p not in (".", "..") for p in parts):
        return False
    return _suffix(parts[-1]) in (".csv", ".xlsx")


class _Budget:
    """Counts files and bytes across one upload against its limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def declare(self, size: int, where: str, file: str) -> None:
        self.files += 1
        if self.files > self.limits.files:
            raise CareflowError(Finding(RULE, f"more than {self.limits.files} files in one upload", file=file))
        if self.bytes + size > self.limits.bytes:
            raise CareflowError(Finding(RULE, f"{where}: the upload would unpack to more than "
                                              f"{self.limits.bytes / (1 << 20):,.0f} MB", file=file))

    def spend(self, n: int, where: str, file: str) -> None:
        self.bytes += n
        if self.bytes > self.limits.bytes:
            raise CareflowError(Finding(RULE, f"{where}: the upload would unpack to more than "
                                              f"{self.limits.bytes / (1 << 20):,.0f} MB", file=file))


def _copy(src: BinaryIO, target: Path, budget: _Budget, where: str, expected: int | None = None,
          file: str | None = None) -> int:
    """Stream ``src`` to ``target`` counting bytes against the budget (and, in a zip, against the member's
    declared size: a member that inflates past it is refused)."""
    file = file or where
    if expected is None:
        budget.declare(0, where, file)
    n = 0
    with open(target, "wb") as out:
        while chunk := src.read(_CHUNK):
            n += len(chunk)
            if expected is not None and n > expected:
                raise CareflowError(Finding(RULE, f"{where} is larger than the zip says: refused", file=file))
            budget.spend(len(chunk), where, file)
            out.write(chunk)
    return n


def _read(src: BinaryIO, budget: _Budget, where: str, expected: int | None = None, file: str | None = None) -> bytes:
    """:func:`_copy` into memory: the bytes of ``src`` within the budget (shared mode writes none of them)."""
    file = file or where
    if expected is None:
        budget.declare(0, where, file)
    out = io.BytesIO()
    while chunk := src.read(_CHUNK):
        if expected is not None and out.tell() + len(chunk) > expected:
            raise CareflowError(Finding(RULE, f"{where} is larger than the zip says: refused", file=file))
        budget.spend(len(chunk), where, file)
        out.write(chunk)
    return out.getvalue()


# Columns blanked in the pseudonymised copy: direct identifiers of a person that careflow never reads (UPN: the
# national unique pupil number; MC_DOB: the date of birth of a looked-after mother's child). DOB is kept: ages,
# the model's transitions and validation rule 302 need it (docs/security.md).
BLANKED = ("UPN", "MC_DOB")
CHILD_COLUMN = "CHILD"


@dataclass
class Pseudonymiser:
    """Writes pseudonymised copies of uploaded tables (shared mode). ``salt``: the pseudonym key
    (:func:`careflow.privacy.resolve_salt`); ``aliases``: column names as the reader knows them
    (:func:`careflow.ssda903.columns.load_columns`). ``left_out``: tables not kept (no CHILD column), as findings
    to show the user."""

    salt: str
    aliases: dict[str, str] = field(default_factory=dict)
    left_out: list[Finding] = field(default_factory=list)
    _seen: dict[str, str] = field(default_factory=dict, repr=False)

    def pseudonym(self, child: str) -> str:
        from careflow.privacy import pseudonyms

        child = child.strip()
        if not child:
            return ""
        if child not in self._seen:
            self._seen[child] = pseudonyms(self.salt, [("", child)])[0]
        return self._seen[child]

    def store(self, stream: BinaryIO, base: str, target: Path, budget: _Budget, used: set[str]) -> list[Path]:
        """One uploaded file (a zip is unpacked member by member, in memory)."""
        suffix = _suffix(base)
        data = _read(stream, budget, base)
        if not data:
            raise CareflowError(Finding(RULE, f"{base} is empty", file=base))
        if suffix == ".zip":
            budget.bytes -= len(data)  # what counts is what it unpacks to
            folder = _unique(target.parent / safe_name(PurePosixPath(base).stem), used)
            return unzip(io.BytesIO(data), folder, budget, name=base, pseudonymise=self)
        return self.write(data, base, target, used)

    def write(self, data: bytes, where: str, target: Path, used: set[str]) -> list[Path]:
        """The pseudonymised copy of one CSV or XLSX file's ``data`` at ``target`` (a workbook: one CSV per
        sheet beside it); returns the files written."""
        if not data.strip():  # an empty member of a zip: kept as it is (the validation report says so)
            target.write_bytes(b"")
            return [target]
        if _suffix(target.name) == ".xlsx":
            if not data.startswith(b"PK"):
                raise CareflowError(Finding(RULE, f"{where} is not an Excel (.xlsx) workbook", file=where))
            return self._workbook(data, where, target, used)
        from careflow.ssda903.reader import _decode

        problems: list[Finding] = []
        text = _decode(data, where, problems)
        if text is None:
            raise CareflowError(Finding(RULE, f"{where} is not CSV text: save it as CSV UTF-8", file=where))
        return self._csv(text.replace("\x00", ""), where, target)

    def _columns(self, header: list[str]) -> tuple[int | None, list[int]]:
        from careflow.ssda903.columns import normal

        names = [self.aliases.get(normal(c), str(c).replace("\ufeff", "").strip().upper()) for c in header]
        child = names.index(CHILD_COLUMN) if CHILD_COLUMN in names else None
        return child, [i for i, n in enumerate(names) if n in BLANKED]

    def _note(self, where: str) -> None:
        self.left_out.append(Finding(RULE, f"{where} has no CHILD column, so it is not an SSDA903 table careflow "
                                           "reads: not kept (shared mode keeps only pseudonymised tables)",
                                     file=where, severity="warning"))

    def _rows(self, rows: Iterable[list[str]], child: int, blanked: list[int], header_seen: bool = True):
        for row in rows:
            if row and any(c.strip() for c in row):
                if not header_seen:
                    header_seen = True
                elif child < len(row):
                    row = list(row)
                    row[child] = self.pseudonym(row[child])
                    for i in blanked:
                        if i < len(row):
                            row[i] = ""
            yield row

    def _csv(self, text: str, where: str, target: Path) -> list[Path]:
        from careflow.ssda903.reader import _sniff

        lines = text.lstrip("\ufeff").splitlines()
        first = next((line for line in lines if line.strip()), None)
        if first is None:
            raise CareflowError(Finding(RULE, f"{where} is empty", file=where))
        sep = _sniff(first)
        try:
            records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=sep))
        except csv.Error as exc:
            raise CareflowError(Finding(RULE, f"{where} cannot be read as CSV: {exc}", file=where)) from None
        header = next(r for r in records if r and any(c.strip() for c in r))
        child, blanked = self._columns(header)
        if child is None:
            self._note(where)
            return []
        _write_csv(target, self._rows(records, child, blanked, header_seen=False), sep)
        return [target]

    def _workbook(self, data: bytes, where: str, target: Path, used: set[str]) -> list[Path]:
        import pandas as pd

        bomb = check_spreadsheet(io.BytesIO(data), RULE, name=where)  # before openpyxl unpacks it
        if bomb is not None:
            raise CareflowError(bomb)
        try:  # as careflow.ssda903.reader reads a workbook: every sheet, every cell as text
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, header=0, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - any failure of the workbook reader is the user's file
            raise CareflowError(Finding(RULE, f"{where} is an unreadable spreadsheet: {type(exc).__name__}",
                                        file=where)) from None
        written = []
        for sheet, df in sheets.items():
            if df.shape[1] == 0:
                continue
            header = [str(c) for c in df.columns]
            child, blanked = self._columns(header)
            if child is None:
                self._note(f"{where} [{sheet}]")
                continue
            df = df.dropna(how="all").fillna("")
            # one line per sheet row (the header is line 1): blank rows stay blank lines, so row numbers match
            by_line = dict(zip((int(i) + 2 for i in df.index), df.itertuples(index=False, name=None), strict=True))
            last = max(by_line, default=1)
            rows = [header] + [list(by_line.get(n, ())) for n in range(2, last + 1)]
            out = _unique(target.with_name(safe_name(f"{target.stem} - {sheet}") + ".csv"), used)
            _write_csv(out, self._rows(rows, child, blanked, header_seen=False), ",")
            written.append(out)
        return written


def _write_csv(path: Path, rows: Iterable[list[str]], sep: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=sep, lineterminator="\n").writerows(rows)


def _unique(path: Path, used: set[str]) -> Path:
    """``path``, or ``name-2.ext`` ... when an earlier file of the upload took that path (letter case aside: two
    names that differ only in case are one file on Windows and macOS)."""
    candidate, k = path, 1
    while str(candidate).lower() in used:
        k += 1
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
    used.add(str(candidate).lower())
    return candidate


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(magic)) == magic
