from click.testing import CliRunner

from careflow.cli import main


def test_help_lists_commands_and_usage_error_exits_2():
    runner = CliRunner()
    r = runner.invoke(main, ["--help"])
    assert r.exit_code == 0 and "demo" in r.output
    r = runner.invoke(main, ["no-such-command"])
    assert r.exit_code == 2
