"""The ``careflow`` command: a thin layer over the library.

Exit codes: 0 success, 1 a finding the user must fix (bad input, validation errors, failed checks), 2 usage errors.
Each area of the product registers its commands from its own module below, so the modules stay small.
"""

from __future__ import annotations

import importlib
import sys

import click

from careflow import __version__
from careflow.errors import CareflowError

# Each command's module (careflow.cli.<module>, whose `register(group)` adds it). A command's module, and what it
# imports, are loaded only when that command runs (or help lists it): `careflow forecast` does not import the
# register, the reports or the web app. tests/test_cli_lazy.py checks this table against the modules.
COMMANDS = {
    "validate": "data", "summary": "data", "synth": "data", "demo": "demo", "indicators": "indicators",
    "cohort": "indicators", "forecast": "forecast", "backtest": "forecast", "scenario": "scenario",
    "appraise": "finance", "portfolio": "finance", "benchmark": "aggregate", "national-forecast": "aggregate",
    "national-backtest": "aggregate", "cases": "cases", "report": "reports", "workforce": "workforce",
    "serve": "serve", "users": "users",
}


class CareflowGroup(click.Group):
    """Turns CareflowError into a clear message and exit code 1: never a traceback for user errors. Commands are
    loaded from their modules on first use (``COMMANDS``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            self.load(COMMANDS[name])
        return self.commands.get(name)

    def load(self, module: str) -> None:
        """Import careflow.cli.<module> and add its commands (once)."""
        if module not in self._loaded:
            self._loaded.add(module)
            importlib.import_module(f"careflow.cli.{module}").register(self)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CareflowError as exc:
            for finding in exc.findings:
                click.echo(str(finding), err=True)
            sys.exit(1)


@click.group(cls=CareflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="careflow")
def main() -> None:
    """careflow: forecast children in care and placement spend, price savings proposals, appraise business cases."""
