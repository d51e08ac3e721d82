import pytest

from core import identity
from core.errors import RuleViolation
from tests.builders import id_number

SECRET = b"k" * 32


def test_a_real_check_digit_passes_and_a_wrong_one_fails():
    good = id_number(1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert identity.cn_id_valid(good)
    assert not identity.cn_id_valid(bad)


def test_lowercase_x_and_full_width_digits_normalise_to_the_same_number():
    number = next(id_number(i) for i in range(1000) if id_number(i).endswith("X"))
    messy = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:17]) + " x"
    assert identity.normalise_document("cn_id", messy) == number


def test_one_owner_written_two_ways_has_one_key():
    number = id_number(7)
    spaced = " ".join([number[:6], number[6:14], number[14:]])
    key_a = identity.identity_key(SECRET, "cn_id", identity.normalise_document("cn_id", number))
    key_b = identity.identity_key(SECRET, "cn_id", identity.normalise_document("cn_id", spaced))
    assert key_a == key_b


def test_the_document_type_is_part_of_the_identity():
    assert identity.identity_key(SECRET, "passport", "E1234567") != identity.identity_key(SECRET, "hk_mo_permit", "E1234567")


def test_the_key_depends_on_the_server_secret():
    assert identity.identity_key(SECRET, "cn_id", "x") != identity.identity_key(b"other", "cn_id", "x")


def test_invalid_mainland_id_is_refused():
    with pytest.raises(RuleViolation):
        identity.normalise_document("cn_id", "51010719600101001")


def test_names_compare_without_spaces_or_width_differences():
    assert identity.normalise_name("张　三") == identity.normalise_name("张三") == "张三"
    assert identity.normalise_name("  John   Smith ") == "John Smith"


@pytest.mark.parametrize("raw", ["138 1234 5678", "138-1234-5678", "+8613812345678", 13812345678.0])
def test_phone_numbers_normalise(raw):
    assert identity.normalise_phone(raw) == "13812345678"


def test_phone_and_document_are_masked():
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_document("51010719600101001X") == "5101**********001X"


def test_a_landline_is_not_a_mobile_number():
    with pytest.raises(RuleViolation):
        identity.normalise_phone("028-8888888")
