"""The ``careflow`` command: a thin layer over the library.

Exit codes: 0 success, 1 a finding the user must fix (bad input, validation errors, failed checks), 2 usage errors.
Each area of the product registers its commands from its own module below, so the modules stay small.
"""

from __future__ import annotations

import sys

import click

from careflow import __version__
from careflow.errors import CareflowError


class CareflowGroup(click.Group):
    """Turns CareflowError into a clear message and exit code 1: never a traceback for user errors."""

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


def _register() -> None:
    # One module per area; each exposes `register(group)`.
    from careflow.cli import (
        aggregate,
        cases,
        data,
        demo,
        finance,
        forecast,
        indicators,
        reports,
        scenario,
        serve,
        users,
        workforce,
    )

    for module in (data, demo, indicators, forecast, scenario, finance, aggregate, cases, reports, workforce, serve,
                   users):
        module.register(main)


_register()
