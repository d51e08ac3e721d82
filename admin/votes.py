"""Vote pages: create, open, watch participation live, paper ballots with confirmation, close, publish, print."""
from datetime import timedelta

import segno
from flask import g, jsonify, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from admin.common import bp, from_local, local_time, now_local, page, run_confirmed, run_form
from admin.forms import (CanvassForm, ConfirmEntryForm, ExtendVoteForm, OpenVoteForm, PaperEntryForm,
                         PublishForm, VoteForm, options)
from core.scopes import describe_scope, scope_choices, split_scope
from core.staff import staff_names
from core.areas import format_area
from core.numbers import percent_text
from core.errors import field_error
from core.extensions import db
from core.i18n import translate
from core.models import Compound
from votes import rules
from votes import services as votes


@bp.route("/votes", methods=["GET", "POST"])
def votes_list():
    """The votes of my region, and a form to draft one."""
    form = VoteForm()
    form.scope.choices = options(scope_choices(g.staff))

    def create():
        kind, ident = split_scope(form.scope.data)
        return votes.create_vote(g.staff, kind, ident, form.matter.data, form.title.data, text=form.text.data,
                                 threshold=form.threshold.data, publish_details=form.publish_details.data)

    if request.method == "POST":
        done = run_form(form, create, _("The vote was drafted."), lambda vote: url_for("admin.vote", vote_id=vote.id))
        if done is not None:
            return done
    return page("admin/votes.html", form=form, votes=votes.list_votes(g.staff), describe=describe_scope)


def live_figures(vote, decided=None):
    """Participation against the quorum, the count so far and the outcome (votes.outcomes), as the live page
    shows it."""
    decided = decided or votes.outcome_now(vote)
    result = decided.result
    needed_area, needed_heads = rules.quorum_needs(result.total_area, result.total_heads)
    return {
        "state": vote.state,
        "total_heads": result.total_heads, "participating_heads": result.participating_heads,
        "needed_heads": needed_heads,
        "total_area": format_area(result.total_area), "participating_area": format_area(result.participating_area),
        "needed_area": format_area(needed_area),
        "heads_percent": percent_text(result.participating_heads, result.total_heads),
        "area_percent": percent_text(result.participating_area, result.total_area),
        "agree_heads": result.agree_heads, "disagree_heads": result.disagree_heads,
        "abstain_heads": result.abstain_heads, "agree_area": format_area(result.agree_area),
        "disagree_area": format_area(result.disagree_area), "abstain_area": format_area(result.abstain_area),
        "quorum_met": result.quorum_met, "approved": decided.approved,
        "civil_code_approved": decided.civil_code_approved,
        "reason": translate(decided.reason_key, **decided.reason_params),
    }


def _vote_page(vote_id, **forms):
    vote = votes.get_vote(g.staff, vote_id)
    # the forms the vote's state shows (a form sent back with faults is shown whatever the state)
    defaults = {"open_form": None, "extend_form": None, "paper_form": None, "publish_form": None}
    if vote.state == "draft":
        start = now_local()
        defaults["open_form"] = OpenVoteForm(formdata=None, opens_at=start,
                                             closes_at=start.replace(hour=20, minute=0) + timedelta(days=14))
    elif vote.state == "open":
        defaults.update(extend_form=ExtendVoteForm(formdata=None), paper_form=PaperEntryForm(formdata=None))
    elif vote.state == "closed":
        defaults["publish_form"] = PublishForm(formdata=None)
    defaults.update(forms)
    # Entries never confirmed stay on the page after the vote closes, marked void.
    entries = votes.paper_entries(g.staff, vote.id, uncounted=True)
    failed = forms.get("confirm_form")
    confirm_forms = {}
    for entry in entries:
        mine = failed is not None and failed.entry_id.data == str(entry["id"])
        confirm_forms[entry["id"]] = failed if mine else ConfirmEntryForm(formdata=None, entry_id=entry["id"])
    figures = live_figures(vote)
    return page("admin/vote.html", vote=vote, figures=figures, entries=entries, confirm_forms=confirm_forms,
                scope_name=describe_scope(vote.scope_kind, vote.scope_id), **defaults,
                form=next((f for f in forms.values() if f is not None), None))


@bp.get("/votes/<int:vote_id>")
def vote(vote_id):
    """One vote: its state, live participation, paper entry and the actions its state allows."""
    return _vote_page(vote_id)


@bp.get("/votes/<int:vote_id>/live")
def vote_live(vote_id):
    """The live figures as JSON, polled by the vote page."""
    vote = votes.get_vote(g.staff, vote_id)
    return jsonify(live_figures(vote))


def _back(vote_id):
    return url_for("admin.vote", vote_id=vote_id)


def _when(value):
    return local_time(from_local(value), "yyyy-MM-dd HH:mm")


def _vote_step(vote_id, form, step, message, question, lines, button, form_name):
    """A step that cannot be undone (open, close, publish), taken after a page stating its consequences:
    `lines(vote, reach)`, with whom the step reaches (votes.step_reach); the vote page again on a fault."""
    vote = votes.get_vote(g.staff, vote_id)
    done = run_confirmed(form, step, message, _back(vote_id), question(vote),
                         lambda: lines(vote, votes.step_reach(vote)), button)
    return done or _vote_page(vote_id, **{form_name: form})


@bp.post("/votes/<int:vote_id>/open")
def vote_open(vote_id):
    """Open the vote, after a page stating who may vote, until when, and that the roll and terms are fixed."""
    form = OpenVoteForm()

    def consequences(vote, reach):
        return [_("%(owners)s owners of %(dwellings)s dwellings in %(scope)s may vote from %(start)s to %(end)s "
                  "(Beijing time).", owners=reach["owners"], dwellings=reach["dwellings"],
                  scope=describe_scope(vote.scope_kind, vote.scope_id), start=_when(form.opens_at.data),
                  end=_when(form.closes_at.data)),
                _("The roll is frozen now: amendments made later do not change this vote. The matter and its "
                  "text can no longer be changed."),
                _("%(residents)s residents bound in WeChat will see the vote in the mini-program and by chat; "
                  "owners who have not voted are reminded %(days)s days before the end.",
                  residents=reach["residents"], days=vote.remind_days_before)]

    return _vote_step(vote_id, form, lambda: votes.open_vote(g.staff, vote_id, from_local(form.opens_at.data),
                                                             from_local(form.closes_at.data)),
                      _("The vote is open."), lambda vote: _("Open the vote “%(title)s”?", title=vote.title),
                      consequences, _("Yes, open the vote"), "open_form")


@bp.post("/votes/<int:vote_id>/extend")
def vote_extend(vote_id):
    form = ExtendVoteForm()
    done = run_form(form, lambda: votes.extend_vote(g.staff, vote_id, from_local(form.closes_at.data),
                                                    form.reason.data),
                    _("The vote was extended."), _back(vote_id))
    return done or _vote_page(vote_id, extend_form=form)


@bp.post("/votes/<int:vote_id>/paper")
def vote_paper(vote_id):
    form = PaperEntryForm()
    done = run_form(form, lambda: votes.enter_paper_ballot(g.staff, vote_id, form.code.data, form.choice.data),
                    _("Ballot entered. A second person must now confirm it."), _back(vote_id) + "#paper")
    return done or _vote_page(vote_id, paper_form=form)


@bp.post("/votes/<int:vote_id>/confirm")
def vote_confirm(vote_id):
    form = ConfirmEntryForm()
    done = run_form(form, lambda: votes.confirm_paper_ballot(g.staff, vote_id, int(form.entry_id.data),
                                                             form.choice.data),
                    _("Confirmation recorded."), _back(vote_id) + "#paper")
    return done or _vote_page(vote_id, confirm_form=form)


@bp.post("/votes/<int:vote_id>/close")
def vote_close(vote_id):
    """Close the vote now, after a page stating the planned end, that ballots stop, and what becomes of paper
    entries not yet confirmed."""
    def consequences(vote, reach):
        result = votes.tally(vote)
        lines = [_("The vote was planned to close at %(end)s. Closing now stops every ballot at once: online, by "
                   "chat and on paper.", end=local_time(vote.closes_at)),
                 _("So far %(heads)s of %(total)s owners have taken part; the count made now is final.",
                   heads=result.participating_heads, total=result.total_heads)]
        if reach["unsettled"]:
            lines.append(_("%(n)s paper ballots entered but not confirmed by a second person will be void and not "
                           "counted. Confirm them first if they should count.", n=reach["unsettled"]))
        return lines

    return _vote_step(vote_id, PublishForm(), lambda: votes.close_vote(g.staff, vote_id),  # only its CSRF token
                      _("The vote is closed and counted."),
                      lambda vote: _("Close the vote “%(title)s” now?", title=vote.title), consequences,
                      _("Yes, close the vote now"), "publish_form")


@bp.post("/votes/<int:vote_id>/publish")
def vote_publish(vote_id):
    """Publish the result, after a page stating how many residents will be told and for how long it is shown."""
    def consequences(vote, reach):
        lines = [_("The result is shown to anyone with the link or QR code for %(days)s days, and objections may be "
                   "raised during that time.", days=vote.publicity_days),
                 _("%(residents)s residents bound in WeChat in %(scope)s will be told the result.",
                   residents=reach["residents"], scope=describe_scope(vote.scope_kind, vote.scope_id))]
        if vote.publish_details:
            lines.append(_("Each dwelling's room and choice will be shown to the owners in scope too."))
        return lines

    return _vote_step(vote_id, PublishForm(), lambda: votes.publish_vote(g.staff, vote_id),
                      _("The result is published and the residents are being told."),
                      lambda vote: _("Publish the result of “%(title)s”?", title=vote.title), consequences,
                      _("Yes, publish and tell the residents"), "publish_form")


def deadline_text(value):
    """A deadline the way a notice board writes it, in Beijing time with its weekday."""
    pattern = "M月d日（EEE）HH:mm" if get_locale().language == "zh" else "EEE d MMMM HH:mm"
    return local_time(value, pattern)


@bp.get("/votes/<int:vote_id>/ballots")
def paper_ballots(vote_id):
    """One printable paper ballot per dwelling in scope: compound, dwelling, owners, matter, deadline, where to
    return it, and its code as text and QR code."""
    vote, sheets = votes.ballot_sheets(g.staff, vote_id)
    compound = db.session.get(Compound, vote.compound_id)
    default_place = _("the %(community)s neighbourhood committee office", community=compound.community.name)
    return_to = (request.args.get("return_to") or "").strip()[:100] or default_place
    from lifts.services import ballot_lines
    # a lift vote: each owner's share, the rule
    shares, lift_rule = ballot_lines(vote.id, [sheet["dwelling_id"] for sheet in sheets])
    ballots = [dict(sheet, owners="、".join(sheet["owners"]), share=shares.get(sheet["dwelling_id"]),
                    qr=segno.make(sheet["code"], error="m").svg_inline(scale=3)) for sheet in sheets]
    from lifts.texts import rule_line
    return render_template("admin/paper_ballots.html", vote=vote, ballots=ballots, compound=compound,
                           deadline=deadline_text(vote.closes_at) if vote.closes_at else "", return_to=return_to,
                           paper_rule=translate("vote.paper_rule"),
                           lift_rule=rule_line(lift_rule) if lift_rule else None)


@bp.route("/votes/<int:vote_id>/non-voters", methods=["GET", "POST"])
def non_voters(vote_id):
    """A printable list of the dwellings that have not voted, with their door-to-door status."""
    form = CanvassForm()
    if request.method == "POST":
        done = run_form(form, lambda: votes.set_canvass(g.staff, vote_id, int(form.dwelling_id.data),
                                                        form.status.data),
                        _("Saved."), url_for("admin.non_voters", vote_id=vote_id))
        if done is not None:
            return done
    vote, rows = votes.non_voters(g.staff, vote_id, with_owners=True)
    groups = {}  # by building, then unit, in the order of the list
    for row in rows:
        groups.setdefault((row["building"], row["unit"]), []).append(row)
    # Owners' names and phones only for the staff who go door to door; officials see rooms and statuses.
    return page("admin/non_voters.html", vote=vote, groups=groups, count=len(rows),
                show_owners=all(row["owners"] is not None for row in rows),
                figures=live_figures(vote), form=form if form.errors else None,
                compound=db.session.get(Compound, vote.compound_id))


@bp.get("/votes/<int:vote_id>/notice")
def vote_notice(vote_id):
    """The result notice for the notice board: result, reason and a QR code to the published result."""
    vote = votes.get_vote(g.staff, vote_id)
    vote.require("published", "archived")
    link = url_for("public.vote_result", vote_id=vote.id, _external=True)
    return render_template("admin/vote_notice.html", vote=vote, figures=live_figures(vote),
                           link=link, qr=segno.make(link, error="m").svg_inline(scale=4),
                           scope_name=describe_scope(vote.scope_kind, vote.scope_id))


def _proxy_choices(form, vote):
    """The dwellings of the vote's scope and the WeChat users who may be named its proxy."""
    form.dwelling_id.choices = options([(str(d), address) for d, address in votes.scope_addresses(vote)])
    form.owner_id.choices = options([("", _("The home's only owner"))] + [
        (str(person_id), f"{name} · {address}") for person_id, name, address in votes.proxy_signers(vote)])
    form.account_id.choices = options([(str(account_id), f"{name} · {address}")
                                       for account_id, name, address in votes.proxy_candidates(vote)])


def _proxies_page(vote_id, form=None):
    from admin.forms import ProxyForm
    vote = votes.get_vote(g.staff, vote_id, "votes.manage")  # the candidates and authorisations name people
    form = form or ProxyForm(formdata=None)
    _proxy_choices(form, vote)
    pending = votes.pending_proxies(g.staff, vote_id)
    return page("admin/proxies.html", form=form, vote=vote, pending=pending, address=votes.dwelling_address,
                staff_names=staff_names(p.recorded_by for p in pending), signers=votes.signer_names(pending))


@bp.route("/votes/<int:vote_id>/proxies", methods=["GET", "POST"])
def vote_proxies(vote_id):
    """Register a proxy from the owner's signed authorisation; a second staff member confirms it."""
    from admin.forms import ProxyForm
    from core.uploads import MAX_DOCUMENT_BYTES, store_document
    if request.method == "GET":
        return _proxies_page(vote_id)
    form = ProxyForm()
    _proxy_choices(form, votes.get_vote(g.staff, vote_id, "votes.manage"))

    def register():
        upload = form.document.data
        document = store_document(upload.read(MAX_DOCUMENT_BYTES + 1)) if upload else None
        ids = {}
        for name in ("dwelling_id", "account_id", "owner_id"):  # chosen from lists, but a forged form may send anything
            value = (getattr(form, name).data or "").strip()
            if name == "owner_id" and not value:
                ids[name] = None  # the home's only owner
                continue
            if not value.isdigit() or len(value) > 9:
                raise field_error(name, "error.invalid")
            ids[name] = int(value)
        votes.register_proxy(g.staff, vote_id, ids["dwelling_id"], ids["account_id"], form.authorisation.data,
                             document=document, id_number=form.id_number.data, owner_person_id=ids["owner_id"])

    done = run_form(form, register, _("The proxy is recorded. A second staff member must now confirm it."),
                    url_for("admin.vote_proxies", vote_id=vote_id))
    return done or _proxies_page(vote_id, form)


@bp.post("/votes/<int:vote_id>/proxies/<int:proxy_id>/confirm")
def vote_proxy_confirm(vote_id, proxy_id):
    from flask_wtf import FlaskForm
    form = FlaskForm()
    done = run_form(form, lambda: votes.confirm_proxy(g.staff, vote_id, proxy_id),
                    _("The proxy is confirmed and the owners are being told."),
                    url_for("admin.vote_proxies", vote_id=vote_id))
    return done or _proxies_page(vote_id)
