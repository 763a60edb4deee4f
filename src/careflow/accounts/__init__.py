"""Accounts for shared mode: users with roles, argon2 passwords, TOTP second factor with recovery codes, login
throttling and server-side sessions, all in the register's database (so every server process shares them).

Library API::

    from careflow.accounts import Accounts, Role, Permission, allows
    acc = Accounts("postgresql://...")               # or an SQLite file; the schema is migrated on open
    acc.add("alice", "approver", password, actor="admin")   # the first user must be an approver
    result = acc.authenticate("alice", password, address="10.0.0.5")
    result.outcome                                   # signed in / needs code / needs enrolment / refused / throttled
    secret = acc.begin_enrolment("alice"); codes = acc.confirm_enrolment("alice", "123456")
    acc.verify_second_factor("alice", "654321")
    token = acc.sessions.start(result.user, mfa_passed=True); acc.sessions.get(token)
    allows(Role.EDITOR, Permission.APPROVE)          # False
"""

from careflow.accounts.passwords import MIN_LENGTH, check_password
from careflow.accounts.roles import (
    GRANTS,
    Permission,
    PermissionDenied,
    Role,
    allows,
    require,
    status_permission,
)
from careflow.accounts.schema import AccountEvent, User
from careflow.accounts.sessions import Session, Sessions
from careflow.accounts.store import REFUSED, REFUSED_CODE, Accounts, Outcome, SignIn, check_name
from careflow.accounts.throttle import LIMIT, WINDOW, LoginThrottle, Refusal
from careflow.accounts.totp import code_at, provisioning_uri

__all__ = [
    "GRANTS", "LIMIT", "MIN_LENGTH", "REFUSED", "REFUSED_CODE", "WINDOW", "AccountEvent", "Accounts", "LoginThrottle",
    "Outcome", "Permission", "PermissionDenied", "Refusal", "Role", "Session", "Sessions", "SignIn", "User", "allows",
    "check_name", "check_password", "code_at", "provisioning_uri", "require", "status_permission",
]
