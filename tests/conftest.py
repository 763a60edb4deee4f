"""Shared test fixtures. Tests that need ../shared/data use the `shared_data` fixture and skip when it is absent."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# Tests never touch the user's real config (the pseudonym salt lives there) and give the same pseudonyms on every
# machine: a fixed CAREFLOW_SALT and a throw-away config folder, set before any test (and any CLI subprocess) runs.
# Tests of the salt itself unset CAREFLOW_SALT and point XDG_CONFIG_HOME at their own tmp_path.
os.environ["CAREFLOW_SALT"] = "careflow-tests"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="careflow-tests-config-")
# Nor the user's default register (register.sqlite in the user data folder): a test that opens the default register
# gets an empty one of its own, never one another checkout has migrated further.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="careflow-tests-data-")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the public data in {SHARED_DATA} (../shared/data beside the project); not present")
    return SHARED_DATA
