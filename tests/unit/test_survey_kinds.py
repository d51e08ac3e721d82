"""Each survey question type, with no app: what it draws, how it reads a chat reply, why it can't be asked."""
from fractions import Fraction

import pytest

from core.understanding import parse_number
from surveys.engine import aggregate, chat_obstacle, validate_definition
from surveys.kinds import KINDS, OTHER, NotUnderstood, kind_of
from surveys.reading import amount, option_numbers, small_int

EVERY_KIND = {"sections": [{"id": "s", "questions": [
    {"id": "one", "type": "single", "title": "加装电梯", "other": True,
     "options": [{"id": "yes", "label": "是"}, {"id": "no", "label": "否"}]},
    {"id": "many", "type": "multiple", "title": "想改什么", "max": 2,
     "options": [{"id": "a", "label": "照明"}, {"id": "b", "label": "停车"}, {"id": "c", "label": "绿化"}]},
    {"id": "rank", "type": "ranking", "title": "排序",
     "options": [{"id": "a", "label": "照明"}, {"id": "b", "label": "停车"}, {"id": "c", "label": "绿化"}]},
    {"id": "happy", "type": "rating", "title": "满意度"},
    {"id": "pay", "type": "number", "title": "出资", "unit": "元", "min": 0, "max": 100000},
    {"id": "say", "type": "text", "title": "意见"},
    {"id": "grid", "type": "matrix", "title": "评价", "rows": [{"id": "light", "label": "照明"},
                                                             {"id": "road", "label": "道路"}],
     "scale": [{"id": "ok", "label": "满意"}, {"id": "bad", "label": "不满意"}]},
]}]}
ANSWERS = [
    {"one": "yes", "many": ["a", "b"], "rank": ["b", "a", "c"], "happy": 5, "pay": 1000, "say": "楼道太暗",
     "grid": {"light": "ok", "road": "bad"}},
    {"one": {"choice": OTHER, "text": "看费用"}, "many": ["a"], "rank": ["a", "b", "c"], "happy": 3, "pay": 3000,
     "grid": {"light": "bad"}},
]


def question(qid):
    return next(q for q in EVERY_KIND["sections"][0]["questions"] if q["id"] == qid)


def test_every_type_is_in_the_registry_once():
    assert set(KINDS) == {"single", "multiple", "ranking", "rating", "number", "text", "matrix", "photo",
                          "catalogue"}
    assert validate_definition(EVERY_KIND) is EVERY_KIND


def test_each_type_draws_its_own_chart_with_labels_not_ids():
    results = aggregate(EVERY_KIND, ANSWERS)
    charts = {qid: kind_of(question(qid)).chart(question(qid), results[qid]) for qid in results}
    assert charts["one"].figure == "bars" and charts["one"].rows == (("是", 1), (OTHER, 1))
    assert charts["one"].texts == ("看费用",)
    assert charts["many"].rows == (("照明", 2), ("停车", 1))
    assert charts["rank"].figure == "ranks" and charts["rank"].rows == (("照明", 3), ("停车", 3), ("绿化", 0))
    assert charts["happy"].figure == "distribution" and dict(charts["happy"].rows)["5 ★"] == 1
    assert charts["happy"].summary == ("survey.result.mean_median", {"mean": "4", "median": "4"})
    assert charts["pay"].figure == "distribution" and sum(n for _label, n in charts["pay"].rows) == 2
    assert charts["pay"].rows[0][0] == "1000–1200元"
    assert charts["say"].figure == "texts" and charts["say"].texts == ("楼道太暗",)
    assert charts["grid"].figure == "grid" and charts["grid"].columns == ("满意", "不满意")
    assert charts["grid"].rows == (("照明", (1, 1)), ("道路", (0, 1)))


@pytest.mark.parametrize("text,value", [
    ("8000", 8000), ("８０００", 8000), ("一万左右", 10000), ("大概两千", 2000), ("5000-8000", 6500),
    ("五千到八千", 6500), ("两千五", 2500), ("1.5万", 15000), ("1万5", 15000), ("3000元", 3000), ("0", 0),
    ("1-2万", 15000), ("三千五百块", 3500), ("2万元", 20000), ("8000以内", 8000), ("至少3000", 3000),
])
def test_one_amount_is_recorded_for_each_way_residents_write_one(text, value):
    assert amount(parse_number(text)) == value


def test_option_numbers_and_small_numbers_in_any_form():
    assert option_numbers("1 3", 4) == option_numbers("13", 4) == option_numbers("一、三", 4) == [1, 3]
    assert option_numbers("随便", 4) is None
    assert [small_int(t) for t in ("３", "三", "第二个", "5分", "大概3", "1.5")] == [3, 3, 2, 5, None, None]


def test_a_range_is_recorded_as_its_middle_and_said_back():
    understood = kind_of(question("pay")).understand(question("pay"), "5000-8000")
    assert understood.value == 6500 and understood.echo == "6500元"
    with pytest.raises(NotUnderstood) as caught:
        kind_of(question("pay")).understand(question("pay"), "二十万")
    assert caught.value.key == "survey.chat.number_range"


@pytest.mark.parametrize("qid,text,value", [
    ("one", "1", "yes"), ("one", "是的", "yes"), ("one", "否", "no"), ("one", "２", "no"),
    ("many", "1 2", ["a", "b"]), ("many", "1、3", ["a", "c"]), ("many", "停车", ["b"]),
    ("rank", "2 1 3", ["b", "a", "c"]), ("rank", "3 1", ["c", "a", "b"]),
    ("happy", "五", 5), ("happy", "满意", 4), ("happy", "3分", 3),
    ("say", "楼道灯坏了", "楼道灯坏了"), ("say", "没有了", ""),
])
def test_chat_replies_are_understood(qid, text, value):
    assert kind_of(question(qid)).understand(question(qid), text).value == value


@pytest.mark.parametrize("qid,text", [("one", "4"), ("one", "随便"), ("many", "1 2 3"), ("rank", "1 1 2"),
                                      ("happy", "6"), ("pay", "很多")])
def test_what_is_not_understood_is_said_so(qid, text):
    with pytest.raises(NotUnderstood):
        kind_of(question(qid)).understand(question(qid), text)


def test_other_asks_for_words_and_a_matrix_asks_row_by_row():
    single = kind_of(question("one"))
    assert single.understand(question("one"), "3").done is False
    assert single.understand(question("one"), "看费用再说", OTHER).value == {"choice": OTHER, "text": "看费用再说"}
    grid = kind_of(question("grid"))
    first = grid.understand(question("grid"), "1")
    assert first.done is False and "道路" in grid.ask(question("grid"), first.value).lines[1]
    assert grid.understand(question("grid"), "不满意", first.value).value == {"light": "ok", "road": "bad"}


def test_every_type_but_photos_and_the_catalogue_can_be_asked_in_chat():
    assert chat_obstacle(EVERY_KIND) is None
    with_photo = {"sections": [{"questions": [{"id": "a", "type": "rating", "title": "满意度"},
                                              {"id": "b", "type": "photo", "title": "拍一张"}]}]}
    assert chat_obstacle(with_photo) == ("survey.chat.cannot_photo", {"number": 2, "title": "拍一张"})


def test_a_condition_value_typed_as_its_label_is_stored_as_the_option():
    from surveys.editing import condition_parts, condition_value
    assert condition_value(EVERY_KIND, "one", "是") == "yes" and condition_value(EVERY_KIND, "happy", "五") == 5
    assert condition_parts(EVERY_KIND, {"question": "one", "op": "equals", "value": "yes"}) == (
        None, [("加装电梯", "equals", "是")])


def test_numbers_stay_exact():
    results = aggregate(EVERY_KIND, ANSWERS + [{"pay": 2500}])
    assert results["pay"].mean == Fraction(6500, 3) and results["pay"].median == 2500


def test_results_from_counted_answers_equal_the_results_over_every_answer():
    """Counting equal answers once (as the database keeps them) changes no figure: counts, shares, means,
    medians, percentiles, histograms, Borda points, grids, by building; written words read apart."""
    import json
    import random
    from surveys.engine import aggregate_counted
    rng = random.Random(5)
    responses, buildings = [], []
    for n in range(400):
        answers = {"one": rng.choice(["yes", "no", {"choice": OTHER, "text": f"看费用{n % 3}"}]),
                   "many": sorted(rng.sample(["a", "b", "c"], rng.randint(1, 2))),
                   "rank": rng.sample(["a", "b", "c"], 3), "happy": rng.randint(1, 5),
                   "pay": rng.choice([rng.randint(0, 900), rng.randint(0, 90) + 0.5, 100, 100.0]),
                   "say": rng.choice(["", "楼道太暗", f"意见{n}"]),
                   "grid": {"light": rng.choice(["ok", "bad"])}}
        responses.append({k: v for k, v in answers.items() if rng.random() < 0.85})
        buildings.append(rng.choice(["1", "2", "3"]))
    expected = aggregate(EVERY_KIND, responses, buildings)
    counted = {}
    for answers, building in zip(responses, buildings):
        for qid, value in answers.items():
            counted.setdefault(qid, {}).setdefault((json.dumps(value, sort_keys=True), building), 0)
            counted[qid][(json.dumps(value, sort_keys=True), building)] += 1
    entries = {qid: [(json.loads(v), b, n) for (v, b), n in sorted(found.items(), reverse=True)]
               for qid, found in counted.items()}
    written = {"say": [a["say"] for a in responses if a.get("say")],
               "one": [a["one"]["text"] for a in responses if isinstance(a.get("one"), dict)]}
    entries.pop("say")
    assert aggregate_counted(EVERY_KIND, entries, written) == expected
    assert expected["pay"].median is not None and expected["say"].answered == len(written["say"])
