"""Find a local authority by old 3-digit code, 9-character ONS code or name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from careflow.dfe import DfeData
from careflow.errors import CareflowError


@dataclass(frozen=True)
class LocalAuthority:
    old_la_code: str
    new_la_code: str
    la_name: str
    first_year: int | None = None
    last_year: int | None = None

    @property
    def label(self) -> str:
        return f"{self.la_name} ({self.old_la_code})"


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("&", "and").replace(",", " ").replace(".", " ").split())


def find_la(data: DfeData, text: str) -> LocalAuthority:
    """Resolve ``text`` (``873``, ``E10000003`` or ``cambridgeshire``) to one LA, or raise a CareflowError that
    suggests close names. Where an old and a new authority share a name (Dorset 835 before 2019, 838 after), the
    one with the most recent figures wins."""
    return find_in(data.las, text)


def find_in(las, text: str) -> LocalAuthority:
    """:func:`find_la` over any table of LAs (old_la_code, new_la_code, la_name, first_year, last_year), e.g. the
    workforce file's own."""
    if las.empty:
        raise CareflowError("no local-authority figures were read from the data folder", rule="la-unknown")
    t = text.strip()
    rows = las[las.old_la_code == t] if t.isdigit() else las[las.new_la_code.str.upper() == t.upper()]
    if rows.empty:
        rows = las[las.la_name.map(_norm) == _norm(t)]
    if rows.empty:
        partial = las[las.la_name.map(_norm).str.contains(_norm(t), regex=False)] if len(t) >= 3 else rows
        if len(partial) == 1:
            rows = partial
        elif len(partial) > 1:
            options = ", ".join(f"{r.la_name} ({r.old_la_code})" for r in partial.itertuples())
            raise CareflowError(f"'{text}' matches several local authorities: {options}; give the code",
                                rule="la-ambiguous", field="la")
    if rows.empty:
        names = sorted(set(las.la_name))
        close = difflib.get_close_matches(t, names, n=4, cutoff=0.5) or difflib.get_close_matches(
            t.title(), names, n=4, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CareflowError(f"no local authority '{text}' in the data (give the 3-digit DfE code, the 9-character "
                            f"ONS code or the name){hint}", rule="la-unknown", field="la")
    if len(rows) > 1:
        rows = rows.sort_values("last_year", na_position="first").tail(1)
    r = rows.iloc[0]
    first = None if r.first_year != r.first_year else int(r.first_year)
    last = None if r.last_year != r.last_year else int(r.last_year)
    return LocalAuthority(r.old_la_code, r.new_la_code, r.la_name, first, last)
