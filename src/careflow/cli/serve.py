"""``careflow serve``: the web app on this computer, or for a team with ``--shared`` (see careflow.web and
docs/shared-mode.md)."""

from __future__ import annotations

import click

from careflow.errors import CareflowError, Finding


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: this computer only (127.0.0.1, ::1 or localhost) unless --shared.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the home page in your web browser.")
@click.option("--workspace", type=click.Path(file_okay=False), default=None,
              help="Folder for uploads, runs and the register (default: careflow's folder in your user data "
                   "directory, where `careflow cases` keeps its register).")
@click.option("--shared", is_flag=True,
              help="Shared mode for a team: every page needs a signed-in user (careflow users), roles decide who "
                   "may edit and approve, the register is $CAREFLOW_DATABASE_URL (PostgreSQL for a team). Put "
                   "it behind a reverse proxy with TLS (docs/shared-mode.md).")
@click.option("--behind-proxy", is_flag=True,
              help="With --shared: trust one reverse proxy's X-Forwarded-For and X-Forwarded-Proto (client "
                   "addresses for throttling; Secure cookies) and mark cookies Secure.")
@click.option("--mfa-for-everyone", is_flag=True,
              help="With --shared: every user needs an authenticator app (approvers always do).")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="With --shared: requests handled at once by the server (waitress) [default: 8].")
@click.option("--retention-days", type=click.IntRange(1, 3650), default=None,
              help="Delete each upload, and what was made from it, this many days after it was uploaded "
                   "(default: 90 with --shared; without --shared uploads are kept).")
def serve(host: str, port: int, open_browser: bool, workspace: str | None, shared: bool, behind_proxy: bool,
          mfa_for_everyone: bool, threads: int | None, retention_days: int | None) -> None:
    """Run the web app in your browser: upload and validate data, forecast, benchmark, build scenarios, keep
    business cases. Opens on the embedded synthetic LA, Anyshire, until you upload your own returns."""
    from careflow.web import create_app
    from careflow.web.server import SHARED_THREADS, check_local_host
    from careflow.web.server import serve as run

    if not shared:
        if behind_proxy or mfa_for_everyone or threads is not None:
            raise click.UsageError("--behind-proxy, --mfa-for-everyone and --threads are for shared mode (--shared)")
        check_local_host(host)  # before creating a workspace
        run(create_app(workspace, RETENTION_DAYS=retention_days), host, port, open_browser=open_browser,
            announce=click.echo)
        return
    app = create_app(workspace, SHARED=True, MFA_FOR_EVERYONE=mfa_for_everyone, SESSION_COOKIE_SECURE=behind_proxy,
                     RETENTION_DAYS=retention_days)
    if app.extensions["careflow.accounts"].is_empty():
        raise CareflowError(Finding(rule="serve", field="--shared",
                                    message="the register has no users yet: add the first approver with "
                                            "`careflow users add NAME --role approver` (same database), then "
                                            "start the server again"))
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    run(app, host, port, open_browser=open_browser, announce=click.echo, shared=True,
        threads=threads or SHARED_THREADS, behind_proxy=behind_proxy)
