"""The register as a source for finance's MTFS roll-up (``careflow portfolio --register``)."""

from __future__ import annotations

from careflow.errors import CareflowError, Finding
from careflow.register.store import Register


def with_register_cases(cases: list, database: str | None = None) -> list:
    """``cases`` (finance cases read from files) plus every case in the register that has figures.

    A reference both in a file and in the register is refused: the roll-up would count it twice.
    """
    with Register(database) as reg:
        stored = reg.finance_cases()
    seen = {c.reference: c.file for c in cases}
    clashes = [Finding(rule="portfolio-duplicate", file=seen[c.reference], field="reference",
                       message=f"{c.reference!r} is both in this file and in the register: roll up one or the other")
               for c in stored if c.reference in seen]
    if clashes:
        raise CareflowError(clashes)
    return [*cases, *stored]
