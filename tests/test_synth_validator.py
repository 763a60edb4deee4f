"""The generator against careflow's own SSDA903 validator: clean output has no errors; every fault is found."""

from __future__ import annotations

import json

import pytest

from careflow import ssda903
from careflow.synth import FAULT_KINDS, generate

pytestmark = pytest.mark.skipif(not hasattr(ssda903, "validate"), reason="the SSDA903 reader is not on this branch")

# the validator rule (Data to Insight code where there is one, careflow's CF- codes otherwise) each fault should raise
EXPECTED = {
    "invalid_code": {"143", "144", "145", "146", "149"},
    "invalid_sex": {"101"},
    "dec_before_decom": {"356"},
    "overlap": {"501"},
    "missing_header": {"CF-NO-HEADER"},
    "dec_without_rec": {"148"},
    "duplicate_row": {"CF-DUPLICATE"},
    "bad_date": {"141"},
    "provider_mismatch": {"529"},
    "before_birth": {"302"},
    "x1_no_next": {"388"},
}


@pytest.mark.parametrize("seed,children,first_year,years", [(2, 800, 2019, 4), (11, 250, 2022, 4)])
def test_generated_returns_have_no_validation_errors(tmp_path, seed, children, first_year, years):
    # 2022 to 2025 crosses the 2024-25 changes (SEX M/F, K3)
    report = ssda903.validate(generate(children, first_year, years, seed, tmp_path / "la"))
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    assert errors == [] and warnings == [], [str(f) for f in (errors + warnings)[:10]]


def test_iso_dates_are_not_an_error(tmp_path):
    report = ssda903.validate(generate(150, 2023, 2, 4, tmp_path / "iso", faults="iso_dates"))
    assert [f for f in report.findings if f.severity == "error"] == []


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_the_validator_finds_each_fault(tmp_path, kind):
    assert set(EXPECTED) == set(FAULT_KINDS) - {"iso_dates"}
    out = generate(150, 2023, 2, 9, tmp_path / kind, faults=f"{kind}:0.02")
    injected = json.loads((out / "faults.json").read_text())
    assert injected and {f["kind"] for f in injected} == {kind}
    found = [f for f in ssda903.validate(out).findings if f.rule in EXPECTED[kind]]
    assert found, f"{kind}: none of {EXPECTED[kind]} reported"
    # the findings name the damaged children
    assert {f["child"] for f in injected} & {f.child for f in found if f.child}


def test_reader_counts_what_the_generator_put_in(tmp_path):
    """Children in care on each 31 March as the reader counts them = the generator's own truth."""
    import numpy as np
    import pandas as pd

    from careflow.synth import synthesize
    from careflow.synth.calibrate import stock_on

    out = generate(300, 2021, 3, 21, tmp_path / "la")
    table = ssda903.summarise(ssda903.load(out))
    la = synthesize(300, 2021, 3, np.random.default_rng(21).spawn(2)[0])   # generate() simulates with spawn()[0]
    truth = [len(stock_on(la.episodes, pd.Timestamp(y, 3, 31))) for y in (2021, 2022, 2023)]
    assert table["at_31_march"].astype(int).tolist() == truth
