"""Every shipped parameter says where its numbers came from."""

import pytest

from careflow.errors import CareflowError
from careflow.parameters import available, load_parameter, read_parameter


@pytest.mark.parametrize("name", available() or ["<none>"])
def test_every_parameter_file_has_a_source(name):
    if name == "<none>":
        pytest.skip("no parameter files shipped yet")
    p = load_parameter(name)
    assert p.reference.strip(), f"{name} has an empty reference"
    assert p.description.strip() and p.unit.strip()


def test_missing_reference_is_a_clear_error(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("description: x\nunit: GBP\nvalues: {a: 1}\n")
    with pytest.raises(CareflowError) as exc:
        read_parameter(f)
    assert "reference" in str(exc.value) and "bad.yaml" in str(exc.value)


@pytest.mark.parametrize("key", ["2999-04-01", "1850-04-01"])
def test_a_value_dated_outside_1900_to_2100_is_a_finding_with_its_line(tmp_path, key):
    # A typo such as 2999 for 1999 would otherwise re-base every price silently (issue 15).
    f = tmp_path / "costs.yaml"
    f.write_text(f'description: x\nunit: GBP a week\nreference: test\nvalues:\n  ifa_fostering: {{"{key}": 850}}\n')
    with pytest.raises(CareflowError) as exc:
        read_parameter(f).series("ifa_fostering")
    message = str(exc.value)
    assert "outside 1900-2100" in message and "costs.yaml" in message and key in message


def test_a_value_too_large_for_a_float_is_a_finding_not_a_traceback(tmp_path):
    # Found by benchmarks/fuzz.py (unit_costs family): math.isfinite raised OverflowError on a 400-digit integer.
    f = tmp_path / "costs.yaml"
    f.write_text(f'description: x\nunit: GBP a week\nreference: test\nvalues:\n  ifa_fostering: {{"2024-04-01": {"9" * 400}}}\n')
    with pytest.raises(CareflowError) as exc:
        read_parameter(f).series("ifa_fostering")
    assert "must be a number" in str(exc.value) and "costs.yaml" in str(exc.value)
