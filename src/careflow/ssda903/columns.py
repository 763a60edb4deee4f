"""Column names: the SSDA903 names, and the other names exports use for them (a YAML of aliases).

Format (``parameters/ssda903_columns.yaml``, the default; a user's ``--columns FILE`` adds to it)::

    values:
      CHILD: [Child ID, Person ID]
      DECOM: [Date Episode Commenced]

Matching ignores case, spaces, underscores, hyphens and full stops, so ``date_episode_commenced`` and ``Date
Episode Commenced`` are one name. A name may stand for one SSDA903 column only.
"""

from __future__ import annotations

import re
from pathlib import Path

from careflow import yamlio
from careflow.parameters import parameter_dir
from careflow.ssda903.codes import STACKED_COLUMNS, TABLE_COLUMNS

KNOWN = frozenset(c for cols in TABLE_COLUMNS.values() for c in cols) | frozenset(STACKED_COLUMNS)


def normal(name: str) -> str:
    """The form names are matched in: upper case, without spaces, underscores, hyphens or full stops."""
    return re.sub(r"[\s_.\-]+", "", str(name)).upper()


def default_path() -> Path:
    return parameter_dir() / "ssda903_columns.yaml"


def _read(path: Path, aliases: dict[str, str]) -> None:
    doc = yamlio.load(path)
    values = doc.data.get("values") if isinstance(doc.data, dict) else None
    if not isinstance(values, dict) or not values:
        raise doc.error(("values",), "a column-name file needs a 'values' mapping of SSDA903 column: [other "
                        "names]", rule="CF-COLUMN-NAMES")
    own: dict[str, str] = {}  # a file may not give one name two meanings; a user's file overrides the defaults
    for column, names in values.items():
        key = ("values", column)
        canonical = str(column).strip().upper()
        if canonical not in KNOWN:
            raise doc.error(key, f"{column!r} is not an SSDA903 column (known: {', '.join(sorted(KNOWN))})",
                            rule="CF-COLUMN-NAMES")
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            raise doc.error(key, f"'{column}' needs a list of names", rule="CF-COLUMN-NAMES")
        for n in names:
            k = normal(n)
            if k in {normal(c) for c in KNOWN} and k != normal(canonical):
                raise doc.error(key, f"{n!r} is itself an SSDA903 column name", rule="CF-COLUMN-NAMES")
            if own.setdefault(k, canonical) != canonical:
                raise doc.error(key, f"{n!r} already stands for {own[k]}", rule="CF-COLUMN-NAMES")
            aliases[k] = canonical


def load_columns(path: str | Path | None = None) -> dict[str, str]:
    """{normal(name): SSDA903 column}: careflow's defaults, plus the user's file when given (errors name the
    file, line and column)."""
    aliases = {normal(c): c for c in KNOWN}
    _read(default_path(), aliases)
    if path is not None:
        _read(Path(path), aliases)
    return aliases
