"""Reports councils use as they are: Excel workbooks for finance, Word business cases for cabinet, charts.

Every function takes plain data in the file contracts of the other modules (forecast.csv, costs.csv,
difference.csv, the appraisal JSON, the case YAML mapping, parameters), so an analyst can call them from a notebook
on any figures:

>>> from careflow.reports import forecast_workbook, case_document, fan_chart
>>> forecast_workbook("forecast.xlsx", forecast_df, costs_df, validation, parameters)   # doctest: +SKIP
>>> fan_chart(forecast_df).save("charts/")                                              # doctest: +SKIP
"""

from careflow.lazy import lazy_exports

# Each name and the module that defines it (careflow.reports.<module>), imported on first use: drawing a chart does
# not load the Excel and Word writers and the register they use.
_WHERE = {
    "Chart": "charts", "benchmark_chart": "charts", "cost_chart": "charts", "fan_chart": "charts",
    "mtfs_chart": "charts", "savings_waterfall": "charts", "spend_chart": "charts", "timeline_chart": "charts",
    "case_workbook": "excel", "forecast_workbook": "excel", "portfolio_table": "excel", "portfolio_workbook": "excel",
    "ParameterRow": "provenance", "Provenance": "provenance", "parameter_rows": "provenance",
    "case_document": "word",
}
__all__ = lazy_exports(__name__, _WHERE)
