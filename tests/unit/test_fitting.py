from datetime import datetime, timezone

import pytest

from notices.fitting import FieldError, cut, fit, fit_data, graphemes


def test_short_text_is_left_alone():
    assert fit("thing", "3栋外墙修缮完成") == "3栋外墙修缮完成"


def test_a_long_thing_is_cut_to_twenty_with_an_ellipsis():
    value = fit("thing", "玉林小区3栋2单元加装电梯工程已进入主体结构施工阶段请注意安全")
    assert len(value) == 20 and value.endswith("…")


def test_english_is_cut_too():
    value = fit("thing", "Lift installation in building 3 has reached the structural stage")
    assert len(value) == 20 and value.endswith("…")


def test_an_emoji_with_skin_tone_or_zwj_is_never_split():
    family = "👨‍👩‍👧"
    thumbs = "👍🏽"
    text = "好" * 18 + family + thumbs + "尾"
    value = cut(text, 20)
    assert family in value and thumbs not in value and value.endswith("…")
    assert graphemes(family + thumbs + "🇨🇳") == [family, thumbs, "🇨🇳"]


def test_a_flag_is_two_code_points_one_character():
    assert len(graphemes("🇨🇳🇭🇰")) == 2
    assert graphemes("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f好") == [
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "好"]  # Scotland's tag sequence


def test_a_keycap_is_one_character():
    one, hash_ = "1\ufe0f\u20e3", "#\ufe0f\u20e3"
    assert graphemes(one + hash_ + "号") == [one, hash_, "号"]
    assert cut("请按" + one * 20, 5) == "请按" + one * 2 + "…"


def test_hangul_written_in_jamo_is_one_syllable_each():
    han, gul = "\u1112\u1161\u11ab", "\u1100\u116e\u11af"  # 한 and 글 as leading, vowel and trailing jamo
    assert graphemes(han + gul) == [han, gul]
    assert cut((han + gul) * 3, 3) == han + gul + "…"


def test_a_devanagari_conjunct_stays_whole():
    kshi, na = "\u0915\u094d\u0937\u093f", "\u0928"  # क्षि (ka, virama, ssa, vowel sign i) and न
    assert graphemes(kshi + na) == [kshi, na]
    assert cut(kshi * 4, 3) == kshi * 2 + "…"


def test_a_family_joined_with_zero_width_joiners_is_one_character():
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert graphemes("一" + family + "二") == ["一", family, "二"]
    assert cut(family * 3, 2) == family + "…"


def test_phrase_is_at_most_five_chinese_characters():
    assert fit("phrase", "施工中（第二阶段）") == "施工中第二"
    with pytest.raises(FieldError):
        fit("phrase", "done")


def test_time_and_date_use_wechats_format_in_beijing_time():
    moment = datetime(2026, 11, 26, 7, 1, tzinfo=timezone.utc)
    assert fit("time", moment) == "2026年11月26日 15:01"
    assert fit("time", datetime(2026, 11, 26, 20, 21, tzinfo=timezone.utc)) == "2026年11月27日 04:21"
    assert fit("date", moment) == "2026年11月26日"


def test_character_string_keeps_only_allowed_characters():
    assert fit("character_string", "W-000123 编号") == "W-000123"


def test_fit_data_reads_the_kind_from_the_key():
    data = fit_data({"thing1": "x" * 30, "time2": datetime(2026, 1, 1, 19, 4, tzinfo=timezone.utc), "phrase3": "已完成"})
    assert data["thing1"]["value"].endswith("…") and data["time2"]["value"] == "2026年1月2日 03:04"
    assert data["phrase3"] == {"value": "已完成"}


def test_a_water_cut_push_keeps_what_where_and_when_within_limits():
    from notices.fitting import push_fields
    fields = push_fields("停水", "玉林北路12号院 1栋1-2单元", "",
                         "因楼道改造施工，12月2日（周二）9:00-12:00停水，请提前储水。",
                         datetime(2026, 12, 2, 1, tzinfo=timezone.utc))
    assert fields["thing1"] == "停水：玉林北路12号院 1栋1-2单元"
    assert fields["thing2"] == "12月2日9:00-12:00停水"
    data = fit_data(fields)
    assert data["time3"]["value"] == "2026年12月2日 09:00"
    assert all(len(v["value"]) <= 20 for k, v in data.items() if k.startswith("thing"))


def test_a_long_place_gives_way_to_the_building_and_unit():
    from notices.fitting import push_fields
    fields = push_fields("停水", "成都市武侯区玉林街道玉林北路12号院 1栋1-2单元", "", "", datetime(2026, 1, 1))
    assert fields["thing1"] == "停水：1栋1-2单元"


def test_a_kinds_own_layouts_send_the_first_whose_two_fields_both_fit_whole():
    from notices.fitting import push_fields
    when = datetime(2026, 1, 1)
    layouts = (("Proxy vote lapsed：1-1-104", "玉林小区 1单元加装电梯"),  # thing1 too long
               ("Proxy lapsed：1-1-104", "玉林小区 1单元加装电梯"),
               ("玉林小区 1-1-104", "Proxy lapsed：1单元加装电梯"))
    fields = push_fields("Proxy vote lapsed", "玉林小区 1-1-104", "1单元加装电梯", "", when, layouts=layouts)
    assert fields == {"thing1": "Proxy lapsed：1-1-104", "thing2": "玉林小区 1单元加装电梯", "time3": when}


def test_when_no_layout_fits_whole_the_last_is_sent_cut():
    from notices.fitting import push_fields
    layouts = (("Proxy lapsed：3栋-2单元-501", "玉林北路12号院 关于3栋2单元加装电梯的表决"),
               ("玉林北路12号院 3栋-2单元-501", "Proxy lapsed：关于3栋2单元加装电梯的表决"))
    fields = push_fields("Proxy vote lapsed", "", "", "", datetime(2026, 1, 1), layouts=layouts)
    assert fields["thing1"] == "玉林北路12号院 3栋-2单元-501"
    assert fields["thing2"] == "Proxy lapsed：关于3栋2单…" and len(fields["thing2"]) == 20
