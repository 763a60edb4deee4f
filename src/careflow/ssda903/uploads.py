"""Storing SSDA903 files a user uploads (CSV, XLSX, or a zip of them) in one folder, safely.

The files come from a browser: their names and contents are untrusted. Names are reduced to safe characters (no
folder can be escaped); only CSV, XLSX and zip files are taken; an empty file is refused; a zip is unpacked with
limits on the number of files, their total size and each member's compression ratio (a zip bomb is refused before
it fills the disk), streaming with a byte count rather than trusting the sizes the zip declares. A zip keeps its
folders (a folder per collection year is one of the layouts careflow reads).

    stored = store_files([("2024.csv", fh)], "workspace/uploads/abc")     # -> the files written
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from careflow.archives import MAX_BYTES, MAX_RATIO, expansion
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


def store_files(files: Iterable[tuple[str, BinaryIO]], folder: str | Path, limits: Limits = Limits()) -> list[Path]:
    """Write each ``(name, stream)`` into ``folder`` (CSV and XLSX as they are, zips unpacked into a folder named
    after the zip); returns the files written. Raises :class:`CareflowError` naming each file that cannot be
    taken, having written nothing (the folder is emptied)."""
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


def unzip(path: str | Path, folder: str | Path, budget: _Budget | Limits | None = None) -> list[Path]:
    """Unpack the CSV and XLSX members of the zip ``path`` into ``folder`` (its folders kept, names made safe;
    other members, hidden files and macOS metadata passed over) within ``budget``'s limits."""
    path, folder = Path(path), Path(folder)
    budget = budget if isinstance(budget, _Budget) else _Budget(budget or Limits())
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CareflowError(Finding(RULE, f"{name} is not a zip file that can be opened", file=name)) from None
    written: list[Path] = []
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
            target = folder.joinpath(*parts)
            if not target.resolve().is_relative_to(folder.resolve()):  # cannot happen after safe_name; belt and braces
                raise CareflowError(Finding(RULE, f"{where} would be written outside the upload", file=name))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(m) as src:
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


def _unique(path: Path, used: set[str]) -> Path:
    """``path``, or ``name-2.ext`` ... when an earlier file of the upload took the name."""
    candidate, k = path, 1
    while candidate.name.lower() in used:
        k += 1
        candidate = path.with_name(f"{path.stem}-{k}{path.suffix}")
    used.add(candidate.name.lower())
    return candidate


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(magic)) == magic
