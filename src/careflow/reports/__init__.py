"""Reports councils use as they are: Excel workbooks for finance, Word business cases for cabinet, charts.

Every function takes plain data in the file contracts of the other modules (forecast.csv, costs.csv,
difference.csv, the appraisal JSON, the case YAML mapping, parameters), so an analyst can call them from a notebook
on any figures:

>>> from careflow.reports import forecast_workbook, case_document, fan_chart
>>> forecast_workbook("forecast.xlsx", forecast_df, costs_df, validation, parameters)   # doctest: +SKIP
>>> fan_chart(forecast_df).save("charts/")                                              # doctest: +SKIP
"""

from careflow.reports.charts import (
                                     Chart,
                                     benchmark_chart,
                                     cost_chart,
                                     fan_chart,
                                     mtfs_chart,
                                     savings_waterfall,
                                     spend_chart,
                                     timeline_chart,
)
from careflow.reports.excel import case_workbook, forecast_workbook, portfolio_table, portfolio_workbook
from careflow.reports.provenance import ParameterRow, Provenance, parameter_rows
from careflow.reports.word import case_document

__all__ = ["Chart", "ParameterRow", "Provenance", "benchmark_chart", "case_document", "case_workbook",
           "cost_chart", "fan_chart", "forecast_workbook", "mtfs_chart", "parameter_rows", "portfolio_table",
           "portfolio_workbook", "savings_waterfall", "spend_chart", "timeline_chart"]
