"""The Civil Code count, as a pure function on plain data. Exact arithmetic only: areas are integers
of 0.01 m², heads are integers, and every threshold is compared by cross-multiplication.

Law (PRC Civil Code art. 278; Supreme People's Court interpretation on divided ownership, arts. 8 and 9):
- quorum, every matter: participating area >= 2/3 of total area AND participating heads >= 2/3 of heads;
- special matters (raising maintenance funds, rebuilding, changing the use of common parts):
  agreeing area >= 3/4 of participating area AND agreeing heads >= 3/4 of participating heads;
- other matters: agreeing area > 1/2 of participating area AND agreeing heads > 1/2 of participating heads;
- one exclusive part is one head, except that all of the developer's unsold or undelivered parts are one
  head together and one buyer with several parts is one head; co-owners of one part share its ballot;
- abstaining is taking part without agreeing; owners who never vote count toward neither.
"""
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from core.errors import RuleViolation

AGREE, DISAGREE, ABSTAIN = "agree", "disagree", "abstain"
CHOICES = (AGREE, DISAGREE, ABSTAIN)
SPECIAL, ORDINARY, CUSTOM = "special", "ordinary", "custom"
DEVELOPER = "developer"

# The nine matters of art. 278, each with its threshold; plus the county-set willingness poll.
MATTERS = {
    "procedure_rules": ORDINARY,          # 制定和修改业主大会议事规则
    "management_covenant": ORDINARY,      # 制定和修改管理规约
    "owners_committee": ORDINARY,         # 选举业主委员会或者更换业主委员会成员
    "property_manager": ORDINARY,         # 选聘和解聘物业服务企业或者其他管理人
    "use_maintenance_fund": ORDINARY,     # 使用建筑物及其附属设施的维修资金
    "raise_maintenance_fund": SPECIAL,    # 筹集建筑物及其附属设施的维修资金
    "rebuild": SPECIAL,                   # 改建、重建建筑物及其附属设施（含老旧小区改造、加装电梯）
    "change_common_use": SPECIAL,         # 改变共有部分的用途或者利用共有部分从事经营活动
    "other_major": ORDINARY,              # 有关共有和共同管理权利的其他重大事项
    "renovation_willingness": CUSTOM,     # 改造意愿征询（门槛由县级设定）
}
QUORUM = Fraction(2, 3)
SPECIAL_THRESHOLD = Fraction(3, 4)
ORDINARY_THRESHOLD = Fraction(1, 2)


@dataclass(frozen=True)
class Part:
    """One exclusive part in scope: its counted area and whose head it belongs to."""

    dwelling_id: int
    area: int      # hundredths of m²
    head: str      # an owner identity (co-owners: their joint identity), or DEVELOPER


@dataclass(frozen=True)
class Result:
    """The count, with the inputs' totals, and the reason in a message key and parameters."""

    total_area: int
    total_heads: int
    participating_area: int
    participating_heads: int
    agree_area: int
    agree_heads: int
    disagree_area: int
    disagree_heads: int
    abstain_area: int
    abstain_heads: int
    quorum_met: bool
    approved: bool
    reason_key: str
    reason_params: dict


def parse_threshold(value):
    """A county's approval threshold as typed ('2/3', '0.6', a Fraction): a Fraction in (0, 1], or
    RuleViolation('vote.no_threshold')."""
    try:
        threshold = Fraction(str(value).strip()) if value is not None and str(value).strip() else None
    except (ValueError, ZeroDivisionError):
        threshold = None
    if threshold is None or not 0 < threshold <= 1:
        raise RuleViolation("vote.no_threshold")
    return threshold


def head_of(owner_keys, developer_held, delivered):
    """The head a part counts for: the developer's unsold/undelivered parts are one head; co-owners
    of one part are one head together; one buyer's several parts share that buyer's head."""
    if developer_held or not delivered:
        return DEVELOPER
    if not owner_keys:
        raise RuleViolation("vote.part_without_owner")
    return "+".join(sorted(set(owner_keys)))


def _at_least(part, whole, share):
    return part * share.denominator >= whole * share.numerator


def _more_than(part, whole, share):
    return part * share.denominator > whole * share.numerator


def _needed(whole, share, strict):
    """The smallest whole number that meets the share of `whole`."""
    exact = whole * share
    needed = exact.numerator // exact.denominator
    if strict or needed < exact:
        needed += 1
    return needed


def quorum_needs(total_area, total_heads):
    """The participating area (0.01 m²) and heads the quorum needs: the thresholds the count applies."""
    return _needed(total_area, QUORUM, False), _needed(total_heads, QUORUM, False)


def settle_head(areas_by_choice):
    """The choice a head counts with: a head whose parts voted differently counts by the choice
    carrying the larger voted area, and a tie counts as abstaining, so that no head counts twice."""
    if len(areas_by_choice) == 1:
        return next(iter(areas_by_choice))
    ranked = sorted(areas_by_choice.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return ABSTAIN
    return ranked[0][0]


def _head_choices(parts, ballots):
    """Each participating head's choice."""
    area_by_head = defaultdict(lambda: defaultdict(int))
    for part in parts:
        choice = ballots.get(part.dwelling_id)
        if choice is not None:
            area_by_head[part.head][choice] += part.area
    return {head: settle_head(areas) for head, areas in area_by_head.items()}


def totals_from_heads(total_area, total_heads, rows):
    """Totals from (head, choice, area) rows already summed per head and choice (e.g. by the database)."""
    area = {c: 0 for c in CHOICES}
    heads = {c: 0 for c in CHOICES}
    mixed = {}
    previous_head, previous_choice, previous_amount = object(), None, 0
    for head, choice, amount in rows:  # sorted by head: most heads have one row
        if choice not in area:
            raise RuleViolation("vote.unknown_choice", choice=choice)
        area[choice] += amount
        if head == previous_head:
            areas = mixed.setdefault(head, {previous_choice: previous_amount})
            areas[choice] = areas.get(choice, 0) + amount
            heads[previous_choice] -= 1 if len(areas) == 2 else 0
        else:
            heads[choice] += 1
        previous_head, previous_choice, previous_amount = head, choice, amount
    for areas in mixed.values():
        heads[settle_head(areas)] += 1
    return Totals(total_area, total_heads, area, heads)


@dataclass(frozen=True)
class Totals:
    """What the law's thresholds are applied to: areas (0.01 m²) and heads, in total and by choice."""

    total_area: int
    total_heads: int
    area: dict   # choice -> area
    heads: dict  # choice -> heads


def aggregate(parts, ballots):
    """Totals from the parts in scope and the ballots ({dwelling_id: choice})."""
    in_scope = {p.dwelling_id for p in parts}
    for dwelling_id, choice in ballots.items():
        if choice not in CHOICES:
            raise RuleViolation("vote.unknown_choice", choice=choice)
        if dwelling_id not in in_scope:
            raise RuleViolation("vote.ballot_out_of_scope", dwelling=dwelling_id)
    area = {c: sum(p.area for p in parts if ballots.get(p.dwelling_id) == c) for c in CHOICES}
    heads = {c: 0 for c in CHOICES}
    for choice in _head_choices(parts, ballots).values():
        heads[choice] += 1
    return Totals(sum(p.area for p in parts), len({p.head for p in parts}), area, heads)


def count(parts, ballots, matter, custom_threshold=None):
    """Count a vote. `parts`: every exclusive part in scope; `ballots`: {dwelling_id: choice}."""
    if matter not in MATTERS:
        raise RuleViolation("vote.unknown_matter", matter=matter)
    return decide(aggregate(parts, ballots), matter, custom_threshold)


def decide(totals, matter, custom_threshold=None):
    """Apply quorum and approval thresholds to the totals."""
    kind = MATTERS.get(matter)
    if kind is None:
        raise RuleViolation("vote.unknown_matter", matter=matter)
    total_area, total_heads = totals.total_area, totals.total_heads
    area = {c: totals.area.get(c, 0) for c in CHOICES}
    heads = {c: totals.heads.get(c, 0) for c in CHOICES}
    part_area, part_heads = sum(area.values()), sum(heads.values())

    quorum_area = _at_least(part_area, total_area, QUORUM) and total_area > 0
    quorum_heads = _at_least(part_heads, total_heads, QUORUM) and total_heads > 0
    quorum = quorum_area and quorum_heads
    if kind == SPECIAL:
        share, strict = SPECIAL_THRESHOLD, False
    elif kind == ORDINARY:
        share, strict = ORDINARY_THRESHOLD, True
    else:
        if custom_threshold is None or not 0 < custom_threshold <= 1:
            raise RuleViolation("vote.no_threshold")
        share, strict = Fraction(custom_threshold), False
    test = _more_than if strict else _at_least
    approve_area = part_area > 0 and test(area[AGREE], part_area, share)
    approve_heads = part_heads > 0 and test(heads[AGREE], part_heads, share)
    approved = quorum and approve_area and approve_heads
    label = f"{'>' if strict else '≥'}{share.numerator}/{share.denominator}"

    def m2(hundredths):
        return f"{hundredths // 100}.{hundredths % 100:02d}"

    if not quorum_area:
        key, params = "vote.reason.quorum_area", {"short": m2(_needed(total_area, QUORUM, False) - part_area)}
    elif not quorum_heads:
        key, params = "vote.reason.quorum_heads", {"short": _needed(total_heads, QUORUM, False) - part_heads}
    elif not approve_area:
        key, params = "vote.reason.approval_area", {"short": m2(_needed(part_area, share, strict) - area[AGREE]),
                                                     "share": label}
    elif not approve_heads:
        key, params = "vote.reason.approval_heads", {"short": _needed(part_heads, share, strict) - heads[AGREE],
                                                      "share": label}
    else:
        key, params = "vote.reason.approved", {"share": label}
    params["strict"] = strict
    return Result(total_area, total_heads, part_area, part_heads, area[AGREE], heads[AGREE], area[DISAGREE],
                  heads[DISAGREE], area[ABSTAIN], heads[ABSTAIN], quorum, approved, key, params)


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's count under the ordinary rule, and whether they took a seat."""

    candidate_id: int
    result: Result
    elected: bool


def count_election(parts, ballots, candidate_ids, seats):
    """Elect an owners' committee. `ballots`: {dwelling_id: set of candidate ids the part agrees to}.

    Each candidate is counted as an ordinary matter of art. 278 (the owners' committee): a participating
    part that names the candidate agrees, one that does not disagrees, and a ballot naming nobody takes
    part without agreeing to anyone. Of the candidates who pass, those with the most agreeing heads
    (then area) take the seats; a tie at the last seat leaves it empty rather than choosing by lot."""
    if not isinstance(seats, int) or isinstance(seats, bool) or seats < 1:
        raise RuleViolation("election.bad_seats")
    known = set(candidate_ids)
    for named in ballots.values():
        if not set(named) <= known:
            raise RuleViolation("election.unknown_candidate")
    counted = []
    for candidate in candidate_ids:
        choices = {d: AGREE if candidate in named else (DISAGREE if named else ABSTAIN)
                   for d, named in ballots.items()}
        counted.append((candidate, count(parts, choices, "owners_committee")))
    passed = sorted((c for c in counted if c[1].approved),
                    key=lambda c: (-c[1].agree_heads, -c[1].agree_area, c[0]))

    def score(entry):
        return entry[1].agree_heads, entry[1].agree_area

    chosen = passed[:seats]
    if len(passed) > seats and score(passed[seats - 1]) == score(passed[seats]):
        chosen = [c for c in chosen if score(c) > score(passed[seats])]  # a tie across the last seat
    elected = {candidate for candidate, _result in chosen}
    return [CandidateResult(candidate, result, candidate in elected) for candidate, result in counted]
