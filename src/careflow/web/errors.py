"""Error pages: every HTTP error is a GOV.UK page in the layout, never a traceback. A 500 is logged in full (by
Flask) for the maintainer and shown as a plain apology."""

from __future__ import annotations

from flask import Flask, render_template
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
}


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

    @app.errorhandler(InternalServerError)
    def _server_error(exc):  # Flask has logged the exception with its traceback (app.log_exception)
        title, message = PAGES[500]
        return render_template("error.html", title=title, message=message, status=500), 500


def size_text(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.0f} {unit}"
    return f"{n} bytes"
