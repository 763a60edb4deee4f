"""What every template can use: the service navigation, and the GOV.UK error summary and inline errors of a form
(Flask-WTF) in the shapes govuk-frontend-jinja's macros take."""

from __future__ import annotations

from flask import Flask, request, url_for

SERVICE_NAME = "careflow"


def navigation() -> list[dict]:
    """The service navigation items (views.NAV), the current journey marked."""
    from careflow.web.views import NAV

    items = []
    for endpoint, label, _ in NAV:
        active = request.blueprint == endpoint.split(".")[0]
        items.append({"href": url_for(endpoint), "text": label, "active": active,
                      "current": request.endpoint == endpoint})
    return items


def journeys() -> list[dict]:
    """The home page's list: each journey's link and what it is for."""
    from careflow.web.views import NAV

    return [{"href": url_for(endpoint), "text": label, "description": description}
            for endpoint, label, description in NAV]


def error_message(field) -> dict | None:
    """A WTForms field's first error as a govuk component's ``errorMessage`` (None when it has none)."""
    return {"text": field.errors[0]} if getattr(field, "errors", None) else None


def error_list(form=None, extra: list[tuple[str, str]] | None = None) -> list[dict]:
    """The error summary's items: each field's first error linked to the field, then ``extra`` (href, text)
    pairs for problems that are not one field's (e.g. a file that could not be read)."""
    items = []
    if form is not None:
        for field in form:
            if field.errors:
                items.append({"href": f"#{field.id}", "text": field.errors[0]})
    items += [{"href": href, "text": text} for href, text in extra or []]
    return items


def filter_item(value, current=None, text=None) -> dict:
    """A select's item for ``value``, selected when it is ``current``."""
    return {"value": value, "text": text if text is not None else value, "selected": value == current}


def select_items(values, current=None, label=None) -> list[dict]:
    """A govukSelect's items: "All" (the empty value) then each value, ``label(value)`` as its text."""
    return [{"value": "", "text": "All"}] + [filter_item(v, current, label(v) if label else None) for v in values]


def init_app(app: Flask) -> None:
    from careflow import __version__
    from careflow.vocabulary import category_name

    app.jinja_env.globals.update(service_name=SERVICE_NAME, careflow_version=__version__,
                                 select_items=select_items, category_name=category_name, navigation=navigation, journeys=journeys,
                                 error_message=error_message, error_list=error_list)
