"""Error pages: every HTTP error is a GOV.UK page in the layout, never a traceback. A 500 is logged in full (by
Flask) for the maintainer and shown as a plain apology.

The register's database out of reach (PostgreSQL restarting or stopped, the network to it down, every pooled
connection busy) is not a bug: the user gets "Sorry, the service is unavailable" with 503 and ``Retry-After``, the
log one line. Nothing else is needed to recover: the engines check a pooled connection before using it
(``pool_pre_ping``) and open new ones, so the first request after the database is back works, with no restart.
"""

from __future__ import annotations

import re
import sqlite3

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

PAGES = {
    400: ("There is a problem with the request", "The page could not use what was sent. Go back and try again."),
    403: ("You cannot see this page", "You do not have permission to see this page."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted the web address, check "
                            "you copied the entire address."),
    405: ("There is a problem with the request", "This page cannot be used that way. Go back and try again."),
    413: ("The upload is too large", None),  # the message names the limit
    500: ("Sorry, there is a problem with careflow", "Try again later. The details are in the server's log."),
    503: ("Sorry, the service is unavailable", "careflow cannot reach its database just now. Try again in a few "
                                               "minutes. If you were saving a change, open the page again to check "
                                               "whether it was saved before you make it again."),
}
RETRY_AFTER_SECONDS = 30
# What "the database is out of reach" looks like from SQLAlchemy: the driver could not connect or lost the
# connection (OperationalError, InterfaceError; psycopg's AdminShutdown on a restart is an OperationalError), or no
# pooled connection came free in time (TimeoutError). Other database errors (a constraint, bad SQL) are bugs: 500.
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
# SQLite raises OperationalError for faults in careflow's own SQL or schema too; those are bugs (500), not an outage
SQLITE_BUGS = re.compile(r"no such (table|column|function|index)|syntax error|near \"|has no column named"
                         r"|already exists|incomplete input|wrong number of arguments")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the register's database cannot be reached (rather than a bug)."""
    from careflow.errors import CareflowError

    if isinstance(exc, sa.exc.OperationalError) and isinstance(exc.orig, sqlite3.OperationalError) \
            and SQLITE_BUGS.search(str(exc.orig)):
        return False
    if isinstance(exc, UNAVAILABLE) or (isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated):
        return True
    # the register opened for the first time while the database is down (Register.__init__ says so)
    return isinstance(exc, CareflowError) and any(f.rule == "database" for f in exc.findings)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_template("error.html", title="The form has expired or was not sent from careflow",
                               message="Go back, reload the page and try again. (The form's security token "
                                       f"was missing or wrong: {exc.description})", status=400), 400

    @app.errorhandler(413)
    def _too_large(exc):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return render_template("error.html", title=PAGES[413][0],
                               message=f"Uploads can be up to {size_text(limit)} in all. Upload fewer or smaller "
                                       "files, or zip them.", status=413), 413

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        title, message = PAGES.get(exc.code, (exc.name, exc.description))
        return render_template("error.html", title=title, message=message, status=exc.code), exc.code

    def _unavailable(exc):
        if not database_unavailable(exc):  # a bug: on to Flask's own handling (logged in full, then the 500 page)
            raise exc
        detail = getattr(exc, "orig", None) or exc
        current_app.logger.warning("database unavailable (503): %s", str(detail).strip().splitlines()[0]
                                   if str(detail).strip() else type(detail).__name__)
        title, message = PAGES[503]
        response = current_app.make_response(
            (render_template("error.html", title=title, message=message, status=503), 503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    from careflow.errors import CareflowError

    for kind in (sa.exc.DBAPIError, sa.exc.TimeoutError, CareflowError):  # by MRO: covers UNAVAILABLE
        app.register_error_handler(kind, _unavailable)

    @app.errorhandler(InternalServerError)
    def _server_error(exc):  # Flask has logged the exception with its traceback (app.log_exception)
        title, message = PAGES[500]
        return render_template("error.html", title=title, message=message, status=500), 500


def size_text(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.0f} {unit}"
    return f"{n} bytes"
