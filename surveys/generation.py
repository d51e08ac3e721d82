"""一区一策: draft a co-design survey from a compound's facts, its residents' wishes and the catalogue;
templates for the satisfaction survey after acceptance and for the long-term management choice. Pure."""
from dataclasses import dataclass

# Items that need residents' money, so the survey asks how much a household would contribute.
CONTRIBUTION_ITEMS = {"I16", "I15", "I06", "I07", "I14"}
LIFT_ITEMS = {"I16"}


@dataclass(frozen=True)
class BuildingFacts:
    name: str
    floors: int
    has_lift: bool


@dataclass(frozen=True)
class Item:
    code: str
    cls: str
    name: str


def _choice(qid, title, options, **extra):
    return dict({"id": qid, "type": "single", "title": title,
                 "options": [{"id": oid, "label": label} for oid, label in options]}, **extra)


def codesign(compound_name, buildings, demand, catalogue, labels):
    """The draft survey. `demand`: {code: wishes}; `labels`: texts in the committee's language
    (keys: must_fix, yes, no, rank, lift, lift_building, pay, pay_item, management, property_company,
    self_management, comments, basic, improve)."""
    by_code = {item.code: item for item in catalogue}
    asked = sorted((c for c in demand if c in by_code), key=lambda c: (-demand[c], c))
    basic = [by_code[c] for c in asked if by_code[c].cls == "basic"]
    wanted = [by_code[c] for c in asked if by_code[c].cls != "basic" and c not in LIFT_ITEMS]
    sections = []
    if basic:
        sections.append({"id": "basic", "title": labels["basic"], "questions": [
            _choice(f"fix_{item.code}", labels["must_fix"] % {"item": item.name},
                    [("yes", labels["yes"]), ("no", labels["no"])], required=True) for item in basic]})
    improve = []
    if len(wanted) >= 2:
        improve.append({"id": "rank_items", "type": "ranking", "title": labels["rank"],
                        "options": [{"id": item.code, "label": item.name} for item in wanted[:8]]})
    for item in wanted:
        if item.code in CONTRIBUTION_ITEMS:
            improve.append({"id": f"pay_{item.code}", "type": "number", "unit": "元", "min": 0, "max": 100000,
                            "title": labels["pay_item"] % {"item": item.name}})
    liftless = [b for b in buildings if b.floors >= 4 and not b.has_lift]
    if liftless:
        improve.append(_choice("lift", labels["lift"], [("yes", labels["yes"]), ("no", labels["no"])]))
        improve.append({"id": "lift_pay", "type": "number", "unit": "元", "min": 0, "max": 200000,
                        "title": labels["pay"], "show_if": {"question": "lift", "op": "equals", "value": "yes"}})
    if improve:
        sections.append({"id": "improve", "title": labels["improve"], "questions": improve})
    sections.append({"id": "management", "title": labels["management"], "questions": [
        _choice("management", labels["management"], [("property", labels["property_company"]),
                                                      ("self", labels["self_management"])], other=True),
        {"id": "comments", "type": "text", "title": labels["comments"]}]})
    return {"version": 1, "title": compound_name, "sections": sections}


def satisfaction(project_name, items, labels):
    """After acceptance: a rating per item and overall, and what to improve."""
    questions = [{"id": f"rate_{item.code}", "type": "rating", "title": labels["rate_item"] % {"item": item.name}}
                 for item in items]
    questions.append({"id": "overall", "type": "rating", "title": labels["overall"], "required": True})
    questions.append({"id": "improve", "type": "text", "title": labels["comments"],
                      "show_if": {"question": "overall", "op": "not_equals", "value": 5}})
    return {"version": 1, "title": project_name, "sections": [{"id": "satisfaction", "title": project_name,
                                                                "questions": questions}]}


def management(compound_name, labels):
    """Long-term management after handover: property company or self-management, and what matters most."""
    return {"version": 1, "title": compound_name, "sections": [{"id": "management", "title": labels["management"],
                                                                 "questions": [
        _choice("management", labels["management"], [("property", labels["property_company"]),
                                                      ("self", labels["self_management"])], other=True,
                required=True),
        {"id": "comments", "type": "text", "title": labels["comments"]}]}]}
