"""Every command's ``--output`` goes through :mod:`careflow.output_guard`; this prints what it will replace."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from careflow.output_guard import check_output, check_output_folder


def output_file(path: str | Path, inputs: Iterable = (), option: str = "--output") -> Path:
    check = check_output(path, inputs, option=option)
    if check.note:
        click.echo(check.note, err=True)
    return check.path


def output_folder(path: str | Path, inputs: Iterable = (), names: Iterable[str] | None = None,
                  option: str = "--output") -> Path:
    check = check_output_folder(path, inputs, names=names, option=option)
    if check.note:
        click.echo(check.note, err=True)
    return check.path


def register_file(database: str | None) -> Path | None:
    """The register's SQLite file (an input of the commands that read it), or None for a server database."""
    from careflow.register.db import resolve_url

    url = resolve_url(database)
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None
