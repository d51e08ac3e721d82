"""Registry pages: a compound's roll (import, edit, masked numbers), bindings, binding codes, stairwell QR codes."""
import segno
from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _

from admin.common import bp, page, run_form
from admin.forms import (BindingCodeForm, DecideBindingForm, DwellingForm, OwnerForm, RollConfirmForm,
                         RollImportForm)
from core import accounts, registry
from core.areas import format_area
from core.extensions import db
from core.models import Dwelling


@bp.route("/compounds/<int:compound_id>", methods=["GET", "POST"])
def compound(compound_id):
    """One compound with its roll; committee staff import a new roll here."""
    item = registry.get_compound(g.staff, compound_id)
    form = RollImportForm()
    report = None
    if request.method == "POST":
        held = {}

        def run():  # read and check the whole file, save nothing, keep it for the confirmation
            upload = form.file.data
            data = upload.read()
            registry.import_roll(g.staff, compound_id, data, filename=upload.filename, dry_run=True)
            held["token"] = registry.hold_roll(g.staff, compound_id, data)
            held["name"] = upload.filename
        done = run_form(form, run, _("Check what the import will change, then confirm it."),
                        lambda _report: url_for("admin.roll_preview", compound_id=compound_id, token=held["token"],
                                        name=held["name"]))
        if done is not None:
            return done
    return page("admin/compound.html", form=form, compound=item, report=report,
                units=registry.units_of_compound(compound_id),
                dwellings=registry.list_dwellings(g.staff, compound_id))


def import_summary(report):
    """One line saying what an import changed."""
    text = _("The roll was imported: %(created)s owners added, %(updated)s updated, %(unchanged)s unchanged, "
             "%(removed)s removed; %(dwellings)s dwellings added.", created=report.owners_created,
             updated=report.owners_updated, unchanged=report.owners_unchanged, removed=report.owners_removed,
             dwellings=report.dwellings_created)
    if report.warnings:
        text += _("%(count)s warnings.", count=len(report.warnings))
    return text


@bp.route("/compounds/<int:compound_id>/roll/<token>", methods=["GET", "POST"])
def roll_preview(compound_id, token):
    """What a held roll would change; confirming imports it (all or nothing, as checked again now)."""
    item = registry.get_compound(g.staff, compound_id, "registry.import")
    data = registry.held_roll(g.staff, compound_id, token)
    name = request.args.get("name", "")[:200]
    form = RollConfirmForm()
    if request.method == "POST":
        done = {}

        def run():
            done["report"] = registry.import_roll(g.staff, compound_id, data, filename=name)
        result = run_form(form, run, "", url_for("admin.compound", compound_id=compound_id))
        if result is not None:
            registry.drop_roll(token)
            flash(import_summary(done["report"]))
            return result
    report = registry.import_roll(g.staff, compound_id, data, filename=name, dry_run=True)
    return page("admin/roll_preview.html", form=form, compound=item, name=name, token=token,
                report=registry.report_as_dict(report))


@bp.route("/dwellings/<int:dwelling_id>", methods=["GET", "POST"])
def dwelling(dwelling_id):
    """Correct a dwelling's areas; issue a one-time binding code for it."""
    row, compound = registry.dwelling_in_scope(g.staff, dwelling_id)
    form = DwellingForm(formdata=request.form if request.method == "POST" else None,
                        registered_area=format_area(row.registered_area) or "",
                        surveyed_area=format_area(row.surveyed_area) or "",
                        contract_area=format_area(row.contract_area) or "")
    code_form = BindingCodeForm(formdata=None, dwelling_id=dwelling_id)
    if request.method == "POST":
        done = run_form(form, lambda: registry.update_dwelling(
            g.staff, dwelling_id, form.registered_area.data, form.surveyed_area.data, form.contract_area.data),
            _("Saved."), url_for("admin.dwelling", dwelling_id=dwelling_id))
        if done is not None:
            return done
    owners = registry.list_dwellings(g.staff, compound.id, dwelling_id=dwelling_id)[0].owners
    people = [o.person for o in sorted(row.ownerships, key=lambda o: o.id)]
    return page("admin/dwelling.html", form=form, code_form=code_form, dwelling=row, compound=compound,
                owners=list(zip(owners, people)), code=request.args.get("code"))


@bp.post("/dwellings/<int:dwelling_id>/code")
def binding_code(dwelling_id):
    """A one-time code the resident types in WeChat to link to this dwelling (shown once)."""
    form = BindingCodeForm()
    issued = {}

    def run():
        issued["code"] = accounts.issue_binding_code(g.staff, dwelling_id, form.kind.data)
    done = run_form(form, run, _("Binding code issued. Give it to the resident; it is shown only once."), "")
    if done is None:
        return dwelling(dwelling_id)
    row = db.session.get(Dwelling, dwelling_id)
    return render_template("admin/binding_code.html", dwelling=row, code=issued["code"])


@bp.route("/owners/<int:person_id>", methods=["GET", "POST"])
def owner(person_id):
    """Correct an owner's name or mobile number (shown masked unless the role needs it)."""
    person, compound = registry.owner_in_scope(g.staff, person_id,
                                               "registry.edit" if request.method == "POST" else "registry.read")
    form = OwnerForm(formdata=request.form if request.method == "POST" else None, name=person.name, phone="")
    if request.method == "POST":
        done = run_form(form, lambda: registry.update_owner(g.staff, person_id, form.name.data, form.phone.data),
                        _("Saved."), url_for("admin.compound", compound_id=compound.id))
        if done is not None:
            return done
    return page("admin/owner.html", form=form, person=person, compound=compound)


@bp.route("/bindings", methods=["GET", "POST"])
def bindings():
    """Binding requests the roll could not confirm, to approve or reject."""
    form = DecideBindingForm()
    if request.method == "POST":
        def run():
            decision = form.decision.data
            req = int(form.request_id.data)
            if decision == "owner":
                accounts.decide_binding(g.staff, req, True, "owner", accounts.sole_owner(req), form.evidence.data)
            else:
                accounts.decide_binding(g.staff, req, decision != "reject", "tenant")
        done = run_form(form, run, _("Decision recorded; the resident is told in WeChat."), url_for("admin.bindings"))
        if done is not None:
            return done
    requests = accounts.pending_bindings(g.staff)
    # Whether the last four phone digits given match an owner on the roll (the dwelling's compound's, as shown);
    # if not, no decision is preselected.
    matches = {r.id: bool(r.phone_last4) and any((o.roll_phone_masked or "").endswith(r.phone_last4)
                                                 for o in r.dwelling.ownerships) for r in requests}
    return page("admin/bindings.html", form=form if form.errors or form.form_errors else None,
                requests=requests, matches=matches)


@bp.get("/units/<int:unit_id>/qrcode")
def unit_qrcode(unit_id):
    """A printable stairwell poster with the unit's WeChat QR code."""
    code = accounts.stairwell_qrcode(g.staff, unit_id)
    db.session.commit()
    return render_template("admin/unit_qrcode.html", unit=code["unit"],
                           qr=segno.make(code["url"], error="m").svg_inline(scale=6))
