"""Zip archives a user supplies: uploads, and the spreadsheets that are zips inside (XLSX, ODS).

A spreadsheet reader (openpyxl, odfpy) unpacks every sheet it opens, so a small file that unpacks to gigabytes (a
zip bomb: one sheet of millions of identical rows compresses about 1,000 times) holds the reader for minutes or
exhausts memory. :func:`check_spreadsheet` reads the archive's directory (no unpacking) and refuses a member that
expands more than :data:`MAX_RATIO` times (and to over 1 MB), or an archive that unpacks to more than :data:`MAX_BYTES`, before any
reader opens it. Published and exported workbooks expand 5 to 40 times (MHCLG's RO3 ODS 31-39 times).
The sizes the directory declares bound what Python's zipfile will unpack, so a lying directory cannot get round it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

from careflow.errors import Finding

MAX_RATIO = 200.0  # largest size of a member over its compressed size (text 5-20, workbooks 5-40, bombs 1,000)
MAX_BYTES = 1 << 30  # largest total unpacked size (an XLSX sheet of Excel's 1,048,576 rows is well under it)
SMALL = 1 << 20  # a member below 1 MB unpacked harms nothing whatever its ratio (small XML parts can exceed 200)


def expansion(info: zipfile.ZipInfo) -> float:
    """How many times a member expands (0 for an empty one)."""
    return info.file_size / info.compress_size if info.compress_size else 0.0


def check_spreadsheet(path: str | Path | BinaryIO, rule: str, field: str | None = None,
                      name: str | None = None) -> Finding | None:
    """A finding (``rule``, naming the file (``name``, else ``path``) and the member) when the XLSX or ODS ``path``
    (or bytes in memory) is a zip bomb by the limits above; None otherwise, including when it is not a zip at all
    (the reader then says it cannot read it)."""
    file = name or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    total = 0
    for info in infos:
        if info.file_size > SMALL and expansion(info) > MAX_RATIO:
            return Finding(rule, f"{info.filename} inside the spreadsheet expands {expansion(info):,.0f} times "
                           f"(limit {MAX_RATIO:,.0f}): refused as a zip bomb", file=file, field=field)
        total += info.file_size
    if total > MAX_BYTES:
        return Finding(rule, f"the spreadsheet unpacks to {total / 2**20:,.0f} MB (limit {MAX_BYTES / 2**20:,.0f}"
                       " MB): refused", file=file, field=field)
    return None
