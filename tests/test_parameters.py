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


HEAD = "description: d\nunit: u\nreference: Table 1 of a publication\nsources: {children: the child's own source}\n"


def _param(tmp_path, values: str):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + "values:\n" + values)
    return read_parameter(path)


def test_table_shaped_values_are_typed_and_carry_their_source(tmp_path):
    bands = load_parameter("age_bands").ranges()
    assert list(bands.items())[:2] == [("0-1", (0.0, 1.0)), ("1-5", (1.0, 5.0))] and len(bands) == 5
    assert bands.source == load_parameter("age_bands").reference
    groups = load_parameter("ethnic_groups").code_lists()
    assert groups["White"][0] == "WBRI" and groups.name == "ethnic_groups"
    gb = load_parameter("green_book_discount").records({"from_year": "a whole number",
                                                        "to_year": "a whole number or null", "rate": "a number"})
    assert gb["0"] == {"from_year": 0, "to_year": 30, "rate": 0.035} and gb["5"]["to_year"] is None
    p = _param(tmp_path, "  adults: [18, 120]\n  children: [0, 18]\n")
    assert p.ranges().source == "Table 1 of a publication"
    assert p.ranges()["children"] == (0.0, 18.0)


@pytest.mark.parametrize("values,accessor,line,field,words", [
    ("  a: [0, 5]\n  b: [5]\n", "ranges", 7, "values.b", "'b' must be [lower, upper]"),
    ("  a: [5, 0]\n", "ranges", 6, "values.a", "the lower first"),
    ("  a: [0, .inf]\n", "ranges", 6, "values.a", "two numbers"),
    ("  a: [0, " + "9" * 400 + "]\n", "ranges", 6, "values.a", "two numbers"),
    ("  - 1\n", "ranges", 5, "values", "must map each label"),
    ("  W: [WBRI, {x: 1}]\n", "code_lists", 6, "values.W", "list of codes"),
    ("  W: [WBRI]\n  M: [wbri]\n", "code_lists", 7, "values.M", "under both 'W' and 'M'"),
    ("  - {from_year: 0, to_year: 30}\n", "records", 6, "values.0", "exactly from_year, to_year, rate"),
    ("  - {from_year: 0, to_year: 30, rate: 0.03}\n  - {from_year: 1.5, to_year: null, rate: 0.02}\n",
     "records", 7, "values.1.from_year", "must be a whole number"),
    ("  - {from_year: 0, to_year: 30, rate: yes}\n", "records", 6, "values.0.rate", "must be a number"),
])
def test_a_malformed_table_names_file_line_and_key(tmp_path, values, accessor, line, field, words):
    p = _param(tmp_path, values)
    args = ({"from_year": "a whole number", "to_year": "a whole number or null", "rate": "a number"},) \
        if accessor == "records" else ()
    with pytest.raises(CareflowError) as err:
        getattr(p, accessor)(*args)
    f = err.value.findings[0]
    assert (f.file, f.row, f.field) == (str(tmp_path / "p.yaml"), line, field), f
    assert words in f.message, f.message


def test_a_users_age_bands_file_is_checked_by_the_typed_table(tmp_path):
    from careflow.model.states import age_bands

    bad = _param(tmp_path, "  young: [0, 10]\n  old: [10, x]\n")
    with pytest.raises(CareflowError) as err:
        age_bands(bad.file)
    assert err.value.findings[0].row == 7 and err.value.findings[0].field == "values.old"
    ok = _param(tmp_path, "  young: [0, 10]\n  old: [10, 18]\n")
    assert age_bands(ok.file).labels == ("young", "old")
