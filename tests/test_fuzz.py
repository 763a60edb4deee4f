"""Fuzz every reader with damaged inputs (tests/fuzz_targets.py): no traceback, no hang, exit codes only 0/1/2.

Sizes fit the 2-core CI budget (a few thousand inputs in all, derandomised so every run sees the same inputs);
CAREFLOW_FUZZ_SCALE multiplies them. benchmarks/fuzz.py is the long run (10,000+ inputs per reader family,
recorded in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings

from careflow.cli import main
from careflow.errors import CareflowError
from fuzz_targets import clear, families, write_files

FAMILIES = families()
SCALE = float(os.environ.get("CAREFLOW_FUZZ_SCALE", "1"))
# Inputs per family on each test run: about 3,000 in all (and 60 per CLI below), under two minutes of one core.
EXAMPLES = {"ssda903": 250, "dfe": 150, "episodes_csv": 150, "case": 250, "register_case": 150, "scenario": 200,
            "stated_totals": 150, "unit_costs": 150, "inflation": 100, "categories": 150, "parameter": 100,
            "workbook": 100, "teams": 100, "csww": 100, "children": 100, "difference": 100,
            "forecast_folder": 150, "columns": 300, "outturn": 200, "ssda903_xlsx": 250}
CLI_EXAMPLES = 60
HANG_SECONDS = 20  # generous on a loaded 2-core machine; the readers take milliseconds on these inputs


class Hang(Exception):
    pass


def _alarm(_signum, _frame):
    raise Hang(f"a reader took more than {HANG_SECONDS}s")


def _fuzz_settings(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])  # no explain: it traces


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_reader_gives_a_result_or_findings(name):
    family = FAMILIES[name]
    folder = Path(tempfile.mkdtemp(prefix=f"careflow-fuzz-{name}-"))

    @_fuzz_settings(EXAMPLES[name])
    @given(files=family.strategy)
    def check(files):
        clear(folder)
        write_files(folder, files)
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_SECONDS)
        try:
            family.read(folder)
        except CareflowError as exc:
            assert exc.findings and all(f.message for f in exc.findings)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    check()


@pytest.mark.parametrize("name", sorted(n for n, f in FAMILIES.items() if f.cli is not None))
def test_cli_exit_codes_are_0_1_or_2(name, tmp_path):
    family = FAMILIES[name]
    folder = tmp_path / "in"

    @_fuzz_settings(CLI_EXAMPLES)
    @given(files=family.strategy)
    def check(files):
        clear(folder)
        write_files(folder, files)
        res = CliRunner().invoke(main, family.cli(folder, tmp_path))
        assert res.exit_code in (0, 1, 2), (res.exit_code, res.output, res.exception)
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        assert "Traceback" not in res.output

    check()
