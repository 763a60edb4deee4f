"""Write the CLI reference (docs/cli.md) from the commands' own help, so the two cannot drift apart.

Run ``python -m careflow.cli.reference > docs/cli.md``; a test checks the committed file is current.
"""

from __future__ import annotations

import click

from careflow.cli import main


def _walk(cmd: click.Command, path: list[str], out: list[str]) -> None:
    ctx = click.Context(cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100,
                        help_option_names=["-h", "--help"])
    if path[1:]:
        out.append(f"\n## `{' '.join(path)}`\n")
    out.append("```text")
    out.append(cmd.get_help(ctx).rstrip())
    out.append("```")
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.list_commands(ctx)):
            _walk(cmd.get_command(ctx, name), path + [name], out)


def render() -> str:
    out = ["# CLI reference", "",
           "Generated from the commands' help by `python -m careflow.cli.reference`; do not edit by hand.",
           "Exit codes: 0 success; 1 a finding you must fix (bad input, validation errors, failed checks);"
           " 2 a usage error.", ""]
    _walk(main, ["careflow"], out)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    click.echo(render(), nl=False)
