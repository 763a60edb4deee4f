"""Second factor: TOTP (RFC 6238, what authenticator apps use; pyotp) and single-use recovery codes.

A code is accepted for the current 30-second step or one step either side (clock drift), and only for a step
later than the last one accepted, so an overheard code cannot be replayed. Recovery codes are 12 random
characters (about 59 bits) from an alphabet without look-alikes; only their SHA-256 is stored. A slow hash is
for guessable secrets such as passwords; these are random and too long to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp

ISSUER = "careflow"
STEP = 30
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, name: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code or typed in as the secret)."""
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def code_at(secret: str, timestamp: float) -> str:
    return pyotp.TOTP(secret).at(int(timestamp))


def matching_step(secret: str, code: str, timestamp: float, after_step: int | None) -> int | None:
    """The time step ``code`` belongs to (current, or one either side) if it is later than ``after_step``."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(timestamp) // STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """``n`` codes shown once, as ``xxxx-xxxx-xxxx``."""
    out = []
    for _ in range(n):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        out.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return out


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode("utf-8")).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_recovery_code(code)) == 12
