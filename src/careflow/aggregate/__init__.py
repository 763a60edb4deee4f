"""Core layer: LA-level benchmarks and forecasts from DfE published statistics (DESIGN.md 5.2)."""

from careflow.aggregate.backtest import national_backtest
from careflow.aggregate.benchmark import Benchmark, benchmark, default_weekly_cost, placement_mix
from careflow.aggregate.forecast import NationalForecast, build_panel, national_forecast
from careflow.aggregate.la import LocalAuthority, find_la

__all__ = ["Benchmark", "LocalAuthority", "NationalForecast", "benchmark", "build_panel", "default_weekly_cost",
           "find_la", "national_backtest", "national_forecast", "placement_mix"]
