"""Shared test fixtures. Tests that need ../shared/data use the `shared_data` fixture and skip when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the public data in {SHARED_DATA} (../shared/data beside the project); not present")
    return SHARED_DATA
