"""Pseudonyms for child identifiers: a keyed hash (HMAC-SHA256) with a secret per-installation salt.

The salt is the key. Without it a pseudonym cannot be turned back into a CHILD number by trying every possible
number (CHILD numbers are short, so an unkeyed or published-salt hash can be reversed in well under a second).

Where the salt comes from, first match wins:

1. ``salt=`` passed to the library (e.g. ``ssda903.load(..., salt=...)``) or a :func:`using_salt` block;
2. the ``CAREFLOW_SALT`` environment variable (a team that must match pseudonyms across machines shares it);
3. the file ``salt`` in the user's config directory (platformdirs), made on first use from 32 random bytes with
   owner-only permissions (0600, folder 0700).

So two installations give different pseudonyms for the same child unless they share ``CAREFLOW_SALT``.
See docs/security.md for what pseudonyms protect against and what they do not.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from platformdirs import user_config_dir

from careflow.errors import CareflowError

SALT_ENV = "CAREFLOW_SALT"
SALT_FILE = "salt"
PSEUDONYM_HEX = 16  # hex digits kept: 64 bits, no collisions in practice among an LA's children

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("careflow_salt", default=None)


def config_dir() -> Path:
    """The user's careflow config folder (``~/.config/careflow`` on Linux, honouring XDG_CONFIG_HOME)."""
    return Path(user_config_dir("careflow", appauthor=False))


def salt_path() -> Path:
    return config_dir() / SALT_FILE


def _installation_salt(path: Path) -> str:
    """Read the installation's salt, making it (owner-only) on first use."""
    try:
        text = path.read_text(encoding="ascii").strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise CareflowError(f"cannot read the pseudonym salt: {exc}; set {SALT_ENV} or remove the file",
                            file=str(path), rule="salt") from None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        # O_EXCL: two processes starting at once keep one salt (the loser reads the winner's file).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise CareflowError(f"cannot create the pseudonym salt: {exc.strerror}; set {SALT_ENV} instead",
                            file=str(path), rule="salt") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


def resolve_salt(salt: str | None = None) -> str:
    """The explicit salt, else a :func:`using_salt` block's, else ``CAREFLOW_SALT``, else the installation's."""
    if salt is not None:
        return salt
    override = _override.get()
    if override is not None:
        return override
    return os.environ.get(SALT_ENV) or _installation_salt(salt_path())


@contextlib.contextmanager
def using_salt(salt: str) -> Iterator[None]:
    """Use ``salt`` for pseudonyms inside the block (the demo's fictional children get a fixed one, so its outputs
    are the same on every machine)."""
    token = _override.set(salt)
    try:
        yield
    finally:
        _override.reset(token)


def pseudonyms(salt: str, pairs: Iterable[tuple[object, object]]) -> list[str]:
    """HMAC-SHA256 of ``LA \\x1f CHILD`` keyed with ``salt``, first 16 hex digits, for each (LA, CHILD) pair."""
    base = hmac.new(salt.encode("utf-8", "surrogateescape"), digestmod=hashlib.sha256)
    out = []
    for la, child in pairs:
        h = base.copy()
        h.update(f"{la}\x1f{child}".encode("utf-8", "surrogateescape"))
        out.append(h.hexdigest()[:PSEUDONYM_HEX])
    return out


def pseudonym(la: object, child: object, salt: str | None = None) -> str:
    """The pseudonym of one child (e.g. to find a child of the fix-list in the modelling data)."""
    return pseudonyms(resolve_salt(salt), [(la, child)])[0]
