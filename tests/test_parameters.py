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
