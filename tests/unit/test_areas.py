import pytest

from core.areas import counted_area, format_area, parse_area
from core.errors import RuleViolation


def test_registered_area_wins_over_surveyed_and_contract():
    assert counted_area(8560, 8700, 9000) == 8560


def test_surveyed_area_counts_when_not_registered():
    assert counted_area(None, 8700, 9000) == 8700


def test_contract_area_counts_when_neither_registered_nor_surveyed():
    assert counted_area(None, None, 9000) == 9000


def test_no_area_at_all_is_none():
    assert counted_area(None, None, None) is None


@pytest.mark.parametrize("text", ["85.6", "85.60", "85.60㎡", "85.6平方米", "８５.６", " 85.6 m2 ", 85.6, 85.60000000000001])
def test_area_written_many_ways_is_the_same_hundredths(text):
    assert parse_area(text) == 8560


def test_blank_area_is_none():
    assert parse_area("  ") is None and parse_area(None) is None


@pytest.mark.parametrize("text,key", [("-3", "roll.bad_area"), ("abc", "roll.bad_area"), ("0", "roll.area_range"),
                                      ("10000.01", "roll.area_range"), ("85.605", "roll.area_precision")])
def test_bad_areas_are_refused_with_a_reason(text, key):
    with pytest.raises(RuleViolation) as caught:
        parse_area(text)
    assert caught.value.key == key


def test_areas_render_with_two_decimals():
    assert format_area(8560) == "85.60" and format_area(5) == "0.05"
