"""Helpers for the web tests (importable from tests/web: ``from web_helpers import token_in``)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def token_in(html: str) -> str:
    """The CSRF token of the (first) form in ``html``."""
    found = _TOKEN.search(html)
    assert found, "no csrf_token field in the page"
    return found.group(1) or found.group(2)
