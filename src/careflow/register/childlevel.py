"""Nothing child-level in the register unless the register allows it (DESIGN.md section 2).

A case is the council's document: figures, text, indicators as counts and rates. Child-level data (a child's
identifier or pseudonym, a date of birth, one row per child) belongs in the SSDA903 returns and the workspace, not
in a database many people read and that is kept for years. Every write of a case (create, import, update, status,
tracking, milestones, indicator refreshes, a scenario's figures; the audit trail is made from the same values) is
checked here, and refused while the register's ``child_level`` setting is off, which is the default. Turning it on
is a deliberate act recorded with who and when (:meth:`careflow.register.Register.allow_child_level`).

What counts as child-level, anywhere in a case (nested mappings and lists included):

- a field named as a child-level column: CHILD (or child, child_id, child ref ...), UPN, DOB / date of birth,
  MC_DOB, pseudonym;
- a value that is or holds a careflow pseudonym: a word of exactly 16 hexadecimal digits (:mod:`careflow.privacy`),
  not part of a file name or path.

Free text is not otherwise understood: a CHILD number typed into a note cannot be told from any other number, which
is why docs/shared-mode.md asks people not to.
"""

from __future__ import annotations

import re
from typing import Any

from careflow.errors import CareflowError, Finding

SETTING = "child_level"
RULE = "child-level"

# Field names (compared without case, spaces, underscores, hyphens or full stops) that hold a child's identity.
FIELD_NAMES = frozenset({"CHILD", "CHILDID", "CHILDREF", "CHILDREFERENCE", "CHILDNUMBER", "PERSONID", "UPN",
                         "DOB", "DATEOFBIRTH", "MCDOB", "PSEUDONYM", "PSEUDONYMS", "CHILDPSEUDONYM"})
# A word of 16 hex digits (letters and digits both): not part of a file name, path or longer token
# ("seeds/001_312962ae619799dd.txt" is a file, not a child).
_PSEUDONYM = re.compile(r"(?<![0-9A-Za-z_./\\-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{16}"
                        r"(?!\.?[0-9A-Za-z_/\\-])")


def _normal(name: object) -> str:
    return re.sub(r"[\s_.\-]+", "", str(name)).upper()


def child_level_paths(value: Any) -> list[tuple[str, str]]:
    """(where, what) for each child-level field or value in ``value`` (a case document as JSON)."""
    return [(where, what) for where, what, _ in _found(value, "")]


def added(old: Any, new: Any) -> list[tuple[str, str]]:
    """The child-level fields and values ``new`` holds that ``old`` did not (an edit of a case that holds some
    already, from before the setting was turned off, is refused only for what it adds)."""
    before = set(_found(old, ""))
    return [(where, what) for where, what, token in _found(new, "") if (where, what, token) not in before]


def _found(value: Any, path: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            where = f"{path}.{k}" if path else str(k)
            if _normal(k) in FIELD_NAMES:
                out.append((where, f"a field named {k}", repr(v)))
            else:
                out += _found(v, where)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            out += _found(v, f"{path}[{i}]")
    elif isinstance(value, str):
        out += [(path, "a child's pseudonym (16 hex digits)", m) for m in _PSEUDONYM.findall(value)]
    return out


def refusal(reference: str, found: list[tuple[str, str]]) -> CareflowError:
    return CareflowError([Finding(
        rule=RULE, field=where,
        message=f"{reference!r}: {where} holds child-level data ({what}); the register keeps none unless it is "
                "allowed (`careflow cases child-level --allow`, recorded with who and when): remove it, or keep "
                "counts and rates instead") for where, what in found[:20]])
