"""The user's jobs as functions: load and validate data, forecast, price a scenario, appraise, roll up, report.

The CLI, the demo and the web app are thin layers over this package. Each job returns a typed result (a
dataclass), never a path to read back; writing files is a separate, explicit step (``write_*``)::

    from careflow import pipeline
    data = pipeline.load_data("returns/")                       # SSDA903 files: episodes, categories, findings
    fc = pipeline.forecast(data, runs=1000, seed=1)             # a Forecast: model, projection, unit costs
    fc.summary()["children_at_end"], fc.costs()                 # figures in memory
    sc = pipeline.price_scenario(pipeline.load_scenarios(["more_foster_carers.yaml"]), data, runs=200)
    sc.difference()                                             # savings by lever and financial year
    pipeline.write_forecast(fc, "out/forecast")                 # forecast.csv, costs.csv, summary.json, chart
    pipeline.forecast_report(fc, "out/forecast.xlsx", la_name="Anyshire")
    ind = pipeline.indicators(pipeline.load_returns("returns/"), population=39_400)   # standard measures
    b = pipeline.benchmark(pipeline.load_benchmark_data("dfe/"), "Cambridgeshire")   # against its neighbours
    staff = pipeline.workforce(fc, caseload=15); pipeline.write_workforce(staff, "out/workforce")

Layering (DESIGN.md section 3, enforced by tests/test_layering.py): the pipeline may use every library module;
no library module imports the pipeline, and nothing outside ``careflow.cli`` imports ``careflow.cli``.
"""

from careflow.pipeline.appraise import case_from_register, load_and_appraise
from careflow.pipeline.benchmark import BenchmarkData, benchmark, load_benchmark_data
from careflow.pipeline.cases import (
    appraise_stored,
    attach_scenario,
    example_case_files,
    portfolio_chart,
    register_portfolio_report,
    seed_register,
    stored_case_report,
)
from careflow.pipeline.data import (
    Data,
    categories_for,
    load_data,
    store_upload,
    store_upload_pseudonymised,
    validate_data,
    validation_view,
    write_validation,
    write_validation_workbook,
)
from careflow.pipeline.forecast import Forecast, forecast, history_series, write_forecast
from careflow.pipeline.indicators import (
    cohort,
    history,
    history_filters,
    indicator_table,
    indicators,
    load_returns,
    refresh_case,
)
from careflow.pipeline.report import (
    ForecastTables,
    case_report,
    forecast_report,
    portfolio_report,
    read_forecast_folder,
    read_validation,
)
from careflow.pipeline.scenario import (
    fitted_projector,
    load_scenarios,
    price_scenario,
    scenario_summary,
    write_scenario,
)
from careflow.pipeline.workforce import workforce, write_workforce

__all__ = ["appraise_stored", "attach_scenario", "example_case_files", "portfolio_chart", "register_portfolio_report", "seed_register",
           "stored_case_report", "BenchmarkData", "benchmark", "load_benchmark_data", "Data", "Forecast", "ForecastTables", "case_from_register", "case_report", "categories_for", "cohort",
           "indicator_table", "indicators", "load_returns", "refresh_case",
           "fitted_projector", "forecast", "forecast_report", "history_series", "load_and_appraise", "load_data",
           "load_scenarios", "portfolio_report", "price_scenario", "scenario_summary", "read_forecast_folder",
           "read_validation", "validate_data", "write_validation", "workforce", "write_forecast", "write_scenario",
           "write_workforce", "store_upload", "store_upload_pseudonymised",
           "write_validation_workbook", "history", "history_filters", "validation_view"]
