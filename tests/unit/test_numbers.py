"""Exact values as people read them, one way everywhere (pure)."""
from fractions import Fraction

from core.numbers import decimal_text, percent_text


def test_decimals_round_half_up_without_float_and_drop_trailing_zeros():
    assert decimal_text(Fraction(7, 3)) == "2.33"
    assert decimal_text(Fraction(5, 2)) == "2.5"
    assert decimal_text(Fraction(1, 200)) == "0.01"  # float would give 0.005 -> 0.01 or 0.0 by luck
    assert decimal_text(4) == "4"
    assert decimal_text(Fraction(-7, 3)) == "-2.33"
    assert decimal_text(Fraction(2, 3), 4) == "0.6667"


def test_a_share_rounds_down_so_a_quorum_never_looks_met_early():
    assert percent_text(2, 3) == "66.6"
    assert percent_text(199, 300) == "66.3"
    assert percent_text(200, 300) == "66.6"
    assert percent_text(1, 0) == "0.0"
