"""Accounts for shared mode (SQLite and a real PostgreSQL): users and roles, argon2 passwords, TOTP with
recovery codes, throttling shared between processes, sessions, and the register's approval record."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from _register_db import db_url_fixture
from careflow.accounts import (
    GRANTS,
    REFUSED,
    Accounts,
    Outcome,
    Permission,
    PermissionDenied,
    Role,
    allows,
    code_at,
    require,
    status_permission,
)
from careflow.accounts import totp as totp_mod
from careflow.accounts.throttle import LoginThrottle
from careflow.errors import CareflowError
from careflow.register import Register, acting_as, loads_case

db_url = db_url_fixture()
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # the tests' hashes: same scheme, cheap
PW = "correct horse battery"


class Clock:
    def __init__(self, start=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += dt.timedelta(**kw)


def _accounts(url, clock=None, **kw):
    return Accounts(url, hasher=FAST, clock=clock or Clock(), **kw)


def test_roles_grant_what_the_issue_says():
    assert GRANTS[Role.VIEWER] == {Permission.READ}
    assert allows("editor", Permission.EDIT) and not allows("editor", Permission.APPROVE)
    assert allows(Role.APPROVER, Permission.APPROVE)
    assert status_permission("approved") == Permission.APPROVE and status_permission("submitted") == Permission.EDIT
    with pytest.raises(PermissionDenied, match="a viewer may not edit"):
        require("viewer", Permission.EDIT, "edit")


def test_users_add_list_disable_set_role_with_events(db_url):
    with _accounts(db_url) as acc:
        assert acc.is_empty()
        with pytest.raises(CareflowError, match="first user must be an approver"):
            acc.add("ed", "editor", PW, actor="admin")
        acc.add("Alice", "approver", PW, actor="admin")  # names are case-insensitive, stored lower case
        acc.add("ed", "editor", PW, actor="alice")
        acc.add("vi.ewer@council.gov.uk", "viewer", PW, actor="alice")
        assert [(u.name, u.role, u.disabled) for u in acc.users()] == [
            ("alice", Role.APPROVER, False), ("ed", Role.EDITOR, False), ("vi.ewer@council.gov.uk", Role.VIEWER,
                                                                          False)]
        with pytest.raises(CareflowError, match="already a user 'alice'"):
            acc.add("ALICE", "viewer", PW, actor="admin")
        with pytest.raises(CareflowError, match="not a user name"):
            acc.add("bad name", "viewer", PW, actor="admin")
        with pytest.raises(CareflowError, match="at least 12 characters"):
            acc.add("shorty", "viewer", "tooshort", actor="admin")
        with pytest.raises(CareflowError, match="unknown role 'boss'"):
            acc.add("x", "boss", PW, actor="admin")
        # the only approver can be neither demoted nor disabled
        with pytest.raises(CareflowError, match="only active approver"):
            acc.set_role("alice", "editor", actor="admin")
        with pytest.raises(CareflowError, match="only active approver"):
            acc.disable("alice", actor="admin")
        assert acc.set_role("ed", "approver", actor="alice").role == Role.APPROVER
        assert acc.disable("alice", actor="ed").disabled
        assert acc.authenticate("alice", PW).outcome == Outcome.REFUSED
        assert [(e.actor, e.action, e.username, e.detail) for e in acc.events()] == [
            ("admin", "add", "alice", "role approver"), ("alice", "add", "ed", "role editor"),
            ("alice", "add", "vi.ewer@council.gov.uk", "role viewer"), ("alice", "set-role", "ed",
                                                                        "editor -> approver"),
            ("ed", "disable", "alice", None)]
        with pytest.raises(CareflowError, match="no user 'nobody'"):
            acc.disable("nobody", actor="admin")


def test_password_is_stored_as_argon2id_never_in_clear(db_url):
    with _accounts(db_url) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        with acc.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
        assert stored.startswith("$argon2id$") and PW not in stored
        assert acc.authenticate("alice", PW).outcome == Outcome.NEEDS_ENROLMENT  # approvers need a second factor
        acc.set_password("alice", "another long passphrase", actor="alice")
        assert acc.authenticate("alice", PW).outcome == Outcome.REFUSED
        assert acc.authenticate("alice", "another long passphrase").outcome == Outcome.NEEDS_ENROLMENT


def test_no_user_enumeration_same_answer_for_unknown_name_wrong_password_disabled(db_url):
    with _accounts(db_url) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        acc.add("bob", "approver", PW, actor="admin")
        acc.disable("bob", actor="alice")
        answers = [acc.authenticate("nobody", PW, "10.0.0.1"), acc.authenticate("alice", "wrong password!",
                                                                                   "10.0.0.2"),
                   acc.authenticate("bob", PW, "10.0.0.3")]
        assert {(a.outcome, a.message, a.user) for a in answers} == {(Outcome.REFUSED, REFUSED, None)}


def test_five_failures_for_an_account_within_15_minutes_throttle_it_then_it_recovers(db_url):
    clock = Clock()
    with _accounts(db_url, clock) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        acc.add("ed", "editor", PW, actor="admin")
        for i in range(5):  # from five addresses: the account is what is counted
            assert acc.authenticate("ed", "wrong password!", f"10.0.0.{i}").outcome == Outcome.REFUSED
            clock.advance(minutes=2)
        # failures at 0, 2, 4, 6 and 8 minutes; at 10 minutes refused even with the right password, for 5 more
        r = acc.authenticate("ed", PW, "10.9.9.9")
        assert r.outcome == Outcome.THROTTLED and r.retry_after == 5 * 60 and r.user is None
        assert acc.authenticate("alice", PW, "10.9.9.9").outcome == Outcome.NEEDS_ENROLMENT  # others unaffected
        clock.advance(minutes=4)
        assert acc.authenticate("ed", PW, "10.9.9.9").outcome == Outcome.THROTTLED
        clock.advance(minutes=1)  # the first failure is now 15 minutes old: four left in the window
        assert acc.authenticate("ed", PW, "10.9.9.9").outcome == Outcome.SIGNED_IN
        # and success clears the account's count
        assert acc.authenticate("ed", "wrong password!").outcome == Outcome.REFUSED
        assert acc.authenticate("ed", PW).outcome == Outcome.SIGNED_IN


def test_five_failures_from_one_address_throttle_the_address_for_any_name(db_url):
    clock = Clock()
    with _accounts(db_url, clock) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        for name in ("a1", "a2", "a3", "a4", "a5"):  # names that do not exist count too
            acc.authenticate(name, PW, "192.0.2.7")
        assert acc.authenticate("alice", PW, "192.0.2.7").outcome == Outcome.THROTTLED
        assert acc.authenticate("alice", PW, "192.0.2.8").outcome == Outcome.NEEDS_ENROLMENT


def test_throttling_is_shared_between_processes(db_url):
    """Two Accounts objects with their own engines (as two server processes) see each other's failures."""
    clock = Clock()
    with _accounts(db_url, clock) as one, _accounts(db_url, clock, migrate=False) as two:
        one.add("alice", "approver", PW, actor="admin")
        for i in range(5):
            (one if i % 2 else two).authenticate("alice", "wrong password!", "10.0.0.1")
        assert one.authenticate("alice", PW, "10.0.0.2").outcome == Outcome.THROTTLED
        assert two.authenticate("alice", PW, "10.0.0.3").outcome == Outcome.THROTTLED


@settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.integers(0, 20 * 60), min_size=1, max_size=12), probe=st.integers(0, 20 * 60))
def test_throttle_matches_the_rule_for_any_failure_times(tmp_path_factory, gaps, probe):
    """Refused iff at least five failures in the 15 minutes before now; then retry_after brings the count to four."""
    url = f"sqlite:///{tmp_path_factory.mktemp('t') / 'r.sqlite'}"
    clock = Clock()
    with _accounts(url, clock) as acc:
        th = LoginThrottle(acc.engine, clock)
        times = []
        for g in gaps:
            clock.advance(seconds=g)
            th.failed("x")
            times.append(clock.now)
        clock.advance(seconds=probe)
        recent = sorted(t for t in times if t > clock.now - dt.timedelta(minutes=15))
        refusal = th.check("x")
        assert (refusal is not None) == (len(recent) >= 5)
        if refusal:
            fifth_latest = recent[-5]
            expected = (fifth_latest + dt.timedelta(minutes=15) - clock.now).total_seconds()
            assert expected <= refusal.retry_after < expected + 1
            clock.advance(seconds=refusal.retry_after)
            assert th.check("x") is None


def test_totp_enrolment_challenge_replay_and_recovery_codes(db_url):
    clock = Clock()
    with _accounts(db_url, clock) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        assert acc.authenticate("alice", PW).outcome == Outcome.NEEDS_ENROLMENT
        secret = acc.begin_enrolment("alice")
        assert acc.begin_enrolment("alice") == secret  # a reloaded enrolment page still matches the app
        assert acc.confirm_enrolment("alice", "000000" if code_at(secret, clock.now.timestamp()) != "000000"
                                     else "111111") is None
        codes = acc.confirm_enrolment("alice", code_at(secret, clock.now.timestamp()))
        assert len(codes) == 10 and len(set(codes)) == 10
        with acc.engine.connect() as conn:
            stored = set(conn.execute(sa.text("SELECT code_hash FROM recovery_codes")).scalars())
        assert not stored & set(codes) and stored == {totp_mod.hash_recovery_code(c) for c in codes}
        assert acc.get("alice").mfa_enabled
        # next sign-in: password, then a code from the app; the code used at enrolment cannot be replayed
        clock.advance(seconds=5)
        assert acc.authenticate("alice", PW).outcome == Outcome.NEEDS_CODE
        assert acc.verify_second_factor("alice", code_at(secret, clock.now.timestamp())).outcome == Outcome.REFUSED
        clock.advance(seconds=30)
        ok = acc.verify_second_factor("alice", code_at(secret, clock.now.timestamp()))
        assert ok.outcome == Outcome.SIGNED_IN and ok.user.name == "alice"
        assert acc.verify_second_factor("alice", code_at(secret, clock.now.timestamp())).outcome == Outcome.REFUSED
        # a code from the step before or after is allowed (clock drift), two steps away is not
        clock.advance(seconds=60)
        assert acc.verify_second_factor("alice", code_at(secret, clock.now.timestamp() + 30)).outcome == \
            Outcome.SIGNED_IN
        clock.advance(seconds=120)
        assert acc.verify_second_factor("alice", code_at(secret, clock.now.timestamp() - 60)).outcome == \
            Outcome.REFUSED
        # a recovery code, typed with spaces and capitals, works once
        spaced = codes[3].upper().replace("-", " ")
        r = acc.verify_second_factor("alice", spaced)
        assert r.outcome == Outcome.SIGNED_IN and r.recovery_codes_left == 9
        assert acc.verify_second_factor("alice", codes[3]).outcome == Outcome.REFUSED
        # reset-mfa (a lost phone): codes gone, enrol again
        acc.reset_mfa("alice", actor="bob")
        assert not acc.get("alice").mfa_enabled and acc.recovery_codes_left("alice") == 0
        assert acc.verify_second_factor("alice", codes[4]).outcome == Outcome.REFUSED
        assert acc.authenticate("alice", PW).outcome == Outcome.NEEDS_ENROLMENT


def test_wrong_codes_count_towards_throttling(db_url):
    clock = Clock()
    with _accounts(db_url, clock) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        secret = acc.begin_enrolment("alice")
        acc.confirm_enrolment("alice", code_at(secret, clock.now.timestamp()))
        good = code_at(secret, clock.now.timestamp() + 30)
        wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in {good, code_at(secret, clock.now.timestamp()),
                                                                      code_at(secret, clock.now.timestamp() - 30)})
        for _ in range(5):
            acc.verify_second_factor("alice", wrong, "10.0.0.1")
        assert acc.verify_second_factor("alice", good, "10.0.0.2").outcome == Outcome.THROTTLED


def test_mfa_for_everyone_is_a_setting(db_url):
    with _accounts(db_url) as acc:
        acc.add("alice", "approver", PW, actor="admin")
        acc.add("vic", "viewer", PW, actor="alice")
        assert acc.authenticate("vic", PW).outcome == Outcome.SIGNED_IN
    with _accounts(db_url, mfa_for_everyone=True) as acc:
        assert acc.authenticate("vic", PW).outcome == Outcome.NEEDS_ENROLMENT


def test_sessions_idle_timeout_lifetime_rotation_and_ending(db_url):
    clock = Clock()
    with _accounts(db_url, clock) as acc:
        alice = acc.add("alice", "approver", PW, actor="admin")
        token = acc.sessions.start(alice, mfa_passed=False)
        assert not acc.sessions.get(token).mfa_passed
        new = acc.sessions.rotate(token, mfa_passed=True)
        assert new != token and acc.sessions.get(token) is None and acc.sessions.get(new).mfa_passed
        with acc.engine.connect() as conn:
            assert token not in str(conn.execute(sa.text("SELECT token_hash FROM sessions")).all())
        # idle: 29 minutes between requests is fine, 31 is not
        clock.advance(minutes=29)
        assert acc.sessions.get(new) is not None
        clock.advance(minutes=31)
        assert acc.sessions.get(new) is None
        # lifetime: 8 hours from sign-in however active
        t2 = acc.sessions.start(alice, mfa_passed=True)
        for _ in range(16):
            clock.advance(minutes=29)
            assert acc.sessions.get(t2) is not None
        clock.advance(minutes=29)  # 8 h 13 min
        assert acc.sessions.get(t2) is None
        # disabling a user, or changing their role, ends their sessions at once
        acc.add("bob", "approver", PW, actor="alice")
        ed = acc.add("ed", "editor", PW, actor="alice")
        t3, t4 = acc.sessions.start(ed, mfa_passed=True), acc.sessions.start(alice, mfa_passed=True)
        acc.set_role("ed", "viewer", actor="alice")
        acc.disable("alice", actor="bob")
        assert acc.sessions.get(t3) is None and acc.sessions.get(t4) is None
        t5 = acc.sessions.start(acc.get("bob"), mfa_passed=True)
        acc.sessions.end(t5)
        assert acc.sessions.get(t5) is None and acc.sessions.get("forged") is None and acc.sessions.get(None) is None


def test_first_run_creates_the_first_approver_once(db_url):
    with _accounts(db_url) as acc:
        user = acc.create_first_approver("Admin", PW, actor="setup")
        assert (user.name, user.role) == ("admin", Role.APPROVER)
        with pytest.raises(CareflowError, match="already has users"):
            acc.create_first_approver("second", PW, actor="setup")


def test_audit_names_the_signed_in_user_and_approval_is_recorded_with_who_and_when(db_url):
    case, _ = loads_case("reference: A/R.9\ntitle: A case\nunits: £k\nsavings: {2019-20: 100}\n")
    with Register(db_url, user="os-login") as reg:
        reg.add(case, user="ed")
        reg.set_status("A/R.9", "submitted", user="ed")
        assert reg.approval("A/R.9") is None
        before = dt.datetime.now(dt.UTC)
        reg.set_status("A/R.9", "approved", user="alice")
        approval = reg.approval("A/R.9")
        assert approval.user == "alice" and approval.old == "submitted" and approval.version == 3
        at = approval.at if approval.at.tzinfo else approval.at.replace(tzinfo=dt.UTC)
        assert before - dt.timedelta(seconds=1) <= at <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        assert {e.user for e in reg.history("A/R.9")} == {"ed", "alice"}


@given(st.text(alphabet="abcdefghjkmnpqrstuvwxyz23456789", min_size=12, max_size=12),
       st.sampled_from(["-", " ", "", "  "]), st.booleans())
def test_recovery_code_hash_ignores_case_spaces_and_hyphens(raw, sep, upper):
    typed = sep.join([raw[:4], raw[4:8], raw[8:]])
    typed = typed.upper() if upper else typed
    assert totp_mod.hash_recovery_code(typed) == totp_mod.hash_recovery_code(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    assert totp_mod.looks_like_recovery_code(typed)


def test_changes_made_while_acting_as_a_user_name_them(tmp_path, monkeypatch):
    """The web app opens the register once and sets the signed-in user per request (acting_as): the audit names
    that user, not the server's login; an explicit user= still wins."""
    monkeypatch.setenv("CAREFLOW_USER", "server-account")
    case, _ = loads_case("reference: A/R.10\ntitle: A case\n")
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as reg:
        with acting_as("ed"):
            reg.add(case)
            reg.set_status("A/R.10", "submitted", user="explicit")
        reg.set_status("A/R.10", "draft")
        assert [(e.action, e.user) for e in reg.history("A/R.10") if e.field == "status"] == [
            ("create", "ed"), ("status", "explicit"), ("status", "server-account")]
