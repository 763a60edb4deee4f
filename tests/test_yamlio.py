import pytest

from careflow import yamlio
from careflow.errors import CareflowError


def test_lines_of_nested_keys():
    doc = yamlio.loads("name: x\nlevers:\n  - type: a\n    start: 2025-04-01\n  - type: b\n", file="s.yaml")
    assert doc.line(("levers", 0, "start")) == 4
    assert doc.line(("levers", 1, "type")) == 5
    err = doc.error(("levers", 1, "type"), "unknown lever 'b'")
    assert err.findings[0].row == 5 and err.findings[0].field == "levers.1.type"


def test_syntax_error_names_line():
    with pytest.raises(CareflowError) as exc:
        yamlio.loads("a: 1\nb: [1, 2\n", file="bad.yaml")
    f = exc.value.findings[0]
    assert f.file == "bad.yaml" and f.rule == "yaml-syntax" and f.row is not None
