"""What the business-case, portfolio and tracking journeys share: the workspace's register (opened once per app and,
when empty, filled with the example cases so every page works with no set-up), the version form every edit
carries, and findings shown as the GOV.UK error summary and inline errors."""

from __future__ import annotations

import threading

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import HiddenField

from careflow.errors import CareflowError
from careflow.web.workspace import current_workspace

_OPENING = threading.Lock()


def register():
    """The register of the current workspace (``Workspace.database_url``), seeded with the example cases the first
    time it is opened empty (:func:`careflow.pipeline.seed_register`)."""
    from careflow.pipeline import seed_register
    from careflow.register import Register

    app = current_app
    with _OPENING:
        reg = app.extensions.get("careflow.register")
        if reg is None:
            reg = Register(current_workspace().database_url)
            seed_register(reg)
            app.extensions["careflow.register"] = reg
    return reg


def user() -> str | None:
    """Who is making a change, for the audit trail (local mode: the register's user, the computer's login)."""
    return None


class VersionForm(FlaskForm):
    """The CSRF token and the register version the page was made from: an edit based on an older version is
    refused by the register (StaleEditError), never written over a newer one."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        text = (self.version.data or "").strip()
        return int(text) if text.isdigit() else None


def findings_errors(exc: CareflowError, default_field: str | None = None) -> tuple[list[dict], dict[str, dict]]:
    """A CareflowError's findings as the error summary's items (linked to their field) and the inline errors by
    field name."""
    summary, inline = [], {}
    for f in exc.findings:
        name = f.field or default_field
        summary.append({"href": f"#{name}" if name else "#main-content", "text": f.message})
        if name and name not in inline:
            inline[name] = {"text": f.message}
    return summary, inline
