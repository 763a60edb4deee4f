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

from careflow.lazy import lazy_exports

# Each name and the module that defines it (careflow.pipeline.<module>). The modules are imported on first use of
# one of their names (PEP 562), so `careflow forecast` does not load the register, the levers or the reports.
_WHERE = {
    "case_from_register": "appraise", "load_and_appraise": "appraise",
    "BenchmarkData": "benchmark", "benchmark": "benchmark", "load_benchmark_data": "benchmark",
    "appraise_stored": "cases", "attach_scenario": "cases", "example_case_files": "cases",
    "portfolio_chart": "cases",
    "register_portfolio_report": "cases", "seed_register": "cases", "stored_case_report": "cases",
    "Data": "data", "categories_for": "data", "load_data": "data", "store_upload": "data",
    "store_upload_pseudonymised": "data",
    "validate_data": "data", "validation_view": "data", "write_validation": "data",
    "write_validation_workbook": "data",
    "Forecast": "forecast", "forecast": "forecast", "history_series": "forecast",
    "write_forecast": "forecast",
    "cohort": "indicators", "history": "indicators", "history_filters": "indicators",
    "indicator_table": "indicators", "indicators": "indicators", "load_returns": "indicators",
    "refresh_case": "indicators",
    "ForecastTables": "report", "case_report": "report", "forecast_report": "report",
    "portfolio_report": "report", "read_forecast_folder": "report", "read_validation": "report",
    "fitted_projector": "scenario", "load_scenarios": "scenario", "price_scenario": "scenario",
    "scenario_summary": "scenario", "write_scenario": "scenario",
    "workforce": "workforce", "write_workforce": "workforce",
}

__all__ = lazy_exports(__name__, _WHERE)
