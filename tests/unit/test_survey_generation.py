"""一区一策 drafts follow the compound's facts and its residents' wishes."""
from surveys.engine import validate_definition
from surveys.generation import BuildingFacts, Item, codesign, satisfaction

LABELS = {"must_fix": "%(item)s 是否必须修？", "yes": "是", "no": "否", "rank": "请排序", "lift": "加装电梯？",
          "lift_building": "楼栋", "pay": "愿出多少？", "pay_item": "%(item)s 愿出多少？", "management": "长效管理",
          "property_company": "物业公司", "self_management": "自治管理", "comments": "其他意见", "basic": "基础类",
          "improve": "完善类", "rate_item": "%(item)s 满意度", "overall": "总体满意度"}
CATALOGUE = [Item("B02", "basic", "供水"), Item("B03", "basic", "排水"), Item("I03", "improvement", "照明"),
             Item("I06", "improvement", "停车"), Item("I16", "improvement", "加装电梯"), Item("E05", "enhancement", "养老")]


def ids(definition):
    return [q["id"] for s in definition["sections"] for q in s["questions"]]


def test_basic_items_asked_for_become_must_fix_confirmations():
    draft = codesign("玉林小区", [], {"B02": 5, "I03": 2}, CATALOGUE, LABELS)
    assert "fix_B02" in ids(draft) and "fix_B03" not in ids(draft)
    validate_definition(draft)


def test_improvements_are_ranked_by_demand_and_money_items_ask_for_contributions():
    draft = codesign("玉林小区", [], {"I03": 2, "I06": 9, "E05": 4}, CATALOGUE, LABELS)
    rank = next(q for s in draft["sections"] for q in s["questions"] if q["id"] == "rank_items")
    assert [o["id"] for o in rank["options"]] == ["I06", "E05", "I03"]
    assert "pay_I06" in ids(draft) and "pay_I03" not in ids(draft)


def test_no_lift_question_for_a_six_storey_building_that_has_a_lift():
    draft = codesign("x", [BuildingFacts("1", 6, True)], {"I16": 10}, CATALOGUE, LABELS)
    assert "lift" not in ids(draft)


def test_a_lift_question_where_a_four_storey_building_has_none():
    draft = codesign("x", [BuildingFacts("1", 4, False), BuildingFacts("2", 3, False)], {}, CATALOGUE, LABELS)
    assert "lift" in ids(draft) and "lift_pay" in ids(draft)
    validate_definition(draft)


def test_every_draft_asks_about_long_term_management():
    assert "management" in ids(codesign("x", [], {}, CATALOGUE, LABELS))


def test_the_satisfaction_template_rates_each_item_and_overall():
    survey = satisfaction("改造", CATALOGUE[:2], LABELS)
    assert ids(survey) == ["rate_B02", "rate_B03", "overall", "improve"]
    validate_definition(survey)


def test_the_long_term_management_template_is_a_valid_survey():
    from surveys.generation import management
    survey = management("玉林小区", LABELS)
    assert ids(survey) == ["management", "comments"]
    validate_definition(survey)
