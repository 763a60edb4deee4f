"""One wording for validation errors in every careflow file (careflow.errors.pydantic_findings): a scenario and a
case file (one reader, careflow.register.casefile, whichever command reads it) name the file, its line and the key
the same way."""

from __future__ import annotations

import pytest

from careflow.errors import CareflowError

SCENARIO = """name: test
levers:
  - type: step_down
    from_category: ifa_fostering
    to_category: in_house_fostering
    children_per_year: 5
    start: 2025-04-01
    childern: 3
"""

CASE = """reference: T1
title: Test
units: £k
savings: {2025-26: 10}
rag: maybe
"""


def _findings(fn, *args):
    with pytest.raises(CareflowError) as err:
        fn(*args)
    return err.value.findings


def test_an_unknown_key_reads_the_same_in_a_scenario_and_a_case():
    from careflow.levers import Scenario
    from careflow.register import loads_case

    (lever,) = _findings(Scenario.loads, SCENARIO, "s.yaml")
    assert (lever.message, lever.file, lever.row) == ("unknown key 'childern' (a typo?)", "s.yaml", 8)
    (case,) = _findings(loads_case, CASE.replace("rag: maybe", "ragg: planned"), "c.yaml")
    assert case.message.startswith("unknown key 'ragg'") and case.row == 5


def test_a_bad_choice_names_what_was_given_for_appraisal_and_the_register():
    from careflow.register import loads_case, loads_finance_case

    (fin,) = _findings(loads_finance_case, CASE, "c.yaml")
    assert fin.row == 5 and fin.field == "rag" and "'maybe'" in fin.message
    (reg,) = _findings(loads_case, CASE, "c.yaml")
    assert reg == fin
