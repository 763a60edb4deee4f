"""Passwords: argon2id hashes (argon2-cffi, RFC 9106's low-memory profile by default) and the length rule.

NCSC guidance: length over composition rules, no expiry, no maximum below what people use for passphrases.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from careflow.errors import CareflowError, Finding

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; the cap stops a megabyte "password" costing a hash of it


def default_hasher() -> PasswordHasher:
    return PasswordHasher()  # time_cost=3, memory_cost=64 MiB, parallelism=4 (argon2-cffi's RFC 9106 default)


def check_password(password: str, name: str = "") -> None:
    """Refuse a password too short, too long, or the same as the user's name (a finding, never the password)."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"a password needs at least {MIN_LENGTH} characters (three random words make a good one)"
    elif len(password) > MAX_LENGTH:
        problem = f"a password may have at most {MAX_LENGTH} characters"
    elif name and password.strip().lower() == name.strip().lower():
        problem = "a password must not be the user's name"
    if problem:
        raise CareflowError(Finding(rule="user-password", field="password", message=problem))


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
