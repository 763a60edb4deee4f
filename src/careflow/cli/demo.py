"""``careflow demo``: the whole product on the embedded synthetic LA (see careflow.demo)."""

from __future__ import annotations

import click

from careflow.cli.outputs import output_folder


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(demo)


@click.command()
@click.option("--output", "output", type=click.Path(file_okay=False), default="out/demo", show_default=True,
              help="Folder to write the demo outputs to.")
def demo(output: str) -> None:
    """Run the whole product on the embedded synthetic LA, Anyshire, and write its outputs."""
    from careflow.demo import run_demo

    run_demo(output_folder(output))
