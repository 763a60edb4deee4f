"""Portfolio / MTFS: the register's cases rolled up by financial year, incremental and cumulative, by authority,
directorate, type of saving and RAG (delivery status), with tables and downloads (Excel workbook, CSV).

One council at a time: different councils' budgets are never added together (the by-authority table lists each
council's own total). Views call careflow.register.listing and careflow.pipeline; no finance logic here.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request, send_file

from careflow.errors import CareflowError
from careflow.web.casework import register
from careflow.web.workspace import current_workspace

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")

MEASURES = {"incremental": ("savings_incremental", "Incremental: the new saving in each year, as MTFS tables state "
                                                   "them"),
            "cumulative": ("savings_cumulative", "Cumulative: each year's saving against the baseline")}
BREAKDOWNS = (("directorate", "Directorate"), ("saving_type", "Type of saving"), ("rag", "RAG (delivery status)"),
              ("reference", "Case"))


def _table(df) -> dict:
    """A DataFrame as the template's table: column labels and (row label, values) pairs."""
    return {"columns": [str(c) for c in df.columns],
            "rows": [(str(i), [None if v != v else float(v) for v in row]) for i, row in
                     zip(df.index, df.itertuples(index=False), strict=True)]}


def _chosen(portfolios):
    names = [p.authority for p in portfolios]
    authority = request.args.get("authority") or (names[0] if names else "")
    if names and authority not in names:
        abort(404)
    return authority, next((p for p in portfolios if p.authority == authority), None)


@bp.get("/")
def index():
    from careflow.register.listing import by_authority, register_portfolios

    portfolios = register_portfolios(register().cases())
    authority, p = _chosen(portfolios)
    measure = request.args.get("measure", "incremental")
    if measure not in MEASURES:
        measure = "incremental"
    column, measure_label = MEASURES[measure]
    tables = {}
    if p is not None:
        by_year = p.by_year()[["investment", "savings_incremental", "savings_cumulative"]]
        by_year.columns = ["Investment", "Savings, incremental", "Savings, cumulative (against the baseline)"]
        tables["year"] = _table(by_year)
        for dim, _ in BREAKDOWNS:
            tables[dim] = _table(p.table(dim, column))
    alt = _chart(p).alt_text if p is not None else ""
    return render_template("portfolio/index.html", portfolios=portfolios, authority=authority, p=p, chart_alt=alt,
                           measure=measure, measures=MEASURES, measure_label=measure_label, tables=tables,
                           breakdowns=BREAKDOWNS, by_authority=_table(by_authority(portfolios, column))
                           if portfolios else None)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "portfolio"


@bp.get("/download/<fmt>")
def download(fmt: str):
    from careflow.pipeline import register_portfolio_report
    from careflow.register.listing import register_portfolios

    if fmt not in ("xlsx", "csv"):
        abort(404)
    cases = register().cases()
    authority, p = _chosen(register_portfolios(cases))
    if p is None:
        abort(404)
    out = current_workspace().runs / "downloads" / f"portfolio_{_slug(authority)}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        from careflow import safecsv

        safecsv.to_csv(p.breakdown(), out, index=False)
    else:
        try:
            register_portfolio_report(cases, out, authority=authority)
        except CareflowError as exc:
            return render_template("error.html", title="There is no portfolio to download",
                                   message=exc.findings[0].message, status=404), 404
    return send_file(out, as_attachment=True, download_name=f"portfolio_{_slug(authority)}.{fmt}")


def _chart(p):
    from careflow.pipeline.cases import portfolio_chart

    return portfolio_chart(p)


@bp.get("/chart.png")
def chart():
    """The chart of a council's roll-up by year (the table on the page holds the same figures)."""
    from careflow.register.listing import register_portfolios

    _, p = _chosen(register_portfolios(register().cases()))
    if p is None:
        abort(404)
    return Response(_chart(p).png(dpi=100), mimetype="image/png")
