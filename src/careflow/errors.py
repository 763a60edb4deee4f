"""Errors a user can cause, reported as findings that name file, row, field and rule.

Library code raises :class:`CareflowError` (or a subclass) for anything a user can fix: a bad file, bad YAML, an
impossible setting. The CLI prints its findings and exits 1; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Finding:
    """One problem in the user's input."""

    rule: str
    message: str
    file: str | None = None
    row: int | None = None  # line of the file as a user opens it (CSV/YAML line, spreadsheet row; header = 1)
    field: str | None = None
    child: str | None = None
    severity: str = "error"  # "error" or "warning"

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field}")
        if self.child:
            where.append(f"child {self.child}")
        loc = ", ".join(where)
        return f"{self.severity} [{self.rule}] {loc + ': ' if loc else ''}{self.message}"


class CareflowError(Exception):
    """A problem the user can fix. Carries one or more findings."""

    def __init__(self, message: str | Finding | list[Finding], *, file: str | None = None,
                 row: int | None = None, field: str | None = None, rule: str = "input"):
        if isinstance(message, Finding):
            findings = [message]
        elif isinstance(message, list):
            findings = list(message)
        else:
            findings = [Finding(rule=rule, message=message, file=file, row=row, field=field)]
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


def pydantic_message(err: dict, loc: tuple = ()) -> str:
    """One pydantic error as a sentence a user can act on (the same wording for every careflow file)."""
    kind = err.get("type", "")
    loc = loc or tuple(err.get("loc", ()))
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}' (a typo?)" if loc else "unknown key (a typo?)"
    if kind == "missing":
        return f"'{loc[-1]}' is required" if loc else "a required key is missing"
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    given = err.get("input")
    if kind in ("literal_error", "enum") or (kind.endswith(("_type", "_parsing")) and not isinstance(given, dict
                                                                                                  | list)):
        message = f"{message}, got {given!r}"
    return message


def pydantic_findings(exc, rule, where=None, prefix: tuple = (), keep=None, name_key: bool = False) -> list[Finding]:
    """The errors of a pydantic ``ValidationError`` as findings, one per error. ``rule``: the findings' rule, or a
    function of the key path giving it.

    ``where(loc)`` gives the finding's ``file``/``row``/``field`` for a key path (default: the path as the field);
    ``prefix`` is prepended to each path; ``keep(loc, err)`` may leave errors out (reported elsewhere). Paths lose
    pydantic's own entries (``[key]``, ``function-...``) so they are the file's keys and list indices. ``name_key``
    starts each message with the key path, for files whose ``field`` names a cell rather than a key (workbooks)."""
    out = []
    for err in exc.errors():
        loc = prefix + tuple(p for p in err.get("loc", ())
                             if p != "[key]" and not (isinstance(p, str) and p.startswith("function-")))
        if keep is not None and not keep(loc, err):
            continue
        at = where(loc) if where is not None else {"field": ".".join(map(str, loc)) or None}
        message = pydantic_message(err, loc)
        if name_key and loc:
            message = f"{'.'.join(map(str, loc))}: {message}"
        out.append(Finding(rule=rule(loc) if callable(rule) else rule, message=message, **at))
    return out
