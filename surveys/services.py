"""Survey services: generate, edit (versioned), open, answer, close, results, export."""
from collections import Counter

from sqlalchemy import Boolean, and_, bindparam, func, or_, select, text
from sqlalchemy.orm import make_transient_to_detached

from core import audit
from core.auth import authorize, can, get_in_region, kept_in_region
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.extensions import db
from core.models import Building, CatalogueItem, Compound, FileLink, WechatAccount, as_utc, aware, utcnow
from core.scopes import accounts_in, holds, in_scope, scope_compound
from core.uploads import STORED_NAME, link_uploads, store_uploads
from notices.services import queue_scoped_notice
from surveys import engine, export, generation, notice_texts as _texts, tallies  # noqa: F401 - registers notices
from surveys import files as _files  # noqa: F401 - who may see the photos given as answers
from surveys.kinds import kind_of
from surveys.models import Survey, SurveyResponse, SurveyVersion

KINDS = ("codesign", "satisfaction", "management", "other")


def _faults(error):
    return InvalidInput([{"field": f.path, "key": f.key, "params": f.params} for f in error.faults],
                        key="survey.invalid")


def get_survey(staff, survey_id, action="surveys.read"):
    """A survey in the staff member's region (NotFound otherwise)."""
    return get_in_region(staff, Survey, survey_id, action)


def list_surveys(staff, limit=200):
    """The surveys in the staff member's region, newest first."""
    authorize(staff, "surveys.read")
    return kept_in_region(staff, Survey).order_by(Survey.id.desc()).limit(limit).all()


def definition_of(survey, version=None):
    return db.session.scalar(select(SurveyVersion.definition).where(
        SurveyVersion.survey_id == survey.id, SurveyVersion.version == (version or survey.version)))


def create_survey(staff, scope_kind, scope_id, title, definition, kind="other", audience="residents", per="person",
                  project_id=None):
    """A draft survey with a validated definition."""
    compound = scope_compound(scope_kind, scope_id)
    authorize(staff, "surveys.manage", compound.community)
    if kind not in KINDS or audience not in ("residents", "owners") or per not in ("person", "dwelling"):
        raise InvalidInput([{"field": "kind", "key": "error.invalid"}])
    try:
        engine.validate_definition(definition)
    except engine.DefinitionInvalid as error:
        raise _faults(error) from None
    survey = Survey(compound_id=compound.id, region_id=compound.community_id, kind=kind, title=title.strip()[:200],
                    scope_kind=scope_kind, scope_id=scope_id, audience=audience, per=per, project_id=project_id,
                    created_by=staff.id if staff else None)
    db.session.add(survey)
    db.session.flush()
    db.session.add(SurveyVersion(survey_id=survey.id, version=1, definition=definition))
    audit.record(staff, "survey.create", "survey", survey.id, survey.region_id, after={"title": title, "kind": kind})
    db.session.flush()
    return survey


def generate_codesign(staff, compound_id, labels=None, demand=None):
    """一区一策: a draft co-design survey from the compound's facts and its residents' wishes (by default the
    wishes counted now and the survey's words in the current language)."""
    compound = db.session.get(Compound, compound_id)
    if compound is None:
        raise NotFound()
    if demand is None:
        from wishes.services import demand_counts
        demand = demand_counts(staff, compound_id)
    if labels is None:
        from surveys.texts import labels as current_labels
        labels = current_labels()
    authorize(staff, "surveys.manage", compound.community)
    buildings = [generation.BuildingFacts(b.name, b.floors or 0, b.has_lift)
                 for b in Building.query.filter_by(compound_id=compound.id)]
    catalogue = [generation.Item(i.code, i.cls, i.name_zh) for i in CatalogueItem.query.filter_by(active=True)]
    definition = generation.codesign(compound.name, buildings, demand, catalogue, labels)
    return create_survey(staff, "compound", compound.id, f"{compound.name} {labels['title']}", definition, "codesign")


def update_definition(staff, survey_id, definition):
    """Edit until closing; after the first response the edit becomes a new version."""
    survey = get_survey(staff, survey_id, "surveys.manage")
    survey.require("draft", "open")
    try:
        engine.validate_definition(definition)
    except engine.DefinitionInvalid as error:
        raise _faults(error) from None
    answered = db.session.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id))
    if answered:
        survey.version += 1
        db.session.add(SurveyVersion(survey_id=survey.id, version=survey.version, definition=definition))
    else:
        current = SurveyVersion.query.filter_by(survey_id=survey.id, version=survey.version).one()
        current.definition = definition
    audit.record(staff, "survey.edit", "survey", survey.id, survey.region_id, after={"version": survey.version})
    db.session.flush()
    return survey


def open_survey(staff, survey_id, opens_at, closes_at):
    """Open for answers and tell the audience."""
    survey = get_survey(staff, survey_id, "surveys.manage")
    survey.require("draft")
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    if closes_at <= opens_at or aware(closes_at) <= utcnow():
        raise InvalidInput([{"field": "closes_at", "key": "project.dates_out_of_order"}])
    survey.state, survey.opens_at, survey.closes_at = "open", opens_at, closes_at
    # The audience hears of it when it opens (the outbox holds the notice until then), with the deadline.
    params = {"title": survey.title, "closes_at": aware(closes_at).isoformat()}
    later = opens_at if aware(opens_at) > utcnow() else None
    if survey.audience == "owners":  # only those who may answer: the owners bound in scope
        from core.models import WechatAccount
        from notices.services import queue_direct_message
        owners = db.session.scalars(select(WechatAccount.id).where(
            WechatAccount.id.in_(accounts_in(survey.scope_kind, survey.scope_id)),
            WechatAccount.kind == "owner")).all()
        for account_id in owners:
            queue_direct_message(account_id, "survey_open", params, created_by=staff.id, not_before=later)
    else:
        queue_scoped_notice(survey.scope_kind, survey.scope_id, "survey_open", params, created_by=staff.id,
                            region_id=survey.region_id, scheduled_at=later)
    audit.record(staff, "survey.open", "survey", survey.id, survey.region_id,
                 after={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    db.session.flush()
    return survey


def close_survey(staff, survey_id):
    survey = get_survey(staff, survey_id, "surveys.manage")
    survey.require("open")
    survey.state = "closed"
    audit.record(staff, "survey.close", "survey", survey.id, survey.region_id)
    db.session.flush()
    return survey


def _accepting(survey):
    now = utcnow()
    return survey.state == "open" and aware(survey.opens_at) <= now < aware(survey.closes_at)


# The surveys open to a resident now (their scope holds the resident's home; owners-only ones when the resident is
# an owner), oldest first: built once, asked of each resident's list of surveys.
_OPEN_TO = select(Survey).where(
    Survey.state == "open", Survey.opens_at <= bindparam("now"), Survey.closes_at > bindparam("now"),
    or_(Survey.audience != "owners", bindparam("owner", type_=Boolean)),
    holds(Survey, bindparam("dwelling"))).order_by(Survey.id)
_OPEN_TO_WITH_DEFINITIONS = _OPEN_TO.add_columns(SurveyVersion.definition).outerjoin(SurveyVersion, and_(
    SurveyVersion.survey_id == Survey.id, SurveyVersion.version == Survey.version))


def _open_to(statement, account):
    return db.session.execute(statement, {"now": utcnow(), "owner": account.kind == "owner",
                                          "dwelling": account.dwelling_id})


def open_surveys_for(account):
    """Open surveys whose audience includes the resident."""
    if account.dwelling_id is None:
        return []
    return _open_to(_OPEN_TO, account).scalars().all()


def open_surveys_with_definitions(account):
    """(survey, its current definition) of each open survey whose audience includes the resident."""
    if account.dwelling_id is None:
        return []
    return [tuple(row) for row in _open_to(_OPEN_TO_WITH_DEFINITIONS, account)]


def _audience_admits(survey, account):
    """Whether the survey's audience admits the account, wherever its home lies."""
    return account.dwelling_id is not None and (survey.audience != "owners" or account.kind == "owner")


def _in_audience(survey, account):
    return _audience_admits(survey, account) and in_scope(survey, account.dwelling_id)


def respond(account, survey_id, answers, submit):
    """Save a draft or submit; editable until the survey closes."""
    survey, definition = survey_for_resident(account, survey_id)
    # the catalogue's codes only for a survey that asks for catalogue items
    catalogue = (db.session.scalars(select(CatalogueItem.code)).all()
                 if any(q.get("type") == "catalogue" for q in engine.questions(definition)) else ())
    try:
        clean = engine.validate_response(definition, answers if isinstance(answers, dict) else {},
                                         catalogue, draft=not submit)
    except engine.ResponseInvalid as error:
        raise _faults(error) from None
    after = tallies.entries(clean) if submit else Counter()
    respondent = f"a{account.id}" if survey.per == "person" else f"d{account.dwelling_id}"
    response = _first_answer(survey, respondent, account, clean, submit)   # most answers are a respondent's first
    if response is not None:
        before = Counter()
        _only_my_photos(account, definition, clean, response)
    else:   # answered before (or by another request at this moment, now committed): this answer changes that one
        response = _locked_response(survey, respondent)
        before = tallies.entries(response.answers) if response.submitted else Counter()
        _only_my_photos(account, definition, clean, response)
        response.version, response.answers, response.submitted = survey.version, clean, bool(submit)
        response.account_id, response.updated_at = account.id, utcnow()
        db.session.flush()
    tallies.change(survey.id, response.dwelling_id, before, after)
    link_uploads(_photos_in(definition, clean), "survey_response", response.id)
    return response


# A respondent's first answer, written as it is unless they have answered before (as text: compiled once, where the
# dialects' upsert constructs are compiled for every execution).
_FIRST_ANSWER = text(
    "INSERT INTO survey_responses (survey_id, respondent, account_id, dwelling_id, version, answers, submitted, "
    "updated_at) VALUES (:survey_id, :respondent, :account_id, :dwelling_id, :version, :answers, :submitted, "
    ":updated_at) ON CONFLICT (survey_id, respondent) DO NOTHING RETURNING id").bindparams(
    *(bindparam(name, type_=SurveyResponse.__table__.c[name].type) for name in ("answers", "submitted", "updated_at")))

# The respondent's response, locked (built once: asked on every answer).
_RESPONSE_LOCKED = select(SurveyResponse).where(SurveyResponse.survey_id == bindparam("survey"),
                                                SurveyResponse.respondent == bindparam("respondent")).with_for_update()


def _locked_response(survey, respondent):
    """The respondent's response, locked until the request commits."""
    return db.session.scalars(_RESPONSE_LOCKED, {"survey": survey.id, "respondent": respondent}).one()


def _first_answer(survey, respondent, account, answers, submit):
    """The respondent's first answer, written in one statement; None when they have answered before. An insert
    meeting another request's answer for the same respondent waits for it to commit: answers arriving at once for
    one home (two family members, a tap repeated) wait for each other's row instead of failing on the one response
    a respondent has."""
    values = {"survey_id": survey.id, "respondent": respondent, "account_id": account.id,
              "dwelling_id": account.dwelling_id, "version": survey.version, "answers": answers,
              "submitted": bool(submit), "updated_at": utcnow()}
    ident = db.session.scalar(_FIRST_ANSWER, values)
    if ident is None:
        return None
    response = SurveyResponse(id=ident, **values)   # as written: nothing to read back
    make_transient_to_detached(response)
    db.session.add(response)
    return response


def keep_answer_photos(account, survey_id, files):
    """Store photos for a photo question of a survey open to me; only I may give them as an answer."""
    survey_for_resident(account, survey_id)  # open to me now, or nothing is kept
    names = store_uploads(files)
    link_uploads(names, "survey_upload", account.id)
    return names


def _only_my_photos(account, definition, answers, response):
    """A photo answer names photos I uploaded (or ones this response already holds): naming another's
    stored file would let me open it."""
    faults = []
    for question in engine.questions(definition):
        if question.get("type") != "photo":
            continue
        for name in answers.get(question["id"]) or []:
            if not STORED_NAME.match(name):  # not one of our files: nothing to open through it
                continue
            owners = select(FileLink.id).where(FileLink.name == name, or_(
                and_(FileLink.kind == "survey_upload", FileLink.target_id == account.id),
                and_(FileLink.kind == "survey_response", FileLink.target_id == (response.id if response else -1))))
            if db.session.scalar(owners.limit(1)) is None:
                faults.append({"field": question["id"], "key": "survey.answer.photo_unknown", "params": {}})
                break
    if faults:
        raise InvalidInput(faults, key="survey.invalid")


def _photos_in(definition, answers):
    """The stored names given as answers to the photo questions."""
    return [name for question in engine.questions(definition) if question.get("type") == "photo"
            for name in (answers.get(question["id"]) or []) if isinstance(name, str)]


# A survey with its current definition and whether its scope holds a dwelling (built once: asked on every answer).
_SURVEY_FOR = (select(Survey, SurveyVersion.definition, holds(Survey, bindparam("dwelling")).label("holds"))
               .outerjoin(SurveyVersion, and_(SurveyVersion.survey_id == Survey.id,
                                              SurveyVersion.version == Survey.version))
               .where(Survey.id == bindparam("survey")))


def survey_for_resident(account, survey_id):
    """(survey, its current definition) for a resident who may answer it now."""
    found = db.session.execute(_SURVEY_FOR, {"survey": survey_id, "dwelling": account.dwelling_id}).first()
    if found is None:
        raise NotFound()
    survey, definition, held = found
    if not _accepting(survey):
        raise Conflict("survey.closed")
    if not (_audience_admits(survey, account) and held):
        raise Forbidden("survey.not_audience")
    return survey, definition


def my_response(account, survey_id):
    """The resident's own answers (for a per-dwelling survey, the household's), only while they are in the
    survey's audience: a tenant never reads the owner's answers to an owners-only survey."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    if not _in_audience(survey, account):
        raise Forbidden("survey.not_audience")
    respondent = f"a{account.id}" if survey.per == "person" else f"d{account.dwelling_id}"
    response = SurveyResponse.query.filter_by(survey_id=survey_id, respondent=respondent).first()
    if response is None:
        raise NotFound()
    return response


def _submitted(survey):
    from core.models import Dwelling, Unit
    rows = db.session.execute(
        select(SurveyResponse.answers, Building.name, Unit.name, Dwelling.room)
        .join(Dwelling, SurveyResponse.dwelling_id == Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
        .join(Building, Unit.building_id == Building.id)
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.submitted.is_(True))
        .order_by(Building.name, Unit.name, Dwelling.room, SurveyResponse.id)).all()
    return rows


def aggregate(survey, definition=None):
    """Per-question results over submitted responses from the counts kept as they arrive, and the
    written words in order: the same as the engine's aggregate over every response."""
    definition = definition or definition_of(survey)
    qs = engine.questions(definition)
    with tallies.sorting_in_memory():
        figures = tallies.figures(survey.id, qs)   # whole numbers summed up where they are counted
        skip = [q["id"] for q in qs if kind_of(q).written(q) == "texts" or q["id"] in figures]
        counted, written = tallies.counted(survey.id, skip), tallies.written(survey.id, qs)
    return engine.aggregate_counted(definition, counted, written, figures)


def results(staff, survey_id):
    """Per-question results over submitted responses, with breakdowns by building. The written answers
    themselves are for those who manage the survey; others in the region see counts and figures only."""
    from dataclasses import replace
    survey = get_survey(staff, survey_id)
    found = aggregate(survey)
    if not can(staff, "surveys.manage"):
        found = {qid: replace(result, texts=(), other_texts=()) for qid, result in found.items()}
    return survey, found


def catalogue_names(english=False):
    """{catalogue code: name} for labelling catalogue answers."""
    return {code: (en if english else zh) for code, zh, en in db.session.execute(
        select(CatalogueItem.code, CatalogueItem.name_zh, CatalogueItem.name_en))}


def export_table(staff, survey_id, other_header, meta_headers):
    """Each household's answers with its building, unit and room: only for those who manage the survey."""
    survey = get_survey(staff, survey_id, "surveys.manage")
    rows = _submitted(survey)
    return export.table(definition_of(survey), [r[0] for r in rows], other_header, meta_headers,
                        [r[1:] for r in rows])


def start_satisfaction(project):
    """After the joint acceptance: a satisfaction survey for each compound of the project, open 30 days."""
    from datetime import timedelta
    from flask_babel import force_locale
    from surveys.texts import labels
    catalogue = {i.code: i for i in CatalogueItem.query.all()}
    items = [generation.Item(i.catalogue_code, catalogue[i.catalogue_code].cls, catalogue[i.catalogue_code].name_zh)
             for i in project.items if i.catalogue_code in catalogue]
    with force_locale("zh_Hans_CN"):
        texts = labels()
    created = []
    for compound in project.compounds:
        definition = generation.satisfaction(project.name, items, texts)
        survey = Survey(compound_id=compound.id, region_id=compound.community_id, kind="satisfaction",
                        title=f"{project.name} {texts['satisfaction']}", scope_kind="compound", scope_id=compound.id,
                        project_id=project.id, state="open", opens_at=utcnow(),
                        closes_at=utcnow() + timedelta(days=30))
        db.session.add(survey)
        db.session.flush()
        db.session.add(SurveyVersion(survey_id=survey.id, version=1, definition=definition))
        queue_scoped_notice("compound", compound.id, "survey_open", {"title": survey.title},
                            region_id=compound.community_id)
        created.append(survey)
    db.session.flush()
    return created


def satisfaction_of(project_id):
    """The project's satisfaction index (share of the best rating, exact) over submitted answers, or None."""
    rows = db.session.execute(select(SurveyVersion.definition, SurveyResponse.answers)
                              .join(Survey, Survey.id == SurveyVersion.survey_id)
                              .join(SurveyResponse, (SurveyResponse.survey_id == Survey.id)
                                    & (SurveyResponse.version == SurveyVersion.version))
                              .where(Survey.project_id == project_id, Survey.kind == "satisfaction",
                                     SurveyResponse.submitted.is_(True))).all()
    given = [value for definition, answers in rows for value in engine.ratings(definition, answers)]
    if not given:
        return None
    from fractions import Fraction
    return Fraction(sum(given), 5 * len(given))


def satisfaction_rates_of(project_id):
    """A project's satisfaction rate and response rate from its satisfaction surveys (None: no survey).
    The audience is who the survey asks: bound residents (per person) or their dwellings (per dwelling)."""
    from surveys.rates import satisfaction_rates
    surveys = Survey.query.filter_by(project_id=project_id, kind="satisfaction").all()
    if not surveys:
        return None
    ratings, asked = [], 0
    for survey in surveys:
        ratings += [answers.get("overall") for answers in db.session.scalars(
            select(SurveyResponse.answers).where(SurveyResponse.survey_id == survey.id,
                                                 SurveyResponse.submitted.is_(True)))]
        accounts = accounts_in(survey.scope_kind, survey.scope_id).subquery()
        if survey.per == "dwelling":
            asked += db.session.scalar(select(func.count(func.distinct(WechatAccount.dwelling_id)))
                                       .where(WechatAccount.id.in_(select(accounts.c.id)))) or 0
        else:
            asked += db.session.scalar(select(func.count()).select_from(accounts)) or 0
    return satisfaction_rates(ratings, asked)


def run_due(now=None):
    """Close surveys whose time is up; remind, once, those in the audience who have not answered."""
    from datetime import timedelta
    now = now or utcnow()
    for survey in Survey.query.filter(Survey.state == "open", Survey.closes_at <= now).all():
        survey.state = "closed"
    for survey in Survey.query.filter(Survey.state == "open", Survey.reminded_at.is_(None)).all():
        if aware(survey.closes_at) - timedelta(days=survey.remind_days_before) <= now:
            remind_non_respondents(survey)
    db.session.commit()


def remind_non_respondents(survey):
    """A reminder to each account in the audience without a submitted answer."""
    from core.models import WechatAccount
    from notices.services import queue_direct_message
    answered = select(SurveyResponse.account_id).where(SurveyResponse.survey_id == survey.id,
                                                       SurveyResponse.submitted.is_(True))
    answered_dwellings = select(SurveyResponse.dwelling_id).where(SurveyResponse.survey_id == survey.id,
                                                                  SurveyResponse.submitted.is_(True))
    query = select(WechatAccount.id).where(WechatAccount.id.in_(accounts_in(survey.scope_kind, survey.scope_id)))
    query = query.where(WechatAccount.id.not_in(answered) if survey.per == "person"
                        else WechatAccount.dwelling_id.not_in(answered_dwellings))
    if survey.audience == "owners":
        query = query.where(WechatAccount.kind == "owner")
    accounts = db.session.scalars(query).all()
    for account_id in accounts:
        queue_direct_message(account_id, "survey_reminder", {"title": survey.title,
                                                             "closes_at": aware(survey.closes_at).isoformat()})
    survey.reminded_at = utcnow()
    return len(accounts)
