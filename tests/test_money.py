"""Finance conventions for printed money: brackets for negatives, units stated once."""

import math

from careflow.money import pounds, pounds_k


def test_negatives_in_brackets_and_missing_as_dash():
    assert pounds(1234.5) == "£1,234" or pounds(1234.5) == "£1,235"  # banker's or half-up: either is a pound
    assert pounds(-6168093) == "(£6,168,093)"
    assert pounds_k(-446_000) == "(£446k)" and pounds_k(797_000) == "£797k"
    assert pounds(-0.4) == "£0"  # rounds to nothing: no bracketed zero
    assert pounds(math.nan) == "-" and pounds(None) == "-"
