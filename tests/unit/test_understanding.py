"""Short Chinese replies mean one thing at every step (pure: no app)."""
from fractions import Fraction

import pytest

from core.understanding import (Number, is_cancel, is_content, is_done, parse_choice, parse_choices, parse_number,
                                parse_yes_no)


@pytest.mark.parametrize("text", ["1", "１", "是", "是的", "对", "对的", "好", "好的", "行", "可以", "同意",
                                  "同意吧", "嗯", "OK", "ok", "👍", "是的。", "嗯，同意吧", "好啊", "确认"])
def test_yes_in_any_usual_form(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["2", "２", "不", "不是", "不对", "不行", "不同意", "不要", "否", "No"])
def test_no_in_any_usual_form(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "6", "停水", "灯坏了", "3"])
def test_anything_else_is_neither_yes_nor_no(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize("text", ["0", "０", "取消", "算了", "不要了", "退出", "返回", "算了吧", "cancel"])
def test_cancel_words(text):
    assert is_cancel(text)


@pytest.mark.parametrize("text", ["0", "好", "没有了", "没了", "就这些", "好了", "done", "就这些。"])
def test_done_words_end_a_step(text):
    assert is_done(text)


@pytest.mark.parametrize("text", ["0", "好", "没有了", "6", "１", "同意", "算了", "", "。"])
def test_control_words_and_bare_numbers_are_never_content(text):
    assert not is_content(text)


@pytest.mark.parametrize("text", ["楼道灯坏了", "停水", "3栋门口的路坑坑洼洼", "想加装电梯"])
def test_real_descriptions_are_content(text):
    assert is_content(text)


@pytest.mark.parametrize("text, value", [
    ("5000", 5000), ("５０００", 5000), ("五千", 5000), ("壹万", 10000), ("一万二千三百四十五", 12345),
    ("一万五", 15000), ("两千五", 2500), ("三百五", 350), ("一百零五", 105), ("十五", 15), ("二十", 20),
    ("1.5万", 15000), ("5k", 5000), ("八十五点六", Fraction("85.6")), ("85.6平方米", Fraction("85.6")),
    ("5000元", 5000), ("我愿意出两千", 2000), ("3", 3), ("一", 1), ("1万5", 15000), ("0", 0),
    ("2,000", 2000), ("一点五万", 15000), ("二零二六", 2026),
])
def test_exact_numbers_in_any_form(text, value):
    number = parse_number(text)
    assert number is not None and number.value == value and not number.approximate


@pytest.mark.parametrize("text, value", [("一万左右", 10000), ("大概两千", 2000), ("约5000元", 5000),
                                         ("差不多三万", 30000), ("一万多", 10000)])
def test_rough_amounts_keep_their_value_and_say_they_are_rough(text, value):
    number = parse_number(text)
    assert number.value == value and number.approximate


@pytest.mark.parametrize("text, low, high", [
    ("5000-8000", 5000, 8000), ("5000～8000", 5000, 8000), ("五千到八千", 5000, 8000), ("5-8千", 5000, 8000),
    ("三四千", 3000, 4000), ("8000-5000元", 5000, 8000), ("1万到1.5万", 10000, 15000),
    ("不超过8000", 0, 8000), ("8000以内", 0, 8000), ("至少3000", 3000, None), ("3000以上", 3000, None),
])
def test_ranges(text, low, high):
    number = parse_number(text)
    assert number is not None and number.is_range and (number.low, number.high) == (low, high)
    assert number.value is None


def test_units_are_reported_not_counted():
    assert parse_number("85.6平方米").unit == "平方米"
    assert parse_number("5000-8000元").unit == "元"
    assert parse_number("5000").unit == ""
    assert parse_number("一万左右").contains(10000)


@pytest.mark.parametrize("text", ["", "灯坏了", "3栋2单元501", "abc", "五千到", "好"])
def test_not_numbers(text):
    assert parse_number(text) is None


VOTE = ["同意", "不同意", "弃权"]


@pytest.mark.parametrize("text, index", [
    ("1", 0), ("2", 1), ("3", 2), ("１", 0), ("二", 1), ("第二个", 1), ("选3", 2), ("同意", 0), ("同意吧", 0),
    ("不同意", 1), ("我不同意", 1), ("弃权", 2), ("好的", 0), ("是的", 0), ("不", 1), ("我同意。", 0),
])
def test_vote_options_by_number_label_or_meaning(text, index):
    assert parse_choice(text, VOTE) == index


@pytest.mark.parametrize("text", ["0", "4", "6", "算了", "取消", "随便", ""])
def test_cancel_and_out_of_range_are_no_choice(text):
    assert parse_choice(text, VOTE) is None


def test_yes_means_the_option_labelled_yes():
    assert parse_choice("是的", ["是", "否"]) == 0
    assert parse_choice("对", ["是", "否"]) == 0
    assert parse_choice("不是", ["是", "否"]) == 1


def test_number_is_a_dataclass_of_fractions():
    number = parse_number("1.5万")
    assert isinstance(number, Number) and isinstance(number.low, Fraction)


@pytest.mark.parametrize("text, expected", [("1 3", [0, 2]), ("1、3", [0, 2]), ("３，1", [0, 2]), ("1和3", [0, 2]),
                                            ("刘建国 赵志强", [0, 2]), ("二", [1]), ("2 2", [1])])
def test_several_candidates_in_one_reply(text, expected):
    assert parse_choices(text, ["刘建国", "陈秀英", "赵志强"]) == expected


@pytest.mark.parametrize("text", ["", "0", "取消", "1 4", "1 张三", "好的"])
def test_a_reply_naming_anything_else_is_not_a_choice_of_candidates(text):
    assert parse_choices(text, ["刘建国", "陈秀英", "赵志强"]) is None
