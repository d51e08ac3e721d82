"""Lift pages: a stairwell's scheme with every home's floor and share, opening its vote, the decision, and
the link to the project item that builds the lift."""
from flask import g, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from admin.common import bp, from_local, page, run_confirmed, run_form
from admin.forms import DATETIME, NUMBER, options, required
from core.errors import InvalidInput, NotFound, field_error
from core.extensions import db
from core.auth import can
from core.i18n import translate
from core.models import Dwelling, Unit
from core.scopes import scope_choices
from lifts import services as lifts
from lifts.texts import rule_line
from votes.models import Vote


class SchemeForm(FlaskForm):
    unit = SelectField(_l("Stairwell"), validators=[required()], validate_choice=False)
    title = StringField(_l("Title"), validators=[required(), Length(max=200)])
    total_cost = IntegerField(_l("Cost (yuan)"), validators=[InputRequired(NUMBER), NumberRange(0, 10 ** 9)])
    subsidy = IntegerField(_l("Government subsidy (yuan)"), validators=[Optional(), NumberRange(0, 10 ** 9)])
    provident_fund = IntegerField(_l("Provident-fund withdrawals (yuan)"),
                                  validators=[Optional(), NumberRange(0, 10 ** 9)])
    coefficients = StringField(_l("Coefficient per floor, e.g. 1:0, 2:0.5, 3:0.8, 4:1, 5:1.2, 6:1.5"),
                               validators=[required(), Length(max=300)])
    affected = StringField(_l("Rooms whose part the shaft occupies, e.g. 101, 102"), validators=[Length(max=200)])
    text = TextAreaField(_l("Text of the matter"), validators=[Length(max=20000)])


class RuleForm(FlaskForm):
    min_owner_share = StringField(_l("Share of the stairwell's owners who must agree, e.g. 2/3 (empty: none)"),
                                  validators=[Length(max=20)])
    affected_must_agree = BooleanField(_l("The owners of the flats the shaft occupies must agree"))


class OpenForm(FlaskForm):
    opens_at = DateTimeLocalField(_l("Opens at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(DATETIME)])
    closes_at = DateTimeLocalField(_l("Closes at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(DATETIME)])


class FloorForm(FlaskForm):
    dwelling_id = HiddenField(validators=[required()])
    floor = StringField(_l("Floor"), validators=[Length(max=4)])


class LinkForm(FlaskForm):
    item_id = IntegerField(_l("Project item no."), validators=[InputRequired(NUMBER), NumberRange(1, 2 ** 31 - 1)])


def parse_coefficients_text(text):
    """{'1': '0', '2': '0.5'} from '1:0, 2:0.5' (full-width colons and commas too)."""
    result = {}
    for part in (text or "").replace("，", ",").replace("：", ":").replace("；", ",").split(","):
        if not part.strip():
            continue
        floor, _sep, value = part.partition(":")
        if not _sep:
            raise field_error("coefficients", "lift.no_coefficients")
        result[floor.strip()] = value.strip()
    return result


def _rooms(text):
    """The rooms named in a list typed as '101, 102' (full-width commas and 、 too)."""
    return {r.strip() for r in (text or "").replace("，", ",").replace("、", ",").split(",") if r.strip()}


def _county(staff):
    """The county whose lift rule this staff member sets (None unless county staff)."""
    from core.models import RegionLevel
    region = staff.region
    return region if can(staff, "lifts.rule") and region is not None and region.level == RegionLevel.COUNTY else None


def _rule_form(county):
    rule = lifts.rule_for(county)
    share = rule.as_dict()["min_owner_share"] or ""
    return RuleForm(formdata=None, min_owner_share=share, affected_must_agree=rule.affected_must_agree)


@bp.post("/lifts/rule")
def lift_rule():
    """A county sets its rule for lift votes, after a page stating what changes and what does not."""
    county = _county(g.staff)
    if county is None:
        raise NotFound()
    form = RuleForm()

    def consequences():
        from votes.lifts import check_rule
        rule = check_rule(form.min_owner_share.data, form.affected_must_agree.data)
        return [_("Lift votes in %(county)s opened from now on are counted this way: %(rule)s", county=county.name,
                  rule=rule_line(rule)),
                _("Votes already open keep the rule they opened with; %(n)s lift votes are open now.",
                  n=lifts.open_votes_in(county))]

    done = run_confirmed(form, lambda: lifts.set_lift_rule(g.staff, county.id, form.min_owner_share.data,
                                                           form.affected_must_agree.data),
                         _("The county's rule for lift votes is saved."), url_for("admin.lifts_list") + "#rule",
                         _("Change the rule for lift votes in %(county)s?", county=county.name), consequences,
                         _("Yes, change the rule"))
    return done or _lifts_page(rule_form=form, failed=form)


def _lifts_page(form=None, rule_form=None, failed=None):
    county = _county(g.staff)
    if form is None:
        form = SchemeForm(formdata=None)
        form.unit.choices = options([c for c in scope_choices(g.staff) if c[0].startswith("unit:")])
    return page("admin/lifts.html", form=failed, scheme_form=form, schemes=lifts.schemes_for(g.staff),
                county=county, rule_form=rule_form or (_rule_form(county) if county is not None else None),
                rule=rule_line(lifts.rule_for(county or g.staff.region)))


@bp.route("/lifts", methods=["GET", "POST"])
def lifts_list():
    """Lift schemes in my region; draw up one for a stairwell."""
    form = SchemeForm()
    form.unit.choices = options([c for c in scope_choices(g.staff) if c[0].startswith("unit:")])
    if request.method == "POST":
        def run():
            kind, _sep, ident = (form.unit.data or "").partition(":")
            if kind != "unit" or not ident.isdigit():
                raise field_error("unit", "error.invalid")
            return lifts.create_scheme(
                g.staff, int(ident), form.title.data, form.total_cost.data * 100,
                parse_coefficients_text(form.coefficients.data), subsidy=(form.subsidy.data or 0) * 100,
                provident_fund=(form.provident_fund.data or 0) * 100,
                affected=lifts.rooms_of_unit(g.staff, int(ident), _rooms(form.affected.data)), text=form.text.data)
        done = run_form(form, run, _("The lift scheme and its draft vote were created."),
                        lambda scheme: url_for("admin.lift_scheme", scheme_id=scheme.id))
        if done is not None:
            return done
        return _lifts_page(form=form, failed=form)
    return _lifts_page(form=form)


@bp.route("/lifts/<int:scheme_id>", methods=["GET", "POST"])
def lift_scheme(scheme_id):
    """One scheme: each home's floor and share, the rule, the vote and its decision."""
    scheme = lifts.get_scheme(g.staff, scheme_id)
    forms = {"open": OpenForm(formdata=None), "floor": FloorForm(formdata=None), "link": LinkForm(formdata=None)}
    failed = None
    if request.method == "POST":
        action = request.args.get("action")
        if action not in forms:
            raise NotFound()
        form = forms[action] = {"open": OpenForm, "floor": FloorForm, "link": LinkForm}[action]()
        calls = {"open": lambda: lifts.open_lift_vote(g.staff, scheme_id, from_local(form.opens_at.data),
                                                      from_local(form.closes_at.data)),
                 "floor": lambda: lifts.set_floor(g.staff, _dwelling_in(scheme, form.dwelling_id.data),
                                                  form.floor.data or None),
                 "link": lambda: lifts.link_item(g.staff, scheme_id, form.item_id.data)}
        done = run_form(form, calls[action], _("Saved."), url_for("admin.lift_scheme", scheme_id=scheme_id))
        if done is not None:
            return done
        failed = action
    try:
        shares, problem = lifts.shares_of(scheme), None
    except InvalidInput as fault:
        detail = fault.errors[0]
        shares, problem = {}, translate(detail["key"], **detail.get("params", {}))
    decided = lifts.outcome(scheme)
    return page("admin/lift.html", form=forms[failed] if failed else None, forms=forms, failed=failed,
                scheme=scheme, unit=db.session.get(Unit, scheme.unit_id), vote=db.session.get(Vote, scheme.vote_id),
                dwellings=lifts.unit_dwellings(scheme.unit_id), shares=shares, problem=problem,
                decided=decided, reason=translate(decided.reason_key, **decided.reason_params) if decided else None)


def _dwelling_in(scheme, value):
    from core.ids import row_id
    dwelling = db.session.get(Dwelling, row_id(value)) if row_id(value) else None
    if dwelling is None or dwelling.unit_id != scheme.unit_id:
        raise NotFound()
    return dwelling.id
