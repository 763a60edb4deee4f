"""Roles in shared mode and what each may do: viewers read, editors also create and edit cases and scenarios,
approvers also move a case to approved."""

from __future__ import annotations

from enum import StrEnum

from careflow.errors import CareflowError, Finding


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"


class Permission(StrEnum):
    READ = "read"
    EDIT = "edit"  # create and edit cases and scenarios, record delivery, move a case along (but not to approved)
    APPROVE = "approve"  # move a case to approved


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.EDITOR: frozenset({Permission.READ, Permission.EDIT}),
    Role.APPROVER: frozenset({Permission.READ, Permission.EDIT, Permission.APPROVE}),
}


class PermissionDenied(CareflowError):
    """A signed-in user asked for something their role does not allow."""


def parse_role(value: str | Role) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise CareflowError(Finding(rule="user-role", field="role", message=f"unknown role {value!r}: one of "
                                    f"{', '.join(r.value for r in Role)}")) from None


def allows(role: Role | str, permission: Permission) -> bool:
    return permission in GRANTS[parse_role(role)]


def require(role: Role | str, permission: Permission, what: str = "this") -> None:
    """Raise :class:`PermissionDenied` unless ``role`` has ``permission``."""
    if not allows(role, permission):
        raise PermissionDenied(Finding(rule="permission", field="role",
                                       message=f"a {parse_role(role).value} may not {what} (needs the "
                                               f"{permission.value} permission)"))


def status_permission(new_status: str) -> Permission:
    """The permission a move to ``new_status`` needs: approval for ``approved``, editing for any other."""
    return Permission.APPROVE if str(new_status) == "approved" else Permission.EDIT
