"""Shared mode's sign-in, in one place: the login, second-factor and enrolment pages, sign-out, and a hook that
runs before every request (views need no decorator: journeys added by anyone are covered).

Only in shared mode (``create_app(..., SHARED=True)``; ``careflow serve --shared``); local mode is untouched.
Every page except the sign-in pages and static files needs a signed-in user who has passed the second factor
where one is required. Then the role decides: reading (GET, HEAD) needs ``read``; anything else (POST ...) needs
``edit``, and a request that moves a case to approved (a form field ``status`` of ``approved``) needs ``approve``.
A view whose POST only computes (a forecast of the shared data, say) declares ``@requires(Permission.READ)``.
Accounts, throttling and sessions are :mod:`careflow.accounts` (the register's database, shared by every server
process). While a request runs, the register records changes under the signed-in user's name
(:func:`careflow.register.acting_as`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from careflow.accounts import Accounts, Outcome, Permission, allows, provisioning_uri
from careflow.register import ACTING_USER
from careflow.web.templating import error_list

COOKIE = "careflow_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ENDPOINTS = frozenset({"static", "auth.login"})  # no session needed
PENDING_ENDPOINTS = frozenset({"auth.code", "auth.enrol", "auth.logout"})  # password passed, second factor not yet

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable)


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare the permission a view needs in shared mode, instead of the default by HTTP method."""
    def mark(view: F) -> F:
        view.careflow_permission = permission  # type: ignore[attr-defined]
        return view
    return mark


def accounts() -> Accounts:
    return current_app.extensions["careflow.accounts"]


def current_account():
    """The signed-in user (careflow.accounts.User) in shared mode; None in local mode or before sign-in."""
    return g.get("careflow_user")


def may(permission: str | Permission) -> bool:
    """Whether the signed-in user's role allows ``permission`` ("edit", "approve"): pages show an action only to
    those whose request would not be refused (always, in local mode). The hook below still decides."""
    if not current_app.config.get("SHARED"):
        return True
    user = current_account()
    return user is not None and allows(user.role, Permission(permission))


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username"), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Enter the code"), Length(max=40)])


# ---- the hook -----------------------------------------------------------------------------------------------------

def _before_request():
    endpoint = request.endpoint or ""
    token = request.cookies.get(COOKIE)
    live = accounts().sessions.get(token) if token else None
    g.careflow_session = live
    if live is not None and live.mfa_passed:
        g.careflow_user = live.user
        g.careflow_acting = ACTING_USER.set(live.user.name)
    if endpoint in OPEN_ENDPOINTS or (endpoint in PENDING_ENDPOINTS and live is not None):
        return None
    if live is None or not live.mfa_passed:
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target if request.method in SAFE_METHODS else None), code=303)
    view = current_app.view_functions.get(endpoint)
    needed = getattr(view, "careflow_permission", None) or (
        Permission.READ if request.method in SAFE_METHODS else Permission.EDIT)
    if request.method not in SAFE_METHODS and request.form.get("status") == "approved":
        needed = Permission.APPROVE
    if not allows(live.user.role, needed):
        abort(403)
    return None


def _teardown(_exc=None):
    token = g.pop("careflow_acting", None)
    if token is not None:
        ACTING_USER.reset(token)


def _secure() -> bool:
    return request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def _with_session(response, token: str | None):
    """Set (or, with None, clear) the session cookie: HttpOnly, SameSite=Lax, Secure over TLS; no expiry date
    (the browser forgets it on closing; the server ends it after its lifetime or idle time anyway)."""
    if token is None:
        response.delete_cookie(COOKIE, path="/", secure=_secure(), httponly=True, samesite="Lax")
    else:
        response.set_cookie(COOKIE, token, path="/", secure=_secure(), httponly=True, samesite="Lax")
    return response


def _address() -> str | None:
    return request.remote_addr


def _next_url() -> str:
    target = request.args.get("next", "")
    # only a path on this site: never //evil.example or https://... (an open redirect)
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


def _throttled(form, result, template: str, **context):
    response = make_response(render_template(template, form=form, errors=[{"href": "#", "text": result.message}],
                                             **context), 429)
    response.headers["Retry-After"] = str(result.retry_after)
    return response


# ---- the pages ----------------------------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form, errors=error_list(form)
                               ), status
    result = accounts().authenticate(form.username.data, form.password.data, _address())
    if result.outcome == Outcome.THROTTLED:
        return _throttled(form, result, "auth/login.html")
    if result.outcome == Outcome.REFUSED:
        return render_template("auth/login.html", form=form,
                               errors=[{"href": "#username", "text": result.message}]), 401
    accounts().sessions.end(request.cookies.get(COOKIE))  # rotation: never reuse a token from before sign-in
    session.clear()  # and a new CSRF token
    signed_in = result.outcome == Outcome.SIGNED_IN
    token = accounts().sessions.start(result.user, mfa_passed=signed_in)
    if signed_in:
        target = _next_url()
    else:
        page = "auth.code" if result.outcome == Outcome.NEEDS_CODE else "auth.enrol"
        target = url_for(page, next=request.args.get("next")) if request.args.get("next") else url_for(page)
    return _with_session(redirect(target, code=303), token)


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    live = g.careflow_session
    if live.mfa_passed:
        return redirect(_next_url())
    if not live.user.mfa_enabled:
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form, errors=error_list(form)
                               ), 400 if request.method == "POST" else 200
    result = accounts().verify_second_factor(live.user.name, form.code.data, _address())
    if result.outcome == Outcome.THROTTLED:
        return _throttled(form, result, "auth/code.html")
    if result.outcome != Outcome.SIGNED_IN:
        return render_template("auth/code.html", form=form, errors=[{"href": "#code", "text": result.message}]), 401
    token = accounts().sessions.rotate(request.cookies.get(COOKIE), mfa_passed=True)
    session.clear()
    if result.recovery_codes_left is not None:
        session["recovery_codes_left"] = result.recovery_codes_left
    return _with_session(redirect(_next_url(), code=303), token)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    """Set up an authenticator app: show the secret (as a QR code and as text), confirm with a code, then show
    the recovery codes once."""
    live = g.careflow_session
    if live.mfa_passed or live.user.mfa_enabled:
        return redirect(_next_url())
    acc = accounts()
    secret = acc.begin_enrolment(live.user.name)
    uri = provisioning_uri(secret, live.user.name)
    form = CodeForm()
    context = {"secret": secret, "qr": _qr_svg(uri), "user": live.user}
    if not form.validate_on_submit():
        return render_template("auth/enrol.html", form=form, errors=error_list(form),
                               **context), 400 if request.method == "POST" else 200
    refusal = acc.throttle.check(live.user.name, _address())
    if refusal is not None:
        response = make_response(render_template("auth/enrol.html", form=form, errors=[{
            "href": "#code", "text": "Too many attempts. Try again later."}], **context), 429)
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    codes = acc.confirm_enrolment(live.user.name, form.code.data)
    if codes is None:
        acc.throttle.failed(live.user.name, _address())
        return render_template("auth/enrol.html", form=form, errors=[{
            "href": "#code", "text": "That code is not right: check the app shows careflow's code and try the "
                                     "next one"}], **context), 401
    acc.signed_in(live.user)
    token = acc.sessions.rotate(request.cookies.get(COOKIE), mfa_passed=True)
    session.clear()
    response = make_response(render_template("auth/recovery_codes.html", codes=codes, next_url=_next_url()))
    return _with_session(response, token)


@bp.post("/logout")
def logout():
    accounts().sessions.end(request.cookies.get(COOKIE))
    session.clear()
    return _with_session(redirect(url_for("auth.login", signed_out=1), code=303), None)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno; no script, so the CSP holds)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4, title="QR code of the authenticator secret")


# ---- wiring -------------------------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Turn shared mode on for ``app`` if ``app.config["SHARED"]``. ``ACCOUNTS`` may hold a ready
    :class:`careflow.accounts.Accounts` (tests); otherwise one is opened on the workspace's register database with
    ``MFA_FOR_EVERYONE``, ``SESSION_LIFETIME`` and ``SESSION_IDLE`` (timedeltas)."""
    app.jinja_env.globals["current_account"] = current_account
    app.jinja_env.globals["may"] = may
    app.jinja_env.globals["shared_mode"] = bool(app.config.get("SHARED"))
    if not app.config.get("SHARED"):
        return
    acc = app.config.get("ACCOUNTS")
    if acc is None:
        ws = app.extensions["careflow.workspace"]
        acc = Accounts(ws.database_url, mfa_for_everyone=bool(app.config.get("MFA_FOR_EVERYONE")),
                       session_lifetime=_td(app.config.get("SESSION_LIFETIME")),
                       session_idle=_td(app.config.get("SESSION_IDLE")))
    app.extensions["careflow.accounts"] = acc
    app.register_blueprint(bp)
    app.before_request(_before_request)
    app.teardown_request(_teardown)

    @app.after_request
    def _hsts(response):
        if request.is_secure:  # served over TLS (directly, or by a proxy careflow trusts): stay on it
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _td(value) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))
