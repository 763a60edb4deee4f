"""``careflow users``: the accounts of shared mode (add, list, disable, enable, set-role, set-password,
reset-mfa). Whoever can run this against the register's database manages its users; the OS login (or --user) is
recorded as the actor of every change."""

from __future__ import annotations

import sys

import click

from careflow.cli.cases import DATABASE_OPTION
from careflow.errors import CareflowError, Finding

ROLES = click.Choice(["viewer", "editor", "approver"], case_sensitive=False)


def register(group: click.Group) -> None:
    group.add_command(users)


class _Settings:
    def __init__(self, database: str | None, user: str | None):
        self.database, self.user, self.accounts = database, user, None


def _open(ctx: click.Context):
    from careflow.accounts import Accounts
    from careflow.register import current_user

    s = ctx.find_object(_Settings)
    if s.accounts is None:
        s.accounts = Accounts(s.database)
        ctx.find_root().call_on_close(s.accounts.close)
    return s.accounts, current_user(s.user)


def _password(from_stdin: bool, name: str) -> str:
    from careflow.accounts import MIN_LENGTH

    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CareflowError(Finding(rule="user-password", field="password",
                                        message="--password-stdin: nothing on standard input"))
        return line.rstrip("\r\n")
    return click.prompt(f"Password for {name} (at least {MIN_LENGTH} characters)", hide_input=True,
                        confirmation_prompt=True)


@click.group()
@DATABASE_OPTION
@click.option("--user", default=None, help="Name recorded as the actor of each change (default: $CAREFLOW_USER, "
                                           "else the OS login).")
@click.pass_context
def users(ctx: click.Context, database: str | None, user: str | None) -> None:
    """Accounts for shared mode (careflow serve --shared): viewers read, editors edit, approvers also approve.

    The first user of a register must be an approver.
    """
    ctx.obj = _Settings(database, user)


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, required=True, help="viewer, editor or approver.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input "
                                                     "(for scripts); otherwise it is asked for twice.")
@click.pass_context
def add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user NAME (letters, digits, . _ @ -; case-insensitive)."""
    from careflow.accounts import check_name, check_password

    key = check_name(name)
    password = _password(password_stdin, key)
    check_password(password, key)
    acc, actor = _open(ctx)
    first = acc.is_empty()
    user = acc.add(key, role, password, actor=actor)
    click.echo(f"added {user.name} ({user.role.value})" + (": the register's first user" if first else ""))
    if acc.mfa_required(user):
        click.echo("they set up their authenticator app (TOTP) at their first sign-in")


@users.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every user: name, role, active or disabled, second factor, last sign-in."""
    acc, _ = _open(ctx)
    rows = acc.users()
    if not rows:
        click.echo("no users yet: add the first approver with careflow users add NAME --role approver")
        return
    click.echo(f"{'name':<30} {'role':<9} {'status':<9} {'2FA':<4} last sign-in (UTC)")
    for u in rows:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        click.echo(f"{u.name:<30} {u.role.value:<9} {'disabled' if u.disabled else 'active':<9} "
                   f"{'on' if u.mfa_enabled else 'off':<4} {last}")


@users.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Stop NAME signing in and end their sessions (their name stays in the audit trail)."""
    acc, actor = _open(ctx)
    click.echo(f"disabled {acc.disable(name, actor=actor).name}")


@users.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Let a disabled user sign in again."""
    acc, actor = _open(ctx)
    click.echo(f"enabled {acc.enable(name, actor=actor).name}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=ROLES)
@click.pass_context
def set_role(ctx: click.Context, name: str, role: str) -> None:
    """Give NAME the role ROLE (their sessions end; they sign in again)."""
    acc, actor = _open(ctx)
    user = acc.set_role(name, role, actor=actor)
    click.echo(f"{user.name} is now {user.role.value}")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.pass_context
def set_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set NAME's password (their sessions end)."""
    acc, actor = _open(ctx)
    user = acc.get(name)
    user = acc.set_password(user.name, _password(password_stdin, user.name), actor=actor)
    click.echo(f"password set for {user.name}")


@users.command("reset-mfa")
@click.argument("name")
@click.pass_context
def reset_mfa(ctx: click.Context, name: str) -> None:
    """Remove NAME's authenticator and recovery codes (a lost phone): they set up a new one at next sign-in."""
    acc, actor = _open(ctx)
    click.echo(f"second factor reset for {acc.reset_mfa(name, actor=actor).name}: they enrol again at next sign-in")
