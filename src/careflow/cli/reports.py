"""CLI commands for this area (see careflow.cli)."""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
