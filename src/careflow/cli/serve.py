"""``careflow serve``: the web app on this computer (see careflow.web)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: this computer only (127.0.0.1, ::1 or localhost).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the home page in your web browser.")
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Folder for uploads, runs and the register (default: careflow's folder in your user data "
                   "directory, where `careflow cases` keeps its register).")
def serve(host: str, port: int, open_browser: bool, workspace: str | None) -> None:
    """Run the web app in your browser: upload and validate data, forecast, benchmark, build scenarios, keep
    business cases. Opens on the embedded synthetic LA, Anyshire, until you upload your own returns."""
    from careflow.web import create_app
    from careflow.web.server import check_local_host
    from careflow.web.server import serve as run

    check_local_host(host)  # before creating a workspace
    run(create_app(workspace), host, port, open_browser=open_browser, announce=click.echo)
