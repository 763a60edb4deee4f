"""The CLI loads a command's module only when the command is used (careflow.cli.COMMANDS); the table must name
every command each module registers, and `careflow forecast` must not load the register, reports or web app."""

import importlib
import subprocess
import sys

import click

from careflow.cli import COMMANDS


def test_command_table_matches_the_modules():
    registered = {}
    for module in sorted(set(COMMANDS.values())):
        group = click.Group()
        importlib.import_module(f"careflow.cli.{module}").register(group)
        registered.update({name: module for name in group.commands})
    assert registered == COMMANDS


def test_forecast_command_loads_only_what_it_needs():
    code = ("import sys; from careflow.cli import main; main.get_command(None, 'forecast'); "
            "import careflow.pipeline.forecast, careflow.pipeline.data; from careflow import pipeline; "
            "pipeline.forecast; pipeline.load_data; "
            "print(' '.join(m for m in ('careflow.register', 'careflow.reports.excel', 'careflow.levers', "
            "'careflow.web', 'sqlalchemy', 'matplotlib') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_lazy_package_names_stay_the_functions():
    import careflow.pipeline.forecast  # noqa: F401  (the submodule import must not replace the function)
    from careflow import pipeline

    assert callable(pipeline.forecast) and pipeline.forecast.__name__ == "forecast"
    assert callable(pipeline.indicators) and callable(pipeline.workforce) and callable(pipeline.benchmark)
    assert set(pipeline.__all__) <= set(dir(pipeline))


def test_every_lazy_name_resolves():
    import careflow.pipeline
    import careflow.reports

    for package in (careflow.pipeline, careflow.reports):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
