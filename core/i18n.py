"""Locale choice and translation of message keys returned by pure rules."""
from flask import g, request, session
from flask_babel import gettext, lazy_gettext as _l

LOCALES = ("zh_Hans_CN", "en")
DEFAULT_LOCALE = "zh_Hans_CN"


def normalise_locale(value):
    """Map 'en', 'en-US', 'zh', 'zh-CN', 'zh_Hans_CN' to a supported locale, or None."""
    if not value:
        return None
    value = value.strip().lower().replace("-", "_")
    if value.startswith("en"):
        return "en"
    if value.startswith("zh"):
        return "zh_Hans_CN"
    return None


def select_locale():
    """Pick the request's locale: ?lang=, then the session, the signed-in user, Accept-Language."""
    if not request:
        return DEFAULT_LOCALE
    chosen = normalise_locale(request.args.get("lang"))
    if chosen:
        if request.blueprint == "admin":
            session["lang"] = chosen
        return chosen
    chosen = normalise_locale(session.get("lang")) or normalise_locale(getattr(g, "user_locale", None))
    if chosen:
        return chosen
    for lang, _quality in request.accept_languages:
        chosen = normalise_locale(lang)
        if chosen:
            return chosen
    return DEFAULT_LOCALE


# Every message key a pure rule or service may return, with its text.
MESSAGES = {
    # generic
    "error.not_found": _l("Not found."),
    "error.forbidden": _l("You are not allowed to do this."),
    "error.unauthorised": _l("Please sign in."),
    "error.too_large": _l("The upload is too large (at most %(limit)s MB)."),
    "error.bad_request": _l("The request could not be understood."),
    "error.method": _l("This method is not allowed here."),
    "error.internal": _l("Something went wrong on our side. Please try again later."),
    "error.unavailable": _l("What you sent was received, but it could not be finished now. Please look again in a "
                            "few minutes."),
    "bot.too_fast": _l("You are sending messages too fast. Please wait a minute and try again."),
    "error.csrf": _l("Your form has expired or your session ended. Please sign in again."),
    "error.invalid": _l("Some of the input is not valid."),
    "error.login_failed": _l("Wrong user name or password."),
    "error.rate_limited": _l("Too many attempts. Please wait a few minutes and try again."),
    "error.field_required": _l("This field is required."),
    "error.compound_not_found": _l("Compound %(compound)s does not exist."),
    "staff.not_yourself": _l("You cannot change your own role or deactivate yourself."),
    "staff.bad_role": _l("Unknown role."),
    "staff.role_level": _l("This role cannot be bound to a region of this level."),
    "staff.short_password": _l("The password needs at least %(min)s characters."),
    "staff.duplicate": _l("The user name %(username)s is already taken."),
    "staff.not_linked": _l("No WeChat account is linked."),
    "staff.bad_link_code": _l("This code is not valid or has expired. Make a new one on your page in the panel."),
    "password.too_short": _l("The password needs at least %(min)s characters."),
    "password.too_long": _l("The password can have at most %(max)s characters."),
    "password.common": _l("This password is too common: choose one that is harder to guess."),
    "password.has_username": _l("The password must not contain the user name."),
    "password.wrong_current": _l("The current password is wrong."),
    "password.same_as_old": _l("The new password must differ from the current one."),
    "password.mismatch": _l("The two new passwords differ."),
    "auth.password_change_required": _l("Change the password you were given before going on."),
    "catalogue.bad_class": _l("Unknown catalogue class %(value)s."),
    "catalogue.county_only": _l("Only a county may add catalogue items."),
    "catalogue.duplicate": _l("The catalogue already has %(name)s."),
    "auth.bad_code": _l("The WeChat code is invalid or has been used. Please try again."),
    "auth.session_expired": _l("Your session has expired. Please sign in again."),
    "wechat.unavailable": _l("WeChat is not answering right now. Please try again later."),
    "bind.required": _l("Please link WeChat to your home first."),
    "bind.not_bound": _l("You are not linked to a home."),
    "bind.owner_required": _l("Choose which owner of this dwelling the code is for."),
    "bind.person_only_for_owner": _l("Only a code for an owner names a person; a tenant or family member is "
                                     "recorded as they link."),
    "bind.bad_code": _l("This binding code is not valid or has expired."),
    "bind.no_room": _l("There is no room %(room)s in this stairwell."),
    "bind.too_many": _l("Too many binding attempts today. Please contact your neighbourhood committee."),
    "bind.bad_last4": _l("Please give exactly the last four digits of the phone number."),
    "bind.already_decided": _l("This request has already been decided."),
    "bind.too_many_flat": _l("Too many attempts for this home today. Please contact your neighbourhood committee."),
    "bind.bad_id": _l("This ID number is not valid."),
    "bind.owner_not_verified": _l("The ID number and property certificate number do not match the owners' "
                                  "roll. Please ask your neighbourhood committee for a binding code."),
    "bind.evidence_required": _l("Say what you checked (e.g. the property certificate seen in person)."),
    "privacy.consent_required": _l("Please read and agree to the privacy notice first."),
    "privacy.old_version": _l("The privacy notice has changed. Please read it again."),
    "vote.paper_rule": _l("Vote once, online or on paper. If a home sends both, the last one received before "
                          "the vote closes counts, and whoever cast the earlier one is told."),
    "vote.details_fixed": _l("Whether each home's choice is published was fixed before the vote opened."),
    "vote.proxy_document": _l("Upload the signed authorisation (委托书)."),
    "vote.proxy_identity": _l("The proxy's ID number does not match the WeChat user's verified identity."),
    "vote.proxy_not_resident": _l("The proxy must be a WeChat user verified as an owner in this compound: an "
                                  "owner of another compound, a household member or a tenant cannot be named."),
    "vote.paper_staff_only": _l("Paper ballots and their codes name the owners: only the staff who run this "
                                "vote's paper ballots may print them."),
    "vote.proxy_is_owner": _l("The owner does not need a proxy."),
    "vote.proxy_owner_required": _l("This home has several owners: choose the one who signed the authorisation."),
    "vote.proxy_owner": _l("The person who signed the authorisation must be an owner of this home on the owners' "
                           "roll (the roll frozen when the vote opened, once it is open)."),
    "vote.proxy_signer_left": _l("The owner who signed the authorisation is no longer an owner of this home on the "
                                 "owners' roll: register the proxy again from a current owner's authorisation."),
    "vote.proxy_staff": _l("A staff member involved cannot be the proxy."),
    "vote.proxy_pending": _l("This proxy is waiting for a second staff member's confirmation."),
    "wish.empty": _l("Please say what should be renovated."),
    "wish.too_long": _l("The text is too long (at most %(limit)s characters)."),
    "wish.unknown_item": _l("This catalogue item does not exist here."),
    "wish.too_many_photos": _l("At most %(limit)s photos."),
    "wish.photo_too_large": _l("A photo is too large (at most %(limit)s MB)."),
    "wish.photo_type": _l("Photos must be JPEG or PNG images."),
    "wish.bad_photo": _l("A photo cannot be accepted."),
    "photo.chat_only": _l("Photos sent in the WeChat chat can only be added there; please upload the photo here."),
    "wish.bad_location": _l("The location is not valid."),
    "wish.merged": _l("This wish was merged into another."),
    "wish.bad_merge": _l("These two wishes cannot be merged."),
    "project.bad_progress": _l("Progress must be a whole number from 0 to 100 (not %(value)s)."),
    "project.unknown_stage": _l("Unknown stage %(stage)s."),
    "project.stage_backwards": _l("A project cannot go back to %(stage)s."),
    "project.stage_skipped": _l("The stage %(stage)s would be skipped: give the reason."),
    "project.dates_out_of_order": _l("The end date is before the start date."),
    "project.demolition": _l("%(compound)s is slated for demolition and cannot enter the renovation scheme."),
    "project.bad_amount": _l("The amount must be a positive whole number."),
    "project.needs_acceptance": _l("Handover follows the joint acceptance: record it instead."),
    "project.none": _l("There is no renovation project for your compound yet."),
    "project.not_in_acceptance": _l("The project is not at the acceptance stage."),
    "works.bad_phone": _l("Enter a telephone number (7 to 20 digits)."),
    "works.already_volunteered": _l("You have already offered to supervise this project."),
    "works.already_decided": _l("This has already been decided."),
    "works.not_supervisor": _l("Only resident supervisors approved by the committee can do this."),
    "works.finding_closed": _l("This finding is already closed."),
    "works.evidence_required": _l("A finding is closed only with evidence of what was done."),
    "works.not_answered": _l("The report has not been answered yet."),
    "works.bad_participant": _l("Participant %(row)s needs a name and a role."),
    "works.no_resident_rep": _l("The joint acceptance needs at least one residents' representative."),
    "works.bad_defect": _l("Each defect needs a description (at most 1000 characters)."),
    "works.bad_defect_item": _l("A defect refers to an item that is not in this project."),
    "works.defect_not_open": _l("Only an open defect can be rectified."),
    "works.defect_not_rectified": _l("Only a rectified defect can be re-inspected."),
    "works.defect_done": _l("This defect is already closed or waived."),
    "works.not_in_warranty": _l("Defects are reported this way after handover, during the warranty."),
    "works.warranty_over": _l("The warranty period of these works has ended."),
    "works.budget_below_zero": _l("The change would take the item's budget below zero."),
    "works.accounts_too_early": _l("The final accounts are published after the works are accepted."),
    "works.accounts_published": _l("The final accounts have already been published."),
    "works.already_accepted": _l("The joint acceptance has already been recorded."),
    "works.defects_open": _l("%(count)s defects are still open: close or waive each before handover."),
    "report.no_deadline": _l("No response deadline is configured for reports of kind %(kind)s."),
    "election.bad_seats": _l("The committee needs from 1 to 15 seats."),
    "election.unknown_candidate": _l("That is not a candidate of this election."),
    "election.wrong_state": _l("The election is %(state)s: this cannot be done now."),
    "election.closed": _l("The election is closed already; its result is on its page."),
    "election.too_few_candidates": _l("At least %(seats)s candidates are needed before voting opens."),
    "election.bad_closing": _l("Give a closing time in the future."),
    "election.not_open": _l("Voting in this election is not open."),
    "election.too_many": _l("Choose at most %(seats)s candidates."),
    "report.bad_transition": _l("A report cannot move to %(status)s from here."),
    "report.not_passed_up": _l("This report is still with a level below yours: you answer it once it is passed up "
                               "to your level, or when nobody at the level holding it is active."),
    "notice.bad_title": _l("The title is required (at most %(limit)s characters)."),
    "notice.bad_body": _l("The text is required (at most %(limit)s characters)."),
    "notice.naive_time": _l("Give the time with its time zone."),
    "notice.empty_audience": _l("Nobody in this audience can be reached yet: no resident there is linked to WeChat."),
    "vote.wrong_state": _l("Not possible while the vote is %(state)s."),
    "vote.not_open": _l("The vote is not open for ballots now."),
    "vote.received_not_chained": _l("Your ballot was received in time and will be counted. Its receipt is not "
                                    "ready yet: please open the vote again in a few minutes to see it."),
    "vote.empty_scope": _l("Nobody in this scope is on the owners' roll: import the roll first."),
    "vote.out_of_scope": _l("This dwelling is not part of the vote."),
    "vote.not_owner": _l("Only the owners of this dwelling (or their registered proxy) can vote."),
    "vote.proxy_lapsed": _l("Your authorisation to vote for this home no longer stands: your WeChat is not linked as "
                            "a verified owner of this compound. Please contact the neighbourhood committee."),
    "vote.proxy_lapsed_signer_left": _l("Your authorisation to vote for this home no longer stands: the owner who "
                                        "signed it is no longer on the owners' roll for this home. Please contact "
                                        "the neighbourhood committee."),
    "vote.proxy_ended": _l("Your authorisation to vote for this home no longer stands, and linking your WeChat again "
                           "does not bring it back. If the owner still wants you to vote for them, please ask the "
                           "neighbourhood committee to register you again."),
    "vote.unknown_matter": _l("Unknown matter %(matter)s."),
    "vote.unknown_choice": _l("Choose agree, disagree or abstain."),
    "vote.no_threshold": _l("Give the approval threshold as a fraction, e.g. 2/3."),
    "vote.closes_in_past": _l("The closing time is already past."),
    "vote.extend_earlier": _l("The new closing time must be later than the current one."),
    "vote.bad_code": _l("This ballot code is not valid."),
    "vote.code_other_vote": _l("This ballot belongs to another vote."),
    "vote.entry_done": _l("This entry has already been confirmed or held."),
    "vote.same_person": _l("The confirmation must come from a second staff member."),
    "vote.part_without_owner": _l("A dwelling in scope has no owner on the roll."),
    "vote.ballot_out_of_scope": _l("A ballot is for a dwelling outside the vote."),
    "vote.reason.quorum_area": _l("Quorum not met: participating area is %(short)s m² short of two thirds."),
    "vote.reason.quorum_heads": _l("Quorum not met: %(short)s more owners needed to reach two thirds."),
    "vote.reason.approval_area": _l("Not approved: agreeing area is %(short)s m² short of the %(share)s required."),
    "vote.reason.approval_heads": _l("Not approved: %(short)s more agreeing owners needed for the %(share)s required."),
    "vote.reason.approved": _l("Approved: quorum met and the %(share)s threshold reached by area and by owners."),
    "upload.too_large": _l("The file is too large (at most %(limit)s MB)."),
    "upload.document_type": _l("Documents must be PDF, JPEG or PNG files."),
    "survey.bad_json": _l("This is not valid JSON (line %(line)s, column %(column)s)."),
    "survey.def.sections": _l("A survey needs a list of sections."),
    "survey.def.id": _l("Every question needs an id."),
    "survey.def.duplicate": _l("The question id %(question)s is used twice."),
    "survey.def.type": _l("Unknown question type %(type)s."),
    "survey.def.options": _l("This question needs options."),
    "survey.def.matrix": _l("A matrix needs rows and a scale."),
    "survey.def.bounds": _l("The minimum is larger than the maximum."),
    "survey.def.condition": _l("The display condition is not well formed."),
    "survey.def.cycle": _l("A question cannot depend on itself (%(question)s)."),
    "survey.def.later_question": _l("The condition refers to %(question)s, which is not an earlier question."),
    "survey.def.empty": _l("The survey has no questions."),
    "survey.answer.unknown_question": _l("There is no such question."),
    "survey.answer.hidden": _l("This question is not shown for your earlier answers."),
    "survey.answer.required": _l("Please answer this question."),
    "survey.answer.option": _l("Choose from the options given."),
    "survey.answer.other_text": _l("Please say what 'other' means."),
    "survey.answer.count": _l("Choose between %(min)s and %(max)s options."),
    "survey.answer.ranking": _l("Rank every option once."),
    "survey.answer.rating": _l("Give a rating from 1 to 5."),
    "survey.answer.number": _l("Give a number."),
    "survey.answer.range": _l("Give a number from %(min)s to %(max)s."),
    "survey.answer.text": _l("The text is too long."),
    "survey.answer.matrix": _l("Choose one level for each row."),
    "survey.answer.photo": _l("At most three photos."),
    "survey.answer.photo_unknown": _l("Please add this photo again here."),
    "survey.answer.photo_name": _l("A photo did not come through; please add it again."),
    "survey.wrong_state": _l("Not possible while the survey is %(state)s."),
    "survey.closed": _l("The survey is not open for answers now."),
    "survey.not_audience": _l("This survey is not for your home."),
    "survey.invalid": _l("Some answers or questions need attention."),
    # publicity, the gate, lifts, the contribution ledger
    "publicity.already_open": _l("This is already being published; wait until that period ends."),
    "publicity.ended": _l("The public notice period has ended: objections are no longer taken."),
    "publicity.not_started": _l("The public notice period has not started yet."),
    "publicity.empty_objection": _l("Please say what you object to."),
    "publicity.already_answered": _l("This objection has already been answered."),
    "publicity.not_over": _l("The public notice period is not over yet."),
    "publicity.unanswered": _l("%(count)s objections are still unanswered: answer each before the period ends."),
    "gate.no_consent": _l("%(compound)s has no approved renovation vote or willingness poll yet."),
    "gate.plan_not_published": _l("The compound plan has not been published (公示) yet."),
    "gate.objections_unanswered": _l("%(count)s objections to the plan are still unanswered."),
    "gate.plan_publicity_running": _l("The plan's public notice period has not ended yet."),
    "gate.lift_not_approved": _l("Item %(name)s (no. %(item)s) has no approved stairwell vote linked to it."),
    "gate.closed": _l("Works cannot start yet: %(count)s conditions are missing. The project page lists them."),
    "gate.nothing_missing": _l("Nothing is missing: the works may start without an override."),
    "gate.plan_empty": _l("Add the plan's items and budgets before publishing it."),
    "lift.bad_share": _l("Give the share of owners as a fraction from 0 to 1, e.g. 2/3 (not %(value)s)."),
    "lift.owner_share_not_met": _l("Not approved: fewer than %(share)s of the unit's owners agreed, as the county requires."),
    "lift.affected_not_agreed": _l("Not approved: %(count)s owners whose home the shaft affects have not agreed."),
    "lift.approved": _l("Approved under art. 278 and the county's rule for lifts."),
    "lift.bad_coefficient": _l("The coefficient %(value)s for floor %(floor)s is not a number from 0 to 10."),
    "lift.no_coefficients": _l("Give a coefficient for each floor."),
    "lift.bad_amount": _l("Amounts are whole fen, not negative."),
    "lift.deductions_exceed_cost": _l("Subsidy and provident fund together exceed the cost."),
    "lift.floor_unknown": _l("The floor of dwelling %(dwelling)s is unknown: set it on the roll."),
    "lift.no_coefficient": _l("There is no coefficient for floor %(floor)s."),
    "lift.county_only": _l("Lift rules are set by a county."),
    "lift.affected_outside_unit": _l("Affected dwellings must be in this stairwell."),
    "lift.not_a_lift_item": _l("This item is not the addition of a lift."),
    "lift.item_elsewhere": _l("This item belongs to a project of another compound."),
    "lift.not_approved": _l("The stairwell's lift vote has not been approved."),
    "lift.item_taken": _l("Another stairwell's lift is already linked to this item."),
    "dwelling.bad_floor": _l("The floor %(value)s is not a whole number from -5 to 99 (not 0)."),
    "money.bad_total": _l("The amount %(value)s is not a whole number of fen."),
    "money.negative_weight": _l("A share cannot be negative."),
    "money.no_weight": _l("Nobody would pay anything under this rule."),
    "contribution.owners_only": _l("Only owners can give maintenance funds."),
    "contribution.fund_vote_missing": _l("Using the maintenance fund needs the owners' approval first: no published, "
                                         "approved vote on using the maintenance fund covers this home."),
    "project.fund_vote_missing": _l("Using the maintenance fund needs the owners' approval first: no published, "
                                    "approved vote on using the maintenance fund covers every home of the project "
                                    "(%(count)s homes are not covered)."),
    "contribution.bad_transition": _l("An entry that is %(state)s cannot become %(target)s."),
    "contribution.no_receipt": _l("Give the receipt number."),
    "contribution.bad_rule": _l("Unknown apportionment rule %(rule)s."),
    "contribution.no_dwellings": _l("There are no dwellings to share this among."),
    "contribution.no_area": _l("Dwelling %(dwelling)s has no area on the roll."),
    # roll import
    "roll.empty": _l("The file is empty."),
    "roll.no_rows": _l("The file has a header but no data rows."),
    "roll.xls_unsupported": _l("Old .xls files are not supported: save the sheet as .xlsx or CSV."),
    "roll.unreadable": _l("The file is neither an .xlsx workbook nor a CSV text file."),
    "roll.encoding": _l("The CSV file is neither UTF-8 nor GBK/GB18030 text."),
    "roll.missing_column": _l("Required column %(column)s is missing."),
    "roll.missing_area_column": _l("At least one area column (registered, surveyed or contract area) is needed."),
    "roll.duplicate_column": _l("Column %(column)s appears twice."),
    "roll.required": _l("This cell must not be empty."),
    "roll.bad_address": _l("Cannot read the room address %(value)s (e.g. 3栋2单元501 or 3-2-501)."),
    "roll.bad_area": _l("Cannot read the area %(value)s (e.g. 85.6 or 85.60㎡)."),
    "roll.area_precision": _l("Area %(value)s has more than two decimals."),
    "roll.area_range": _l("Area %(value)s m² is outside the plausible range (0 to 10000 m²)."),
    "roll.no_area": _l("The dwelling has no registered, surveyed or contract area."),
    "roll.bad_yes_no": _l("Cannot read %(value)s as yes or no (是/否, Y/N, 1/0, √)."),
    "roll.bad_phone": _l("Mobile number %(value)s is not 11 digits starting with 1."),
    "roll.bad_id_type": _l("Unknown document type %(value)s."),
    "roll.bad_id": _l("ID number %(value)s is not a valid mainland ID number (18 characters, check digit)."),
    "roll.bad_document": _l("Document number %(value)s is not valid for this document type."),
    "roll.id_as_number": _l("The ID number was stored as a number and has lost digits: format the column as text."),
    "roll.id_required": _l("An owner who is not the developer needs an ID number."),
    "roll.too_long": _l("The text %(value)s is too long (at most %(limit)s characters)."),
    "roll.duplicate_owner": _l("The same owner is listed twice for this dwelling (first in row %(first)s)."),
    "roll.area_conflict": _l("The areas differ from row %(first)s for the same dwelling."),
    "roll.flag_conflict": _l("Developer-held or delivered differs from row %(first)s for the same dwelling."),
    "roll.too_many_errors": _l("Too many errors; only the first %(limit)s are shown."),
    "roll.too_many_rows": _l("The roll has more than %(limit)s rows."),
    "roll.too_large": _l("The file is larger than %(limit)s MB."),
    "roll.too_many_columns": _l("A row has more than %(limit)s columns."),
    "roll.too_many_texts": _l("The workbook holds more than %(limit)s different texts."),
    "roll.too_big_sheet": _l("The sheet declares more than %(rows)s rows or %(columns)s columns."),
    "registry.too_long": _l("At most %(limit)s characters."),
    "registry.unknown_region": _l("Choose a region in your area."),
    "registry.below_community": _l("A community has no regions below it: add compounds to it instead."),
    "registry.duplicate_region": _l("There is already a region called %(name)s here."),
    "registry.not_a_community": _l("Compounds belong to a community: choose one."),
    "registry.bad_year": _l("Give the year it was built, e.g. 1995."),
    "registry.bad_count": _l("Give a whole number of households."),
    "registry.duplicate_compound": _l("This community already has a compound called %(name)s."),
    "registry.bad_floors": _l("Give the number of floors (1 to 200)."),
    "registry.duplicate_building": _l("This compound already has building %(name)s."),
    "registry.unknown_building": _l("Choose a building of this compound."),
    "registry.duplicate_unit": _l("This building already has unit %(name)s."),
    "registry.unknown_unit": _l("Choose a stairwell unit of this compound."),
    "registry.duplicate_dwelling": _l("This unit already has room %(room)s."),
    "roll.preview_gone": _l("This preview has expired or was already imported. Please upload the roll again."),
    "roll.second_phone": _l("A second phone number for the same owner (row %(first)s gives another): not saved, the first is kept."),
    "roll.other_name": _l("Another name for the same ID number (row %(first)s gives %(name)s): the first is kept."),
    "roll.developer_private_person": _l("Marked as held by the developer, but %(name)s is identified by a personal ID document: please check."),
    "roll.dwellings_not_on_roll": _l("%(count)s dwellings on record are not on this roll: they and their owners are kept as they are."),
}

COLUMN_LABELS = {
    "building": _l("building"),
    "unit": _l("unit"),
    "room": _l("room"),
    "address": _l("room address"),
    "registered_area": _l("registered area"),
    "surveyed_area": _l("surveyed area"),
    "contract_area": _l("contract area"),
    "owner_name": _l("owner name"),
    "id_type": _l("document type"),
    "id_number": _l("ID number"),
    "phone": _l("mobile number"),
    "developer_held": _l("developer held"),
    "delivered": _l("delivered"),
    "share": _l("share"),
    "floor": _l("floor"),
}


def translate(key, **params):
    """Render a message key from a rule or service in the current locale."""
    template = MESSAGES.get(key)
    if template is None:
        return gettext("Something went wrong on our side. Please try again later.")
    if "column" in params and params["column"] in COLUMN_LABELS:
        params = dict(params, column=str(COLUMN_LABELS[params["column"]]))
    return str(template) % params if params else str(template)


def column_label(column):
    """The translated label of a roll column."""
    label = COLUMN_LABELS.get(column)
    return str(label) if label is not None else column
