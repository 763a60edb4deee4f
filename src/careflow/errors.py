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
