"""Each wish's steps, read from the domains that acted on it, and the authors told of new ones."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from core.extensions import db
from core.models import CatalogueItem, aware
from notices.services import queue_direct_message
from projects.models import Project, ProjectItem, project_compounds
from stories import texts
from surveys.generation import LIFT_ITEMS
from surveys.models import Survey, SurveyVersion
from votes import outcomes
from votes.models import Vote
from wishes.models import Wish

# Votes on these matters decide whether and how the compound is renovated.
RENOVATION_MATTERS = ("rebuild", "renovation_willingness", "raise_maintenance_fund", "use_maintenance_fund",
                      "change_common_use")
TOLD_BATCH = 500

# What a page of stories reads, built once (not per page): a few compounds and items, as expanding parameters.
_COMPOUNDS, _CODES = bindparam("compounds", expanding=True), bindparam("codes", expanding=True)
_NAMES = select(CatalogueItem.code, CatalogueItem.name_zh, CatalogueItem.name_en).where(CatalogueItem.code.in_(_CODES))
_SURVEYS = (select(Survey, SurveyVersion.definition)
            .join(SurveyVersion, (SurveyVersion.survey_id == Survey.id) & (SurveyVersion.version == Survey.version),
                  isouter=True)
            .where(Survey.compound_id.in_(_COMPOUNDS), Survey.state.in_(("open", "closed")))
            .order_by(Survey.opens_at, Survey.id))
_ITEMS = (select(project_compounds.c.compound_id, Project, ProjectItem)
          .join(Project, Project.id == project_compounds.c.project_id)
          .join(ProjectItem, ProjectItem.project_id == Project.id)
          .where(project_compounds.c.compound_id.in_(_COMPOUNDS), ProjectItem.catalogue_code.in_(_CODES))
          .order_by(Project.id, ProjectItem.id))
_VOTES = (select(Vote).where(Vote.compound_id.in_(_COMPOUNDS), Vote.matter.in_(RENOVATION_MATTERS),
                             Vote.state.in_(("open", "closed", "published", "archived")))
          .order_by(Vote.opens_at, Vote.id))


@dataclass(frozen=True)
class Step:
    """One thing that came of a wish. `key` is stable, so the author is told of each step once."""

    key: str
    kind: str  # merged | answered | survey | vote | item | accepted
    at: datetime = None
    params: dict = field(default_factory=dict)


def _asks_about(definition, code):
    """Whether a survey definition asks about a catalogue item (its generated questions carry the code)."""
    for section in (definition or {}).get("sections", [definition or {}]):
        for question in section.get("questions", []):
            qid = str(question.get("id", ""))
            if qid.endswith(f"_{code}") or any(o.get("id") == code for o in question.get("options", []) or []):
                return True
    return False


def story_of(wish, locale="zh_Hans_CN", cache=None):
    """The wish's steps, oldest first (`cache` shares what many wishes of one compound and item have in common)."""
    steps = []
    subject = wish
    if wish.merged_into_id:
        target = db.session.get(Wish, wish.merged_into_id)
        if target is not None:
            steps.append(Step(f"merged:{target.id}", "merged", None, {"reference": target.reference}))
            subject = target
    if wish.answered_at:
        steps.append(Step("answered", "answered", wish.answered_at, {}))
    code = subject.catalogue_code
    if not code:
        return steps
    key = (subject.compound_id, code, locale)
    if cache is None or key not in cache:
        found = _item_steps(subject.compound_id, code, locale)
        if cache is None:
            return steps + found
        cache[key] = found
    return steps + cache[key]


def _item_steps(compound_id, code, locale):
    """What a compound's surveys, votes and projects did about one catalogue item."""
    return _item_steps_many([(compound_id, code)], locale)[(compound_id, code)]


def _item_steps_many(keys, locale, names=None):
    """{(compound, item): steps} for many compounds and items, read in a few queries for all of them (`names`:
    {code: name in the locale} the caller has already read; only the other items' names are read)."""
    compounds = sorted({compound_id for compound_id, _code in keys})
    codes = sorted({code for _compound, code in keys})
    english = str(locale or "").startswith("en")
    names = {code: names[code] for code in codes if code in (names or {})}
    if len(names) < len(codes):
        names.update((code, en if english else zh) for code, zh, en in db.session.execute(
            _NAMES, {"codes": [code for code in codes if code not in names]}))
    surveys = {}
    for survey, definition in db.session.execute(_SURVEYS, {"compounds": compounds}):
        surveys.setdefault(survey.compound_id, []).append((survey, definition))
    items = {}
    for compound_id, project, item in db.session.execute(_ITEMS, {"compounds": compounds, "codes": codes}):
        items.setdefault((compound_id, item.catalogue_code), []).append((project, item))
    votes = {}
    for vote in db.session.scalars(_VOTES, {"compounds": compounds}):
        votes.setdefault(vote.compound_id, []).append(vote)
    decided = outcomes.outcomes_of([v for found in votes.values() for v in found])  # art. 278, a county's rule
    return {(compound_id, code): _steps_of(code, names.get(code, code), surveys.get(compound_id, ()),
                                           items.get((compound_id, code), ()), votes.get(compound_id, ()), decided)
            for compound_id, code in keys}


def prefetch(wishes, locale, cache, names=None):
    """Fill a story_of cache for many wishes at once (a page of the inbox): a few queries, not a few per wish
    (`names`: {catalogue code: name in the locale}, when the caller has them)."""
    subjects = []
    targets = {w.merged_into_id for w in wishes if w.merged_into_id}
    merged = {w.id: w for w in db.session.scalars(select(Wish).where(Wish.id.in_(targets)))} if targets else {}
    for wish in wishes:
        subject = merged.get(wish.merged_into_id, wish) if wish.merged_into_id else wish
        if subject.catalogue_code and (subject.compound_id, subject.catalogue_code, locale) not in cache:
            subjects.append((subject.compound_id, subject.catalogue_code))
    if subjects:
        for (compound_id, code), steps in _item_steps_many(sorted(set(subjects)), locale, names).items():
            cache[(compound_id, code, locale)] = steps
    return cache


def _steps_of(code, name, surveys, items, votes, decided):
    """The steps of one compound and item from what was read for it (`decided`: the votes' outcomes)."""
    steps = []
    for survey, definition in surveys:
        if _asks_about(definition, code):
            steps.append(Step(f"survey:{survey.id}", "survey", survey.opens_at,
                              {"title": survey.title, "item": name}))
    for vote in votes:
        if vote.scope_kind != "compound" and code not in LIFT_ITEMS:
            continue  # a stairwell's lift vote decides lifts, not the compound's other wishes
        approved = decided[vote.id].approved if vote.id in decided else None
        state = "open" if vote.state == "open" else "decided"
        steps.append(Step(f"vote:{vote.id}:{state}", "vote",
                          vote.opens_at, {"title": vote.title, "open": vote.state == "open",
                                          "approved": approved, "closes_at": vote.closes_at}))
    for project, item in items:
        steps.append(Step(f"item:{item.id}", "item", project.created_at,
                          {"project": project.name, "item": name, "progress": item.progress}))
        if project.accepted_at:
            steps.append(Step(f"accepted:{project.id}", "accepted", project.accepted_at,
                              {"project": project.name}))
    return steps


def story_lines(wish, locale="zh_Hans_CN", cache=None):
    """The story in the reader's language, one line a step (Beijing time). With a `cache` (a page of wishes), a
    step that many wishes share (their compound's survey, vote or works) is worded once."""
    if cache is None:
        return [texts.step_line(step, locale) for step in story_of(wish, locale)]
    worded, lines = cache.setdefault(_WORDED, {}), []
    for step in story_of(wish, locale, cache):
        key = (step.kind, step.key, step.at, repr(step.params), locale)
        line = worded.get(key)
        if line is None:
            line = worded[key] = texts.step_line(step, locale)
        lines.append(line)
    return lines


_WORDED = "worded"  # in a story cache: {a step's content and the reader's language: its line}


def story_for_api(wish, locale="zh_Hans_CN", cache=None):
    """[{kind, text, at}] for the API (`cache`: as story_of's, filled at once for a list of wishes by prefetch)."""
    return [{"kind": step.kind, "text": texts.step_line(step, locale),
             "at": aware(step.at).isoformat() if step.at else None} for step in story_of(wish, locale, cache)]


def tell_authors(limit=TOLD_BATCH):
    """Tell each author of the steps they have not heard of (one notice per wish, the newest step first).

    Answers already reach the author as their own notice; they are recorded as told without a second one. An
    author who deleted their data is told nothing more."""
    from core.models import WechatAccount
    told, last, cache = 0, 0, {}
    while True:
        rows = db.session.execute(select(Wish, WechatAccount.locale).join(
            WechatAccount, WechatAccount.id == Wish.account_id).where(Wish.id > last,
                                                                     WechatAccount.deleted_at.is_(None))
            .order_by(Wish.id).limit(limit)).all()
        if not rows:
            break
        last = rows[-1][0].id
        for wish, locale in rows:
            told += _tell(wish, locale or "zh_Hans_CN", cache)
    db.session.flush()
    return told


def _tell(wish, locale, cache):
    """Queue one notice about the wish's newest untold step; returns 1 if one was queued."""
    steps = story_of(wish, locale, cache)
    known = set(wish.story_told or [])
    new = [s for s in steps if s.key not in known]
    if not new:
        return 0
    wish.story_told = sorted(known | {s.key for s in new})
    fresh = [s for s in new if s.kind != "answered"]
    if not fresh:
        return 0
    step = fresh[-1]
    notice = queue_direct_message(wish.account_id, "wish_step", {
        "reference": wish.reference, "step": {"kind": step.kind, "key": step.key,
                                              "at": aware(step.at).isoformat() if step.at else None,
                                              "params": _plain(step.params)}})
    return 1 if notice is not None else 0


def _plain(params):
    return {k: (aware(v).isoformat() if isinstance(v, datetime) else v) for k, v in params.items()}
