"""``careflow users``: a thin layer over careflow.accounts (the rules are tested in test_accounts.py)."""

from __future__ import annotations

from click.testing import CliRunner

from careflow.accounts import Accounts, Outcome
from careflow.cli import main

PW = "correct horse battery"


def _run(db, *args, input=None):
    return CliRunner().invoke(main, ["users", "--database", str(db), "--user", "admin", *args], input=input)


def test_users_commands_over_one_register(tmp_path):
    db = tmp_path / "register.sqlite"
    r = _run(db, "list")
    assert r.exit_code == 0 and "no users yet" in r.output
    r = _run(db, "add", "ed", "--role", "editor", "--password-stdin", input=PW + "\n")
    assert r.exit_code == 1 and "first user must be an approver" in r.output
    r = _run(db, "add", "Alice", "--role", "approver", "--password-stdin", input=PW + "\n")
    assert r.exit_code == 0, r.output
    assert "added alice (approver): the register's first user" in r.output and "authenticator" in r.output
    assert _run(db, "add", "ed", "--role", "editor", input=f"{PW}\n{PW}\n").exit_code == 0  # prompted twice
    assert _run(db, "add", "bob", "--role", "approver", "--password-stdin", input=PW + "\n").exit_code == 0
    r = _run(db, "add", "vic", "--role", "viewer", "--password-stdin", input="short\n")
    assert r.exit_code == 1 and "at least 12 characters" in r.output
    assert _run(db, "add", "vic", "--role", "boss", "--password-stdin", input=PW).exit_code == 2
    assert _run(db, "set-role", "ed", "viewer").output == "ed is now viewer\n"
    assert _run(db, "disable", "bob").exit_code == 0
    r = _run(db, "disable", "alice")
    assert r.exit_code == 1 and "only active approver" in r.output
    r = _run(db, "list")
    lines = r.output.splitlines()
    assert [line.split()[:4] for line in lines[1:]] == [["alice", "approver", "active", "off"],
                                                        ["bob", "approver", "disabled", "off"],
                                                        ["ed", "viewer", "active", "off"]]
    assert _run(db, "set-password", "ed", "--password-stdin", input="a new long passphrase\n").exit_code == 0
    assert _run(db, "reset-mfa", "alice").exit_code == 0
    r = _run(db, "disable", "nobody")
    assert r.exit_code == 1 and "no user 'nobody'" in r.output
    with Accounts(str(db)) as acc:
        assert acc.authenticate("ed", "a new long passphrase").outcome == Outcome.SIGNED_IN
        assert acc.authenticate("bob", PW).outcome == Outcome.REFUSED
        assert [(e.actor, e.action, e.username) for e in acc.events()][-4:] == [
            ("admin", "set-role", "ed"), ("admin", "disable", "bob"), ("admin", "set-password", "ed"),
            ("admin", "reset-mfa", "alice")]
