"""The web app's workspace: one folder holding everything the app writes.

``<root>/uploads/`` (the user's SSDA903 files, one folder per upload), ``<root>/runs/`` (results of background
jobs), ``<root>/datasets/anyshire/`` (the embedded synthetic LA, built on first use), ``<root>/secret_key`` (the
session/CSRF key, made once, readable by its owner only) and, unless configured otherwise, the register database
``<root>/register.sqlite``.

Default root: the user's careflow data folder (platformdirs), where the CLI keeps its register too, so ``careflow
serve`` and ``careflow cases`` see the same register on a fresh install.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from platformdirs import user_data_dir

ANYSHIRE = "anyshire"
_BUILDING = threading.Lock()  # one thread builds Anyshire; the others wait for it


def default_root() -> Path:
    return Path(user_data_dir("careflow", appauthor=False))


@dataclass(frozen=True)
class Workspace:
    root: Path
    database_url: str

    @classmethod
    def open(cls, root: str | Path | None = None, database_url: str | None = None) -> Workspace:
        """The workspace at ``root`` (created, owner-only, when missing). The register: ``database_url``, else
        ``CAREFLOW_DATABASE_URL``, else ``register.sqlite`` in the workspace."""
        from careflow.register.db import ENV_URL, resolve_url

        root = Path(root).expanduser().resolve() if root is not None else default_root()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        url = database_url or os.environ.get(ENV_URL) or str(root / "register.sqlite")
        return cls(root, resolve_url(url))

    @property
    def uploads(self) -> Path:
        return self._folder("uploads")

    @property
    def runs(self) -> Path:
        return self._folder("runs")

    @property
    def datasets(self) -> Path:
        return self._folder("datasets")

    def _folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(exist_ok=True, mode=0o700)
        return path

    def secret_key(self) -> bytes:
        """The app's secret key: made once from 32 random bytes, kept in ``secret_key`` (mode 0600), so sessions
        and CSRF tokens survive a restart and no two installations share a key."""
        path = self.root / "secret_key"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) >= 32:
                return key
            path.unlink()  # truncated by a crash between create and write: make a new one
            return self.secret_key()
        with os.fdopen(fd, "wb") as fh:
            key = secrets.token_bytes(32)
            fh.write(key)
        return key

    def anyshire(self) -> Path:
        """The embedded synthetic LA's SSDA903 returns (careflow.synth.anyshire), built here on first use."""
        from careflow.synth import anyshire

        folder = self.datasets / ANYSHIRE
        done = folder / ".complete"
        with _BUILDING:
            if not done.exists():
                anyshire(folder)
                done.touch()
        return folder

    def inside(self, path: str | Path) -> bool:
        """Whether ``path`` resolves to somewhere under the workspace (uploads never leave it)."""
        return Path(path).resolve().is_relative_to(self.root)


def current_workspace() -> Workspace:
    """The workspace of the app handling the current request."""
    return current_app.extensions["careflow.workspace"]
