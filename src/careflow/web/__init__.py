"""careflow's web app (``careflow serve``): Flask views over the library's pipeline, in the GOV.UK Design System.

Views hold no model or finance logic: each calls :mod:`careflow.pipeline` (or :mod:`careflow.register`) and renders
the result. One blueprint per journey (``careflow.web.views``); templates extend ``base.html``; the compiled GOV.UK
Frontend assets are in ``static/govuk`` (see its README.md).

    from careflow.web import create_app
    app = create_app("~/careflow-workspace")     # the workspace holds uploads, runs, the secret key, the register
"""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from careflow.web.jobs import JobRunner
from careflow.web.workspace import Workspace

# Uploads: the whole request (several SSDA903 files, or one zip of them) and the number of files. A bigger request
# is refused with the "too large" page before anything is read.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UPLOAD_FILES = 50
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what the files of one upload may unpack to (zips)

csrf = CSRFProtect()


def create_app(workspace: str | Path | None = None, *, testing: bool = False, **config) -> Flask:
    """The app on ``workspace`` (default: the user's careflow data folder). ``config`` overrides Flask settings,
    e.g. ``MAX_CONTENT_LENGTH``, ``DATABASE_URL`` (the register; default: ``CAREFLOW_DATABASE_URL``, else
    ``register.sqlite`` in the workspace) or ``RETENTION_DAYS`` (uploads deleted after that many days; shared
    mode's default 90, :mod:`careflow.web.retention`). ``testing`` keeps CSRF on: the tests post the token as a browser does."""
    from careflow.web import auth, errors, retention, security, templating
    from careflow.web.views import BLUEPRINTS

    app = Flask(__name__)
    ws = Workspace.open(workspace, config.pop("DATABASE_URL", None))
    app.config.update(
        SECRET_KEY=ws.secret_key(),
        TESTING=testing,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        MAX_FORM_PARTS=MAX_UPLOAD_FILES + 50,
        MAX_UPLOAD_FILES=MAX_UPLOAD_FILES,
        MAX_UNPACKED_BYTES=MAX_UNPACKED_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a page left open still submits
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        JOB_WORKERS=None,
    )
    app.config.update(config)
    app.extensions["careflow.workspace"] = ws
    app.extensions["careflow.jobs"] = JobRunner(app.config["JOB_WORKERS"])
    # govuk-frontend-jinja's macros import each other as "govuk_frontend_jinja/components/..."
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PrefixLoader(
        {"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")})])
    csrf.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    retention.init_app(app)  # uploads deleted after RETENTION_DAYS (shared mode: 90 unless set); before sign-in
    auth.init_app(app)  # shared mode's sign-in and roles (no-op in local mode)
    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    return app
